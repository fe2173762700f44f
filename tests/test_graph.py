"""Graph blocks: Residual, Concat, Repeat, shared layers and tied weights.

Figures were taken from torch 2.13 on the same networks (see
tests/conformance/test_graph.py, which rebuilds each one in torch.nn).
"""

from __future__ import annotations

from typing import Any

import pytest

import paramcalc as pc
from paramcalc import Concat, ConfigError, Linear, Repeat, Residual, ShapeError, Tied
from paramcalc.layer import Layer


def _block() -> pc.Sequential:
    return pc.Sequential(pc.Linear(16, 32), pc.ReLU(), pc.Linear(32, 16))


def _expanded(rows: Any) -> list[Any]:
    """Report rows with each "×N" group written out copy by copy, as explicit copies list them."""
    out: list[Any] = []
    index = 0
    rows = list(rows)
    while index < len(rows):
        row = rows[index]
        end = index + 1
        while end < len(rows) and rows[end].depth > row.depth:
            end += 1
        if row.repeat == 1:
            out.append(row)
            index += 1
            continue
        head, _, name = row.path.rpartition(".")
        stem = name.rstrip("0123456789")
        first = int(name[len(stem) :])
        for k in range(row.repeat):
            old, new = row.path, f"{head}.{stem}{first + k}" if head else f"{stem}{first + k}"

            def moved(path: str | None, old: str = old, new: str = new) -> str | None:
                if path is not None and (path == old or path.startswith(old + ".")):
                    return new + path[len(old) :]
                return path

            for below in rows[index:end]:
                out.append(
                    below._replace(
                        path=moved(below.path),
                        shared_with=moved(below.shared_with),
                        params=below.params // row.repeat,
                        macs=None if below.macs is None else below.macs // row.repeat,
                        repeat=1,
                    )
                )
        index = end
    return out


