"""fp8 and mxfp4 layouts against the modules transformers 5.23 allocates (on CPU)."""

from __future__ import annotations

from typing import Any

import pytest

from paramcalc.plan.weights import _expert_tensors, _tensors_bytes, linear_tensors


@pytest.fixture(scope="module")
def integrations(torch: Any) -> Any:
    """transformers.integrations, or a skip."""
    pytest.importorskip("transformers")
    import importlib

    return importlib.import_module("transformers.integrations.finegrained_fp8")


def _bytes(module: Any) -> int:
    return sum(p.numel() * p.element_size() for p in module.parameters())


@pytest.mark.parametrize(("out", "inp"), [(4096, 4096), (1000, 300), (128, 7168), (7, 5)])
def test_fp8_linear(integrations: Any, out: int, inp: int) -> None:
    """FP8Linear with 128×128 blocks: e4m3 weight + fp32 weight_scale_inv."""
    module = integrations.FP8Linear(inp, out, block_size=(128, 128))
    assert _tensors_bytes(linear_tensors("fp8", out, inp, False, "bf16")) == _bytes(module)


@pytest.mark.parametrize("name", ["gate_up_proj", "down_proj"])
def test_fp8_experts(integrations: Any, torch: Any, name: str) -> None:
    """Fused experts: _alloc_expert_proj's weight and scale (gate_up keeps 2 scale rows)."""
    rows, cols = (2 * 96, 256) if name == "gate_up_proj" else (256, 96)
    weight, scale = integrations._alloc_expert_proj(
        4,
        rows,
        cols,
        integrations._FP8_DTYPE,
        torch.float32,
        sf_gran_n=128,
        sf_gran_k=128,
        min_sf_out=2 if name == "gate_up_proj" else 1,
    )
    ours = _expert_tensors("fp8", name, (4, rows, cols), "bf16")
    assert ours is not None
    assert [s for _, s, _ in ours] == [tuple(weight.shape), tuple(scale.shape)]


def test_mxfp4_blocks(torch: Any) -> None:
    """gpt-oss experts: the packed e2m1 bytes Mxfp4GptOssExperts holds, plus one scale a block."""
    pytest.importorskip("transformers")
    import importlib

    mxfp4 = importlib.import_module("transformers.integrations.mxfp4")
    config = importlib.import_module("transformers").GptOssConfig(
        num_local_experts=4, intermediate_size=64, hidden_size=96
    )
    module = mxfp4.Mxfp4GptOssExperts(config)
    for name in ("gate_up_proj", "down_proj"):
        packed = getattr(module, name)
        experts, rows, half = packed.shape
        ours = _expert_tensors("mxfp4", name, (experts, rows, 2 * half), "bf16")
        assert ours is not None
        (_, blocks, _), (_, scales, _) = ours
        assert blocks[0] * blocks[1] * blocks[2] * blocks[3] == packed.numel()
        assert scales == (experts, rows, 2 * half // 32)
