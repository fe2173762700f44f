"""KV-cache bytes of ``from_hf_config`` networks against transformers 5.23's cache after a prefill.

The real configs in ``tests/fixtures/hf`` are narrowed where it does not
change what the cache holds (hidden and MLP widths, vocabulary, experts,
query heads of latent attention) and kept where it does (key/value heads,
``head_dim``, the latent and rotary widths, the pattern of sliding and full
layers); windows shrink so that a 40-token prefill overflows them.
"""

from __future__ import annotations

import importlib
import json
import warnings
from pathlib import Path
from typing import Any

import pytest

from paramcalc.hf import from_hf_config
from paramcalc.plan.kv_cache import kv_cache

FIXTURES = Path(__file__).parent.parent / "fixtures" / "hf"
TOKENS = 40

CASES = {
    "llama-2-7b.json": "MHA",
    "mistral-7b.json": "GQA, sliding window",
    "mixtral-8x7b.json": "GQA, mixture of experts",
    "qwen2-0.5b.json": "GQA",
    "qwen3-0.6b.json": "GQA, head norms",
    "gemma-2-2b.json": "hybrid: sliding and full layers alternate",
    "gemma-3-1b-it.json": "hybrid: five sliding layers, then one full; MQA",
    "phi-3-mini-4k-instruct.json": "packed qkv",
    "deepseek-v3.json": "multi-head latent attention",
    "gpt-oss-20b.json": "hybrid, sinks, experts",
}


def _narrow(config: dict[str, Any]) -> dict[str, Any]:
    small = dict(config)
    small.pop("quantization_config", None)
    heads = small.get("num_attention_heads", 1)
    kv = small.get("num_key_value_heads", heads)
    if small["model_type"] != "deepseek_v3":  # whose head_dim is its rotary width
        small.setdefault("head_dim", small["hidden_size"] // heads)
    else:  # the cache is the latent: query heads do not matter
        heads = kv = 4
        small.update(q_lora_rank=32, first_k_dense_replace=1, n_group=1, topk_group=1)
    small.update(
        num_attention_heads=heads,
        num_key_value_heads=kv,
        hidden_size=64,
        intermediate_size=64,
        vocab_size=128,
        num_hidden_layers=min(6, small["num_hidden_layers"]),
    )
    for key in ("moe_intermediate_size", "shared_expert_intermediate_size"):
        if key in small:
            small[key] = 32
    for key in ("num_local_experts", "num_experts", "n_routed_experts"):
        if key in small:
            small[key] = 4
    for key in ("num_experts_per_tok",):
        if key in small:
            small[key] = min(2, small[key])
    if "layer_types" in small:
        small["layer_types"] = small["layer_types"][: small["num_hidden_layers"]]
    if small.get("sliding_window"):
        small["sliding_window"] = 16
    for key in ("bos_token_id", "eos_token_id", "pad_token_id"):
        if isinstance(small.get(key), int):
            small[key] = 0
    return small


@pytest.fixture(scope="module")
def transformers(torch: Any) -> Any:
    """transformers 5.23, or a skip."""
    module = pytest.importorskip("transformers")
    if not module.__version__.startswith("5.23."):
        pytest.fail(f"conformance needs transformers 5.23, found {module.__version__}")
    return module


@pytest.mark.parametrize("fixture", list(CASES), ids=lambda f: f.removesuffix(".json"))
def test_cache_bytes(torch: Any, transformers: Any, fixture: str) -> None:
    """The planned cache has the bytes of the tensors transformers caches after the prefill."""
    config = _narrow(json.loads((FIXTURES / fixture).read_text()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net = from_hf_config(config)
    auto = importlib.import_module("transformers")
    hf_config = auto.AutoConfig.for_model(**config)
    torch.manual_seed(0)
    model = auto.AutoModelForCausalLM.from_config(hf_config).to(torch.bfloat16).eval()
    with torch.no_grad():
        out = model(input_ids=torch.randint(0, 128, (2, TOKENS)), use_cache=True)
    expected = sum(
        t.numel() * t.element_size()
        for layer in out.past_key_values.layers
        for t in (layer.keys, layer.values)
    )
    assert kv_cache(net, TOKENS, 2, "bf16").bytes == expected


def _prefill_bytes(torch: Any, config: dict[str, Any], tokens: int, batch: int) -> int:
    """Bytes of the keys and values transformers caches after a bf16 prefill."""
    auto = importlib.import_module("transformers")
    data = {key: value for key, value in config.items() if key != "model_type"}
    hf_config = auto.AutoConfig.for_model(config["model_type"], **data)
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = auto.AutoModelForCausalLM.from_config(hf_config).to(torch.bfloat16).eval()
    with torch.no_grad():
        out = model(input_ids=torch.randint(0, 128, (batch, tokens)), use_cache=True)
    return sum(
        t.numel() * t.element_size()
        for layer in out.past_key_values.layers
        for t in (layer.keys, layer.values)
    )


FALCON = {
    "falcon-40b.json": "new_decoder_architecture: keys and values broadcast to every query head",
    "falcon-7b.json": "multi_query: one key/value head",
    "falcon-rw-1b.json": "multi-head",
}


@pytest.mark.parametrize("fixture", list(FALCON), ids=lambda f: f.removesuffix(".json"))
def test_falcon_cache_bytes(torch: Any, transformers: Any, fixture: str) -> None:
    """Falcon's cache as transformers 5.23 fills it (``FalconAttention.forward``), narrowed."""
    config = json.loads((FIXTURES / fixture).read_text())
    config.update(hidden_size=128, vocab_size=128, num_hidden_layers=2, bos_token_id=0)
    config.update(eos_token_id=0, num_attention_heads=16)
    if config.get("new_decoder_architecture"):
        config["num_kv_heads"] = 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net = from_hf_config(config)
    assert kv_cache(net, TOKENS, 2, "bf16").bytes == _prefill_bytes(torch, config, TOKENS, 2)


@pytest.mark.parametrize("window", [1, 2, 3])
def test_tiny_windows(torch: Any, transformers: Any, window: int) -> None:
    """``DynamicSlidingWindowLayer`` keeps ``[-w+1:]``: a window of 1 keeps the whole prefill."""
    config = _narrow(json.loads((FIXTURES / "mistral-7b.json").read_text()))
    config.update(sliding_window=window, num_hidden_layers=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net = from_hf_config(config)
    expected = _prefill_bytes(torch, config, 10, 1)
    assert kv_cache(net, 10, 1, "bf16").bytes == expected
