"""Pooling: golden rows from torch 2.13, and the errors torch raises.

Each row: layer, positional args, keyword args, per-sample input shape ->
named parameter shapes, named buffer shapes, per-sample output shape, MACs,
all taken from torch 2.13 on a batch of one (the batch dimension removed).
"""

from __future__ import annotations

from typing import Any, cast

import pytest

import paramcalc as pc
from paramcalc import ConfigError, ShapeError

from .golden_rows import GoldenRow, check_golden, row_id

inf = float("inf")

GOLDEN: list[GoldenRow] = [
    # torch 2.13.0+cpu, batch of one; re-checked live in tests/conformance/test_pooling.py
    ("AvgPool1d", (3,), {"stride": 2, "padding": 1}, (16, 50), [], [], (16, 25), 0),
    ("AvgPool1d", (4,), {"ceil_mode": True}, (3, 10), [], [], (3, 3), 0),
    ("AvgPool1d", (2,), {}, (9,), [], [], (4,), 0),
    ("AvgPool2d", (2,), {}, (6, 28, 28), [], [], (6, 14, 14), 0),
    (
        "AvgPool2d",
        ((3, 2),),
        {
            "stride": (2, 1),
            "padding": (1, 0),
            "ceil_mode": True,
            "count_include_pad": False,
            "divisor_override": 2,
        },
        (1, 7, 5),
        [],
        [],
        (1, 4, 4),
        0,
    ),
    ("AvgPool2d", ((2,),), {"stride": (1,)}, (2, 5, 5), [], [], (2, 4, 4), 0),
    ("AvgPool2d", (3, ()), {}, (2, 7, 7), [], [], (2, 2, 2), 0),
    ("AvgPool2d", (2,), {}, (7, 7), [], [], (3, 3), 0),
    ("AvgPool3d", ((1, 2, 2),), {}, (64, 8, 56, 56), [], [], (64, 8, 28, 28), 0),
    (
        "AvgPool3d",
        (3, 2, 1),
        {"ceil_mode": True, "divisor_override": -3},
        (2, 5, 6, 7),
        [],
        [],
        (2, 3, 4, 4),
        0,
    ),
    ("LPPool1d", (2, 3), {"stride": 2}, (16, 50), [], [], (16, 24), 0),
    ("LPPool1d", (inf, 3), {"ceil_mode": True}, (2, 8), [], [], (2, 3), 0),
    ("LPPool2d", (1.2, (3, 2)), {"stride": (2, 1)}, (16, 50, 32), [], [], (16, 24, 31), 0),
    ("LPPool2d", (2, 3), {"stride": (1,)}, (2, 5, 4), [], [], (2, 3, 2), 0),
    (
        "LPPool3d",
        (1.2, (3, 2, 2)),
        {"stride": (2, 1, 2)},
        (16, 50, 44, 31),
        [],
        [],
        (16, 24, 43, 15),
        0,
    ),
    ("LPPool3d", (-inf, 3), {"ceil_mode": True}, (1, 2, 4, 5), [], [], (1, 1, 2, 2), 0),
    ("AdaptiveAvgPool1d", (5,), {}, (64, 8), [], [], (64, 5), 0),
    ("AdaptiveAvgPool2d", ((1, 1),), {}, (2048, 7, 7), [], [], (2048, 1, 1), 0),
    ("AdaptiveAvgPool2d", ((None, 7),), {}, (64, 10, 9), [], [], (64, 10, 7), 0),
    ("AdaptiveAvgPool2d", (3,), {}, (5, 5), [], [], (3, 3), 0),
    ("AdaptiveAvgPool3d", ((5, None, 7),), {}, (64, 8, 9, 10), [], [], (64, 5, 9, 7), 0),
    ("AdaptiveMaxPool1d", (12,), {"return_indices": True}, (3, 8), [], [], (3, 12), 0),
    ("AdaptiveMaxPool2d", ((None, 7),), {}, (64, 10, 9), [], [], (64, 10, 7), 0),
    ("AdaptiveMaxPool3d", (2,), {}, (4, 8, 8, 8), [], [], (4, 2, 2, 2), 0),
    ("AdaptiveMaxPool3d", ((5, None, 7),), {}, (64, 8, 9, 10), [], [], (64, 5, 9, 7), 0),
    ("MaxPool2d", (2,), {}, (28, 28), [], [], (14, 14), 0),
    (
        "MaxPool1d",
        (3,),
        {"stride": 1, "padding": 1, "dilation": 2, "ceil_mode": True},
        (4, 9),
        [],
        [],
        (4, 7),
        0,
    ),
    ("AdaptiveAvgPool2d", (1,), {}, (2, 3, 4, 5), [], [], (2, 3, 1, 1), 0),
    ("AdaptiveAvgPool3d", ((1, 1, 1),), {}, (7, 2, 3, 4, 5), [], [], (7, 2, 1, 1, 1), 0),
    ("MaxPool3d", ((2,),), {"stride": (), "dilation": (1,)}, (2, 4, 5, 6), [], [], (2, 2, 2, 3), 0),
    (
        "MaxPool2d",
        ([3, 2],),
        {"stride": [2, 1], "padding": (1,), "return_indices": True},
        (3, 7, 5),
        [],
        [],
        (3, 4, 6),
        0,
    ),
    ("MaxUnpool1d", (2,), {"stride": 2}, (1, 4), [], [], (1, 8), 0),
    ("MaxUnpool1d", (3,), {"stride": 1, "padding": -1}, (2, 5), [], [], (2, 9), 0),
    ("MaxUnpool2d", (2,), {}, (64, 14, 14), [], [], (64, 28, 28), 0),
    ("MaxUnpool3d", (3,), {"stride": 2}, (16, 5, 3, 2), [], [], (16, 11, 7, 5), 0),
    (
        "FractionalMaxPool2d",
        (3,),
        {"output_ratio": (0.5, 0.5)},
        (16, 50, 32),
        [],
        [],
        (16, 25, 16),
        0,
    ),
    ("FractionalMaxPool2d", (3,), {"output_size": (7, 5)}, (2, 9, 7), [], [], (2, 7, 5), 0),
    (
        "FractionalMaxPool3d",
        (3,),
        {"output_size": (13, 12, 11)},
        (16, 50, 32, 16),
        [],
        [],
        (16, 13, 12, 11),
        0,
    ),
    (
        "FractionalMaxPool3d",
        ((1, 2, 2),),
        {"output_ratio": 0.5},
        (2, 4, 6, 7),
        [],
        [],
        (2, 2, 3, 3),
        0,
    ),
]


