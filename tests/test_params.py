"""Parameter, ParameterList, ParameterDict and ModuleDict: names and counts from PyTorch 2.13.

Every expected list below is torch 2.13's ``named_parameters()`` for the same
code written with ``torch.nn`` (see ``tests/conformance/test_params.py`` for
the live comparison on random modules).
"""

from __future__ import annotations

from collections import OrderedDict

import pytest

import paramcalc as pc
from paramcalc import ConfigError, ConfigTypeError, ShapeError


class ViTStem(pc.Module):
    def __init__(self) -> None:
        super().__init__()
        self.patch_embed = pc.Conv2d(3, 768, 16, stride=16)
        self.cls_token = pc.Parameter((1, 1, 768))
        self.pos_embed = pc.Parameter((1, 197, 768))
        self.norm = pc.LayerNorm(768)


class ConvNeXtBlock(pc.Module):
    def __init__(self) -> None:
        super().__init__()
        self.dwconv = pc.Conv2d(96, 96, 7, padding=3, groups=96)
        self.norm = pc.LayerNorm(96, eps=1e-6)
        self.pwconv1 = pc.Linear(96, 384)
        self.pwconv2 = pc.Linear(384, 96)
        self.gamma = pc.Parameter(96)


class TestParameterInModule:
    """A Parameter attribute is named bare and listed before sub-modules, as in torch."""

    def test_vit_stem(self) -> None:
        """torch 2.13: cls_token and pos_embed first, 744,192 in all."""
        stem = ViTStem()
        assert list(stem.named_parameters()) == [
            ("cls_token", (1, 1, 768)),
            ("pos_embed", (1, 197, 768)),
            ("patch_embed.weight", (768, 3, 16, 16)),
            ("patch_embed.bias", (768,)),
            ("norm.weight", (768,)),
            ("norm.bias", (768,)),
        ]
        assert stem.params() == 744192

    def test_convnext_layer_scale(self) -> None:
        """torch 2.13: 'gamma' (96,) first though assigned last; 79,296 in all."""
        block = ConvNeXtBlock()
        assert next(block.named_parameters()) == ("gamma", (96,))
        assert block.params() == 79296

    def test_identity_on_shapes(self) -> None:
        """Parameters take no part in shape inference; errors name the real source."""
        net = pc.Module()
        net.conv1 = pc.Conv2d(3, 8, 3)
        net.scale = pc.Parameter(8)
        net.conv2 = pc.Conv2d(8, 4, 3)
        assert net.output_shape((3, 32, 32)) == (4, 28, 28)
        net.conv2 = pc.Conv2d(9, 4, 3)
        with pytest.raises(
            ShapeError, match=r"^conv2 \(Conv2d\) .* from conv1 \(Conv2d\) \(a Module"
        ):
            net.output_shape((3, 32, 32))

    def test_report_row_has_no_shape(self) -> None:
        """A Parameter's report row counts its elements and shows no output shape."""
        net = pc.Module()
        net.conv = pc.Conv2d(3, 8, 3)
        net.scale = pc.Parameter(8)
        report = net.report((3, 32, 32))
        row = report.rows[1]
        assert (row.path, row.kind, row.params, row.output_shape, row.macs) == (
            "scale",
            "Parameter",
            8,
            None,
            0,
        )
        assert report.output_shape == (8, 30, 30)
        assert sum(r.params for r in report.leaves()) == report.params == 232

    def test_requires_grad_false_is_frozen(self) -> None:
        """torch: Parameter(t, requires_grad=False) is left out of the trainable count."""
        stem = ViTStem()
        stem.pos_embed = pc.Parameter((1, 197, 768), requires_grad=False)
        assert stem.params() - stem.trainable_params() == 197 * 768

    def test_freeze_by_name(self) -> None:
        """freeze("cls_token") freezes exactly that tensor."""
        frozen = ViTStem().freeze("cls_token")
        assert frozen.params() - frozen.trainable_params() == 768
        assert frozen.cls_token.requires_grad is False

    def test_scalar_parameter(self) -> None:
        """A 0-d parameter (a learnable temperature) has shape () and one element."""
        assert list(pc.Parameter(()).named_parameters()) == [("", ())]
        assert pc.Parameter(()).params() == 1
        assert str(pc.Parameter(()).explain()) == "1"
        assert str(pc.Parameter((1, 1, 768)).explain()) == "1·1·768 = 768"


