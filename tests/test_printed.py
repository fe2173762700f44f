"""Reading print(model) output: torch's own text and totals for real model shapes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import paramcalc as nn
from paramcalc import SpecError
from paramcalc.printed import looks_printed, read_printed

FIXTURES = Path(__file__).parent / "fixtures" / "printed"


def _missing(*kinds: str) -> pytest.MarkDecorator:
    return pytest.mark.xfail(
        strict=False, reason=f"layer types not yet in paramcalc: {', '.join(kinds)}"
    )


# (fixture, parameters torch shows no module for, layers paramcalc may lack)
FIXTURE_CASES = [
    pytest.param("lenet", 0, id="lenet"),
    pytest.param("mixer", 0, id="mixer"),
    pytest.param("odd_arguments", 0, id="odd_arguments"),
    pytest.param("vgg11", 0, id="vgg11"),
    pytest.param("resnet18", 0, id="resnet18"),
    pytest.param("attention", 0, id="attention"),
    # the class token (1·1·64), never printed, is known from torchvision's VisionTransformer
    pytest.param("tiny_vit", 0, id="tiny_vit"),
]


def _facts(name: str) -> dict[str, object]:
    facts: dict[str, object] = json.loads((FIXTURES / f"{name}.json").read_text())
    return facts


@pytest.mark.parametrize(("name", "hidden"), FIXTURE_CASES)
def test_counts_match_torch(name: str, hidden: int) -> None:
    """The network read from print(model) has torch's parameter names, shapes and total."""
    network, _ = read_printed((FIXTURES / f"{name}.txt").read_text())
    facts = _facts(name)
    assert network.params() == facts["params"] - hidden  # type: ignore[operator]
    expected = [(key, tuple(shape)) for key, shape in facts["parameters"]]  # type: ignore[attr-defined]
    if not hidden:
        assert list(network.named_parameters()) == expected


KNOWN_TYPES = [
    pytest.param("lenet", id="lenet"),
    pytest.param("mixer", id="mixer"),
    pytest.param("odd_arguments", id="odd_arguments"),
    pytest.param("vgg11", id="vgg11"),
    pytest.param("resnet18", id="resnet18"),
    pytest.param("attention", id="attention"),
    pytest.param("tiny_vit", id="tiny_vit"),
]


@pytest.mark.parametrize("name", KNOWN_TYPES)
def test_every_layer_type_is_known(name: str) -> None:
    """No printed layer is left out as unknown."""
    _, warnings = read_printed((FIXTURES / f"{name}.txt").read_text())
    assert not [warning for warning in warnings if "is not a layer paramcalc knows" in warning]


def test_lenet_structure() -> None:
    """A custom module becomes a Module of that name with its children in order."""
    network, _warnings = read_printed((FIXTURES / "lenet.txt").read_text())
    assert type(network).__name__ == "Net"
    assert isinstance(network, nn.Module)
    assert [name for name, _ in network.children()] == [
        "conv1", "pool", "conv2", "flatten", "fc1", "fc2", "fc3", "relu",
    ]  # fmt: skip
    assert network.children().__next__()[1] == nn.Conv2d(1, 6, 5)


def test_compressed_repeats_stay_compressed() -> None:
    """`(0-11): 12 x Block(...)` filling a ModuleList is one Repeat of twelve counted copies."""
    network, _ = read_printed((FIXTURES / "mixer.txt").read_text())
    blocks = dict(network.children())["blocks"]
    assert isinstance(blocks, nn.Repeat)
    assert blocks.n == 12
    assert blocks.params() == 12 * (64 * 256 + 256 + 256 * 64 + 64)


def test_unquoted_arguments() -> None:
    """torch prints padding_mode=reflect and padding=same without quotes; they are read."""
    network, warnings = read_printed((FIXTURES / "odd_arguments.txt").read_text())
    assert isinstance(network, nn.Sequential)
    assert network[0] == nn.Conv2d(3, 8, 3, padding=1, padding_mode="reflect")
    assert network[1] == nn.Conv2d(8, 8, 3, padding="same", dilation=2, groups=4, bias=False)
    assert warnings == ()


