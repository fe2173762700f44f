"""Bilinear: tensor shapes from PyTorch 2.13, MACs from the bilinear form by hand.

torch's ``FlopCounterMode`` counts 0 for ``aten::_trilinear`` (see
``tests/conformance/test_bilinear.py``), so MACs are the formula
``leading·in1·in2·out``, worked out by hand in each row.
"""

from __future__ import annotations

from typing import Any

import pytest

import paramcalc as pc
from paramcalc import ShapeError

GOLDEN: list[tuple[Any, ...]] = [
    # args, kwargs, shape -> torch's named_parameters(), torch's output shape, MACs by hand
    ((20, 30, 40), {}, (20,), [("weight", (40, 20, 30)), ("bias", (40,))], (40,), 20 * 30 * 40),
    ((20, 30, 40), {}, (128, 20), [("weight", (40, 20, 30)), ("bias", (40,))], (128, 40),
     128 * 20 * 30 * 40),
    ((5, 3, 2), {"bias": False}, (4, 6, 5), [("weight", (2, 5, 3))], (4, 6, 2),
     4 * 6 * 5 * 3 * 2),
]  # fmt: skip


@pytest.mark.parametrize(("args", "kwargs", "shape", "params", "out", "macs"), GOLDEN)
def test_golden(
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    shape: tuple[int, ...],
    params: list[tuple[str, tuple[int, ...]]],
    out: tuple[int, ...],
    macs: int,
) -> None:
    """Weight (out, in1, in2) and bias as torch; output (*, out); MACs leading·in1·in2·out."""
    layer = pc.Bilinear(*args, **kwargs)
    assert list(layer.named_parameters()) == params
    assert layer.output_shape(shape) == out
    assert layer.macs(shape) == macs
    assert layer.explain().value == layer.params()


def test_first_input_features_checked() -> None:
    """torch: 'input1 size does not match weight size: got 21 but expected 20'."""
    with pytest.raises(ShapeError, match="expects 20 features in its first input but receives 21"):
        pc.Bilinear(20, 30, 40).output_shape((21,))


def test_bias_add_elementwise() -> None:
    """docs/flops.md: the bias add is 1 FLOP per output element."""
    assert pc.Bilinear(20, 30, 40).elementwise_flops((128, 20)) == 128 * 40
    assert pc.Bilinear(20, 30, 40, bias=False).elementwise_flops((128, 20)) == 0
