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
