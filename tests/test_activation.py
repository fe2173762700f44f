"""Activations: golden rows from torch 2.13, and the errors torch raises.

Each row: layer, positional args, keyword args, per-sample input shape ->
named parameter shapes, named buffer shapes, per-sample output shape, MACs,
all taken from torch 2.13 on a batch of one (the batch dimension removed).
"""

from __future__ import annotations

from typing import Any

import pytest

import paramcalc as pc
from paramcalc import ConfigError, ShapeError

from .golden_rows import GoldenRow, check_golden, row_id

GOLDEN: list[GoldenRow] = [
    # torch 2.13.0+cpu, batch of one; re-checked live in tests/conformance/test_activation.py
    ("ReLU", (), {}, (6, 28, 28), [], [], (6, 28, 28), 0),
    ("ReLU6", (True,), {}, (32, 7, 7), [], [], (32, 7, 7), 0),
    ("LeakyReLU", (0.2,), {}, (64, 16, 16), [], [], (64, 16, 16), 0),
    ("LeakyReLU", (), {"negative_slope": -1.5, "inplace": True}, (3,), [], [], (3,), 0),
    ("PReLU", (), {}, (64, 8, 8), [("weight", (1,))], [], (64, 8, 8), 0),
    ("PReLU", (64,), {}, (64, 8, 8), [("weight", (64,))], [], (64, 8, 8), 0),
    ("PReLU", (5, 0.1), {}, (5,), [("weight", (5,))], [], (5,), 0),
    ("PReLU", (1,), {}, (), [("weight", (1,))], [], (), 0),
    ("ELU", (0.5,), {}, (10,), [], [], (10,), 0),
    ("SELU", (), {}, (4, 5), [], [], (4, 5), 0),
    ("CELU", (-2.0, True), {}, (4, 5), [], [], (4, 5), 0),
    ("GELU", (), {}, (197, 768), [], [], (197, 768), 0),
    ("GELU", ("tanh",), {}, (12,), [], [], (12,), 0),
    ("SiLU", (), {}, (16, 4, 4), [], [], (16, 4, 4), 0),
    ("Mish", (), {}, (16,), [], [], (16,), 0),
    ("Sigmoid", (), {}, (1, 1), [], [], (1, 1), 0),
    ("Tanh", (), {}, (), [], [], (), 0),
    ("Hardswish", (), {}, (16, 7, 7), [], [], (16, 7, 7), 0),
    ("Hardsigmoid", (), {}, (16, 1, 1), [], [], (16, 1, 1), 0),
    ("Hardtanh", (), {}, (10,), [], [], (10,), 0),
    ("Hardtanh", (-2.0, 2.0, True), {}, (3, 3), [], [], (3, 3), 0),
    ("Softplus", (2.0, 10.0), {}, (10,), [], [], (10,), 0),
    ("Softmax", (), {"dim": -1}, (8, 197, 197), [], [], (8, 197, 197), 0),
    ("Softmax", (1,), {}, (10,), [], [], (10,), 0),
    ("Softmax", (0,), {}, (10,), [], [], (10,), 0),
    ("Softmax", (), {}, (4, 5), [], [], (4, 5), 0),
    ("Softmax", (), {}, (), [], [], (), 0),
    ("LogSoftmax", (-3,), {}, (4, 5), [], [], (4, 5), 0),
    ("LogSoftmax", (2,), {}, (4, 5), [], [], (4, 5), 0),
    ("GLU", (), {}, (10, 8), [], [], (10, 4), 0),
    ("GLU", (1,), {}, (6, 3), [], [], (3, 3), 0),
    ("GLU", (-3,), {}, (4, 2, 3), [], [], (2, 2, 3), 0),
    ("Threshold", (0.1, 20.0), {}, (10,), [], [], (10,), 0),
    ("Threshold", (0, -1, True), {}, (2, 3), [], [], (2, 3), 0),
    ("RReLU", (), {}, (10,), [], [], (10,), 0),
    ("RReLU", (0.1, 0.3, True), {}, (3, 4), [], [], (3, 4), 0),
    ("Hardshrink", (), {}, (10,), [], [], (10,), 0),
    ("Hardshrink", (-1.0,), {}, (2, 2), [], [], (2, 2), 0),
    ("Softshrink", (0.0,), {}, (10,), [], [], (10,), 0),
    ("LogSigmoid", (), {}, (5,), [], [], (5,), 0),
    ("Softsign", (), {}, (), [], [], (), 0),
    ("Tanhshrink", (), {}, (2, 3), [], [], (2, 3), 0),
    ("Softmin", (), {"dim": -1}, (4, 7), [], [], (4, 7), 0),
    ("Softmin", (), {}, (4, 7), [], [], (4, 7), 0),
    ("Softmax2d", (), {}, (3, 8, 8), [], [], (3, 8, 8), 0),
    ("Softmax2d", (), {}, (8, 8), [], [], (8, 8), 0),
]


@pytest.mark.parametrize("row", GOLDEN, ids=row_id)
def test_golden(row: GoldenRow) -> None:
    """Parameters, buffers, output shape and MACs equal torch 2.13's."""
    check_golden(row)


