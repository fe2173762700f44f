"""Reading layer specs without eval: what is accepted, and every refusal with its position."""

from __future__ import annotations

import pytest

import paramcalc as nn
from paramcalc import SpecError
from paramcalc.spec import MAX_DEPTH, MAX_SIZE, parse, parse_layers

LENET = "Conv2d(1, 6, 5) MaxPool2d(2) Conv2d(6, 16, 5) MaxPool2d(2) Flatten() Linear(400, 120) Linear(120, 84) Linear(84, 10)"  # noqa: E501


class TestAccepted:
    @pytest.mark.parametrize(
        "text",
        [
            LENET,
            LENET.replace(") ", "), "),
            LENET.replace(") ", ")\n"),
            LENET.replace(") ", ");  # a comment\n"),
            "nn." + LENET.replace(") ", ") nn."),
            "torch.nn." + LENET.replace(") ", ") torch.nn."),
            "Sequential(" + LENET.replace(") ", "), ") + ")",
        ],
    )
    def test_separators_and_prefixes(self, text: str) -> None:
        """Spaces, commas, lines, comments, nn./torch.nn. prefixes: the seed's LeNet, 61,706."""
        assert parse(text).params() == 61706
        assert parse(text).output_shape((1, 32, 32)) == (10,)

    def test_literals(self) -> None:
        """Keyword arguments, tuples, lists, strings, booleans, None and negative numbers."""
        layers = parse_layers(
            "Conv2d(3, 8, kernel_size=(3, 5), stride=[2, 1], padding='valid', bias=False)"
            " MaxPool2d(3, stride=None, ceil_mode=True) Flatten(-3, -1) Dropout(p=0.5)"
        )
        conv, pool, flatten, dropout = layers
        assert conv == nn.Conv2d(3, 8, (3, 5), stride=(2, 1), padding="valid", bias=False)
        assert pool == nn.MaxPool2d(3, ceil_mode=True)
        assert flatten == nn.Flatten(-3, -1)
        assert dropout == nn.Dropout(0.5)

    def test_nested_containers_and_dicts(self) -> None:
        """Sequential of a dict (or OrderedDict of pairs) names its children, as torch does."""
        net = parse(
            'Sequential({"features": Sequential(Conv2d(1, 6, 5), ReLU(inplace=True)),'
            ' "head": nn.Sequential(collections.OrderedDict([("flat", Flatten()),'
            ' ("fc", Linear(3456, 10))]))})'
        )
        names = [name for name, _ in net.named_parameters()]
        assert names == ["features.0.weight", "features.0.bias", "head.fc.weight", "head.fc.bias"]
        assert net.params() == 156 + 34570

    def test_module_list(self) -> None:
        """ModuleList takes a list of layers."""
        assert parse("ModuleList([Linear(4, 4), Linear(4, 4)])").params() == 40

    def test_one_call_is_that_layer(self) -> None:
        """A single call gives that layer, not a Sequential around it."""
        assert parse("  Linear(400, 120)\n") == nn.Linear(400, 120)

    def test_every_exported_layer_is_known(self) -> None:
        """Layers are looked up among paramcalc's exports, aliases included."""
        layers = parse_layers("Conv1d(1, 1, 1) Conv3d(1, 1, 1) Identity() MaxPool1d(2) MaxPool(2)")
        kinds = [type(layer).__name__ for layer in layers]
        assert kinds == ["Conv1d", "Conv3d", "Identity", "MaxPool1d", "MaxPool2d"]


def error_of(text: str) -> SpecError:
    with pytest.raises(SpecError) as caught:
        parse(text)
    return caught.value


