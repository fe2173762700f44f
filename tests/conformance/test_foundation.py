"""Conv, Linear, MaxPool and Flatten against live torch on seeded random configurations."""

from __future__ import annotations

import random
from typing import Any

import pytest

import paramcalc as pc
from paramcalc import ConfigError, ShapeError

from .compare import assert_matches

CASES = 150


def _conv_config(rng: random.Random, dims: int) -> tuple[dict[str, Any], tuple[int, ...]]:
    groups = rng.choice([1, 1, 1, 2, 3, 4])
    kwargs: dict[str, Any] = {
        "in_channels": groups * rng.randint(1, 4),
        "out_channels": groups * rng.randint(1, 4),
        "kernel_size": rng.choice([1, 2, 3, 5, tuple(rng.randint(1, 4) for _ in range(dims))]),
        "groups": groups,
        "bias": rng.random() < 0.7,
        "padding_mode": rng.choice(["zeros", "zeros", "reflect", "replicate", "circular"]),
    }
    if rng.random() < 0.2:
        kwargs["padding"] = rng.choice(["same", "valid"])
    else:
        kwargs["padding"] = rng.choice([0, 1, 2])
        kwargs["stride"] = rng.choice([1, 2, 3, tuple(rng.randint(1, 3) for _ in range(dims))])
    kwargs["dilation"] = rng.choice([1, 1, 2])
    size = 9 if dims == 3 else 16
    shape = (kwargs["in_channels"], *(rng.randint(size - 4, size + 4) for _ in range(dims)))
    return kwargs, shape


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_conv_matches_torch(torch: Any, dims: int) -> None:
    """Conv*d: names, shapes, output shape and MACs equal torch's on random configs."""
    rng = random.Random(dims)
    ours_type = getattr(pc, f"Conv{dims}d")
    theirs_type = getattr(torch.nn, f"Conv{dims}d")
    checked = 0
    while checked < CASES:
        kwargs, shape = _conv_config(rng, dims)
        ours = ours_type(**kwargs)
        theirs = theirs_type(**kwargs)
        try:
            expected = tuple(theirs(torch.zeros((1, *shape))).shape[1:])
        except RuntimeError:
            with pytest.raises(ShapeError):
                ours.output_shape(shape)
            continue
        assert ours.output_shape(shape) == expected
        assert_matches(torch, ours, theirs, shape)
        checked += 1


def test_linear_matches_torch(torch: Any) -> None:
    """Linear: names, shapes, leading dimensions and MACs equal torch's."""
    rng = random.Random(0)
    for _ in range(CASES):
        features = rng.randint(1, 64), rng.randint(1, 64)
        bias = rng.random() < 0.7
        lead = tuple(rng.randint(1, 5) for _ in range(rng.randint(0, 2)))
        assert_matches(
            torch,
            pc.Linear(*features, bias=bias),
            torch.nn.Linear(*features, bias=bias),
            (*lead, features[0]),
        )


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_maxpool_matches_torch(torch: Any, dims: int) -> None:
    """MaxPool*d: output shapes equal torch's, including ceil_mode and dilation."""
    rng = random.Random(10 + dims)
    ours_type = getattr(pc, f"MaxPool{dims}d")
    theirs_type = getattr(torch.nn, f"MaxPool{dims}d")
    for _ in range(CASES):
        kernel = rng.randint(1, 4)
        kwargs = {
            "kernel_size": kernel,
            "stride": rng.choice([None, 1, 2, 3]),
            "padding": rng.randint(0, kernel // 2),
            "dilation": rng.choice([1, 1, 2]),
            "ceil_mode": rng.random() < 0.5,
        }
        shape = (rng.randint(1, 3), *(rng.randint(1, 12) for _ in range(dims)))
        ours, theirs = ours_type(**kwargs), theirs_type(**kwargs)
        try:
            expected = tuple(theirs(torch.zeros((1, *shape))).shape[1:])
        except RuntimeError:
            with pytest.raises(ShapeError):
                ours.output_shape(shape)
            continue
        assert ours.output_shape(shape) == expected, (kwargs, shape)
        assert ours.params() == 0


def test_flatten_matches_torch(torch: Any) -> None:
    """Flatten: every start/end pair over ranks 1 to 4."""
    for rank in range(1, 5):
        shape = tuple(range(2, 2 + rank))
        for start in range(-rank, rank + 1):
            for end in range(-rank, rank + 1):
                if start == 0 or end == 0:
                    continue
                theirs = torch.nn.Flatten(start, end)
                try:
                    expected = tuple(theirs(torch.zeros((1, *shape))).shape[1:])
                except (RuntimeError, IndexError):
                    with pytest.raises(ShapeError):
                        pc.Flatten(start, end).output_shape(shape)
                    continue
                assert pc.Flatten(start, end).output_shape(shape) == expected, (start, end)


INVALID = [
    ("Conv2d", (30, 8, 3), {"groups": 4}),
    ("Conv2d", (4, 6, 3), {"groups": 4}),
    ("Conv2d", (4, 8, 3), {"padding": "full"}),
    ("Conv2d", (4, 8, 3), {"padding": "same", "stride": 2}),
    ("Conv2d", (4, 8, 3), {"padding_mode": "mirror"}),
    ("Conv1d", (4, 8, 3), {"groups": 0}),
]


@pytest.mark.parametrize(("name", "args", "kwargs"), INVALID)
def test_invalid_configs_rejected_like_torch(
    torch: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    """What torch rejects at construction, paramcalc rejects with ConfigError."""
    with pytest.raises(ValueError):  # noqa: PT011 - torch's messages differ from ours
        getattr(torch.nn, name)(*args, **kwargs)
    with pytest.raises(ConfigError):
        getattr(pc, name)(*args, **kwargs)


def test_lenet_matches_torch(torch: Any) -> None:
    """The seed's network: 61,706 in both, tensor by tensor."""
    nn = torch.nn
    theirs = nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(400, 120), nn.Linear(120, 84), nn.Linear(84, 10),
    )  # fmt: skip
    ours = pc.Sequential(
        pc.Conv2d(1, 6, 5), pc.MaxPool(2), pc.Conv2d(6, 16, 5), pc.MaxPool(2),
        pc.Flatten(), pc.Linear(400, 120), pc.Linear(120, 84), pc.Linear(84, 10),
    )  # fmt: skip
    assert_matches(torch, ours, theirs, (1, 32, 32))
    trainable = sum(p.numel() for p in theirs.parameters() if p.requires_grad)
    assert ours.trainable_params() == trainable == 61706
