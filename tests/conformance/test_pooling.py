"""Average, power-average, adaptive and max pools against live torch on random configurations."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import pytest

from .agree import agree

CASES = 150


def _size(rng: random.Random, dims: int, low: int, high: int, short: bool = True) -> Any:
    """An int, a tuple of ``dims`` ints, sometimes (2-d/3-d) a 1-tuple, as torch takes."""
    roll = rng.random()
    if roll < 0.45:
        return rng.randint(low, high)
    if roll < 0.9 or dims == 1 or not short:
        return tuple(rng.randint(low, high) for _ in range(dims))
    return (rng.randint(low, high),)


def _shape(rng: random.Random, dims: int) -> tuple[int, ...]:
    low, high = (2, 7) if dims == 3 else (1, 10)
    spatial = tuple(rng.randint(low, high) for _ in range(dims))
    roll = rng.random()
    if roll < 0.05:
        return (1, 2, *spatial)  # one dimension too many
    return spatial if roll < 0.2 else (rng.randint(1, 3), *spatial)


def _avg(rng: random.Random, dims: int) -> tuple[tuple[Any, ...], dict[str, Any], tuple[int, ...]]:
    top = 3 if dims == 3 else 4
    kernel = _size(rng, dims, 1, top)
    kwargs: dict[str, Any] = {}
    if rng.random() < 0.7:
        kwargs["stride"] = rng.choice([None, _size(rng, dims, 1, 3)])
    if rng.random() < 0.7:
        smallest = min(kernel) if isinstance(kernel, tuple) else kernel
        kwargs["padding"] = _size(rng, dims, 0, smallest // 2 + (rng.random() < 0.15))
    kwargs["ceil_mode"] = rng.random() < 0.5
    kwargs["count_include_pad"] = rng.random() < 0.5
    if dims > 1 and rng.random() < 0.3:
        kwargs["divisor_override"] = rng.choice([None, 1, 3, -2])
    return (kernel,), kwargs, _shape(rng, dims)


def _lp(rng: random.Random, dims: int) -> tuple[tuple[Any, ...], dict[str, Any], tuple[int, ...]]:
    norm = rng.choice([1, 2, 3, 1.5, -1.0, float("inf"), float("-inf")])
    top = 3 if dims == 3 else 4
    kernel = rng.randint(1, top) if dims == 1 else _size(rng, dims, 1, top, short=False)
    kwargs: dict[str, Any] = {"ceil_mode": rng.random() < 0.5}
    if rng.random() < 0.7:
        kwargs["stride"] = rng.choice([None, _size(rng, dims, 1, 3)])
    return (norm, kernel), kwargs, _shape(rng, dims)


def _adaptive(
    rng: random.Random, dims: int, maximum: bool
) -> tuple[tuple[Any, ...], dict[str, Any], tuple[int, ...]]:
    if rng.random() < 0.4:
        size: Any = rng.randint(0, 8)
    else:
        size = tuple(
            None if dims > 1 and rng.random() < 0.3 else rng.randint(0, 8) for _ in range(dims)
        )
    kwargs = {"return_indices": rng.random() < 0.5} if maximum else {}
    return (size,), kwargs, _shape(rng, dims)


def _max(rng: random.Random, dims: int) -> tuple[tuple[Any, ...], dict[str, Any], tuple[int, ...]]:
    kernel = _size(rng, dims, 1, 3 if dims == 3 else 4)
    smallest = min(kernel) if isinstance(kernel, tuple) else kernel
    kwargs = {
        "stride": rng.choice([None, (), _size(rng, dims, 1, 3)]),
        "padding": _size(rng, dims, 0, smallest // 2 + (rng.random() < 0.1)),
        "dilation": rng.choice([1, 1, _size(rng, dims, 1, 2)]),
        "ceil_mode": rng.random() < 0.5,
        "return_indices": rng.random() < 0.3,
    }
    return (kernel,), kwargs, _shape(rng, dims)


def _unpool(
    rng: random.Random, dims: int
) -> tuple[tuple[Any, ...], dict[str, Any], tuple[int, ...]]:
    kwargs: dict[str, Any] = {}
    if rng.random() < 0.7:
        kwargs["stride"] = rng.choice([None, _size(rng, dims, 0, 3, short=False)])
    if rng.random() < 0.6:
        kwargs["padding"] = _size(rng, dims, -1, 2, short=False)
    return (_size(rng, dims, 0, 4, short=False),), kwargs, _shape(rng, dims)


def _fractional(
    rng: random.Random, dims: int
) -> tuple[tuple[Any, ...], dict[str, Any], tuple[int, ...]]:
    kwargs: dict[str, Any] = {"return_indices": rng.random() < 0.3}
    if rng.random() < 0.5:
        kwargs["output_size"] = _size(rng, dims, 0, 3, short=False)
    else:
        ratio = rng.choice([0.5, 0.3, 0.9, 0.7])
        kwargs["output_ratio"] = rng.choice(
            [ratio, tuple(rng.uniform(0.1, 0.9) for _ in range(dims))]
        )
    if rng.random() < 0.05:
        kwargs["output_size"], kwargs["output_ratio"] = 2, 0.5
    return (_size(rng, dims, 1, 2, short=False),), kwargs, _shape(rng, dims)


FAMILIES = {
    "AvgPool": _avg,
    "LPPool": _lp,
    "AdaptiveAvgPool": lambda rng, dims: _adaptive(rng, dims, False),
    "AdaptiveMaxPool": lambda rng, dims: _adaptive(rng, dims, True),
    "MaxPool": _max,
}


def _indices(x: Any) -> tuple[Any, ...]:
    return (x.long(),)  # all-zero indices: every shape check, no out-of-range index


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_max_unpool_matches_torch(torch: Any, dims: int) -> None:
    """MaxUnpool*d: torch's default output size, and its (few) rejections."""
    rng = random.Random(f"unpool-{dims}")
    tally: Counter[str] = Counter()
    for _ in range(CASES):
        args, kwargs, shape = _unpool(rng, dims)
        agree(torch, f"MaxUnpool{dims}d", args, kwargs, shape, tally, extra=_indices)
    assert tally["ok"] >= CASES // 2, tally


