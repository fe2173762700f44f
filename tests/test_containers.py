"""Containers: torch's names, deduplication of shared layers, freezing by name."""

from __future__ import annotations

import pytest

import paramcalc as nn
from paramcalc import ConfigError, Conv2d, Linear, ModuleList, ReLU, Sequential


class TestSequential:
    def test_numbered_and_named(self) -> None:
        """Children are named "0", "1", … or by the dict's keys, as in torch."""
        numbered = Sequential(Linear(2, 3), ReLU(), Linear(3, 1))
        assert [n for n, _ in numbered.named_parameters()] == [
            "0.weight",
            "0.bias",
            "2.weight",
            "2.bias",
        ]
        named = Sequential({"fc": Linear(2, 3), "act": ReLU()})
        assert [n for n, _ in named.named_parameters()] == ["fc.weight", "fc.bias"]

    def test_nested_paths(self) -> None:
        """Nested containers prefix their children's names: features.0.weight."""
        net = Sequential({"features": Sequential(Conv2d(1, 2, 3)), "head": Linear(2, 1)})
        assert [n for n, _ in net.named_parameters()] == [
            "features.0.weight",
            "features.0.bias",
            "head.weight",
            "head.bias",
        ]

    def test_indexing(self) -> None:
        """By position, by name, and slices that stay Sequential."""
        net = Sequential({"a": Linear(2, 3), "b": ReLU(), "c": Linear(3, 1)})
        assert net[0] == Linear(2, 3)
        assert net["c"] == Linear(3, 1)
        assert isinstance(net[1:], Sequential)
        assert len(net[1:]) == 2

    def test_rejects_non_layers_and_bad_names(self) -> None:
        """A non-layer or a dotted name is refused, naming it."""
        with pytest.raises(TypeError, match=r"Sequential: `1` must be a paramcalc layer"):
            Sequential(Linear(2, 2), 3)  # type: ignore[arg-type]
        with pytest.raises(ConfigError, match=r"contain no '\.'"):
            Sequential({"a.b": Linear(2, 2)})


class TestSharing:
    def test_same_object_counts_once(self) -> None:
        """torch: Sequential(l, l).parameters() yields l's tensors once (110, not 220)."""
        fc = Linear(10, 10)
        net = Sequential(fc, ReLU(), fc)
        assert net.params() == 110
        assert [n for n, _ in net.named_parameters()] == ["0.weight", "0.bias"]

    def test_equal_but_distinct_layers_count_twice(self) -> None:
        """Two equal layers are two sets of weights."""
        assert Sequential(Linear(10, 10), Linear(10, 10)).params() == 220

    def test_report_marks_second_use(self) -> None:
        """The second use adds nothing and names the first; MACs count both uses."""
        fc = Linear(10, 10)
        report = Sequential(fc, fc).report((10,))
        assert [(r.params, r.shared_with) for r in report.rows] == [(110, None), (0, "0")]
        assert report.params == 110
        assert report.macs == 200

    def test_modulelist(self) -> None:
        """ModuleList names its items 0..n-1 like torch."""
        layers = ModuleList([Linear(4, 4) for _ in range(3)])
        assert [n for n, _ in layers.named_parameters()][-1] == "2.bias"
        assert layers.params() == 60


class Tower(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = Sequential(Conv2d(3, 8, 3), ReLU(), Conv2d(8, 8, 3))
        self.blocks = ModuleList([Linear(8, 8), Linear(8, 8)])
        self.width = 8  # plain attributes are not layers
        self.head = Linear(8, 2)


class TestModule:
    def test_registration_order_and_names(self) -> None:
        """Layers and containers assigned as attributes register in order."""
        names = [n for n, _ in Tower().named_parameters()]
        assert names[:2] == ["features.0.weight", "features.0.bias"]
        assert names[4:6] == ["blocks.0.weight", "blocks.0.bias"]
        assert names[-1] == "head.bias"

    def test_reassignment_replaces(self) -> None:
        """Assigning a new layer to an attribute replaces the old one in the count."""
        net = Tower()
        before = net.params()
        net.head = Linear(8, 4)
        assert net.params() == before + 18

    def test_without_super_init(self) -> None:
        """Forgetting super().__init__() fails as in torch."""

        class Broken(nn.Module):
            def __init__(self) -> None:
                self.fc = Linear(2, 2)

        with pytest.raises(AttributeError, match=r"before Module.__init__\(\) call"):
            Broken()


class TestFreeze:
    def test_freeze_all(self) -> None:
        """freeze() leaves the total and zeroes the trainable count."""
        net = Tower().freeze()
        assert net.trainable_params() == 0
        assert net.params() == Tower().params()

    def test_freeze_by_glob(self) -> None:
        """Glob patterns over dotted paths freeze whole subtrees; the original is unchanged."""
        net = Tower()
        frozen = net.freeze("features", "blocks.1")
        features = (3 * 9 + 1) * 8 + (8 * 9 + 1) * 8
        assert frozen.trainable_params() == net.params() - features - 72
        assert net.trainable_params() == net.params()
        report = frozen.report()
        assert report.non_trainable == features + 72

    def test_unmatched_pattern_is_an_error(self) -> None:
        """A pattern that matches nothing is a typo, not a no-op."""
        with pytest.raises(ConfigError, match="no layer path matches 'feature'"):
            Tower().freeze("feature")

    def test_shared_layer_frozen_everywhere(self) -> None:
        """Freezing a shared layer by one path freezes it (one set of weights)."""
        fc = Linear(4, 4)
        net = Sequential(fc, fc).freeze("1")
        assert net.trainable_params() == 0
        assert net[0] is net[1]

    def test_unfreeze(self) -> None:
        """unfreeze() is the inverse, by pattern."""
        net = Sequential(Linear(4, 4), Linear(4, 4)).freeze().unfreeze("1")
        assert net.trainable_params() == 20


class TestModuleShapes:
    def test_registration_order_is_named_in_errors(self) -> None:
        """The seed's Net has no pooling or flatten children: the error says what ran."""

        class Net(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.conv1 = Conv2d(1, 6, 5)
                self.fc1 = Linear(400, 120)

        with pytest.raises(nn.ShapeError) as caught:
            Net().output_shape((1, 32, 32))
        message = str(caught.value)
        assert message.startswith("fc1 (Linear) expects 400 input features but receives 28")
        assert message.endswith("use Sequential to state the order of a forward pass)")
