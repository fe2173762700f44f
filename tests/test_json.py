"""The JSON report: schema 1, fixed key order, exact integers, and the round trip."""

from __future__ import annotations

import json

import pytest

import paramcalc as nn
from paramcalc import ConfigError, Layer, Report, from_dict
from paramcalc.serial import custom_module, layer_spec

from .nets import CASES

TOP_KEYS = [
    "schema", "model", "input_shape", "output_shape", "batch_size", "totals", "memory", "spec",
    "rows",
]  # fmt: skip
ROW_KEYS = [
    "path", "kind", "depth", "leaf", "params", "trainable", "buffers", "output_shape", "macs",
    "elementwise", "param_bytes", "buffer_bytes", "activation_bytes", "shared_with", "repeat",
    "formula",
    "spec",
]  # fmt: skip


def _report_of(layer: Layer, shape: tuple[int, ...] | None, batch: int = 1) -> dict[str, object]:
    report: Report = layer.report(shape, batch_size=batch)
    return report.to_dict()


@pytest.mark.parametrize("name", list(CASES))
def test_round_trip(name: str) -> None:
    """from_dict(report.to_dict()) has the same params, names, buffers and report."""
    case = CASES[name]()
    data = _report_of(case.network, case.input_shape, case.batch_size)
    copy = from_dict(json.loads(json.dumps(data)))
    assert copy.params() == case.network.params() == case.torch_params
    assert list(copy.named_parameters()) == list(case.network.named_parameters())
    assert list(copy.named_buffers()) == list(case.network.named_buffers())
    assert _report_of(copy, case.input_shape, case.batch_size) == data


def test_round_trip_keeps_sharing_and_freezing() -> None:
    """A layer used twice comes back as one object; frozen layers stay frozen."""
    case = CASES["nested"]()
    copy = from_dict(case.network.report().to_dict())
    assert isinstance(copy, nn.Sequential)
    classifier = copy["classifier"]
    assert isinstance(classifier, nn.Sequential)
    assert classifier[2] is classifier[4]
    assert classifier[0].trainable is False
    assert copy.trainable_params() == case.network.trainable_params() == 7562


def test_round_trip_of_custom_modules() -> None:
    """Custom modules come back as Module subclasses with their name and children."""
    case = CASES["seed_net"]()
    copy = from_dict(case.network.report().to_dict())
    assert type(copy).__name__ == "Net"
    assert isinstance(copy, nn.Module)
    assert [name for name, _ in copy.children()] == ["conv1", "conv2", "fc1", "fc2", "fc3"]


def test_a_single_layer() -> None:
    """A report of one layer (no container) round-trips too."""
    layer = nn.Conv2d(3, 8, (3, 5), stride=2, padding="valid", bias=False)
    assert from_dict(layer.report((3, 32, 32)).to_dict()) == layer


def test_key_order_is_the_schema() -> None:
    """Top-level and row keys come in the documented order, not sorted."""
    data = json.loads(CASES["lenet"]().network.report((1, 32, 32)).to_json())
    assert list(data) == TOP_KEYS
    assert list(data["rows"][0]) == ROW_KEYS
    assert list(data["totals"]) == [
        "params",
        "trainable",
        "non_trainable",
        "buffers",
        "macs",
        "flops",
        "elementwise_flops",
        "param_bytes",
        "buffer_bytes",
        "activation_bytes",
    ]


def test_deterministic() -> None:
    """The same network renders to the same bytes every time."""
    one = CASES["nested"]().network.report((3, 16, 16)).to_json()
    two = CASES["nested"]().network.report((3, 16, 16)).to_json()
    assert one == two


def test_integers_are_exact() -> None:
    """Counts beyond 2**53 stay exact integers in the JSON text."""
    layer = nn.Linear(2**27, 2**27 + 1)
    text = layer.report().to_json()
    expected = 2**27 * (2**27 + 1) + 2**27 + 1
    assert f'"params": {expected},' in text
    assert json.loads(text)["totals"]["params"] == expected


def test_spec_is_generic() -> None:
    """A layer spec lists every constructor argument by its dataclass field, `trainable` last."""
    spec = layer_spec(nn.Dropout(0.25))
    assert spec == {"type": "Dropout", "args": {"p": 0.25, "inplace": False, "trainable": True}}


