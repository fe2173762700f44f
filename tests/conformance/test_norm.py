"""Norm layers against live torch on seeded random configurations.

torch runs in training mode (its default) on a batch of 2: paramcalc's shape
verdicts are torch's for any batch of more than one sample.
"""

from __future__ import annotations

import copy
import random
import warnings
from collections.abc import Callable
from typing import Any

import pytest

import paramcalc as pc
from paramcalc import ConfigError, ShapeError

from .compare import torch_buffers, torch_parameters

CASES = 120

Config = tuple[tuple[Any, ...], dict[str, Any], tuple[int, ...]]


def _channels(rng: random.Random, c: int) -> int:
    """Mostly the right channel count, sometimes a wrong one."""
    return c if rng.random() < 0.8 else rng.randint(1, 9)


def _batch_norm(rank_choices: list[int]) -> Callable[[random.Random], Config]:
    def make(rng: random.Random) -> Config:
        c = rng.randint(1, 9)
        kwargs: dict[str, Any] = {
            "eps": rng.choice([1e-5, 1e-3, 0.1]),
            "momentum": rng.choice([0.1, 0.01, None]),
            "affine": rng.random() < 0.7,
            "track_running_stats": rng.random() < 0.7,
            "bias": rng.random() < 0.8,
        }
        rank = rng.choice(rank_choices)
        shape = (_channels(rng, c), *(rng.randint(1, 5) for _ in range(rank - 1)))
        return (c,), kwargs, shape

    return make


def _instance_norm(dims: int) -> Callable[[random.Random], Config]:
    def make(rng: random.Random) -> Config:
        c = rng.randint(1, 9)
        kwargs: dict[str, Any] = {
            "eps": rng.choice([1e-5, 1e-3]),
            "momentum": rng.choice([0.1, 0.3]),
            "affine": rng.random() < 0.4,
            "track_running_stats": rng.random() < 0.4,
            "bias": rng.random() < 0.8,
        }
        rank = dims + 1 if rng.random() < 0.9 else rng.choice([dims, dims + 2])
        shape = (_channels(rng, c), *(rng.randint(1, 4) for _ in range(rank - 1)))
        return (c,), kwargs, shape

    return make


def _trailing(rng: random.Random, normalized: tuple[int, ...]) -> tuple[int, ...]:
    lead = tuple(rng.randint(1, 4) for _ in range(rng.randint(0, 2)))
    shape = (*lead, *normalized)
    if rng.random() < 0.15:  # a wrong size somewhere in the normalized part
        index = rng.randrange(len(shape))
        shape = (*shape[:index], shape[index] + 1, *shape[index + 1 :])
    return shape


def _layer_norm(rng: random.Random) -> Config:
    normalized = tuple(rng.randint(1, 6) for _ in range(rng.randint(1, 3)))
    arg: Any = normalized[0] if len(normalized) == 1 and rng.random() < 0.5 else list(normalized)
    kwargs = {"elementwise_affine": rng.random() < 0.7, "bias": rng.random() < 0.7}
    return (arg,), kwargs, _trailing(rng, normalized)


def _rms_norm(rng: random.Random) -> Config:
    normalized = tuple(rng.randint(1, 6) for _ in range(rng.randint(1, 3)))
    arg: Any = normalized[0] if len(normalized) == 1 and rng.random() < 0.5 else normalized
    kwargs = {"eps": rng.choice([None, 1e-6]), "elementwise_affine": rng.random() < 0.7}
    return (arg,), kwargs, _trailing(rng, normalized)


def _group_norm(rng: random.Random) -> Config:
    groups = rng.randint(1, 4)
    channels = groups * rng.randint(1, 4)
    kwargs = {"affine": rng.random() < 0.7, "bias": rng.random() < 0.8}
    c = channels if rng.random() < 0.8 else rng.randint(1, 12)
    shape = (c, *(rng.randint(1, 4) for _ in range(rng.randint(0, 3))))
    return (groups, channels), kwargs, shape


def _lrn(rng: random.Random) -> Config:
    kwargs = {"alpha": rng.choice([1e-4, 0.5]), "beta": rng.choice([0.75, 1.0]), "k": 2.0}
    shape = tuple(rng.randint(1, 6) for _ in range(rng.randint(1, 4)))
    return (rng.randint(1, 8),), kwargs, shape


