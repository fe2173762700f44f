"""Padding layers against live torch on seeded random paddings and shapes."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import pytest

import paramcalc as pc
from paramcalc import ShapeError
from paramcalc.layers.padding import _circular_problem

from .agree import agree

CASES = 150
KINDS = ["Zero", "Constant", "Reflection", "Replication", "Circular"]


def _padding(rng: random.Random, dims: int) -> Any:
    if rng.random() < 0.3:
        return rng.randint(-1, 3)
    return tuple(rng.choice([0, 0, 0, 1, 1, 2, 3, 5, -1, -1, -2, -3]) for _ in range(2 * dims))


@pytest.mark.parametrize("dims", [1, 2, 3])
@pytest.mark.parametrize("kind", KINDS)
def test_pad_matches_torch(torch: Any, kind: str, dims: int) -> None:
    """Each padding layer: same verdict and output shape as torch, cropping included."""
    rng = random.Random(f"pad-{kind}-{dims}")
    tally: Counter[str] = Counter()
    for _ in range(CASES):
        rank = rng.choice([dims, dims + 1, dims + 1, dims + 1, dims - 1, dims + 2])
        low = 1 if rng.random() < 0.3 else 3
        shape = tuple(rng.randint(low, 7) for _ in range(max(rank, 0)))
        args: tuple[Any, ...] = (_padding(rng, dims),)
        if kind == "Constant":
            args = (*args, rng.choice([0.0, 1.5, -3, 2]))
        name = f"{kind}Pad{dims}d"
        if kind == "Circular" and _aliased(args[0], dims, shape):
            # torch reads what it overwrites (or raises, on contiguous slices): see below
            with pytest.raises(ShapeError):
                getattr(pc, name)(*args).output_shape(shape)
            tally["aliased"] += 1
            continue
        agree(torch, name, args, {}, shape, tally)
    assert tally["ok"] >= CASES // 3, tally


def _aliased(padding: Any, dims: int, shape: tuple[int, ...]) -> bool:
    pads = (padding,) * 2 * dims if isinstance(padding, int) else padding
    if len(shape) not in (dims, dims + 1):
        return False
    problems = [
        _circular_problem(length, pads[2 * i], pads[2 * i + 1])
        for i, length in enumerate(reversed(shape[-dims:]))
    ]
    return any("overwrites" in p for p in problems) and not any(
        p and "overwrites" not in p for p in problems
    )


def test_circular_rule_matches_torch_exhaustively(torch: Any) -> None:
    """Every (size, left, right) up to 6: torch's verdict on a contiguous (1, 1, L) is ours.

    An empty result (a crop to 0) counts as a rejection: per-sample sizes are at least 1.
    """
    for length in range(1, 7):
        for left in range(-8, 8):
            for right in range(-8, 8):
                try:
                    padded = torch.nn.CircularPad1d((left, right))(torch.zeros((1, 1, length)))
                except RuntimeError:
                    padded = None
                if padded is None or padded.numel() == 0:  # an error, or empty
                    with pytest.raises(ShapeError):
                        pc.CircularPad1d((left, right)).output_shape((1, length))
                else:
                    out = pc.CircularPad1d((left, right)).output_shape((1, length))
                    assert out == (1, length + left + right)


def test_circular_overlap_is_layout_dependent_in_torch(torch: Any) -> None:
    """torch raises on an overlapping wrap for one channel but not for two: we always raise."""
    pad = torch.nn.CircularPad1d((2, -2))
    with pytest.raises(RuntimeError, match="single memory location"):
        pad(torch.zeros((1, 1, 3)))
    assert tuple(pad(torch.zeros((1, 2, 3))).shape) == (1, 2, 3)
    with pytest.raises(ShapeError, match="overwrites"):
        pc.CircularPad1d((2, -2)).output_shape((2, 3))


INVALID: list[tuple[str, tuple[Any, ...]]] = [
    ("ZeroPad2d", (1.0,)),
    ("ConstantPad1d", (1, "a")),
    ("ReflectionPad1d", ((1,),)),
    ("CircularPad2d", ((1, 2, 3),)),
]


@pytest.mark.parametrize(("name", "args"), INVALID)
def test_invalid_padding_rejected_like_torch(torch: Any, name: str, args: tuple[Any, ...]) -> None:
    """Paddings torch rejects (at construction or every forward) raise ConfigError here."""
    dims = int(name[-2])
    assert agree(torch, name, args, {}, (2,) + (4,) * dims) == "config"
