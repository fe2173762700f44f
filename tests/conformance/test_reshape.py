"""Reshaping layers against live torch on seeded random configurations and shapes."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from .agree import agree

CASES = 150

Config = tuple[tuple[Any, ...], dict[str, Any], tuple[int, ...]]


def _shape(rng: random.Random, low: int, high: int, size: int = 6) -> tuple[int, ...]:
    return tuple(rng.randint(1, size) for _ in range(rng.randint(low, high)))


def _unflatten(rng: random.Random) -> Config:
    shape = list(_shape(rng, 1, 3))
    axis = rng.randrange(len(shape))
    parts = [rng.randint(1, 4) for _ in range(rng.randint(1, 3))]
    if rng.random() < 0.8:
        shape[axis] = 1
        for part in parts:
            shape[axis] *= part
    if rng.random() < 0.4:
        parts[rng.randrange(len(parts))] = -1
    if rng.random() < 0.05:
        parts[0] = rng.choice([0, -2])
    rank = len(shape) + 1
    # dims that name the batch (0, -rank) are left out: see test_unflatten_batch_dim
    dim = rng.choice(
        [axis + 1, axis + 1 - rank, rng.choice([-rank - 1, rank]), rng.randint(1, rank - 1)]
    )
    return (dim, tuple(parts)), {}, tuple(shape)


def _dropout(rng: random.Random) -> Config:
    p = rng.choice([0.0, 0.5, 1.0, rng.random(), rng.random(), rng.choice([-0.1, 1.5])])
    shape = _shape(rng, 1, 2, 4) if rng.random() < 0.5 else _shape(rng, 0, 5, 3)
    return (p,), {"inplace": rng.random() < 0.5}, shape


def _pixel_shuffle(rng: random.Random) -> Config:
    r = rng.choice([1, 2, 2, 3, 0])
    lead = _shape(rng, 0, 2, 3)
    channels = rng.randint(1, 3) * r * r if rng.random() < 0.8 else rng.randint(1, 9)
    spatial = _shape(rng, 2, 2, 4) if rng.random() < 0.9 else _shape(rng, 0, 1, 4)
    return (r,), {}, (*lead, channels, *spatial)[-rng.randint(1, 6) :]


def _pixel_unshuffle(rng: random.Random) -> Config:
    r = rng.choice([1, 2, 2, 3, 0])
    lead = _shape(rng, 1, 2, 3)
    spatial = tuple(rng.randint(1, 3) * max(r, 1) + (rng.random() < 0.1) for _ in range(2))
    return (r,), {}, (*lead, *spatial)[-rng.randint(1, 5) :]


def _channel_shuffle(rng: random.Random) -> Config:
    groups = rng.choice([1, 2, 3, 4, 0])
    channels = max(groups, 1) * rng.randint(1, 3) if rng.random() < 0.8 else rng.randint(1, 7)
    return (groups,), {}, (channels, *_shape(rng, 0, 3, 3))


def _pair(rng: random.Random, low: int, high: int) -> Any:
    if rng.random() < 0.5:
        return rng.randint(low, high)
    return (rng.randint(low, high), rng.randint(low, high))


def _pairs(value: Any) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else value


def _unfold(rng: random.Random) -> Config:
    kwargs = {
        "dilation": _pair(rng, 1, 2),
        "padding": _pair(rng, 0, 2),
        "stride": _pair(rng, 1, 3),
    }
    shape = (rng.randint(1, 3), rng.randint(1, 8), rng.randint(1, 8))
    return (_pair(rng, 1, 3),), kwargs, shape[-rng.choice([3, 3, 3, 2, 1]) :]


def _fold(rng: random.Random) -> Config:
    kernel, dilation = _pair(rng, 1, 3), _pair(rng, 1, 2)
    padding, stride = _pair(rng, 0, 2), _pair(rng, 1, 3)
    output = _pair(rng, 1, 8)
    blocks = 1
    for o, k, d, p, s in zip(
        _pairs(output),
        _pairs(kernel),
        _pairs(dilation),
        _pairs(padding),
        _pairs(stride),
        strict=True,
    ):
        blocks *= max((o + 2 * p - d * (k - 1) - 1) // s + 1, 1)
    channels = rng.randint(1, 3) * _pairs(kernel)[0] * _pairs(kernel)[1]
    if rng.random() < 0.1:
        channels += 1
    if rng.random() < 0.1:
        blocks += 1
    shape = (channels, blocks)[-rng.choice([2, 2, 2, 2, 1]) :]
    return (output, kernel, dilation, padding, stride), {}, shape


MODES = ["nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact"]


def _scale(rng: random.Random) -> float:
    return rng.choice([2, 3, 0.5, 1.5, 0.3, 2.7, 1, 0, -1])


def _upsample(rng: random.Random) -> Config:
    mode = rng.choice(MODES)
    rank = {"linear": 2, "bilinear": 3, "bicubic": 3, "trilinear": 4}.get(mode, 0)
    if rank and rng.random() < 0.8:
        shape = (rng.randint(1, 2), *_shape(rng, rank - 1, rank - 1, 5))
    else:
        shape = (rng.randint(1, 2), *_shape(rng, 1, 3, 5))
    if rng.random() < 0.1:
        shape = shape[: rng.randint(0, 1)] or (1, 1, 1, 1, 1)
    n = len(shape) - 1
    kwargs: dict[str, Any] = {"mode": mode}
    roll = rng.random()
    if roll < 0.4:
        kwargs["size"] = rng.choice([rng.randint(1, 7), tuple(rng.randint(0, 7) for _ in range(n))])
    elif roll < 0.95:
        kwargs["scale_factor"] = rng.choice([_scale(rng), tuple(_scale(rng) for _ in range(n))])
    else:
        kwargs["size"], kwargs["scale_factor"] = 3, 2
    if rng.random() < (0.6 if rank else 0.1):
        kwargs["align_corners"] = rng.random() < 0.5
    if rng.random() < 0.3:
        kwargs["recompute_scale_factor"] = rng.random() < 0.5
    return (), kwargs, shape


def _upsampling2d(rng: random.Random) -> Config:
    _, kwargs, shape = _upsample(rng)
    if rng.random() < 0.7:
        shape = (rng.randint(1, 2), rng.randint(1, 5), rng.randint(1, 5))
        for key, value in kwargs.items():
            if isinstance(value, tuple) and value and key in ("size", "scale_factor"):
                kwargs[key] = (*value, value[0], value[0])[:2]
    del kwargs["mode"]
    kwargs.pop("align_corners", None)
    kwargs.pop("recompute_scale_factor", None)
    return (), kwargs, shape


GENERATORS: dict[str, Callable[[random.Random], Config]] = {
    "Unflatten": _unflatten,
    "Dropout": _dropout,
    "Dropout1d": _dropout,
    "Dropout2d": _dropout,
    "Dropout3d": _dropout,
    "AlphaDropout": _dropout,
    "FeatureAlphaDropout": _dropout,
    "PixelShuffle": _pixel_shuffle,
    "PixelUnshuffle": _pixel_unshuffle,
    "ChannelShuffle": _channel_shuffle,
    "Fold": _fold,
    "Unfold": _unfold,
    "Upsample": _upsample,
    "UpsamplingNearest2d": _upsampling2d,
    "UpsamplingBilinear2d": _upsampling2d,
}


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_reshape_matches_torch(torch: Any, name: str) -> None:
    """Each layer: same verdict and output shape as torch on random configurations."""
    rng = random.Random(f"reshape-{name}")
    tally: Counter[str] = Counter()
    for _ in range(CASES):
        args, kwargs, shape = GENERATORS[name](rng)
        agree(torch, name, args, kwargs, shape, tally)
    assert tally["ok"] >= CASES // 4, tally


INVALID: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
    ("Unflatten", (1, ()), {}),
    ("Unflatten", (1, (-1, -1)), {}),
    ("Unflatten", (1, (0, -1)), {}),
    ("Unflatten", (1, (-2, 3)), {}),
    ("Unflatten", (1, (2.0, 3)), {}),
    ("Unflatten", (1, 6), {}),
    ("Unflatten", ("a", (2, 3)), {}),
    ("Dropout2d", (1.5,), {}),
    ("AlphaDropout", (-0.1,), {}),
    ("PixelShuffle", (0,), {}),
    ("PixelUnshuffle", (-1,), {}),
    ("ChannelShuffle", (0,), {}),
    ("Fold", ((4,), 2), {}),
    ("Fold", ((1, 1), 2), {}),
    ("Fold", ((4, 4), 2), {"padding": -1}),
    ("Unfold", ((2, 2, 2),), {}),
    ("Unfold", (0,), {}),
    ("Unfold", (2,), {"stride": 0}),
    ("Upsample", (), {}),
    ("Upsample", (2, 2), {}),
    ("Upsample", (), {"scale_factor": 0}),
    ("Upsample", (), {"size": 0}),
    ("Upsample", (), {"size": 2.0}),
    ("Upsample", (), {"scale_factor": [2, 2]}),
    ("Upsample", (), {"size": 4, "recompute_scale_factor": True}),
    ("Upsample", (), {"scale_factor": 2, "align_corners": False}),
    ("Upsample", (), {"scale_factor": 2, "mode": "lanczos"}),
    ("Upsample", (), {"scale_factor": 2, "mode": "cubic"}),
]


@pytest.mark.parametrize(("name", "args", "kwargs"), INVALID)
def test_invalid_reshape_rejected_like_torch(
    torch: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    """What torch rejects (at construction or every forward) raises ConfigError here."""
    assert agree(torch, name, args, kwargs, (4, 4, 4)) == "config"


def test_unflatten_batch_dim(torch: Any) -> None:
    """torch can split the batch of one into (1, 1); a per-sample Unflatten cannot: rejected."""
    assert tuple(torch.nn.Unflatten(0, (1, 1))(torch.zeros((1, 6))).shape) == (1, 1, 6)
    from paramcalc import ConfigError, ShapeError, Unflatten

    with pytest.raises(ConfigError, match="batch dimension"):
        Unflatten(0, (1, 1))
    with pytest.raises(ShapeError, match="batch dimension"):
        Unflatten(-2, (1, 1)).output_shape((6,))
