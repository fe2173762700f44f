"""Residual, Concat, Repeat, sharing and tying against the same graphs in torch.nn."""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest

import paramcalc as pc
from paramcalc import ShapeError

from .compare import assert_matches, torch_parameters

CASES = 100


def _conv_spec(rng: random.Random, cin: int, cout: int, stride: int) -> dict[str, Any]:
    kernel = rng.choice([1, 3, 5])
    return {
        "in_channels": cin,
        "out_channels": cout,
        "kernel_size": kernel,
        "stride": stride,
        "padding": rng.choice([kernel // 2, kernel // 2, 0]),
        "bias": rng.random() < 0.5,
    }


def _torch_graph(torch: Any, kind: str, body: dict[str, Any], extra: dict[str, Any]) -> Any:
    nn: Any = torch.nn

    class Graph(nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            for name, module in {**body, **extra}.items():
                self.add_module(name, module)

        def forward(self, x: Any) -> Any:
            if kind == "concat":
                return torch.cat([getattr(self, name)(x) for name in body], dim=1)
            y = x
            for name in body:
                y = getattr(self, name)(y)
            skip = x
            for name in extra:
                skip = getattr(self, name)(skip)
            return y + skip

    return Graph()


def test_residual_matches_torch(torch: Any) -> None:
    """Random conv residual blocks: names, counts, shapes, MACs; mismatches raise like torch."""
    rng = random.Random(1)
    checked = mismatched = 0
    while checked < CASES:
        cin = rng.randint(1, 8)
        size = rng.randint(5, 14)
        convs = rng.randint(1, 3)
        channels = [cin] + [rng.randint(1, 8) for _ in range(convs)]
        stride = rng.choice([1, 1, 2])
        specs = [
            _conv_spec(rng, channels[i], channels[i + 1], stride if i == 0 else 1)
            for i in range(convs)
        ]
        short: dict[str, Any] | None = None
        if rng.random() < 0.6:
            short = {
                "in_channels": cin,
                "out_channels": channels[-1],
                "kernel_size": 1,
                "stride": stride,
                "bias": False,
            }
        body_names = [f"conv{i + 1}" for i in range(convs)]
        ours = pc.Residual(
            {n: pc.Conv2d(**s) for n, s in zip(body_names, specs, strict=True)},
            None if short is None else {"downsample": pc.Conv2d(**short)},
        )
        theirs = _torch_graph(
            torch,
            "residual",
            {n: torch.nn.Conv2d(**s) for n, s in zip(body_names, specs, strict=True)},
            {} if short is None else {"downsample": torch.nn.Conv2d(**short)},
        )
        shape = (cin, size, size)
        try:
            with torch.no_grad():
                x = torch.zeros((1, *shape))
                main = x
                for name in body_names:
                    main = getattr(theirs, name)(main)
                skip = x if short is None else theirs.downsample(x)
                theirs(x)
            agree = main.shape == skip.shape  # torch would broadcast; Residual does not
        except RuntimeError:
            agree = False
        if not agree:
            with pytest.raises(ShapeError):
                ours.output_shape(shape)
            mismatched += 1
            continue
        assert_matches(torch, ours, theirs, shape)
        checked += 1
    assert mismatched > 10


def test_concat_matches_torch(torch: Any) -> None:
    """Random Inception-like branches concatenated along the channels."""
    rng = random.Random(2)
    checked = mismatched = 0
    while checked < CASES:
        cin = rng.randint(1, 8)
        size = rng.randint(5, 12)
        stride = rng.choice([1, 2])
        specs = {
            f"branch{i + 1}": _conv_spec(rng, cin, rng.randint(1, 8), stride)
            for i in range(rng.randint(1, 4))
        }
        ours = pc.Concat({n: pc.Conv2d(**s) for n, s in specs.items()})
        theirs = _torch_graph(
            torch, "concat", {n: torch.nn.Conv2d(**s) for n, s in specs.items()}, {}
        )
        shape = (cin, size, size)
        try:
            with torch.no_grad():
                theirs(torch.zeros((1, *shape)))
        except RuntimeError:
            with pytest.raises(ShapeError, match="cannot concatenate along dim 0"):
                ours.output_shape(shape)
            mismatched += 1
            continue
        assert_matches(torch, ours, theirs, shape)
        checked += 1
    assert mismatched > 10


def test_repeat_matches_module_list_of_deep_copies(torch: Any) -> None:
    """Repeat(block, n) against a Sequential of n deep copies of the torch block."""
    rng = random.Random(3)
    nn = torch.nn
    for _ in range(CASES):
        width, hidden = rng.randint(1, 16), rng.randint(1, 16)
        bias = rng.random() < 0.7
        n = rng.randint(1, 12)
        length = rng.randint(1, 5)
        block = nn.Sequential(
            nn.Linear(width, hidden, bias=bias), nn.ReLU(), nn.Linear(hidden, width, bias=bias)
        )
        theirs = nn.Sequential(*(copy.deepcopy(block) for _ in range(n)))
        ours = pc.Repeat(
            pc.Sequential(
                pc.Linear(width, hidden, bias=bias), pc.ReLU(), pc.Linear(hidden, width, bias=bias)
            ),
            n,
        )
        assert_matches(torch, ours, theirs, (length, width))


def test_repeat_shrinking_conv_matches_torch(torch: Any) -> None:
    """A strided conv repeated: every copy's shape and MACs as torch runs them."""
    rng = random.Random(4)
    nn = torch.nn
    for _ in range(CASES):
        channels, size, n = rng.randint(1, 6), rng.randint(1, 40), rng.randint(1, 8)
        kwargs: dict[str, Any] = {
            "kernel_size": 3,
            "stride": 2,
            "padding": 1,
            "bias": rng.random() < 0.5,
        }
        theirs = nn.Sequential(*(nn.Conv2d(channels, channels, **kwargs) for _ in range(n)))
        ours = pc.Repeat(pc.Conv2d(channels, channels, **kwargs), n)
        assert_matches(torch, ours, theirs, (channels, size, size))


def test_shared_module_counts_once_like_torch(torch: Any) -> None:
    """One module used twice: torch's parameters() yields it once; so does paramcalc."""
    nn = torch.nn
    layer = nn.Linear(12, 12)
    theirs = nn.Sequential(layer, nn.ReLU(), layer)
    fc = pc.Linear(12, 12)
    ours = pc.Sequential(fc, pc.ReLU(), fc)
    assert_matches(torch, ours, theirs, (3, 12))


def test_tied_weight_counts_once_like_torch(torch: Any) -> None:
    """A head whose weight is the embedding table's Parameter: counted once, named once."""
    nn = torch.nn
    rng = random.Random(5)
    for _ in range(CASES):
        vocab, width = rng.randint(2, 40), rng.randint(1, 16)
        bias = rng.random() < 0.5
        theirs = nn.Sequential()
        theirs.add_module("table", nn.Linear(width, vocab, bias=False))
        theirs.add_module("relu", nn.ReLU())
        theirs.add_module("head", nn.Linear(width, vocab, bias=bias))
        theirs.head.weight = theirs.table.weight
        ours = pc.Sequential(
            {
                "table": pc.Linear(width, vocab, bias=False),
                "relu": pc.ReLU(),
                "head": pc.Linear(width, vocab, bias=bias).tied_to("table.weight"),
            }
        )
        assert list(ours.named_parameters()) == torch_parameters(theirs)
        assert ours.params() == sum(p.numel() for p in theirs.parameters())
        per_use = sum(p.numel() for m in theirs.children() for p in m.parameters())
        assert ours.params_per_use() == ours.report().params_per_use == per_use
