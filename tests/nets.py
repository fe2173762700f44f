"""The networks the rendering tests draw, each with the totals torch gives for it.

The ``torch_params`` figures were printed by torch 2.13 on the same networks
(``sum(p.numel() for p in net.parameters())``); ``printed`` networks are read
from ``tests/fixtures/printed/`` whose JSON holds torch's own figures.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

import paramcalc as nn
from paramcalc import Layer
from paramcalc.printed import read_printed

FIXTURES = Path(__file__).parent / "fixtures" / "printed"


class Case(NamedTuple):
    network: Layer
    input_shape: tuple[int, ...] | None
    batch_size: int
    torch_params: int


def lenet() -> Case:
    net = nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84),
        nn.ReLU(), nn.Linear(84, 10),
    )  # fmt: skip
    return Case(net, (1, 32, 32), 1, 61706)


def seed_net() -> Case:
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(1, 6, 5)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(400, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

    return Case(Net(), None, 1, 61706)


def nested() -> Case:
    """Nested containers, a layer used twice, frozen layers, a batch of 4."""
    shared = nn.Linear(64, 64)
    net = nn.Sequential(
        {
            "features": nn.Sequential(
                nn.Conv2d(3, 16, 3, padding=1),
                nn.ReLU(),
                nn.MaxPool2d(2),
                nn.Sequential(nn.Conv2d(16, 16, 3, padding=1, bias=False), nn.ReLU()),
                nn.MaxPool2d(2),
            ),
            "flatten": nn.Flatten(),
            "classifier": nn.Sequential(
                nn.Linear(256, 64).freeze(), nn.ReLU(), shared, nn.ReLU(), shared
            ),
            "head": nn.Linear(64, 10),
        }
    )
    # torch: 448 + 2304 + 16448 + 4160 + 650 (the shared Linear counted once)
    return Case(net, (3, 16, 16), 4, 24010)


def mixer() -> Case:
    """Read from print(model): twelve repeated blocks in a ModuleList."""
    network, _ = read_printed((FIXTURES / "mixer.txt").read_text())
    facts = json.loads((FIXTURES / "mixer.json").read_text())
    return Case(network, None, 1, facts["params"])


def markup() -> Case:
    """Names that are markup in HTML and Markdown must stay text."""
    net = nn.Sequential(
        {
            "<script>alert(1)</script>": nn.Linear(2, 3),
            "a|b*c_d`e": nn.ReLU(),
            "x&amp;y": nn.Linear(3, 1),
        }
    )
    return Case(net, (2,), 1, 13)


CASES = {
    "lenet": lenet,
    "seed_net": seed_net,
    "nested": nested,
    "mixer": mixer,
    "markup": markup,
}