FAMILIES: dict[str, Callable[[random.Random], Config]] = {
    "BatchNorm1d": _batch_norm([1, 2, 2, 3]),
    "BatchNorm2d": _batch_norm([3, 3, 3, 2]),
    "BatchNorm3d": _batch_norm([4, 4, 4, 3]),
    "SyncBatchNorm": _batch_norm([1, 2, 3, 4, 5]),
    "InstanceNorm1d": _instance_norm(1),
    "InstanceNorm2d": _instance_norm(2),
    "InstanceNorm3d": _instance_norm(3),
    "LayerNorm": _layer_norm,
    "RMSNorm": _rms_norm,
    "GroupNorm": _group_norm,
    "LocalResponseNorm": _lrn,
}


def _torch_output(torch: Any, module: Any, shape: tuple[int, ...]) -> tuple[int, ...] | None:
    """Per-sample output shape on a batch of 2 in training mode, or None if torch raises."""
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = module(torch.randn((2, *shape)))
    except (RuntimeError, ValueError):
        return None
    return tuple(out.shape[1:])


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_norm_matches_torch(torch: Any, name: str) -> None:
    """Names, shapes of parameters and buffers, totals and output shapes equal torch's."""
    rng = random.Random(name)
    accepted = rejected = 0
    while accepted < CASES:
        args, kwargs, shape = FAMILIES[name](rng)
        ours, theirs = getattr(pc, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
        assert list(ours.named_parameters()) == torch_parameters(theirs), ours
        assert list(ours.named_buffers()) == torch_buffers(theirs), ours
        assert ours.params() == sum(p.numel() for p in theirs.parameters())
        assert ours.explain().value == ours.params()
        assert ours.buffers() == sum(b.numel() for b in theirs.buffers())
        half = [b.numel() * b.element_size() for b in copy.deepcopy(theirs).half().buffers()]
        assert ours.memory(dtype="fp16").buffers == sum(half)  # int64 counter kept
        expected = _torch_output(torch, theirs, shape)
        unbatched = name.startswith("InstanceNorm") and len(shape) == int(name[-2])
        if expected is None or unbatched:
            # unbatched: torch reads a (2, *shape) input as one unbatched sample whose
            # channels are the batch; a per-sample shape always lacks the batch.
            with pytest.raises(ShapeError):
                ours.output_shape(shape)
            rejected += 1
            continue
        assert ours.output_shape(shape) == expected, (ours, shape)
        assert ours.macs(shape) == 0
        accepted += 1
    assert rejected > 0 or name == "LocalResponseNorm"


INVALID: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
    ("GroupNorm", (2, 3), {}),
    ("GroupNorm", (0, 3), {}),
    ("GroupNorm", (-1, 3), {}),
    ("LayerNorm", ((),), {}),
    ("LayerNorm", (4.0,), {}),
    ("RMSNorm", ((),), {}),
    ("BatchNorm1d", (3,), {"eps": 0.0}),
    ("BatchNorm2d", (3,), {"eps": -1.0}),
    ("BatchNorm2d", (-1,), {}),
    ("BatchNorm1d", (3,), {"momentum": "a"}),
    ("BatchNorm1d", (3,), {"eps": None}),
    ("LocalResponseNorm", (0,), {}),
    ("LocalResponseNorm", (2.0,), {}),
    ("LayerNorm", (-1,), {}),
]


def _torch_rejects(torch: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    try:
        module = getattr(torch.nn, name)(*args, **kwargs)
    except (ValueError, TypeError, RuntimeError, ZeroDivisionError):
        return True
    shape = {"BatchNorm1d": (3, 4), "BatchNorm2d": (3, 4, 4), "LocalResponseNorm": (3, 4)}
    size = shape.get(name, (4, 4))
    try:
        with torch.no_grad():
            module(torch.randn((2, *size)))
    except (ValueError, TypeError, RuntimeError):
        return True
    return False


@pytest.mark.parametrize(("name", "args", "kwargs"), INVALID)
def test_invalid_configs_rejected_like_torch(
    torch: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    """What torch rejects at construction or first forward, paramcalc rejects at construction."""
    assert _torch_rejects(torch, name, args, kwargs)
    with pytest.raises(ConfigError):
        getattr(pc, name)(*args, **kwargs)