@pytest.mark.parametrize("dims", [2, 3])
def test_fractional_max_pool_matches_torch(torch: Any, dims: int) -> None:
    """FractionalMaxPool*d: output sizes and ratios, and the region-fit check."""
    rng = random.Random(f"fractional-{dims}")
    tally: Counter[str] = Counter()
    for _ in range(CASES):
        args, kwargs, shape = _fractional(rng, dims)
        agree(torch, f"FractionalMaxPool{dims}d", args, kwargs, shape, tally)
    assert tally["ok"] >= CASES // 3, tally


@pytest.mark.parametrize("dims", [1, 2, 3])
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_pool_matches_torch(torch: Any, family: str, dims: int) -> None:
    """Each pool: same verdict and output shape as torch, including unbatched inputs."""
    rng = random.Random(f"pool-{family}-{dims}")
    tally: Counter[str] = Counter()
    for _ in range(CASES):
        args, kwargs, shape = FAMILIES[family](rng, dims)
        agree(torch, f"{family}{dims}d", args, kwargs, shape, tally)
    assert tally["ok"] >= CASES // 2, tally


INVALID: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
    ("AvgPool1d", (3,), {"padding": 2}),
    ("AvgPool1d", (3,), {"padding": -1}),
    ("AvgPool1d", (0,), {}),
    ("AvgPool1d", (2, 0), {}),
    ("AvgPool1d", ((2, 2),), {}),
    ("AvgPool1d", ((),), {}),
    ("AvgPool2d", (2,), {"divisor_override": 0}),
    ("AvgPool2d", ((2, 2, 2),), {}),
    ("AvgPool2d", (2,), {"padding": ()}),
    ("AvgPool2d", (2.0,), {}),
    ("AvgPool2d", (-1, 1), {}),
    ("AvgPool3d", (2,), {"divisor_override": 0}),
    ("AvgPool3d", (2,), {"padding": ()}),
    ("LPPool1d", (2, (3,)), {}),
    ("LPPool1d", (0, 2), {}),
    ("LPPool2d", (2, (2,)), {}),
    ("LPPool2d", ("a", 3), {}),
    ("LPPool3d", (2, (2, 2)), {}),
    ("AdaptiveAvgPool1d", (None,), {}),
    ("AdaptiveAvgPool1d", ((None,),), {}),
    ("AdaptiveAvgPool1d", ((4, 4),), {}),
    ("AdaptiveAvgPool2d", (None,), {}),
    ("AdaptiveAvgPool2d", ((-1, 3),), {}),
    ("AdaptiveAvgPool2d", (2.0,), {}),
    ("AdaptiveAvgPool3d", ((4, 4),), {}),
    ("AdaptiveMaxPool1d", (None,), {}),
    ("AdaptiveMaxPool2d", ((3, 3, 3),), {}),
]


@pytest.mark.parametrize(("name", "args", "kwargs"), INVALID)
def test_invalid_pool_rejected_like_torch(
    torch: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    """What torch rejects (at construction or at every forward) raises ConfigError here."""
    dims = int(name[-2])
    assert agree(torch, name, args, kwargs, (2,) + (4,) * dims) == "config"


def test_adaptive_window_sizes_match_aten(torch: Any) -> None:
    """Adaptive pooling's element-wise count uses ATen's windows: read them off one-hot inputs."""
    import paramcalc as pc

    rng = random.Random("adaptive-windows")
    for _ in range(60):
        length, out = rng.randint(1, 12), rng.randint(1, 12)
        # sample j is one-hot at j: output i is 1/k_i where j lies in window i, else 0
        pooled = torch.nn.AdaptiveAvgPool1d(out)(torch.eye(length).unsqueeze(1))
        sizes = [round(1 / float(pooled[:, 0, i].max())) for i in range(out)]
        assert pc.AdaptiveAvgPool1d(out).elementwise_flops((1, length)) == sum(sizes)
        assert pc.AdaptiveMaxPool1d(out).elementwise_flops((1, length)) == sum(sizes) - out
