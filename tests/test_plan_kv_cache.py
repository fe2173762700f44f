"""KV-cache bytes: published anchors, the per-layer breakdown, cost and errors."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from paramcalc import Linear
from paramcalc.errors import ConfigError, ParamcalcWarning
from paramcalc.graph import Repeat
from paramcalc.hf import from_hf_config
from paramcalc.layer import Layer
from paramcalc.plan.kv_cache import kv_cache, kv_cache_bytes
from paramcalc.zoo._common import SelfAttention
from paramcalc.zoo.language import llama, mistral

FIXTURES = Path(__file__).parent / "fixtures" / "hf"


def _hf(name: str) -> Layer:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ParamcalcWarning)
        return from_hf_config(FIXTURES / name)


class TestAnchors:
    def test_llama31_8b(self) -> None:
        """131,072 B a token in bf16 (32 layers · 2 · 8 kv heads · 128 · 2 B); 16 GiB at 128k."""
        net = llama(vocab_size=128256, intermediate_size=14336, num_key_value_heads=8)
        assert kv_cache_bytes(net, 1) == 131_072
        assert kv_cache_bytes(net, 131_072) == 16 * 2**30
        assert net.kv_cache_bytes(4096, dtype="fp8") == 4096 * 65_536

    def test_deepseek_v3(self) -> None:
        """70,272 B a token: 61 layers · (512 latent + 64 rotary) · 2 B."""
        net = _hf("deepseek-v3.json")
        assert kv_cache_bytes(net, 1) == 70_272

    def test_gemma2_hybrid(self) -> None:
        """Gemma-2-2B at 32k: 13 sliding layers keep 4,095 positions, 13 global ones 32,768."""
        net = _hf("gemma-2-2b.json")
        per_token = 2 * 4 * 256 * 2  # keys and values, 4 kv heads of 256, bf16
        expected = 13 * per_token * 4095 + 13 * per_token * 32768
        assert kv_cache_bytes(net, 32768) == expected

    def test_falcon_40b(self) -> None:
        """1,966,080 B a token: transformers 5.23 caches keys and values broadcast to all
        128 query heads under ``new_decoder_architecture`` (60 layers · 2 · 128 · 64 · 2 B)."""
        assert kv_cache_bytes(_hf("falcon-40b.json"), 1) == 1_966_080

    def test_falcon_7b(self) -> None:
        """Multi-query Falcon-7B: one key/value head, 32 layers · 2 · 64 · 2 B = 8,192 B."""
        assert kv_cache_bytes(_hf("falcon-7b.json"), 1) == 8_192

    def test_window_of_one_keeps_the_prefill(self) -> None:
        """``sliding_window: 1``: transformers' ``[-w+1:]`` is ``[0:]``, the whole prefill.

        A tiny Mistral (2 layers, 2 kv heads of 16) after 10 tokens: 2,560 B in bf16,
        as transformers 5.23's cache holds (tests/conformance/test_kv_cache_hf.py).
        """
        config = {
            "model_type": "mistral",
            "vocab_size": 128,
            "hidden_size": 64,
            "intermediate_size": 64,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "num_key_value_heads": 2,
            "head_dim": 16,
        }
        for window, expected in ((1, 2_560), (2, 256), (3, 512)):
            net = from_hf_config({**config, "sliding_window": window})
            assert kv_cache_bytes(net, 10) == expected

    def test_mistral_window(self) -> None:
        """Mistral-7B-v0.1 (window 4096): the cache stops growing at 4,095 positions."""
        net = mistral(sliding_window=4096)
        assert kv_cache_bytes(net, 100_000) == kv_cache_bytes(net, 4095) == 4095 * 131_072


class TestBreakdown:
    def test_entries_per_layer_kind(self) -> None:
        """One entry per cached tensor of each distinct layer, with its copies."""
        cache = kv_cache(llama(num_hidden_layers=3), 10)
        assert [(e.tensor, e.copies, e.shape) for e in cache.entries] == [
            ("key", 3, (32, 10, 128)),
            ("value", 3, (32, 10, 128)),
        ]
        assert cache.to_dict()["bytes"] == cache.bytes == 3 * 2 * 32 * 10 * 128 * 2

    def test_repeat_is_constant_time(self) -> None:
        """A billion repeated layers cost one walk of the block."""
        attention = SelfAttention(
            {"qkv": Linear(64, 192)}, ["qkv"], [], num_heads=4, head_dim=16, kv_cache=True
        )
        assert kv_cache_bytes(Repeat(attention, 10**9), 2) == 10**9 * 2 * 4 * 2 * 16 * 2


class TestErrors:
    @pytest.mark.parametrize("context", [0, -1, True, 1.5])
    def test_bad_context(self, context: object) -> None:
        """A context that is not a positive int is refused, naming it."""
        with pytest.raises((ConfigError, TypeError), match="context"):
            kv_cache_bytes(llama(num_hidden_layers=1), context)  # type: ignore[arg-type]

    def test_bad_dtype(self) -> None:
        """An unknown cache dtype is refused."""
        with pytest.raises(ConfigError, match="dtype"):
            kv_cache_bytes(llama(num_hidden_layers=1), 8, dtype="fp7")
