"""KV-cache bytes against the cache ``transformers`` 5.23 fills in a prefill.

Few-layer, narrow versions of real configs keep the cache's structure (head
counts, head size, windows) while running in a second on CPU; the bytes
compared are those of the tensors ``DynamicCache`` holds after the prefill.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from paramcalc.layer import Layer
from paramcalc.plan.kv_cache import kv_cache
from paramcalc.zoo.language import gpt2, llama, mistral, qwen2


@pytest.fixture(scope="module")
def transformers(torch: Any) -> Any:
    """transformers 5.23, or a skip when it is not installed."""
    module = pytest.importorskip("transformers")
    if not module.__version__.startswith("5.23."):
        pytest.fail(f"conformance needs transformers 5.23, found {module.__version__}")
    return module


def cache_tensor_bytes(torch: Any, model: Any, tokens: int, batch: int) -> int:
    """Bytes of the tensors in the cache after one prefill of ``tokens`` tokens."""
    ids = torch.randint(0, 100, (batch, tokens))
    with torch.no_grad():
        out = model(input_ids=ids, use_cache=True)
    total = 0
    for layer in out.past_key_values.layers:
        for tensor in (layer.keys, layer.values):
            total += tensor.numel() * tensor.element_size()
    return int(total)


def _hf(transformers: Any, torch: Any, kind: str, **config: Any) -> Any:
    torch.manual_seed(0)
    cfg = getattr(transformers, f"{kind}Config")(**config)
    head = "LMHeadModel" if kind == "GPT2" else "ForCausalLM"
    model = getattr(transformers, f"{kind}{head}")(cfg)
    return model.to(torch.bfloat16).eval()


LLAMA: dict[str, Any] = {
    "vocab_size": 128,
    "hidden_size": 64,
    "intermediate_size": 96,
    "num_hidden_layers": 3,
    "num_attention_heads": 8,
    "num_key_value_heads": 2,
}
"""Llama-3's structure narrowed: GQA 8:2 (Llama-3.1-8B has 32:8), head size 8."""

CASES: list[tuple[str, str, dict[str, Any], Callable[[], Layer], int]] = [
    ("gqa", "Llama", LLAMA, lambda: llama(**LLAMA), 37),
    (
        "mqa",
        "Llama",
        {**LLAMA, "num_key_value_heads": 1},
        lambda: llama(**{**LLAMA, "num_key_value_heads": 1}),
        37,
    ),
    (
        "mha",
        "Llama",
        {**LLAMA, "num_key_value_heads": 8},
        lambda: llama(**{**LLAMA, "num_key_value_heads": 8}),
        37,
    ),
    (
        "mha-gpt2",
        "GPT2",
        {"vocab_size": 128, "n_positions": 64, "n_embd": 64, "n_layer": 2, "n_head": 4},
        lambda: gpt2(vocab_size=128, n_positions=64, n_embd=64, n_layer=2, n_head=4),
        21,
    ),
    (
        "qwen2",
        "Qwen2",
        {**LLAMA, "tie_word_embeddings": True},
        lambda: qwen2(**{**LLAMA, "tie_word_embeddings": True}),
        19,
    ),
    (
        "sliding-longer",
        "Mistral",
        {**LLAMA, "sliding_window": 8},
        lambda: mistral(**{**LLAMA, "sliding_window": 8}),
        30,
    ),
    (
        "sliding-shorter",
        "Mistral",
        {**LLAMA, "sliding_window": 64},
        lambda: mistral(**{**LLAMA, "sliding_window": 64}),
        30,
    ),
    (
        "no-window",
        "Mistral",
        {**LLAMA, "sliding_window": None},
        lambda: mistral(**LLAMA),
        30,
    ),
]


@pytest.mark.parametrize(
    ("case", "kind", "config", "build", "tokens"), CASES, ids=[c[0] for c in CASES]
)
@pytest.mark.parametrize("batch", [1, 3])
def test_cache_bytes_equal_transformers(
    torch: Any,
    transformers: Any,
    case: str,
    kind: str,
    config: dict[str, Any],
    build: Callable[[], Layer],
    tokens: int,
    batch: int,
) -> None:
    """The planned cache has the bytes of transformers' DynamicCache after the prefill."""
    model = _hf(transformers, torch, kind, **config)
    expected = cache_tensor_bytes(torch, model, tokens, batch)
    assert kv_cache(build(), tokens, batch, "bf16").bytes == expected