class TestParameterContainers:
    """ParameterList and ParameterDict names and order, from torch 2.13."""

    def test_parameter_list_names(self) -> None:
        """torch: '0', '1'."""
        params = pc.ParameterList([pc.Parameter(64), pc.Parameter((1, 128))])
        assert list(params.named_parameters()) == [("0", (64,)), ("1", (1, 128))]

    def test_parameter_dict_sorts_a_plain_dict(self) -> None:
        """torch: ParameterDict({'z': …, 'a': …}) lists 'a' first (it sorts a plain Mapping)."""
        table = pc.ParameterDict({"z": pc.Parameter(4), "a": pc.Parameter(1)})
        assert list(table.named_parameters()) == [("a", (1,)), ("z", (4,))]

    def test_parameter_dict_keeps_ordered_dict_order(self) -> None:
        """torch: an OrderedDict keeps its order."""
        table = pc.ParameterDict(OrderedDict(z=pc.Parameter(4), a=pc.Parameter(1)))
        assert list(table.named_parameters()) == [("z", (4,)), ("a", (1,))]

    def test_parameter_dict_pairs_later_key_replaces(self) -> None:
        """torch: pairs in order; a repeated key keeps its place, takes the new value."""
        table = pc.ParameterDict(
            [("z", pc.Parameter(4)), ("a", pc.Parameter(1)), ("z", pc.Parameter(2))]
        )
        assert list(table.named_parameters()) == [("z", (2,)), ("a", (1,))]

    def test_values_must_be_parameters(self) -> None:
        """A layer is not a parameter."""
        with pytest.raises(ConfigTypeError, match="`0` must be a paramcalc Parameter"):
            pc.ParameterList([pc.Linear(2, 2)])  # type: ignore[list-item]


class TestModuleDict:
    """ModuleDict names and order, from torch 2.13."""

    def test_mapping_order_kept(self) -> None:
        """torch: ModuleDict keeps a dict's insertion order (it does not sort)."""
        heads = pc.ModuleDict({"z": pc.Linear(2, 3), "a": pc.Linear(3, 1)})
        assert list(heads.named_parameters()) == [
            ("z.weight", (3, 2)),
            ("z.bias", (3,)),
            ("a.weight", (1, 3)),
            ("a.bias", (1,)),
        ]

    def test_pairs_later_key_replaces(self) -> None:
        """torch: a repeated key keeps its place and takes the later module."""
        heads = pc.ModuleDict(
            [("z", pc.Linear(2, 3)), ("a", pc.Linear(3, 1)), ("z", pc.Linear(5, 5))]
        )
        assert [name for name, _ in heads.named_parameters()] == [
            "z.weight",
            "z.bias",
            "a.weight",
            "a.bias",
        ]
        assert heads["z"] == pc.Linear(5, 5)

    def test_shapes_run_values_in_order(self) -> None:
        """No forward in torch; paramcalc runs the values in order, like ModuleList."""
        heads = pc.ModuleDict({"fc": pc.Linear(8, 4), "act": pc.ReLU()})
        assert heads.output_shape((8,)) == (4,)
        assert list(heads) == ["fc", "act"]
        assert "fc" in heads

    def test_freeze_and_rebuild_keep_keys(self) -> None:
        """freeze("fc") rebuilds the dict with the same keys and order."""
        heads = pc.ModuleDict({"fc": pc.Linear(8, 4), "out": pc.Linear(4, 2)}).freeze("fc")
        assert heads.keys() == ["fc", "out"]
        assert heads.trainable_params() == 10

    def test_not_a_mapping(self) -> None:
        """torch: 'ModuleDict.update should be called with an iterable of key/value pairs'."""
        with pytest.raises(ConfigTypeError, match="must be a mapping or an iterable"):
            pc.ModuleDict(pc.Linear(2, 2))  # type: ignore[arg-type]


def test_parameter_in_sequential_rejected() -> None:
    """torch: 'torch.FloatTensor is not a Module subclass'."""
    with pytest.raises(ConfigTypeError, match="is a Parameter, not a module"):
        pc.Sequential(pc.Parameter(3))


def test_parameter_shape_checked() -> None:
    """Sizes are non-negative ints, as torch.empty requires."""
    with pytest.raises(ConfigError, match="`shape` must be at least 0"):
        pc.Parameter((2, -1))
    with pytest.raises(ConfigTypeError, match="`shape` must be an int or a tuple"):
        pc.Parameter("3")  # type: ignore[arg-type]
