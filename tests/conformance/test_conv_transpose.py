"""ConvTranspose*d and Conv padding modes against live torch on seeded random configurations."""

from __future__ import annotations

import random
from typing import Any

import pytest

import paramcalc as pc
from paramcalc import ConfigError, ShapeError

from .compare import assert_matches

CASES = 150


def _config(rng: random.Random, dims: int) -> tuple[dict[str, Any], tuple[int, ...]]:
    groups = rng.choice([1, 1, 1, 2, 3, 4])

    def spatial(low: int, high: int) -> int | tuple[int, ...]:
        if rng.random() < 0.3:
            return tuple(rng.randint(low, high) for _ in range(dims))
        return rng.randint(low, high)

    stride = spatial(1, 4)
    dilation = spatial(1, 3)
    strides = stride if isinstance(stride, tuple) else (stride,) * dims
    dilations = dilation if isinstance(dilation, tuple) else (dilation,) * dims
    limits = [max(s, d) - 1 for s, d in zip(strides, dilations, strict=True)]
    if rng.random() < 0.5:
        output_padding: int | tuple[int, ...] = tuple(rng.randint(0, m) for m in limits)
    else:
        output_padding = rng.randint(0, min(limits))
    kwargs: dict[str, Any] = {
        "in_channels": groups * rng.randint(1, 4),
        "out_channels": groups * rng.randint(1, 4),
        "kernel_size": spatial(1, 5),
        "stride": stride,
        "padding": spatial(0, 3),
        "output_padding": output_padding,
        "groups": groups,
        "bias": rng.random() < 0.7,
        "dilation": dilation,
    }
    size = 5 if dims == 3 else 9
    shape = (kwargs["in_channels"], *(rng.randint(1, size) for _ in range(dims)))
    return kwargs, shape


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_conv_transpose_matches_torch(torch: Any, dims: int) -> None:
    """ConvTranspose*d: names, shapes, output shape and MACs equal torch's on random configs."""
    rng = random.Random(100 + dims)
    ours_type = getattr(pc, f"ConvTranspose{dims}d")
    theirs_type = getattr(torch.nn, f"ConvTranspose{dims}d")
    checked = rejected = 0
    while checked < CASES:
        kwargs, shape = _config(rng, dims)
        ours, theirs = ours_type(**kwargs), theirs_type(**kwargs)
        assert ours.explain().value == ours.params()
        try:
            with torch.no_grad():
                empty = theirs(torch.zeros((1, *shape))).numel() == 0
        except RuntimeError:
            empty = True
        if empty:
            # torch raises for a negative length and returns an empty tensor for a
            # zero one; paramcalc's shapes have sizes >= 1, so both are ShapeErrors.
            with pytest.raises(ShapeError):
                ours.output_shape(shape)
            rejected += 1
            continue
        assert_matches(torch, ours, theirs, shape)
        checked += 1
    assert rejected > 0  # the random configs reach torch's "output size is too small"


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_conv_transpose_output_size_matches_torch(torch: Any, dims: int) -> None:
    """output_shape_for accepts exactly the output sizes torch's _output_padding accepts."""
    rng = random.Random(200 + dims)
    ours_type = getattr(pc, f"ConvTranspose{dims}d")
    theirs_type = getattr(torch.nn, f"ConvTranspose{dims}d")
    accepted = refused = 0
    while accepted < CASES or refused < CASES // 3:
        kwargs, shape = _config(rng, dims)
        ours, theirs = ours_type(**kwargs), theirs_type(**kwargs)
        base = [(n - 1) * 2 + rng.randint(-2, 6) for n in shape[1:]]
        request: list[int] = [1, kwargs["out_channels"], *base] if rng.random() < 0.2 else base
        try:
            with torch.no_grad():
                out = theirs(torch.zeros((1, *shape)), output_size=request)
            if out.numel() == 0:
                raise RuntimeError("empty output: paramcalc's sizes are >= 1")
        except (RuntimeError, ValueError):
            with pytest.raises(ShapeError):
                ours.output_shape_for(shape, request)
            refused += 1
            continue
        assert ours.output_shape_for(shape, request) == tuple(out.shape[1:]), (kwargs, shape)
        accepted += 1