REFUSALS = [
    # (text, message pattern, line, column)
    ("Linear(400, 120).weight", r"attribute access is not allowed.*`Linear\(...\).weight`", 1, 1),
    ("os.system('ls')", r"attribute access is not allowed.*`os.system`", 1, 1),
    ("Linear(1, 2)\n  torch.Linear(2, 3)", r"attribute access.*`torch.Linear`", 2, 3),
    ("Linear(1, 2)[0]", r"subscripts are not allowed", 1, 1),
    ("Linear(x[0], 2)", r"subscripts are not allowed.*`x\[0\]`", 1, 8),
    ("lambda x: x", r"lambda expressions are not allowed", 1, 1),
    ("Linear((lambda: 3)(), 2)", r"lambda expressions are not allowed", 1, 9),
    ("Sequential(*[Linear(2, 2) for _ in range(3)])", r"starred arguments are not allowed", 1, 12),
    ("ModuleList([Linear(2, 2) for _ in range(3)])", r"comprehensions are not allowed", 1, 12),
    ("Linear(f'{1}', 2)", r"f-strings are not allowed", 1, 8),
    ("Linear(2 * 200, 120)", r"operators are not allowed.*`2 \* 200`", 1, 8),
    ("Linear(1, 2) + Linear(2, 3)", r"operators are not allowed", 1, 1),
    ("Linear(-n, 2)", r"operators other than a sign on a number", 1, 8),
    ("Linear(not 1, 2)", r"operators other than a sign", 1, 8),
    ("Linear(1 if 1 else 2, 2)", r"conditional expressions are not allowed", 1, 8),
    ("Linear(**{'in_features': 1}, out_features=2)", r"`\*\*` unpacking is not allowed", 1, 10),
    ("Linear({1, 2}, 2)", r"sets are not allowed", 1, 8),
    ("Linear(1j, 2)", r"complex literals are not allowed", 1, 8),
    ("Linear(b'1', 2)", r"bytes literals are not allowed", 1, 8),
    ("__import__('os').system('ls')", r"attribute access is not allowed", 1, 1),
    ("exec('1')", r"`exec` is not a layer paramcalc knows", 1, 1),
    ("Lineer(400, 120)", r"`Lineer` is not a layer paramcalc knows; did you mean Linear\?", 1, 1),
    ("Linear(n, 2)", r"`n` is not a layer paramcalc knows", 1, 8),
    ("Linear", r"`Linear` must be called", 1, 1),
    ("Sequential(Linear, ReLU())", r"`Linear` must be called", 1, 12),
    ("Report()", r"`Report` is not a layer paramcalc knows", 1, 1),
    ("Layer()", r"`Layer` is not a layer paramcalc knows", 1, 1),
    ("400", r"expected a layer call like Linear\(400, 120\), found `400`", 1, 1),
    ("Linear(3 4)", r"cannot read this: invalid syntax. Perhaps you forgot a comma\?", 1, 8),
    ("Linear(400, 120", r"'\(' is never closed", 1, 7),
    ("Linear(400, 120))", r"unmatched '\)'", 1, 17),
    ("Linear(400, 'x)", r"this string is never closed", 1, 13),
    ("Linear(0, 120)", r"Linear: `in_features` must be at least 1. Received: in_features=0.", 1, 8),
    ("Conv2d(30, 8, 3, groups=4)", r"`in_channels` must be divisible by `groups`", 1, 8),
    ("Linear(4, out_features=True)", r"`out_features` must be an int.*True \(bool\)", 1, 24),
    (
        "Conv2d(1, 6)",
        r"Conv2d: missing 1 required positional argument: 'kernel_size'; the signature is "
        r"Conv2d\(in_channels, out_channels, kernel_size, stride=1,",
        1,
        1,
    ),
    ("Linear(1, 2, size=3)", r"Linear: got an unexpected keyword argument 'size'", 1, 1),
    ("", r"no layers given", 1, 1),
    ("# only a comment", r"no layers given", 1, 1),
]


@pytest.mark.parametrize(("text", "pattern", "line", "column"), REFUSALS)
def test_refused_with_position(text: str, pattern: str, line: int, column: int) -> None:
    """Anything but layer calls with literal arguments is refused, naming it and where it is."""
    error = error_of(text)
    assert error.line == line, error
    assert error.column == column, error
    with pytest.raises(SpecError, match=pattern):
        raise error


