"""Reshaping layers: golden rows from torch 2.13, and the errors torch raises.

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
    # torch 2.13.0+cpu, batch of one; re-checked live in tests/conformance/test_reshape.py
    ("Unflatten", (1, (16, 5, 5)), {}, (400,), [], [], (16, 5, 5), 0),
    ("Unflatten", (-1, (2, -1)), {}, (3, 8), [], [], (3, 2, 4), 0),
    ("Unflatten", (2, [3, 1]), {}, (4, 3, 5), [], [], (4, 3, 1, 5), 0),
    ("Unflatten", (-2, (-1,)), {}, (4, 3, 5), [], [], (4, 3, 5), 0),
    ("Dropout", (0.5,), {}, (120,), [], [], (120,), 0),
    ("Dropout1d", (0.2,), {}, (16, 50), [], [], (16, 50), 0),
    ("Dropout1d", (), {}, (50,), [], [], (50,), 0),
    ("Dropout2d", (0.3, True), {}, (16, 32, 32), [], [], (16, 32, 32), 0),
    ("Dropout2d", (1.0,), {}, (), [], [], (), 0),
    ("Dropout3d", (), {}, (16, 4, 8, 8), [], [], (16, 4, 8, 8), 0),
    ("AlphaDropout", (0.2,), {}, (), [], [], (), 0),
    ("FeatureAlphaDropout", (0.2,), {}, (16, 8, 8), [], [], (16, 8, 8), 0),
    ("PixelShuffle", (3,), {}, (9, 4, 4), [], [], (1, 12, 12), 0),
    ("PixelShuffle", (2,), {}, (3, 8, 4, 4), [], [], (3, 2, 8, 8), 0),
    ("PixelShuffle", (1,), {}, (4, 4), [], [], (4, 4), 0),
    ("PixelUnshuffle", (3,), {}, (1, 12, 12), [], [], (9, 4, 4), 0),
    ("PixelUnshuffle", (2,), {}, (2, 3, 4, 6), [], [], (2, 12, 2, 3), 0),
    ("ChannelShuffle", (2,), {}, (4, 3, 3), [], [], (4, 3, 3), 0),
    ("ChannelShuffle", (3,), {}, (6, 5), [], [], (6, 5), 0),
    ("Fold", ((4, 5), (2, 2)), {}, (12, 12), [], [], (3, 4, 5), 0),
    ("Fold", (4, 2), {"dilation": 1, "padding": 1, "stride": 2}, (8, 9), [], [], (2, 4, 4), 0),
    (
        "Fold",
        ((7, 6), (3, 2)),
        {"dilation": (2, 1), "padding": (1, 0), "stride": (1, 2)},
        (6, 15),
        [],
        [],
        (1, 7, 6),
        0,
    ),
    ("Unfold", ((2, 3),), {}, (5, 3, 4), [], [], (30, 4), 0),
    ("Unfold", (3,), {"dilation": 2, "padding": 1, "stride": 2}, (2, 9, 8), [], [], (18, 12), 0),
    ("Unfold", (1,), {}, (6, 7), [], [], (42,), 0),
    (
        "Upsample",
        (),
        {"scale_factor": 2, "mode": "bilinear"},
        (64, 16, 16),
        [],
        [],
        (64, 32, 32),
        0,
    ),
    ("Upsample", (), {"scale_factor": 1.5}, (3, 5), [], [], (3, 7), 0),
    ("Upsample", (), {"scale_factor": (2, 0.5), "mode": "area"}, (2, 3, 3), [], [], (2, 6, 1), 0),
    (
        "Upsample",
        ((4, 5),),
        {"mode": "bicubic", "align_corners": True},
        (2, 3, 3),
        [],
        [],
        (2, 4, 5),
        0,
    ),
    (
        "Upsample",
        (),
        {"size": 7, "mode": "linear", "recompute_scale_factor": False},
        (2, 3),
        [],
        [],
        (2, 7),
        0,
    ),
    (
        "Upsample",
        (),
        {"scale_factor": 1.7, "mode": "nearest-exact", "recompute_scale_factor": True},
        (2, 3, 3),
        [],
        [],
        (2, 5, 5),
        0,
    ),
    (
        "Upsample",
        (),
        {"scale_factor": (2, 1, 0.5), "mode": "trilinear"},
        (2, 3, 3, 4),
        [],
        [],
        (2, 6, 3, 2),
        0,
    ),
    ("UpsamplingNearest2d", (), {"scale_factor": 2}, (1, 2, 2), [], [], (1, 4, 4), 0),
    ("UpsamplingNearest2d", (3,), {}, (1, 2), [], [], (1, 3), 0),
    ("UpsamplingBilinear2d", ((3, 5),), {}, (1, 2, 2), [], [], (1, 3, 5), 0),
]


@pytest.mark.parametrize("row", GOLDEN, ids=row_id)
def test_golden(row: GoldenRow) -> None:
    """Parameters, buffers, output shape and MACs equal torch 2.13's."""
    check_golden(row)


