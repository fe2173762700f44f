"""Embedding and EmbeddingBag against live torch on seeded random configurations."""

from __future__ import annotations

import random
from typing import Any

import pytest

import paramcalc as pc
from paramcalc import ConfigError, ShapeError

from .compare import torch_buffers, torch_parameters

CASES = 150


def _run(torch: Any, module: Any, shape: tuple[int, ...]) -> tuple[tuple[int, ...], int] | None:
    """Per-sample output shape and FlopCounterMode MACs on a batch of one, or None."""
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    try:
        with torch.no_grad(), counter:
            out = module(torch.zeros((1, *shape), dtype=torch.long))
    except (RuntimeError, ValueError):
        return None
    return tuple(out.shape[1:]), counter.get_total_flops() // 2


def _common(rng: random.Random) -> dict[str, Any]:
    n = rng.randint(1, 50)
    kwargs: dict[str, Any] = {
        "num_embeddings": n,
        "embedding_dim": rng.randint(1, 40),
        "max_norm": rng.choice([None, None, 1.0, 2.5]),
        "norm_type": rng.choice([2.0, 1.0, 3.0]),
        "scale_grad_by_freq": rng.random() < 0.3,
        "sparse": rng.random() < 0.3,
    }
    if rng.random() < 0.5:
        kwargs["padding_idx"] = rng.randint(-n, n - 1)
    return kwargs


def _compare(torch: Any, ours: Any, theirs: Any, shape: tuple[int, ...]) -> bool:
    assert list(ours.named_parameters()) == torch_parameters(theirs), ours
    assert list(ours.named_buffers()) == torch_buffers(theirs) == []
    assert ours.params() == sum(p.numel() for p in theirs.parameters())
    assert ours.explain().value == ours.params()
    assert ours.padding_idx == theirs.padding_idx
    result = _run(torch, theirs, shape)
    if result is None:
        with pytest.raises(ShapeError):
            ours.output_shape(shape)
        return False
    assert ours.output_shape(shape) == result[0], (ours, shape)
    assert ours.macs(shape) == result[1] == 0
    return True


def test_embedding_matches_torch(torch: Any) -> None:
    """Embedding: weight, wrapped padding_idx, output shapes for index tensors of rank 0-3."""
    rng = random.Random(7)
    for _ in range(CASES):
        kwargs = _common(rng)
        shape = tuple(rng.randint(1, 6) for _ in range(rng.randint(0, 3)))
        assert _compare(torch, pc.Embedding(**kwargs), torch.nn.Embedding(**kwargs), shape)


def test_embedding_bag_matches_torch(torch: Any) -> None:
    """EmbeddingBag: weight, output shapes; ranks other than 1 rejected like torch."""
    rng = random.Random(8)
    accepted = rejected = 0
    while accepted < CASES:
        kwargs = _common(rng)
        kwargs["mode"] = rng.choice(["sum", "mean", "max"])
        kwargs["include_last_offset"] = rng.random() < 0.3
        if kwargs["mode"] == "max":
            kwargs["sparse"] = kwargs["scale_grad_by_freq"] = False
        rank = 1 if rng.random() < 0.85 else rng.choice([0, 2])
        shape = tuple(rng.randint(1, 6) for _ in range(rank))
        if _compare(torch, pc.EmbeddingBag(**kwargs), torch.nn.EmbeddingBag(**kwargs), shape):
            accepted += 1
        else:
            rejected += 1
    assert rejected > 0


INVALID: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
    ("Embedding", (10, 3), {"padding_idx": 10}),
    ("Embedding", (10, 3), {"padding_idx": -11}),
    ("EmbeddingBag", (10, 3), {"padding_idx": 10}),
    ("EmbeddingBag", (10, 3), {"padding_idx": -11}),
    ("EmbeddingBag", (10, 3), {"mode": "median"}),
    ("EmbeddingBag", (10, 3), {"mode": "max", "sparse": True}),
    ("EmbeddingBag", (10, 3), {"mode": "max", "scale_grad_by_freq": True}),
    ("Embedding", (10, 3.0), {}),
]


@pytest.mark.parametrize(("name", "args", "kwargs"), INVALID)
def test_invalid_configs_rejected_like_torch(
    torch: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    """What torch rejects at construction or first forward, paramcalc rejects at construction."""
    try:
        module = getattr(torch.nn, name)(*args, **kwargs)
        rejected = _run(torch, module, (4,)) is None
    except (AssertionError, TypeError, ValueError):
        rejected = True
    assert rejected
    with pytest.raises(ConfigError):
        getattr(pc, name)(*args, **kwargs)
