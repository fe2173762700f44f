"""llama.cpp's -ngl split (src/llama-model.cpp, load_tensors) and the device searches."""

from __future__ import annotations

import pytest

from paramcalc.errors import ConfigError
from paramcalc.gguf.llama_memory import LlamaShape
from paramcalc.gguf.split import largest_context, llama_plan, most_layers

SHAPE = LlamaShape.from_config(
    {
        "model_type": "llama",
        "vocab_size": 1000,
        "hidden_size": 256,
        "num_hidden_layers": 4,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "intermediate_size": 512,
    }
)
SIZES = {
    "token_embd.weight": 1000,
    **{f"blk.{il}.attn_q.weight": 100 * (il + 1) for il in range(4)},
    "output_norm.weight": 7,
    "output.weight": 1000,
}


@pytest.mark.parametrize(
    ("ngl", "gpu"),
    [(0, 0), (1, 1007), (2, 1007 + 400), (4, 1007 + 900), (5, 1007 + 1000), (99, 2007)],
)
def test_layers_from_the_end(ngl: int, gpu: int) -> None:
    """-ngl N offloads the output layer first, then the last layers; the embedding never."""
    plan = llama_plan(SHAPE, SIZES, 512, ngl=ngl)
    assert plan.gpu_weights == gpu
    assert plan.gpu_weights + plan.cpu_weights == sum(SIZES.values())
    assert plan.gpu_layers == min(ngl, 5)


def test_tied_output_is_a_second_copy() -> None:
    """No output.weight: the output layer on the GPU gets a copy of the embedding."""
    tied = {name: size for name, size in SIZES.items() if name != "output.weight"}
    assert llama_plan(SHAPE, tied, 512, ngl=5).gpu_weights == 1000 + 7 + 1000
    assert llama_plan(SHAPE, tied, 512, ngl=3).gpu_weights == 300 + 400 + 7 + 1000
    assert llama_plan(SHAPE, tied, 512, ngl=0).gpu_weights == 0


def test_cache_and_compute_follow_the_layers() -> None:
    """Each offloaded layer's cache is on the GPU; the compute buffer too once any layer is."""
    cpu = llama_plan(SHAPE, SIZES, 1024, ngl=0)
    half = llama_plan(SHAPE, SIZES, 1024, ngl=3)  # output + layers 2, 3
    assert cpu.gpu_total == 0
    assert cpu.cpu_kv == 4 * half.gpu_kv // 2
    assert half.gpu_kv == half.cpu_kv
    assert half.gpu_total == half.gpu_weights + half.gpu_kv + half.compute.bytes


def test_searches() -> None:
    """The largest context fits and the next 256 cells do not; the most layers likewise."""
    memory = 9 * 2**20
    best = largest_context(SHAPE, SIZES, memory, ngl=5)
    assert llama_plan(SHAPE, SIZES, best, ngl=5).gpu_total <= memory
    assert llama_plan(SHAPE, SIZES, best + 256, ngl=5).gpu_total > memory
    layers = most_layers(SHAPE, SIZES, 12 * 2**20, 4096)
    assert 0 < layers < 5
    assert llama_plan(SHAPE, SIZES, 4096, ngl=layers).gpu_total <= 12 * 2**20
    assert llama_plan(SHAPE, SIZES, 4096, ngl=layers + 1).gpu_total > 12 * 2**20
    assert largest_context(SHAPE, SIZES, 10, ngl=5) == 0


def test_refused() -> None:
    """-ngl must be a whole number >= 0."""
    with pytest.raises(ConfigError, match="`ngl` must be a whole number >= 0"):
        llama_plan(SHAPE, SIZES, 512, ngl=-1)