# torch rejects each of these (checked live in tests/conformance/test_reshape.py).
CONFIG_ERRORS: list[tuple[str, tuple[Any, ...], dict[str, Any], str]] = [
    ("Unflatten", (0, (1, 1)), {}, r"Unflatten: dim 0 is the batch dimension"),
    ("Unflatten", (1, ()), {}, r"must be a non-empty tuple of positive sizes"),
    ("Unflatten", (1, (-1, -1)), {}, r"at most one of them -1"),
    ("Unflatten", (1, 6), {}, r"`unflattened_size` must be a tuple of ints"),
    ("Dropout2d", (1.5,), {}, r"Dropout2d: `p` must be between 0 and 1"),
    ("PixelShuffle", (0,), {}, r"PixelShuffle: `upscale_factor` must be at least 1"),
    ("ChannelShuffle", (0,), {}, r"ChannelShuffle: `groups` must be at least 1"),
    ("Fold", ((4,), 2), {}, r"Fold: `output_size` must be an int or a tuple of 2 ints"),
    ("Fold", ((1, 1), 2), {}, r"Fold: no \(2, 2\) block fits `output_size`=\(1, 1\)"),
    ("Unfold", (2,), {"padding": -1}, r"Unfold: `padding` must be at least 0"),
    ("Upsample", (), {}, r"Upsample: give exactly one of `size` and `scale_factor`"),
    ("Upsample", (), {"scale_factor": 0}, r"a zero scale_factor counts as none"),
    ("Upsample", (), {"size": 0}, r"Upsample: `size` must be at least 1"),
    ("Upsample", (), {"scale_factor": [2, 2]}, r"`scale_factor` must be a number or a tuple"),
    ("Upsample", (4,), {"recompute_scale_factor": True}, r"not meaningful with an explicit"),
    ("Upsample", (4,), {"align_corners": False}, r"`align_corners` can only be set with"),
    ("Upsample", (4,), {"mode": "lanczos"}, r"Upsample: `mode` must be one of 'nearest'"),
]


@pytest.mark.parametrize(("name", "args", "kwargs", "match"), CONFIG_ERRORS)
def test_config_errors(
    name: str, args: tuple[Any, ...], kwargs: dict[str, Any], match: str
) -> None:
    """Arguments torch rejects raise ConfigError naming the layer and the argument."""
    with pytest.raises(ConfigError, match=match):
        getattr(pc, name)(*args, **kwargs)