def test_unknown_types_are_reported_not_guessed() -> None:
    """Unknown layers are left out and named with their paths in a warning."""
    text = "Sequential(\n  (0): Linear(in_features=4, out_features=4, bias=True)\n  (1): Swish()\n)"
    network, warnings = read_printed(text)
    assert network.params() == 20
    assert warnings == (
        "Swish is not a layer paramcalc knows: left out at 1; its parameters, if any, "
        "are not counted",
    )


def test_unknown_custom_classes_are_named_once() -> None:
    """A class paramcalc does not know may hold tensors of its own: named once, with its places."""
    block = "Blk(\n    (fc): Linear(in_features=4, out_features=4, bias=True)\n  )"
    text = f"Net(\n  (a): {block}\n  (b): {block}\n)"
    _, warnings = read_printed(text)
    assert warnings == (
        "print(model) does not show tensors a module holds itself (like a class token); these "
        "classes are not ones paramcalc knows, and any such tensors of theirs are not counted: "
        "Blk (a, b), Net (Net)",
    )


def test_multihead_attention_is_named() -> None:
    """MultiheadAttention, shown only through out_proj, is named once in a warning."""
    _, warnings = read_printed((FIXTURES / "attention.txt").read_text())
    named = [warning for warning in warnings if warning.startswith("MultiheadAttention at")]
    assert len(named) == 1


def test_a_single_printed_layer() -> None:
    """A one-line repr is a network of one layer."""
    network, warnings = read_printed("Linear(in_features=400, out_features=120, bias=True)\n")
    assert network == nn.Linear(400, 120)
    assert warnings == ()


def test_rejected_arguments_become_warnings() -> None:
    """A printed layer paramcalc cannot build is left out, saying why."""
    text = "Sequential(\n  (0): Dropout(p=1.5, inplace=False)\n)"
    _, warnings = read_printed(text)
    assert warnings[0].startswith("0 (line 2): Dropout(p=1.5, inplace=False) cannot be built")


class TestMalformed:
    @pytest.mark.parametrize(
        ("text", "pattern", "line", "column"),
        [
            ("Net(\n  (fc): Linear(in_features=4\n)", r"`Linear\(` is never closed", 2, 9),
            ("Net(\n  (fc): Linear(4, 4)\n", r"`Net\(` opened on line 1 is never closed", 1, 1),
            ("Net(\n  (fc): 42\n)", r"expected a layer like", 2, 9),
            ("Linear(4, 4)\nReLU()", r"text after the end of the model", 2, 1),
            ("Net(\n  (fc): Linear(4, 4 4)\n)", r"cannot read the arguments of Linear", 2, 19),
            ("Net(\n  (0-2): 2 x ReLU()\n)", r"a repeat must read", 2, 14),
            ("", r"no model found", 1, 1),
        ],
    )
    def test_position(self, text: str, pattern: str, line: int, column: int) -> None:
        """Text that is not print(model) output is refused with line and column."""
        with pytest.raises(SpecError, match=pattern) as caught:
            read_printed(text)
        assert (caught.value.line, caught.value.column) == (line, column)

    def test_arguments_are_not_executed(self) -> None:
        """Printed arguments go through the same literal-only reader as specs."""
        with pytest.raises(SpecError, match="not allowed"):
            read_printed("Net(\n  (fc): Linear(__import__('os').getpid(), 4)\n)")


def test_looks_printed() -> None:
    """print(model) output is told apart from a spec."""
    assert looks_printed((FIXTURES / "resnet18.txt").read_text())
    assert not looks_printed("Conv2d(1, 6, 5) Linear(400, 120)")


def test_windows_line_ends() -> None:
    """Text saved with CRLF line ends reads the same, positions included."""
    text = (FIXTURES / "lenet.txt").read_text()
    crlf, warnings = read_printed(text.replace("\n", "\r\n"))
    lf, same_warnings = read_printed(text)
    assert list(crlf.named_parameters()) == list(lf.named_parameters())
    assert warnings == same_warnings
    with pytest.raises(SpecError) as caught:
        read_printed("Net(\r\n  (fc): Linear(4, 4 4)\r\n)")
    assert (caught.value.line, caught.value.column) == (2, 19)
