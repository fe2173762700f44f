"""Padding layers: golden rows from torch 2.13, and the errors torch raises.

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
    # torch 2.13.0+cpu, batch of one; re-checked live in tests/conformance/test_padding.py
    ("ZeroPad1d", ((1, 2),), {}, (4, 10), [], [], (4, 13), 0),
    ("ZeroPad2d", (1,), {}, (3, 32, 32), [], [], (3, 34, 34), 0),
    ("ZeroPad2d", ((1, 1, 2, 0),), {}, (3, 32, 32), [], [], (3, 34, 34), 0),
    ("ZeroPad2d", ((-1, 0, 2, -3),), {}, (2, 3, 4), [], [], (2, 2, 3), 0),
    ("ZeroPad2d", ((1, 1, 0, 0),), {}, (5,), [], [], (7,), 0),
    ("ZeroPad3d", ((1, 1, 0, 0, -1, 0),), {}, (3, 4, 8, 8), [], [], (3, 3, 8, 10), 0),
    ("ConstantPad1d", (2, 3.5), {}, (4, 10), [], [], (4, 14), 0),
    ("ConstantPad2d", ((3, 0, 2, 1), 3.5), {}, (1, 2, 2), [], [], (1, 5, 5), 0),
    ("ConstantPad3d", (1, 0), {}, (16, 3, 5, 5), [], [], (16, 5, 7, 7), 0),
    ("ConstantPad3d", (1, 0.0), {}, (2, 3, 5, 5, 5), [], [], (2, 3, 7, 7, 7), 0),
    ("ReflectionPad1d", ((3, 1),), {}, (2, 4), [], [], (2, 8), 0),
    ("ReflectionPad1d", ((-3, 2),), {}, (3,), [], [], (2,), 0),
    ("ReflectionPad2d", (2,), {}, (1, 3, 3), [], [], (1, 7, 7), 0),
    ("ReflectionPad3d", ((1, 1, 0, 0, 2, 2),), {}, (2, 3, 3, 3), [], [], (2, 7, 3, 5), 0),
    ("ReplicationPad1d", ((-1, 5),), {}, (2, 3), [], [], (2, 7), 0),
    ("ReplicationPad2d", ((1, 1, 2, 0),), {}, (1, 3, 3), [], [], (1, 5, 5), 0),
    ("ReplicationPad3d", (3,), {}, (16, 3, 8, 4), [], [], (16, 9, 14, 10), 0),
    ("CircularPad1d", ((3, 3),), {}, (2, 3), [], [], (2, 9), 0),
    ("CircularPad1d", ((-1, 2),), {}, (2, 3), [], [], (2, 4), 0),
    ("CircularPad2d", ((1, 1, 2, 0),), {}, (1, 3, 3), [], [], (1, 5, 5), 0),
    ("CircularPad3d", (1,), {}, (2, 3, 3, 3), [], [], (2, 5, 5, 5), 0),
]


@pytest.mark.parametrize("row", GOLDEN, ids=row_id)
def test_golden(row: GoldenRow) -> None:
    """Parameters, buffers, output shape and MACs equal torch 2.13's."""
    check_golden(row)


# torch rejects each of these (checked live in tests/conformance/test_padding.py).
CONFIG_ERRORS: list[tuple[str, tuple[Any, ...], str]] = [
    ("ZeroPad2d", (1.0,), r"ZeroPad2d: `padding` must be an int"),
    ("ConstantPad1d", (1, "a"), r"ConstantPad1d: `value` must be a number"),
    ("ReflectionPad1d", ((1,),), r"`padding` must be an int or a tuple of 2 ints"),
    ("CircularPad2d", ((1, 2, 3),), r"`padding` must be an int or a tuple of 4 ints"),
]


@pytest.mark.parametrize(("name", "args", "match"), CONFIG_ERRORS)
def test_config_errors(name: str, args: tuple[Any, ...], match: str) -> None:
    """Arguments torch rejects raise ConfigError naming the layer and the argument."""
    with pytest.raises(ConfigError, match=match):
        getattr(pc, name)(*args)


# torch raises at forward on a batch of one of these shapes (or pads the batch).
SHAPE_ERRORS: list[tuple[str, tuple[Any, ...], tuple[int, ...], str]] = [
    ("ZeroPad1d", (3,), (), r"would change the batch dimension \(1 → 7\)"),
    ("ZeroPad3d", (1,), (3,), r"pads 3 dimensions but receives a per-sample input of rank 1"),
    ("ConstantPad1d", ((-2, -2), 0.0), (2, 3), r"crops a size of 3 by \(-2, -2\) below 0"),
    (
        "ReflectionPad1d",
        ((3, 0),),
        (2, 3),
        r"needs each reflected pad smaller than the size it pads",
    ),
    ("ReflectionPad1d", ((-1, -2),), (2, 3), r"crops a size of 3 by \(-1, -2\) to 0"),
    ("ReflectionPad2d", (1,), (1, 2, 3, 3), r"rank 3 \(C, H, W\) or 2 \(H, W\)"),
    ("ReplicationPad2d", ((-1, -1, -1, -1),), (1, 2, 2), r"crops a size of 2 by \(-1, -1\) to 0"),
    ("CircularPad1d", ((4, 0),), (2, 3), r"wraps around more than once"),
    ("CircularPad1d", ((1, -4),), (2, 3), r"would be copied from 2 elements"),
    ("CircularPad1d", ((2, -2),), (2, 3), r"copied from elements it overwrites"),
    # torch returns an empty tensor for these; per-sample sizes are at least 1
    ("ConstantPad1d", ((-2, -1), 0.0), (2, 3), r"crops a size of 3 by \(-2, -1\) to 0"),
    ("ReflectionPad2d", ((-1, -2, 0, 0),), (2, 3, 3), r"crops a size of 3 by \(-1, -2\) to 0"),
    ("CircularPad1d", ((-2, -1),), (2, 3), r"crops a size of 3 by \(-2, -1\) to 0"),
]


@pytest.mark.parametrize(("name", "args", "shape", "match"), SHAPE_ERRORS)
def test_shape_errors(name: str, args: tuple[Any, ...], shape: tuple[int, ...], match: str) -> None:
    """Shapes torch rejects at forward raise ShapeError saying what was expected."""
    with pytest.raises(ShapeError, match=match):
        getattr(pc, name)(*args).output_shape(shape)


def test_padding_stored_like_torch() -> None:
    """An int is expanded as torch's _pair/_quadruple/_ntuple(6) do; the repr collapses it."""
    assert pc.ZeroPad2d(1).padding == (1, 1, 1, 1)
    assert pc.ConstantPad3d(2, 0.5).padding == (2,) * 6
    assert repr(pc.ReflectionPad1d((1, 2))) == "ReflectionPad1d((1, 2))"