class TestRepeat:
    @pytest.mark.parametrize("n", [1, 2, 3, 5])
    def test_equals_explicit_copies(self, n: int) -> None:
        """Repeat(block, n) has the names, counts, shape, MACs and rows of n distinct copies."""
        repeated = Repeat(_block(), n)
        explicit = pc.Sequential(*(_block() for _ in range(n)))
        assert list(repeated.named_parameters()) == list(explicit.named_parameters())
        assert repeated.params() == explicit.params() == n * 1072
        assert repeated.trainable_params() == explicit.trainable_params()
        assert repeated.output_shape((7, 16)) == explicit.output_shape((7, 16)) == (7, 16)
        assert repeated.macs((7, 16)) == explicit.macs((7, 16)) == n * 7 * 1024
        report = repeated.report((7, 16))
        assert report.rows[0].repeat == n  # one group of rows for the n copies, "×n"
        assert len(report.rows) == 4  # the block and its three layers, whatever n is
        ours = [(r.path, r.params, r.output_shape, r.macs) for r in _expanded(report.rows)]
        theirs = [(r.path, r.params, r.output_shape, r.macs) for r in explicit.report((7, 16)).rows]
        assert ours == theirs
        assert repeated.elementwise_flops((7, 16)) == explicit.elementwise_flops((7, 16))
        assert repeated.memory((7, 16)) == explicit.memory((7, 16))

    def test_shape_changing_block(self) -> None:
        """A block that shrinks its input is walked copy by copy until the shape settles."""
        conv = pc.Conv2d(4, 4, 3, stride=2, padding=1)
        repeated = Repeat(conv, 6)
        explicit = pc.Sequential(*(pc.Conv2d(4, 4, 3, stride=2, padding=1) for _ in range(6)))
        assert repeated.output_shape((4, 16, 16)) == explicit.output_shape((4, 16, 16))
        assert repeated.macs((4, 16, 16)) == explicit.macs((4, 16, 16))
        rows = [
            (r.path, r.output_shape, r.macs) for r in _expanded(repeated.report((4, 16, 16)).rows)
        ]
        assert rows == [(r.path, r.output_shape, r.macs) for r in explicit.report((4, 16, 16)).rows]

    def test_cost_does_not_grow_with_n(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """params(), output_shape() and macs() do the same work for n = 10 and n = 10,000."""
        calls: list[str] = []
        shapes, infer = Linear.parameter_shapes, Linear.infer_shape

        def counted_shapes(self: Linear) -> Any:
            calls.append("shapes")
            return shapes(self)

        def counted_infer(self: Linear, shape: Any) -> Any:
            calls.append("infer")
            return infer(self, shape)

        monkeypatch.setattr(Linear, "parameter_shapes", counted_shapes)
        monkeypatch.setattr(Linear, "infer_shape", counted_infer)
        work = {}
        for n in (10, 10_000):
            calls.clear()
            net = Repeat(_block(), n)
            assert net.params() == n * 1072
            assert net.trainable_params() == n * 1072
            assert net.output_shape((5, 16)) == (5, 16)
            assert net.macs((5, 16)) == n * 5 * 1024
            assert net.elementwise_flops((5, 16)) == n * net.block.elementwise_flops((5, 16))
            work[n] = len(calls)
        assert work[10] == work[10_000]

    def test_names_are_lazy(self) -> None:
        """The names of a billion copies start at once (a generator, not a list)."""
        names = Repeat(pc.Linear(4, 4), 10**9).named_parameters()
        assert [next(names) for _ in range(3)] == [
            ("0.weight", (4, 4)),
            ("0.bias", (4,)),
            ("1.weight", (4, 4)),
        ]

    def test_prefix_names_copies(self) -> None:
        """prefix="encoder_layer_" gives torchvision ViT's names."""
        names = [name for name, _ in Repeat(pc.Linear(2, 2), 2, prefix="layer_").named_parameters()]
        assert names == ["layer_0.weight", "layer_0.bias", "layer_1.weight", "layer_1.bias"]

    def test_shared_inside_block_counts_once_per_copy(self) -> None:
        """A layer used twice inside the block counts once in each copy, as deepcopy keeps it."""
        fc = pc.Linear(8, 8)
        repeated = Repeat(pc.Sequential(fc, fc), 3)
        assert repeated.params() == 3 * 72
        assert repeated.params_per_use() == 6 * 72
        report = repeated.report((8,))
        assert report.params == sum(row.params for row in report.leaves()) == 216
        assert [row.shared_with for row in _expanded(report.rows) if row.leaf] == [
            None,
            "0.0",
            None,
            "1.0",
            None,
            "2.0",
        ]

    def test_same_repeat_twice_counts_once(self) -> None:
        """The same Repeat object used twice counts once, like any shared module."""
        repeated = Repeat(pc.Linear(8, 8), 4)
        net = pc.Sequential(repeated, repeated)
        assert net.params() == 4 * 72
        report = net.report((8,))
        assert sum(row.params for row in report.leaves()) == report.params == 288

    def test_freeze_all_copies(self) -> None:
        """Freezing the Repeat freezes every copy; selecting one copy is refused."""
        net = pc.Sequential({"layers": Repeat(pc.Linear(8, 8), 4), "head": pc.Linear(8, 2)})
        frozen = net.freeze("layers")
        assert frozen.params() == 306
        assert frozen.trainable_params() == 18
        with pytest.raises(
            ConfigError, match=r"^Repeat `layers`: the copies .* all of them or none"
        ):
            net.freeze("layers.1")

    @pytest.mark.parametrize(
        ("args", "error", "message"),
        [
            ((pc.Linear(2, 2), 0), ConfigError, "`n` must be at least 1"),
            ((pc.Linear(2, 2), True), TypeError, "`n` must be an int"),
            (("Linear", 2), TypeError, "`block` must be a paramcalc layer"),
        ],
    )
    def test_invalid(self, args: tuple[Any, ...], error: type[Exception], message: str) -> None:
        """Bad arguments name the argument and the value."""
        with pytest.raises(error, match=message):
            Repeat(*args)

    def test_repr(self) -> None:
        """The repr is a constructor call."""
        assert repr(Repeat(pc.Linear(2, 3), 4)) == "Repeat(Linear(2, 3), 4)"

    def test_formula(self) -> None:
        """explain() shows n times the block and equals params()."""
        formula = Repeat(_block(), 12).explain()
        assert formula.value == 12 * 1072
        assert str(formula) == "12·1072 = 12,864"


class TestResidual:
    def test_names_and_counts(self) -> None:
        """A dict block is inlined under the residual's path; the shortcut keeps its name."""
        block = Residual(
            {"conv1": pc.Conv2d(8, 16, 3, stride=2, padding=1, bias=False)},
            {"downsample": pc.Conv2d(8, 16, 1, stride=2, bias=False)},
        )
        assert list(block.named_parameters()) == [
            ("conv1.weight", (16, 8, 3, 3)),
            ("downsample.weight", (16, 8, 1, 1)),
        ]
        # torch: FlopCounterMode / 2 = 73,728 + 8,192
        assert block.output_shape((8, 16, 16)) == (16, 8, 8)
        assert block.macs((8, 16, 16)) == 81920

    def test_default_names(self) -> None:
        """A layer block is named "block", a layer shortcut "shortcut"."""
        block = Residual(pc.Linear(4, 4), pc.Linear(4, 4, bias=False))
        assert [name for name, _ in block.named_parameters()] == [
            "block.weight",
            "block.bias",
            "shortcut.weight",
        ]

    def test_shape_mismatch(self) -> None:
        """Block and shortcut shapes must agree; the error names both and the residual's path."""
        net = pc.Sequential({"stem": pc.Conv2d(3, 8, 3), "res": Residual(pc.Conv2d(8, 16, 3))})
        with pytest.raises(
            ShapeError,
            match=r"^res \(Residual\) adds the block's output \(16, 28, 28\) to the shortcut's "
            r"\(8, 30, 30\); they must have the same shape$",
        ):
            net.output_shape((3, 32, 32))

    def test_inner_error_keeps_its_path(self) -> None:
        """A layer inside the block that does not fit reports its own path."""
        net = pc.Sequential({"res": Residual({"fc": pc.Linear(5, 4)})})
        with pytest.raises(ShapeError, match=r"^res\.fc \(Linear\) expects 5 input features"):
            net.output_shape((4,))

    def test_invalid(self) -> None:
        """Two shortcuts, duplicate names and non-layers are refused."""
        with pytest.raises(ConfigError, match="one layer or a dict with one"):
            Residual(pc.ReLU(), {"a": pc.ReLU(), "b": pc.ReLU()})
        with pytest.raises(ConfigError, match="names must be unique"):
            Residual({"x": pc.ReLU()}, {"x": pc.ReLU()})
        with pytest.raises(TypeError, match="`block` must be a paramcalc layer"):
            Residual("conv")  # type: ignore[arg-type]


class TestConcat:
    def test_channels(self) -> None:
        """Branches see the same input; channels add up; MACs add up."""
        cat = Concat({"a": pc.Conv2d(16, 8, 1), "b": pc.Conv2d(16, 24, 3, padding=1)})
        assert cat.output_shape((16, 10, 10)) == (32, 10, 10)
        # torch: FlopCounterMode / 2 = 12,800 + 345,600
        assert cat.macs((16, 10, 10)) == 358400
        assert [name for name, _ in cat.named_parameters()] == [
            "a.weight",
            "a.bias",
            "b.weight",
            "b.bias",
        ]

    @pytest.mark.parametrize(
        ("dim", "expected"), [(0, (6, 5)), (-2, (6, 5)), (1, (3, 10)), (-1, (3, 10))]
    )
    def test_dims(self, dim: int, expected: tuple[int, ...]) -> None:
        """dim counts per-sample dimensions; negative dims count from the end (torch.cat)."""
        cat = Concat(pc.Identity(), pc.ReLU(), dim=dim)
        assert cat.output_shape((3, 5)) == expected

    def test_mismatch(self) -> None:
        """Other dims must agree; the error names both branches and their shapes."""
        cat = pc.Sequential({"cat": Concat({"a": pc.Conv2d(3, 4, 1), "b": pc.Conv2d(3, 4, 3)})})
        with pytest.raises(
            ShapeError,
            match=r"^cat \(Concat\) cannot concatenate along dim 0: branch b gives \(4, 6, 6\) "
            r"but branch a gives \(4, 8, 8\); all other dimensions must agree$",
        ):
            cat.output_shape((3, 8, 8))

    def test_dim_out_of_range(self) -> None:
        """A dim beyond the outputs' rank is a ShapeError."""
        with pytest.raises(ShapeError, match="cannot concatenate along dim 2"):
            Concat(pc.Linear(3, 4), pc.Linear(3, 4), dim=2).output_shape((3,))


class TestSharing:
    def test_shared_layer_counts_once(self) -> None:
        """The same layer object twice: counted once, the second use marked (torch dedups)."""
        fc = pc.Linear(16, 16)
        net = pc.Sequential(fc, pc.ReLU(), fc)
        assert net.params() == 272
        assert [name for name, _ in net.named_parameters()] == ["0.weight", "0.bias"]
        report = net.report((16,))
        assert [(row.params, row.shared_with) for row in report.rows] == [
            (272, None),
            (0, None),
            (0, "0"),
        ]
        assert report.params == 272
        assert report.params_per_use == 544
        assert report.macs == 512  # both uses compute

    def test_tied_weight_counts_once(self) -> None:
        """A head tied to an embedding-like weight: one count, the tie on the row."""
        net = pc.Sequential({"enc": pc.Linear(8, 8), "dec": pc.Linear(8, 8).tied_to("enc.weight")})
        # torch: dec.weight = enc.weight -> named_parameters: enc.weight, enc.bias, dec.bias
        assert list(net.named_parameters()) == [
            ("enc.weight", (8, 8)),
            ("enc.bias", (8,)),
            ("dec.bias", (8,)),
        ]
        assert net.params() == 80
        report = net.report((8,))
        assert (report.params, report.params_per_use) == (80, 144)
        assert report.rows[1].shared_with == "enc.weight"
        assert report.rows[1].kind == "Tied"

    def test_tied_frozen_copy(self) -> None:
        """Freezing a network freezes the tied layer's own tensors too."""
        net = pc.Sequential({"enc": pc.Linear(8, 8), "dec": pc.Linear(8, 8).tied_to("enc.weight")})
        assert net.freeze().trainable_params() == 0
        assert net.freeze("dec").trainable_params() == 72

    def test_tie_target_checked(self) -> None:
        """A tie to a missing tensor or to one of another shape is a ConfigError at report time."""
        missing = pc.Sequential({"a": pc.Linear(4, 4), "b": pc.Linear(4, 4).tied_to("c.weight")})
        with pytest.raises(ConfigError, match=r"'c\.weight', which is not a parameter"):
            missing.report()
        wrong = pc.Sequential({"a": pc.Linear(4, 5), "b": pc.Linear(4, 4).tied_to("a.weight")})
        with pytest.raises(ConfigError, match=r"shape \(4, 4\) to 'a.weight' of shape \(5, 4\)"):
            wrong.report()

    def test_tied_invalid(self) -> None:
        """Tying a tensor the layer lacks, or a container, is refused."""
        with pytest.raises(ConfigError, match="Linear has no parameter 'bias'"):
            pc.Linear(4, 4, bias=False).tied_to("x.bias", tensor="bias")
        with pytest.raises(TypeError, match="leaf layer"):
            Tied(pc.Sequential(pc.Linear(2, 2)), {"weight": "x.weight"})

    def test_tied_repr(self) -> None:
        """The repr is a constructor call."""
        tied = pc.Linear(4, 4).tied_to("a.weight")
        assert repr(tied) == "Tied(Linear(4, 4), {'weight': 'a.weight'})"


def test_composites_are_layers() -> None:
    """Graph blocks nest in containers and in one another."""
    inner: Layer = Repeat(Residual({"fc": pc.Linear(6, 6)}), 3)
    net = pc.Sequential(Concat(inner, pc.Linear(6, 2), dim=-1), pc.Linear(8, 1))
    assert net.output_shape((6,)) == (1,)
    assert net.params() == 3 * 42 + 14 + 9


def test_repeat_of_a_module() -> None:
    """A Module written the torch way repeats like any block."""

    class Block(pc.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc1 = pc.Linear(8, 16)
            self.fc2 = pc.Linear(16, 8)

    repeated = Repeat(Block(), 3)
    assert repeated.params() == 3 * (8 * 16 + 16 + 16 * 8 + 8)
    assert [name for name, _ in repeated.named_parameters()][:3] == [
        "0.fc1.weight",
        "0.fc1.bias",
        "0.fc2.weight",
    ]
    assert repeated.output_shape((8,)) == (8,)


class TestRoundTrip:
    def test_graph_blocks_from_dict(self) -> None:
        """A JSON report of graph blocks rebuilds the same network (from_dict)."""
        import json

        from paramcalc.serial import from_dict

        fc = pc.Linear(4, 4)
        net = pc.Sequential(
            Residual({"fc": pc.Linear(4, 4)}, pc.Linear(4, 4)),
            Repeat(pc.Sequential(fc, fc), 3, prefix="layer"),
            Concat(pc.Linear(4, 2), pc.Linear(4, 3), dim=-1),
            pc.Linear(5, 5),
        )
        back = from_dict(json.loads(json.dumps(net.report((4,)).to_dict())))
        assert back == net
        assert back.report((4,)).rows == net.report((4,)).rows

    def test_tie_from_dict(self) -> None:
        """A tied head comes back tied: its row names the target, not a shared layer."""
        import json

        from paramcalc.serial import from_dict

        net = pc.Sequential({"emb": pc.Linear(4, 4), "head": pc.Linear(4, 4).tied_to("emb.weight")})
        back = from_dict(json.loads(json.dumps(net.report().to_dict())))
        assert back == net
        assert back.report().params_per_use == 40


def test_nested_repeats_with_changing_shapes() -> None:
    """Repeat of a Repeat whose shape shrinks: every copy counted once, rows add up."""
    inner = Repeat(pc.Conv2d(4, 4, 3, stride=2, padding=1), 2)
    nested = Repeat(inner, 3)
    explicit = pc.Sequential(
        *(
            pc.Sequential(*(pc.Conv2d(4, 4, 3, stride=2, padding=1) for _ in range(2)))
            for _ in range(3)
        )
    )
    report = nested.report((4, 64, 64))
    assert report.params == nested.params() == explicit.params() == 6 * 148
    assert sum(row.params for row in report.leaves()) == report.params
    assert [(r.path, r.params, r.output_shape, r.macs) for r in report.rows] == [
        (r.path, r.params, r.output_shape, r.macs) for r in explicit.report((4, 64, 64)).rows
    ]


def _random_graph(rng: Any, width: int, depth: int) -> Layer:
    """A random network of Linear/ReLU, shared layers, residuals, concats and repeats."""
    shared = pc.Linear(width, width, bias=rng.random() < 0.5)
    parts: list[Layer] = []
    for _ in range(rng.randint(1, 4)):
        choice = rng.randrange(6)
        if choice == 0 or depth == 0:
            parts.append(pc.Linear(width, width, bias=rng.random() < 0.5))
        elif choice == 1:
            parts.append(shared)
        elif choice == 2:
            parts.append(Residual(_random_graph(rng, width, depth - 1)))
        elif choice == 3:
            half = pc.Linear(width, width // 2)
            parts.append(Concat(half, pc.Linear(width, width - width // 2), dim=-1))
        elif choice == 4:
            parts.append(Repeat(_random_graph(rng, width, depth - 1), rng.randint(1, 5)))
        else:
            parts.append(pc.ReLU())
    return pc.Sequential(*parts)


def test_random_graph_invariants() -> None:
    """Rows add up to the totals, the formula to params(), names to the counts; JSON round trip."""
    import json
    import random

    from paramcalc.serial import from_dict
    from paramcalc.shapes import numel

    rng = random.Random(7)
    for _ in range(150):
        width = rng.randint(2, 9)
        net = _random_graph(rng, width, 2)
        report = net.report((3, width))
        assert sum(row.params for row in report.leaves()) == report.params == net.params()
        assert sum(row.macs or 0 for row in report.leaves()) == report.macs == net.macs((3, width))
        assert net.explain().value == net.params()
        assert sum(numel(shape) for _, shape in net.named_parameters()) == net.params()
        assert report.params_per_use >= report.params
        back = from_dict(json.loads(json.dumps(report.to_dict())))
        assert back.params() == net.params()
        assert list(back.named_parameters()) == list(net.named_parameters())
        assert back.macs((3, width)) == net.macs((3, width))
