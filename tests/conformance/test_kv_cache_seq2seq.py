"""Encoder-decoder caches (self-attention + cross-attention) against transformers 5.23.

After one forward of ``decoder_tokens`` decoder tokens over an encoder output
of ``encoder_tokens``, ``EncoderDecoderCache`` holds each decoder layer's
self-attention keys and values (decoder length) and its cross-attention keys
and values (encoder length); paramcalc's ``kv_cache(..., encoder_tokens=)``
must have the same bytes.
"""

from __future__ import annotations

import importlib
import warnings
from typing import Any

import pytest

from paramcalc.errors import ParamcalcWarning
from paramcalc.plan.kv_cache import kv_cache


@pytest.fixture(scope="module")
def transformers(torch: Any) -> Any:
    """transformers 5.23, or a skip."""
    module = pytest.importorskip("transformers")
    if not module.__version__.startswith("5.23."):
        pytest.fail(f"conformance needs transformers 5.23, found {module.__version__}")
    return module


def _cache_bytes(cache: Any) -> int:
    total = 0
    for part in (cache.self_attention_cache, cache.cross_attention_cache):
        for layer in part.layers:
            for tensor in (layer.keys, layer.values):
                total += tensor.numel() * tensor.element_size()
    return int(total)


def _paramcalc(config: dict[str, Any]) -> Any:
    hf = importlib.import_module("paramcalc.hf")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ParamcalcWarning)
        return hf.from_hf_config(config)


T5: dict[str, Any] = {
    "model_type": "t5",
    "vocab_size": 128,
    "d_model": 64,
    "d_kv": 16,
    "d_ff": 96,
    "num_layers": 2,
    "num_decoder_layers": 3,
    "num_heads": 6,
    "architectures": ["T5ForConditionalGeneration"],
}
WHISPER: dict[str, Any] = {
    "model_type": "whisper",
    "vocab_size": 128,
    "num_mel_bins": 16,
    "d_model": 64,
    "encoder_layers": 2,
    "decoder_layers": 2,
    "encoder_attention_heads": 4,
    "decoder_attention_heads": 4,
    "encoder_ffn_dim": 96,
    "decoder_ffn_dim": 96,
    "max_source_positions": 50,
    "max_target_positions": 64,
    "pad_token_id": 0,
    "bos_token_id": 1,
    "eos_token_id": 2,
    "decoder_start_token_id": 1,
    "architectures": ["WhisperForConditionalGeneration"],
}


def test_t5(torch: Any, transformers: Any) -> None:
    """T5: 3 decoder layers × (self over 7 tokens + cross over 11) × 6 heads × 16."""
    config = transformers.T5Config(**{k: v for k, v in T5.items() if k != "model_type"})
    model = transformers.T5ForConditionalGeneration(config).to(torch.bfloat16).eval()
    with torch.no_grad():
        out = model(
            input_ids=torch.randint(0, 128, (2, 11)),
            decoder_input_ids=torch.randint(0, 128, (2, 7)),
            use_cache=True,
        )
    expected = _cache_bytes(out.past_key_values)
    net = _paramcalc(T5)
    assert kv_cache(net, 7, 2, "bf16", encoder_tokens=11).bytes == expected


def test_whisper(torch: Any, transformers: Any) -> None:
    """Whisper: the cross cache spans the encoder's max_source_positions frames."""
    fields = {k: v for k, v in WHISPER.items() if k != "model_type"}
    config = transformers.WhisperConfig(**fields)
    model = transformers.WhisperForConditionalGeneration(config).to(torch.bfloat16).eval()
    features = torch.randn(2, 16, 2 * WHISPER["max_source_positions"], dtype=torch.bfloat16)
    with torch.no_grad():
        out = model(
            input_features=features,
            decoder_input_ids=torch.randint(0, 128, (2, 5)),
            use_cache=True,
        )
    expected = _cache_bytes(out.past_key_values)
    net = _paramcalc(WHISPER)
    assert kv_cache(net, 5, 2, "bf16", encoder_tokens=50).bytes == expected