@pytest.mark.parametrize("row", GOLDEN, ids=row_id)
def test_golden(row: GoldenRow) -> None:
    """Parameters, buffers, output shape and MACs equal torch 2.13's."""
    check_golden(row)


# torch rejects each of these (checked live in tests/conformance/test_pooling.py).
CONFIG_ERRORS: list[tuple[str, tuple[Any, ...], dict[str, Any], str]] = [
    ("AvgPool1d", (3,), {"padding": 2}, r"AvgPool1d: `padding` must be at most half of"),
    ("AvgPool1d", (3,), {"padding": -1}, r"AvgPool1d: `padding` must be at least 0"),
    ("AvgPool1d", (0,), {}, r"AvgPool1d: `kernel_size` must be at least 1"),
    ("AvgPool1d", ((2, 2),), {}, r"AvgPool1d: `kernel_size` must be an int or a tuple of 1"),
    ("AvgPool2d", (2,), {"divisor_override": 0}, r"AvgPool2d: `divisor_override` must not be 0"),
    ("AvgPool2d", ((2, 2, 2),), {}, r"AvgPool2d: `kernel_size` must be an int or a tuple of 2"),
    ("AvgPool3d", (2,), {"padding": ()}, r"AvgPool3d: `padding` must be an int or a tuple of 3"),
    ("LPPool1d", (2, (3,)), {}, r"LPPool1d: `kernel_size` must be an int"),
    ("LPPool1d", (0, 2), {}, r"LPPool1d: `norm_type` must not be 0"),
    ("LPPool2d", (2, (2,)), {}, r"LPPool2d: `kernel_size` must be an int or a tuple of 2"),
    ("AdaptiveAvgPool1d", ((None,),), {}, r"AdaptiveAvgPool1d: `output_size` must be an int"),
    ("AdaptiveAvgPool2d", (None,), {}, r"AdaptiveAvgPool2d: `output_size` must be an int"),
    ("AdaptiveAvgPool2d", ((-1, 3),), {}, r"`output_size` must be at least 1"),
    ("AdaptiveMaxPool2d", ((3, 3, 3),), {}, r"must be an int or a tuple of 2 sizes"),
    ("MaxUnpool2d", ((2,),), {}, r"MaxUnpool2d: `kernel_size` must be an int or a tuple of 2"),
    ("MaxUnpool3d", (2, (2, 0, 1)), {}, r"MaxUnpool3d: `stride` must be at least 1"),
    ("FractionalMaxPool2d", (2,), {}, r"give exactly one of `output_size` and `output_ratio`"),
    ("FractionalMaxPool2d", (2,), {"output_ratio": 1}, r"`output_ratio` must be between 0 and 1"),
    ("FractionalMaxPool2d", (2,), {"output_ratio": (0.5,)}, r"a number or a tuple of 2"),
    ("FractionalMaxPool2d", (2,), {"output_size": -1}, r"`output_size` must be at least 1"),
    # torch returns an empty tensor for these; per-sample sizes are at least 1
    ("AdaptiveAvgPool1d", (0,), {}, r"AdaptiveAvgPool1d: `output_size` must be at least 1"),
    ("FractionalMaxPool2d", (2,), {"output_size": 0}, r"`output_size` must be at least 1"),
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
    ("AvgPool1d", (5,), (2, 3), r"too small for its kernel_size=\(5,\)"),
    ("AvgPool2d", (2,), (1, 2, 8, 8), r"expects a per-sample input of rank 3 \(C, H, W\) or 2"),
    ("AvgPool3d", (2,), (2, 5, 1, 5), r"needs each spatial size at least the kernel size"),
    ("LPPool2d", (2, 9), (2, 4, 5), r"too small for its kernel_size=9"),
    ("AdaptiveAvgPool2d", (2,), (1, 1, 8, 5), r"rank 3 \(C, H, W\) or 2 \(H, W\)"),
    ("AdaptiveMaxPool1d", (2,), (1, 2, 8), r"rank 2 \(C, L\) or 1 \(L\)"),
    ("MaxUnpool1d", (1, 1, 1), (2, 1), r"gives output size \(-1,\) for input shape"),
    # torch returns an empty tensor for these; per-sample sizes are at least 1
    ("MaxUnpool2d", ((3, 2), (2, 0), 1), (2, 4, 5), r"gives output size \(7, 0\)"),
    ("MaxUnpool3d", (2, 1, (1, 0, 0)), (1, 1, 2, 2), r"gives output size \(0, 3, 3\)"),
]