# torch raises at forward on a batch of one of these shapes (or changes the batch).
SHAPE_ERRORS: list[tuple[str, tuple[Any, ...], dict[str, Any], tuple[int, ...], str]] = [
    ("Unflatten", (1, (4, -1)), {}, (6, 3), r"cannot split dim=1 into \(4, -1\)"),
    ("Unflatten", (3, (2, 3)), {}, (6, 3), r"has dim=3, out of range \[-3, 2\]"),
    ("Dropout1d", (), {}, (2, 3, 4), r"expects a per-sample input of rank 1 or 2"),
    ("Dropout2d", (0.5,), {}, (), r"rank at least 1"),
    ("PixelShuffle", (2,), {}, (6, 4, 4), r"divisible by upscale_factor² = 4 but receives 6"),
    ("PixelUnshuffle", (2,), {}, (3, 4, 5), r"divisible by downscale_factor=2 but receives 4×5"),
    ("PixelUnshuffle", (2,), {}, (4, 6), r"would change the batch dimension \(1 → 4\)"),
    ("ChannelShuffle", (3,), {}, (4, 3), r"divisible by groups=3 but receives 4"),
    ("ChannelShuffle", (1,), {}, (4,), r"rank at least 2"),
    ("Fold", ((4, 5), (2, 2)), {}, (12, 11), r"expects 3·4 = 12 blocks \(dim 2\) but receives 11"),
    ("Fold", ((4, 5), (2, 2)), {}, (11, 12), r"divisible by kH·kW = 4 but receives 11"),
    ("Unfold", (3,), {}, (1, 2, 2), r"fits no \(3, 3\) block into 2×2"),
    ("Unfold", (2,), {}, (6, 6), r"would change the batch dimension \(1 → 4\)"),
    ("Upsample", (), {"scale_factor": 2, "mode": "bilinear"}, (2, 3), r"rank 3, channels first"),
    ("Upsample", (), {"scale_factor": 0.3}, (2, 3, 5), r"output size \(0, 1\)"),
    # torch's area mode (adaptive pooling) returns an empty tensor; sizes are at least 1
    ("Upsample", (), {"scale_factor": 0.3, "mode": "area"}, (2, 3), r"output size \(0,\)"),
    ("Upsample", ((2, 2),), {}, (2, 3), r"has size=\(2, 2\) but the input has 1 spatial"),
    ("Upsample", (), {"scale_factor": 2}, (3,), r"rank 2, 3 or 4"),
]


@pytest.mark.parametrize(("name", "args", "kwargs", "shape", "match"), SHAPE_ERRORS)
def test_shape_errors(
    name: str, args: tuple[Any, ...], kwargs: dict[str, Any], shape: tuple[int, ...], match: str
) -> None:
    """Shapes torch rejects at forward raise ShapeError saying what was expected."""
    with pytest.raises(ShapeError, match=match):
        getattr(pc, name)(*args, **kwargs).output_shape(shape)


def test_upsample_stores_scale_factor_like_torch() -> None:
    """torch's constructor stores float(scale_factor), and a tuple of floats."""
    assert pc.Upsample(scale_factor=2).scale_factor == 2.0
    assert pc.Upsample(scale_factor=(2, 3)).scale_factor == (2.0, 3.0)
    assert pc.Upsample(size=4, scale_factor=0).scale_factor is None


@pytest.mark.parametrize(
    ("layer", "shape"),
    [
        (pc.Unflatten(1, (16, 5, 5)), (400,)),
        (pc.Dropout2d(), (16, 8, 8)),
        (pc.PixelShuffle(2), (8, 4, 4)),
        (pc.ChannelShuffle(2), (4, 3, 3)),
        (pc.Fold((4, 5), (2, 2)), (12, 12)),
        (pc.Unfold(2), (3, 4, 4)),
        (pc.Upsample(scale_factor=2, mode="bilinear"), (3, 4, 4)),
    ],
)
def test_no_elementwise_flops(layer: pc.Layer, shape: tuple[int, ...]) -> None:
    """Data movement counts 0 element-wise FLOPs (docs/flops.md), and no MACs."""
    assert layer.elementwise_flops(shape) == layer.macs(shape) == 0
