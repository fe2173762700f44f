"""Activations against live torch on seeded random configurations and shapes."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from .agree import agree

CASES = 120

Config = tuple[tuple[Any, ...], dict[str, Any], tuple[int, ...]]


def _shape(rng: random.Random, low: int = 0, high: int = 4, size: int = 5) -> tuple[int, ...]:
    return tuple(rng.randint(1, size) for _ in range(rng.randint(low, high)))


def _real(rng: random.Random) -> float:
    return rng.choice([0.0, 1.0, -1.0, rng.uniform(-5, 5), rng.randint(-3, 3)])


def _inplace(rng: random.Random) -> Config:
    return (), ({"inplace": rng.random() < 0.5} if rng.random() < 0.7 else {}), _shape(rng)


def _leaky(rng: random.Random) -> Config:
    return (_real(rng),), {"inplace": rng.random() < 0.5}, _shape(rng)


def _elu(rng: random.Random) -> Config:
    return (), {"alpha": _real(rng), "inplace": rng.random() < 0.5}, _shape(rng)


def _gelu(rng: random.Random) -> Config:
    return (), {"approximate": rng.choice(["none", "tanh", "tanh", "exact"])}, _shape(rng)


def _hardtanh(rng: random.Random) -> Config:
    low, high = _real(rng), _real(rng)
    kwargs: dict[str, Any] = {"inplace": rng.random() < 0.5}
    if rng.random() < 0.2:
        kwargs["min_value"] = _real(rng)
    if rng.random() < 0.2:
        kwargs["max_value"] = _real(rng)
    return (low, high), kwargs, _shape(rng)


def _softplus(rng: random.Random) -> Config:
    return (), {"beta": _real(rng), "threshold": _real(rng)}, _shape(rng)


def _threshold(rng: random.Random) -> Config:
    return (_real(rng), _real(rng)), {"inplace": rng.random() < 0.5}, _shape(rng)


def _prelu(rng: random.Random) -> Config:
    shape = _shape(rng, 0, 3)
    channels = shape[0] if shape else 1
    num = rng.choice([1, 1, channels, channels, rng.randint(0, 6)])
    return (num,), {"init": _real(rng)}, shape


def _softmax(rng: random.Random) -> Config:
    return (rng.choice([None, *range(-5, 6)]),), {}, _shape(rng)


def _glu(rng: random.Random) -> Config:
    shape = list(_shape(rng, 0, 4, 6))
    dim = rng.randint(-5, 5)
    rank = len(shape) + 1
    if shape and rng.random() < 0.8:
        dim = rng.randint(1, rank - 1) * rng.choice([1, -1])
        axis = (dim if dim > 0 else dim + rank) - 1
        shape[axis] = 2 * rng.randint(1, 3)
    return (dim,), {}, tuple(shape)


def _none(rng: random.Random) -> Config:
    return (), {}, _shape(rng)


def _softmax2d(rng: random.Random) -> Config:
    return (), {}, _shape(rng, 2, 3) if rng.random() < 0.7 else _shape(rng)


def _rrelu(rng: random.Random) -> Config:
    return (abs(_real(rng)), abs(_real(rng))), {"inplace": rng.random() < 0.5}, _shape(rng)


def _shrink(rng: random.Random) -> Config:
    return (rng.choice([_real(rng), 0.5, float("inf")]),), {}, _shape(rng)


GENERATORS: dict[str, Callable[[random.Random], Config]] = {
    "ReLU": _inplace,
    "ReLU6": _inplace,
    "SELU": _inplace,
    "SiLU": _inplace,
    "Mish": _inplace,
    "Hardswish": _inplace,
    "Hardsigmoid": _inplace,
    "Sigmoid": _none,
    "Tanh": _none,
    "LeakyReLU": _leaky,
    "ELU": _elu,
    "CELU": _elu,
    "GELU": _gelu,
    "Hardtanh": _hardtanh,
    "Softplus": _softplus,
    "Threshold": _threshold,
    "PReLU": _prelu,
    "Softmax": _softmax,
    "LogSoftmax": _softmax,
    "GLU": _glu,
    "RReLU": _rrelu,
    "Hardshrink": _shrink,
    "Softshrink": _shrink,
    "LogSigmoid": _none,
    "Softsign": _none,
    "Tanhshrink": _none,
    "Softmin": _softmax,
    "Softmax2d": _softmax2d,
}


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_activation_matches_torch(torch: Any, name: str) -> None:
    """Each activation: same verdict, output shape and parameters as torch on random configs."""
    rng = random.Random(f"activation-{name}")
    tally: Counter[str] = Counter()
    for _ in range(CASES):
        args, kwargs, shape = GENERATORS[name](rng)
        agree(torch, name, args, kwargs, shape, tally)
    assert tally["ok"] >= CASES // 2, tally


INVALID: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
    ("Hardtanh", (1.0, 1.0), {}),
    ("Hardtanh", (2.0, -2.0), {}),
    ("Hardtanh", (), {"min_value": 3.0}),
    ("CELU", (0.0,), {}),
    ("GELU", ("exact",), {}),
    ("PReLU", (0,), {}),
    ("PReLU", (-1,), {}),
    ("PReLU", (2.0,), {}),
    ("Softmax", ("a",), {}),
    ("GLU", (0,), {}),
    ("RReLU", (0.5, 0.1), {}),
    ("Softshrink", (-1.0,), {}),
    ("Softshrink", (float("inf"),), {}),
]


@pytest.mark.parametrize(("name", "args", "kwargs"), INVALID)
def test_invalid_activation_rejected_like_torch(
    torch: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    """Configurations torch rejects (at construction or forward) raise ConfigError here."""
    assert agree(torch, name, args, kwargs, (4, 4)) == "config"
