"""Bilinear against live torch on seeded random configurations."""

from __future__ import annotations

import random
from typing import Any

import pytest

import paramcalc as pc
from paramcalc import ConfigError, ShapeError

from .compare import torch_parameters

CASES = 150


def test_bilinear_matches_torch(torch: Any) -> None:
    """Names, shapes, totals and output shapes equal torch's; MACs are the bilinear form's.

    torch's FlopCounterMode counts 0 for ``aten::_trilinear`` (checked here), so
    the MACs are checked against the hand formula leading·in1·in2·out.
    """
    from torch.utils.flop_counter import FlopCounterMode

    rng = random.Random(3)
    for _ in range(CASES):
        in1, in2, out = rng.randint(1, 12), rng.randint(1, 12), rng.randint(1, 12)
        bias = rng.random() < 0.7
        lead = tuple(rng.randint(1, 4) for _ in range(rng.randint(0, 2)))
        ours, theirs = pc.Bilinear(in1, in2, out, bias), torch.nn.Bilinear(in1, in2, out, bias)
        assert list(ours.named_parameters()) == torch_parameters(theirs)
        assert ours.params() == sum(p.numel() for p in theirs.parameters())
        assert ours.explain().value == ours.params()
        counter = FlopCounterMode(display=False)
        with torch.no_grad(), counter:
            y = theirs(torch.zeros((1, *lead, in1)), torch.zeros((1, *lead, in2)))
        assert counter.get_total_flops() == 0
        assert ours.output_shape((*lead, in1)) == tuple(y.shape[1:])
        leading = 1
        for size in lead:
            leading *= size
        assert ours.macs((*lead, in1)) == leading * in1 * in2 * out
        wrong = in1 + rng.randint(1, 3)
        with pytest.raises(RuntimeError):
            theirs(torch.zeros((1, *lead, wrong)), torch.zeros((1, *lead, in2)))
        with pytest.raises(ShapeError):
            ours.output_shape((*lead, wrong))


def test_zero_in1_features_rejected_like_torch(torch: Any) -> None:
    """torch: 'in1_features must be > 0, but got (in1_features=0)'.

    (torch accepts in2_features=0 or out_features=0, an empty weight; paramcalc,
    whose sizes are all at least 1, rejects those too, as it does for Linear.)
    """
    with pytest.raises(ValueError, match="in1_features must be > 0"):
        torch.nn.Bilinear(0, 4, 5)
    with pytest.raises(ConfigError, match="`in1_features` must be at least 1"):
        pc.Bilinear(0, 4, 5)