@pytest.mark.parametrize(("name", "args", "shape", "match"), SHAPE_ERRORS)
def test_shape_errors(name: str, args: tuple[Any, ...], shape: tuple[int, ...], match: str) -> None:
    """Shapes torch rejects at forward raise ShapeError saying what was expected."""
    with pytest.raises(ShapeError, match=match):
        getattr(pc, name)(*args).output_shape(shape)


def test_avgpool_stores_like_torch() -> None:
    """AvgPool1d stores 1-tuples (torch's _single); AvgPool2d's stride defaults to kernel_size."""
    assert pc.AvgPool1d(3).stride == (3,)
    assert pc.AvgPool2d((3, 2)).stride == (3, 2)
    assert pc.AvgPool2d(cast(Any, [3, 2])) == pc.AvgPool2d(
        (3, 2)
    )  # lists stored as tuples: hashable
    hash(pc.AdaptiveAvgPool2d(cast(Any, [None, 3])))


# Element-wise FLOPs per sample, by docs/flops.md's rules: average pooling k per output
# element; LPPool xᵖ per input element and k + 2 per output element; adaptive pooling
# each output over its own window [⌊i·L/out⌋, ⌈(i+1)·L/out⌉), k − 1 for max.
ELEMENTWISE: list[tuple[pc.Layer, tuple[int, ...], int]] = [
    (pc.AvgPool2d(2), (6, 28, 28), 6 * 14 * 14 * 4),
    (pc.AvgPool1d(3, stride=2, padding=1), (16, 50), 16 * 25 * 3),
    (pc.AvgPool3d((1, 2, 2)), (64, 8, 56, 56), 64 * 8 * 28 * 28 * 4),
    (pc.LPPool2d(2, 3), (2, 6, 6), 2 * 6 * 6 + 2 * 2 * 2 * (9 + 2)),
    (pc.LPPool1d(inf, 3), (2, 9), 2 * 9 + 2 * 3 * 2),
    (pc.AdaptiveAvgPool2d(1), (2048, 7, 7), 2048 * 49),
    (pc.AdaptiveMaxPool2d(1), (2048, 7, 7), 2048 * 48),
    # 5 → 3: windows [0, 2), [1, 4), [3, 5): sizes 2 + 3 + 2 = 7
    (pc.AdaptiveAvgPool1d(3), (4, 5), 4 * 7),
    (pc.AdaptiveMaxPool1d(3), (4, 5), 4 * (7 - 3)),
    # (None, 3) on 4×5: rows keep 1 each (4 in all), columns 7: 4·7 per channel
    (pc.AdaptiveAvgPool2d((None, 3)), (2, 4, 5), 2 * 4 * 7),
    (pc.FractionalMaxPool2d(3, output_size=(7, 5)), (2, 9, 7), 2 * 7 * 5 * 8),
    (pc.MaxUnpool2d(2), (64, 14, 14), 0),
]


@pytest.mark.parametrize(("layer", "shape", "expected"), ELEMENTWISE)
def test_elementwise_flops(layer: pc.Layer, shape: tuple[int, ...], expected: int) -> None:
    """Element-wise FLOPs follow docs/flops.md's pooling rules."""
    assert layer.elementwise_flops(shape) == expected


def test_fractional_max_pool_fit_rule() -> None:
    """ATen: out + k − 1 ≤ L in 2-d (7 + 2 = 9 fits 9) but < L in 3-d (3 + 2 = 5 fails 5)."""
    assert pc.FractionalMaxPool2d(3, output_size=(7, 5)).output_shape((2, 9, 7)) == (2, 7, 5)
    with pytest.raises(
        ShapeError, match=r"cannot fit 3 pooling regions of size 3 into a size of 5"
    ):
        pc.FractionalMaxPool3d(3, output_size=(3, 2, 2)).output_shape((2, 5, 7, 8))
