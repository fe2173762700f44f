"""Children as attributes and by index, as in torch: ``resnet.layer1[0].conv1``."""

from __future__ import annotations

import copy
import pickle
from typing import Any

import pytest

import paramcalc as pc
from paramcalc import zoo


class TestAttributes:
    def test_zoo_networks(self) -> None:
        """torchvision's paths read as attributes: resnet18.layer1[0].conv1."""
        net: Any = zoo.get("resnet18")  # a Layer to mypy; its children are attributes
        assert net.layer1[0].conv1 == pc.Conv2d(64, 64, 3, padding=1, bias=False)
        assert net.layer2[0].downsample[0] == pc.Conv2d(64, 128, 1, stride=2, bias=False)
        assert net.fc == pc.Linear(512, 1000)
        assert type(net.layer1) is pc.Sequential

    def test_graph_blocks(self) -> None:
        """Residual and Concat children by their names."""
        block = pc.Residual({"conv1": pc.Conv2d(8, 8, 3)}, {"downsample": pc.Conv2d(8, 8, 1)})
        assert block.conv1 == pc.Conv2d(8, 8, 3)
        assert block.downsample == pc.Conv2d(8, 8, 1)
        assert pc.Concat(pc.ReLU(), pc.Tanh())["1"] == pc.Tanh()

    def test_sequential_names(self) -> None:
        """Sequential({"conv1": …}).conv1, as torch's OrderedDict form."""
        net = pc.Sequential({"conv1": pc.Conv2d(1, 6, 5), "fc": pc.Linear(4, 4)})
        assert net.conv1 == net["conv1"] == net[0]
        assert net.fc is net[-1]

    def test_missing_names(self) -> None:
        """An unknown name is an AttributeError (so hasattr works), an index an IndexError."""
        net: Any = zoo.get("resnet18")  # a Layer to mypy; its children are attributes
        assert not hasattr(net, "layer9")
        with pytest.raises(AttributeError, match="'ResNet' object has no attribute 'layer9'"):
            _ = net.layer9
        with pytest.raises(IndexError):
            pc.Residual(pc.Linear(2, 2))[5]
        with pytest.raises(KeyError):
            pc.Residual(pc.Linear(2, 2))["nope"]

    def test_repeat_of_any_size(self) -> None:
        """Repeat's copies by index without listing them."""
        layers = pc.Repeat(pc.Linear(4, 4), 10**12)
        assert layers[10**11] == layers[-1] == pc.Linear(4, 4)
        assert layers["999999999999"] == pc.Linear(4, 4)
        with pytest.raises(IndexError):
            layers[10**12]

    def test_copy_and_pickle(self) -> None:
        """copy and pickle still work (they probe private names)."""
        net = zoo.get("lenet5")
        assert copy.deepcopy(net).params() == 61706
        assert pickle.loads(pickle.dumps(net)).params() == 61706


def test_big_networks_fold_in_notebooks() -> None:
    """Jupyter shows a big network folded to fit 40 rows, with all rows one click away."""
    from paramcalc.report import NOTEBOOK_ROWS

    report = zoo.get("resnet152").report((3, 224, 224))
    page = report._repr_html_()
    folded, _, rest = page.partition('<details class="paramcalc-all">')
    assert folded.count("<tr") - 1 <= NOTEBOOK_ROWS  # the header row, then layer1 … fc
    assert f"<summary>All {len(report.rows):,} rows</summary>" in rest
    assert rest.count("<tr") - 1 == len(report.rows)
    small = zoo.get("lenet5").report((1, 32, 32))
    assert small._repr_html_() == small.render("html")