class TestRefusals:
    def test_unknown_schema(self) -> None:
        """Another schema version is refused, not guessed at."""
        with pytest.raises(ConfigError, match="unknown report schema 2"):
            from_dict({"schema": 2, "rows": [], "spec": {}})

    def test_unknown_layer_type_in_args(self) -> None:
        """A spec with arguments for an unknown type is a custom container, not an error."""
        data = nn.Sequential(nn.Linear(2, 2)).report().to_dict()
        data["rows"][0]["spec"] = {"type": "Linear", "args": {"in_features": 2, "bogus": 1}}
        with pytest.raises(ConfigError, match="Linear: cannot be built from"):
            from_dict(data)

    def test_malformed(self) -> None:
        """A report missing row fields is refused with a ConfigError, not a KeyError."""
        data = nn.Sequential(nn.Linear(2, 2)).report().to_dict()
        del data["rows"][0]["depth"]
        with pytest.raises(ConfigError, match="malformed report"):
            from_dict(data)

    def test_module_names_must_be_identifiers(self) -> None:
        """A custom module type must be named like a Python class."""
        with pytest.raises(ConfigError, match="must be an identifier"):
            custom_module("not a name")


def test_composites_with_layer_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    """A composite whose fields hold layers round-trips generically, children by name."""
    from collections.abc import Iterator
    from dataclasses import dataclass

    from paramcalc.layer import Composite

    @dataclass(frozen=True, repr=False)
    class Twice(Composite):
        first: Layer
        second: Layer
        scale: tuple[int, ...] = (1, 1)

        def children(self) -> Iterator[tuple[str, Layer]]:
            return iter((("first", self.first), ("second", self.second)))

        def rebuild(self, children: list[Layer]) -> Twice:
            return Twice(children[0], children[1], self.scale)

    monkeypatch.setattr(nn, "Twice", Twice, raising=False)
    monkeypatch.setattr(nn, "__all__", [*nn.__all__, "Twice"])
    net = nn.Sequential(Twice(nn.Linear(3, 4), nn.Linear(4, 5), scale=(2, 3)), nn.ReLU())
    data = net.report((3,)).to_dict()
    assert data["rows"][0]["spec"] == {
        "type": "Twice",
        "args": {"first": {"$child": "first"}, "second": {"$child": "second"}, "scale": [2, 3],
                 "trainable": True},
    }  # fmt: skip
    copy = from_dict(json.loads(json.dumps(data)))
    assert copy == net
    assert copy.report((3,)).to_dict() == data


def test_custom_module_named_like_a_layer() -> None:
    """A custom module named like a paramcalc layer (``Transformer``) comes back as that module."""
    from paramcalc.printed import read_printed

    text = "Transformer(\n  (fc): Linear(in_features=4, out_features=4, bias=True)\n)"
    network = read_printed(text).network
    copy = from_dict(json.loads(network.report().to_json()))
    assert copy.params() == network.params() == 20  # 4·4 + 4, not nn.Transformer()'s 44,140,544
    assert isinstance(copy, nn.Module)
    assert type(copy).__name__ == "Transformer"


@pytest.mark.parametrize("name", ["resnet18", "googlenet", "gpt2", "llama2-7b", "efficientnet_b0"])
def test_zoo_blocks_round_trip(name: str) -> None:
    """Zoo blocks (BasicBlock, Inception, GPT2Attention) come back as themselves, not Modules."""
    from paramcalc import zoo

    entry = zoo.entry(name)
    data = entry.build().report(entry.input_shape).to_dict()
    copy = from_dict(json.loads(json.dumps(data)))
    assert copy.report(entry.input_shape).to_dict() == data
    assert copy.params() == entry.published


def test_tampered_zoo_block_is_a_config_error() -> None:
    """A stored zoo block whose steps name no child is refused when read."""
    from paramcalc import zoo

    data = zoo.get("lenet5").report().to_dict()
    data["spec"]["args"]["steps"][0] = "nope"
    with pytest.raises(ConfigError, match="malformed report"):
        from_dict(data)