def test_nothing_is_executed(capsys: pytest.CaptureFixture[str]) -> None:
    """Code in a spec never runs: a call that would print is refused, and nothing prints."""
    with pytest.raises(SpecError, match="`print` is not a layer"):
        parse("print('ran') Linear(1, 2)")
    assert capsys.readouterr().out == ""


def test_huge_input_is_refused() -> None:
    """Text beyond the size limit is refused before any parsing."""
    text = "ReLU() " * (MAX_SIZE // 7 + 1)
    with pytest.raises(SpecError, match=r"the limit is 1,000,000"):
        parse(text)


def test_deep_nesting_is_refused() -> None:
    """Brackets nested beyond the limit are refused before Python's parser sees them."""
    text = "Sequential(" * (MAX_DEPTH + 1) + "ReLU()" + ")" * (MAX_DEPTH + 1)
    error = error_of(text)
    assert "nested deeper than 64 levels" in error.message
    assert (error.line, error.column) == (1, 11 * (MAX_DEPTH + 1))


def test_nesting_within_the_limit_is_fine() -> None:
    """Containers nested to just under the limit still parse."""
    depth = MAX_DEPTH - 1
    text = "Sequential(" * depth + "Linear(2, 2)" + ")" * depth
    assert parse(text).params() == 6


def test_columns_count_characters_not_bytes() -> None:
    """Positions after non-ASCII text are in characters."""
    error = error_of('Sequential({"é": Linear(1, 2)}, x)')
    assert (error.line, error.column) == (1, 33)
    assert error.source == 'Sequential({"é": Linear(1, 2)}, x)'


@pytest.mark.parametrize(
    "text",
    [
        "Linear(" + "-" * 200_000 + "1, 2)",
        "Linear(" + "not " * 100_000 + "1, 2)",
        "Linear(1" + "+1" * 100_000 + ", 2)",
        "Linear(a" + ".b" * 100_000 + ", 2)",
    ],
    ids=["signs", "nots", "sums", "attributes"],
)
def test_deep_expressions_are_refused(text: str) -> None:
    """Expressions too deep for Python's parser are a SpecError, not a crash.

    Python 3.10's parser reads the left-nested sums and attributes (3.11 and
    later refuse them as too deep); the reader then refuses the operator or
    the attribute: another SpecError, at the expression.
    """
    with pytest.raises(
        SpecError,
        match=r"line 1, column (1: cannot read this: it is nested too deeply"
        r"|8: (operators are|attribute access is) not allowed)",
    ):
        parse(text)


@pytest.mark.parametrize(
    ("text", "where"),
    [("Linear(1,\r foo)", (2, 2)), ("(\r1)", (2, 1)), ("Linear(1,\r\n foo)", (2, 2))],
)
def test_a_lone_carriage_return_ends_a_line(text: str, where: tuple[int, int]) -> None:
    """Python ends a line at a lone \\r; positions follow it instead of failing (IndexError)."""
    error = error_of(text)
    assert (error.line, error.column) == where


@pytest.mark.parametrize(
    "text",
    [
        "Sequential({{}: Linear(1, 1)})",
        "Sequential({(1, {}): Linear(1, 1)})",
        "Sequential(OrderedDict([({}, Linear(1, 1))]))",
    ],
)
def test_unhashable_dict_keys_are_spec_errors(text: str) -> None:
    """A dict key that is a dict is a SpecError naming the key, not a bare TypeError."""
    with pytest.raises(SpecError):
        parse(text)


def test_tied_targets_must_be_a_mapping() -> None:
    """Tied(layer, 0) is refused with the expected form of `targets`."""
    with pytest.raises(SpecError, match="`targets` must be a dict of tensor name"):
        parse("Tied(Linear(4, 4), 0)")
    with pytest.raises(nn.ConfigError, match="`targets` must be a dict"):
        nn.Tied(nn.Linear(4, 4), 0)  # type: ignore[arg-type]
    with pytest.raises(nn.ConfigError, match="`targets` must be a dict"):
        nn.Tied(nn.Linear(4, 4), [("weight",)])  # type: ignore[list-item]