def test_output_size_of_wrong_length_rejected(torch: Any) -> None:
    """An output_size of dims+1 elements: torch raises ValueError, paramcalc ShapeError."""
    theirs = torch.nn.ConvTranspose2d(2, 4, 3, stride=2)
    with pytest.raises(ValueError, match="output_size must have 2 or 4 elements"):
        theirs(torch.zeros((1, 2, 5, 5)), output_size=[4, 11, 11])
    with pytest.raises(ShapeError, match="output_size of 2 or 4 elements but receives 3"):
        pc.ConvTranspose2d(2, 4, 3, stride=2).output_shape_for((2, 5, 5), (4, 11, 11))


@pytest.mark.parametrize("dims", [1, 2])
@pytest.mark.parametrize("mode", ["reflect", "circular", "replicate"])
def test_conv_padding_modes_match_torch(torch: Any, dims: int, mode: str) -> None:
    """Conv*d with reflect/circular padding: ShapeError exactly where torch's F.pad raises."""
    rng = random.Random(f"{dims}-{mode}")
    ours_type = getattr(pc, f"Conv{dims}d")
    theirs_type = getattr(torch.nn, f"Conv{dims}d")
    checked = rejected = 0
    while checked + rejected < CASES:
        kernel = rng.randint(1, 6)
        kwargs: dict[str, Any] = {
            "in_channels": 2,
            "out_channels": 3,
            "kernel_size": kernel,
            "padding": rng.choice(["same", "valid", 0, 1, 2, 3, 4, 5]),
            "dilation": rng.choice([1, 1, 2]),
            "padding_mode": mode,
        }
        shape = (2, *(rng.randint(1, 6) for _ in range(dims)))
        ours, theirs = ours_type(**kwargs), theirs_type(**kwargs)
        try:
            with torch.no_grad():
                theirs(torch.zeros((1, *shape)))
        except RuntimeError:
            with pytest.raises(ShapeError):
                ours.output_shape(shape)
            rejected += 1
            continue
        assert_matches(torch, ours, theirs, shape)
        checked += 1
    assert checked > 0
    assert rejected > 0 or mode == "replicate"


INVALID = [
    ((2, 2, 3), {"padding_mode": "reflect"}),
    ((2, 2, 3), {"padding_mode": "circular"}),
    ((2, 2, 3), {"padding_mode": "mirror"}),
    ((30, 8, 3), {"groups": 4}),
    ((4, 6, 3), {"groups": 4}),
]


@pytest.mark.parametrize(("args", "kwargs"), INVALID)
def test_invalid_configs_rejected_at_construction(
    torch: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    """What torch rejects when constructing ConvTranspose2d, paramcalc rejects with ConfigError."""
    with pytest.raises(ValueError):  # noqa: PT011 - torch's messages differ from ours
        torch.nn.ConvTranspose2d(*args, **kwargs)
    with pytest.raises(ConfigError):
        pc.ConvTranspose2d(*args, **kwargs)


FORWARD_INVALID = [
    ((2, 2, 3), {"stride": 2, "output_padding": 2}),
    ((2, 2, 3), {"stride": (2, 1), "output_padding": (1, 1)}),
    ((2, 2, 3), {"stride": 1, "dilation": 2, "output_padding": 2}),
    ((2, 2, 3), {"output_padding": -1}),
    ((2, 2, 3), {"stride": 0}),
    ((2, 2, 3), {"padding": "same"}),
]


@pytest.mark.parametrize(("args", "kwargs"), FORWARD_INVALID)
def test_forward_time_rejections_move_to_construction(
    torch: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    """torch raises these at the first forward; paramcalc at construction."""
    theirs = torch.nn.ConvTranspose2d(*args, **kwargs)
    with pytest.raises((RuntimeError, TypeError)):
        theirs(torch.zeros((1, 2, 5, 5)))
    with pytest.raises(ConfigError):
        pc.ConvTranspose2d(*args, **kwargs)
