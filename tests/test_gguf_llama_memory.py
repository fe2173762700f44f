"""llama.cpp's KV cache and compute buffers against what llama.cpp itself printed.

``tests/golden/gguf/llama_memory.json`` holds, for small models of six
architectures and twelve context settings each, the lines llama.cpp 0.3.36
(llama-cpp-python, CPU) logged when it created the context; it is written by
``tests/golden/gguf/make_llama_memory.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from paramcalc.errors import ConfigError
from paramcalc.gguf.llama_memory import (
    LlamaShape,
    batches,
    llama_compute_buffer,
    llama_kv_cache,
)

HERE = Path(__file__).parent / "golden" / "gguf"
GOLDEN: dict[str, Any] = json.loads((HERE / "llama_memory.json").read_text(encoding="utf-8"))
CONVERTED: dict[str, Any] = json.loads(
    (HERE / "llama_memory_converted.json").read_text(encoding="utf-8")
)
# the converter's files of 18 families (llama.cpp cannot load its Phi-2 of a narrow MLP)
MODELS: dict[str, Any] = {**GOLDEN["models"], **CONVERTED["models"]}
CASES = [
    (name, index) for name, model in MODELS.items() for index, _ in enumerate(model["contexts"])
]


def _case(name: str, index: int) -> tuple[LlamaShape, dict[str, Any], dict[str, Any]]:
    model = MODELS[name]
    context = model["contexts"][index]
    return LlamaShape.from_config(model["config"]), context["settings"], context


def _mib(size: int) -> str:
    return f"{size / 2**20:.2f}"


class TestKVCache:
    """Every ``llama_kv_cache: size = …`` line llama.cpp printed, cells, layers, K and V."""

    @pytest.mark.parametrize(("name", "index"), CASES)
    def test_lines(self, name: str, index: int) -> None:
        """Cells, layers and MiB of K, V and both, per cache (full, then sliding), as printed."""
        shape, settings, context = _case(name, index)
        if not context["created"]:
            pytest.skip("llama.cpp refused it (see test_refused_like_llama_cpp)")
        cache = llama_kv_cache(
            shape,
            settings["n_ctx"],
            type_k=settings["type_k"],
            type_v=settings["type_v"],
            n_batch=settings["n_batch"],
            n_ubatch=settings["n_ubatch"],
            swa_full=settings.get("swa_full", False),
        )
        mine = [
            (cells, layers, _mib(k + v), _mib(k), _mib(v))
            for cells, layers, k, v in cache.lines(shape)
        ]
        gold = [
            (
                line["cells"],
                line["layers"],
                *(f"{line[key]:.2f}" for key in ("mib", "k_mib", "v_mib")),
            )
            for line in context["kv"]
        ]
        assert mine == gold

    @pytest.mark.parametrize(
        ("name", "index"),
        [(n, i) for n, i in CASES if not MODELS[n]["contexts"][i]["created"]],
    )
    def test_refused_like_llama_cpp(self, name: str, index: int) -> None:
        """Latent attention with different K and V types: llama.cpp refuses, so does paramcalc."""
        shape, settings, context = _case(name, index)
        assert "does not support different K" in " ".join(context["error"])
        with pytest.raises(ConfigError, match="must be the same"):
            llama_kv_cache(
                shape, settings["n_ctx"], type_k=settings["type_k"], type_v=settings["type_v"]
            )

    def test_block_must_divide_the_head(self) -> None:
        """A quantized cache whose block does not divide the head is refused (llama-context.cpp)."""
        shape = LlamaShape.from_config(
            {
                "model_type": "llama",
                "vocab_size": 64,
                "hidden_size": 320,
                "num_hidden_layers": 2,
                "num_attention_heads": 4,
                "intermediate_size": 64,
            }
        )
        with pytest.raises(ConfigError, match="blocks of 32, which do not divide the head size 80"):
            llama_kv_cache(shape, 512, type_k="q8_0")
        with pytest.raises(ConfigError, match="must be one of f32, f16"):
            llama_kv_cache(shape, 512, type_v="q4_k")

    def test_batches(self) -> None:
        """n_batch is at most n_ctx, n_ubatch at most n_batch; the context pads to 256."""
        assert batches(1000, 2048, 512) == (1024, 1000, 512)
        assert batches(300, 256, 512) == (512, 256, 256)
        with pytest.raises(ConfigError, match="`n_ctx` must be a whole number >= 1"):
            batches(0, 512, 512)


class TestComputeBuffer:
    """The compute buffer is an estimate: its error against llama.cpp is measured and bounded."""

    @pytest.mark.parametrize(("name", "index"), CASES)
    def test_within_bound(self, name: str, index: int) -> None:
        """Within 30% of llama.cpp's CPU compute buffer (to 4 decimals of a MiB) for every case."""
        shape, settings, context = _case(name, index)
        if not context["created"]:
            pytest.skip("llama.cpp refused it")
        estimate = llama_compute_buffer(
            shape,
            settings["n_ctx"],
            n_batch=settings["n_batch"],
            n_ubatch=settings["n_ubatch"],
            flash_attn=settings.get("fa", -1) != 0,
            swa_full=settings.get("swa_full", False),
        )
        gold = context["compute_mib_4"][0]["mib"] * 2**20
        error = estimate.bytes / gold - 1
        assert abs(error) < 0.30, f"{error:+.1%}"

    @pytest.mark.parametrize("name", ["llama", "llama_wide_vocab", "qwen3"])
    def test_close_for_plain_decoders(self, name: str) -> None:
        """Llama and Qwen3 with an f16 cache and flash attention: within 0.5%."""
        for index, context in enumerate(GOLDEN["models"][name]["contexts"]):
            shape, settings, _ = _case(name, index)
            if settings["type_k"] != "f16" or settings.get("fa", -1) == 0:
                continue
            estimate = llama_compute_buffer(
                shape, settings["n_ctx"], n_batch=settings["n_batch"], n_ubatch=settings["n_ubatch"]
            )
            gold = context["compute_mib_4"][0]["mib"] * 2**20
            assert abs(estimate.bytes / gold - 1) < 0.005, settings
