"""Seeded random networks: rendered rows add up to the totals, and JSON round-trips."""

from __future__ import annotations

import json
import random

import pytest

import paramcalc as nn
from paramcalc import Layer, from_dict
from paramcalc.render import render

from .test_render import frontier_sum, parse_table


def random_network(rng: random.Random, depth: int = 0) -> Layer:
    """A nest of Sequentials and custom Modules of Linear/ReLU/Dropout, some shared or frozen."""
    pool: list[Layer] = []

    def leaf() -> Layer:
        if pool and rng.random() < 0.15:
            return rng.choice(pool)  # used again: counts once
        layer: Layer = rng.choice(
            [
                nn.Linear(rng.randint(1, 50), rng.randint(1, 50), bias=rng.random() < 0.7),
                nn.Conv2d(rng.randint(1, 8), rng.randint(1, 8), rng.randint(1, 3)),
                nn.ReLU(),
                nn.Dropout(0.1),
            ]
        )
        if rng.random() < 0.2:
            layer = layer.freeze()
        pool.append(layer)
        return layer

    def block(level: int) -> Layer:
        size = rng.randint(1, 4)
        items = [
            block(level + 1) if level < 3 and rng.random() < 0.35 else leaf() for _ in range(size)
        ]
        if rng.random() < 0.3:
            module = nn.Module()
            for index, item in enumerate(items):
                setattr(module, f"part{index}", item)
            return module
        if rng.random() < 0.3:
            return nn.Sequential({f"n{index}": item for index, item in enumerate(items)})
        return nn.Sequential(*items)

    return block(depth)


@pytest.mark.parametrize("seed", range(60))
def test_rows_sum_and_round_trip(seed: int) -> None:
    """At every depth the shown rows sum to the total; from_dict gives the same report."""
    rng = random.Random(seed)
    network = random_network(rng)
    report = network.report()
    for depth in (None, 0, 1, 2):
        for ascii in (False, True):
            text = render(report, "text", depth=depth, ascii=ascii, columns=("name", "params"))
            if report.rows:
                rows, total = parse_table(text)
                assert total == report.params
                assert frontier_sum(rows) == total
    assert sum(row.params for row in report.leaves()) == report.params
    data = report.to_dict()
    copy = from_dict(json.loads(json.dumps(data)))
    assert copy.params() == network.params()
    assert list(copy.named_parameters()) == list(network.named_parameters())
    assert copy.trainable_params() == network.trainable_params()
    assert copy.report().to_dict() == data