# torch rejects each of these (checked live in tests/conformance/test_activation.py).
CONFIG_ERRORS: list[tuple[str, tuple[Any, ...], dict[str, Any], str]] = [
    ("Hardtanh", (1.0, 1.0), {}, r"Hardtanh: `max_val` must be greater than `min_val`"),
    ("Hardtanh", (), {"min_value": 3.0}, r"Received: min_val=3\.0, max_val=1\.0"),
    ("CELU", (0.0,), {}, r"CELU: `alpha` must not be 0"),
    ("GELU", ("exact",), {}, r"GELU: `approximate` must be one of 'none', 'tanh'"),
    ("PReLU", (0,), {}, r"PReLU: `num_parameters` must be at least 1"),
    ("PReLU", (2.0,), {}, r"PReLU: `num_parameters` must be an int"),
    ("Softmax", ("a",), {}, r"Softmax: `dim` must be an int"),
    ("GLU", (0,), {}, r"GLU: dim 0 is the batch dimension"),
    ("ReLU6", (1,), {}, r"ReLU6: `inplace` must be a bool"),
    ("RReLU", (0.5, 0.1), {}, r"RReLU: `lower` must be at most `upper`"),
    ("Softshrink", (-1.0,), {}, r"Softshrink: `lambd` must be in \[0, 3\.40"),
]


@pytest.mark.parametrize(("name", "args", "kwargs", "match"), CONFIG_ERRORS)
def test_config_errors(
    name: str, args: tuple[Any, ...], kwargs: dict[str, Any], match: str
) -> None:
    """Arguments torch rejects raise ConfigError naming the layer and the argument."""
    with pytest.raises(ConfigError, match=match):
        getattr(pc, name)(*args, **kwargs)


# torch raises at forward on a batch of one of these shapes.
SHAPE_ERRORS: list[tuple[str, tuple[Any, ...], tuple[int, ...], str]] = [
    ("PReLU", (3,), (4, 8), r"PReLU has 3 parameters, one per channel, but receives 4 channels"),
    ("PReLU", (3,), (), r"receives a per-sample scalar"),
    ("Softmax", (3,), (4, 5), r"has dim=3, out of range \[-3, 2\]"),
    ("LogSoftmax", (-4,), (4, 5), r"has dim=-4, out of range \[-3, 2\]"),
    ("GLU", (-1,), (10, 7), r"GLU halves dim=-1, which must have an even size, but receives 7"),
    ("GLU", (-3,), (4, 6), r"dim=-3, which is the batch dimension"),
    ("GLU", (5,), (4, 6), r"out of range \[-3, 2\]"),
    ("Softmax2d", (), (4,), r"expects a per-sample input of rank 3 \(C, H, W\) or 2"),
]


@pytest.mark.parametrize(("name", "args", "shape", "match"), SHAPE_ERRORS)
def test_shape_errors(name: str, args: tuple[Any, ...], shape: tuple[int, ...], match: str) -> None:
    """Shapes torch rejects at forward raise ShapeError saying what was expected."""
    with pytest.raises(ShapeError, match=match):
        getattr(pc, name)(*args).output_shape(shape)


def test_softmax_dim_none_keeps_any_shape() -> None:
    """dim=None: torch picks a dim by rank (0 for ranks 0, 1, 3), never changing the shape."""
    for shape in [(), (3,), (3, 4), (3, 4, 5)]:
        assert pc.Softmax().output_shape(shape) == shape


def test_hardtanh_deprecated_names_replace_new_ones() -> None:
    """min_value/max_value override min_val/max_val, as torch's constructor does."""
    layer = pc.Hardtanh(min_value=-3.0, max_value=3.0)
    assert (layer.min_val, layer.max_val, layer.min_value, layer.max_value) == (
        -3.0,
        3.0,
        None,
        None,
    )
    assert repr(layer) == "Hardtanh(min_val=-3.0, max_val=3.0)"


def test_prelu_repr_and_formula() -> None:
    """PReLU(64): torch's repr and 64 slopes, which the working adds up to."""
    layer = pc.PReLU(64)
    assert repr(layer) == "PReLU(num_parameters=64)"
    assert layer.explain().value == layer.params() == 64  # torch: weight (64,)


# Element-wise FLOPs per sample, by docs/flops.md's rules (activations: 1 per element,
# DeepSpeed's and ptflops' count; softmax: 5 per element; GLU: sigmoid and product).
ELEMENTWISE: list[tuple[pc.Layer, tuple[int, ...], int]] = [
    (pc.ReLU6(), (32, 7, 7), 32 * 7 * 7),
    (pc.PReLU(64), (64, 8, 8), 64 * 8 * 8),
    (pc.GELU("tanh"), (197, 768), 197 * 768),
    (pc.Hardtanh(), (), 1),
    (pc.Threshold(0.1, 20.0), (10,), 10),
    (pc.Softmax(-1), (8, 197, 197), 5 * 8 * 197 * 197),
    (pc.LogSoftmax(1), (10,), 50),
    (pc.GLU(), (10, 8), 2 * 10 * 4),
    (pc.Softsign(), (10,), 10),
    (pc.Softmin(1), (10,), 60),
    (pc.Softmax2d(), (3, 8, 8), 5 * 3 * 8 * 8),
]


@pytest.mark.parametrize(("layer", "shape", "expected"), ELEMENTWISE)
def test_elementwise_flops(layer: pc.Layer, shape: tuple[int, ...], expected: int) -> None:
    """Element-wise FLOPs follow docs/flops.md's per-element constants."""
    assert layer.elementwise_flops(shape) == expected
