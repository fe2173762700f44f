"""Fuzzing every way in: each input ends, fast, with a result or a ParamcalcError.

The ways in are the spec parser, the ``print(model)`` reader, ``from_dict``,
``from_hf_config`` (dicts), the layer constructors and the command line
(``main()`` with captured streams). Each property runs a bounded number of
examples, each under a time limit, so the whole file takes seconds.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import json
import os
import signal
import sys
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import paramcalc as pc
from paramcalc import Layer, ParamcalcError
from paramcalc.cli import main
from paramcalc.errors import ParamcalcWarning
from paramcalc.printed import read_printed
from paramcalc.serial import layer_types
from paramcalc.spec import parse

LIMIT_S = 5.0
"""The longest one example may take (a hang fails the test instead of blocking it)."""

EXAMPLES = int(os.environ.get("PARAMCALC_FUZZ_EXAMPLES", "60"))
"""Examples per property: 60 in the plain run; set PARAMCALC_FUZZ_EXAMPLES for a longer hunt."""

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,  # a loaded CI machine is slow; LIMIT_S catches what is really slow
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=EXAMPLES == 60,  # the plain run: the same examples every time, no flaky CI
    database=None,
)

TYPES = sorted(layer_types())


@contextlib.contextmanager
def within(seconds: float = LIMIT_S) -> Iterator[None]:
    """Fail with TimeoutError if the block runs longer than ``seconds`` (POSIX main thread)."""
    if not hasattr(signal, "setitimer") or sys.platform == "win32":
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"an input took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def ends_cleanly(action: Callable[[], object]) -> object:
    """Run ``action``: a result or a ParamcalcError, within the time limit; nothing else."""
    with within(), warnings.catch_warnings():
        warnings.simplefilter("ignore", ParamcalcWarning)
        try:
            return action()
        except ParamcalcError as error:
            message = str(error)
            assert message, "an error without a message"
            return error


def exercise(layer: object) -> None:
    """Use a network every way a user would; only ParamcalcErrors may come out."""
    if not isinstance(layer, Layer):
        return

    def use() -> None:
        layer.params()
        layer.trainable_params()
        list(layer.named_parameters())
        repr(layer)
        str(layer.explain())
        report = layer.report()
        for form in ("text", "markdown", "html", "json"):
            report.render(form)
        pc.from_dict(json.loads(report.to_json()))
        layer.freeze()
        layer.memory()

    ends_cleanly(use)
    for shape in ((3, 32, 32), (16,), (10, 16), (1, 8, 8, 8)):

        def walk(shape: tuple[int, ...] = shape) -> str:
            text: str = layer.report(shape).render("text")
            return text

        ends_cleanly(walk)


# -- hostile values ------------------------------------------------------------------

NUMBERS = st.one_of(
    st.sampled_from([0, 1, 2, 3, -1, 2**31, 2**63 - 1, 2**63, 10**12, 10**400]),
    st.integers(4400, 5000).map(lambda digits: 10**digits),  # past str()'s 4,300 digits
    st.integers(min_value=-5, max_value=70),
    st.sampled_from([0.0, -0.0, 0.5, 1.5, float("nan"), float("inf"), -float("inf"), 1e308]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
)
STRINGS = st.one_of(
    st.sampled_from(
        ["", "x", "relu", "zeros", "same", "valid", "\n", "\x1b[31m", "é", "a.b", "\r"]
    ),
    st.text(max_size=12),
)
SCALARS = st.one_of(NUMBERS, STRINGS, st.none())
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(tuple),
        st.lists(inner, max_size=4),
        st.dictionaries(STRINGS, inner, max_size=3),
    ),
    max_leaves=8,
)


def _literal(value: object) -> str:
    """``value`` as spec text (floats' repr may be nan/inf: written as names, refused)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**100:
        return "1" + "0" * 120
    return repr(value)


@st.composite
def layer_calls(draw: st.DrawFn, depth: int = 0) -> str:
    """``Name(arg, key=arg)`` with hostile arguments, sometimes nested."""
    name = draw(st.sampled_from(TYPES))
    args: list[str] = []
    for _ in range(draw(st.integers(0, 4))):
        if depth < 2 and draw(st.integers(0, 5)) == 0:
            args.append(draw(layer_calls(depth + 1)))
        else:
            args.append(_literal(draw(SCALARS)))
    if draw(st.booleans()):
        key = draw(st.sampled_from(["bias", "stride", "padding", "groups", "trainable", "n", "p"]))
        args.append(f"{key}={_literal(draw(SCALARS))}")
    return f"{name}({', '.join(args)})"


# -- the ways in ---------------------------------------------------------------------------


class TestSpec:
    @FUZZ
    @given(st.text(max_size=60))
    def test_any_text(self, text: str) -> None:
        """Any text is a network or a SpecError."""
        exercise(ends_cleanly(lambda: parse(text)))

    @FUZZ
    @given(
        st.lists(layer_calls(), min_size=1, max_size=3), st.sampled_from([" ", "\n", ", ", "\r"])
    )
    def test_layer_calls(self, calls: list[str], separator: str) -> None:
        """Calls of every layer with hostile arguments: a network or a SpecError."""
        exercise(ends_cleanly(lambda: parse(separator.join(calls))))

    @FUZZ
    @given(layer_calls(), st.integers(0, 200), st.text(max_size=3))
    def test_mutated_calls(self, call: str, at: int, insert: str) -> None:
        """A valid-looking call with a few characters inserted."""
        at %= len(call) + 1
        exercise(ends_cleanly(lambda: parse(call[:at] + insert + call[at:])))


PRINTED = """Net(
  (features): Sequential(
    (0): Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
    (1): ReLU(inplace=True)
    (2): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
  )
  (blocks): ModuleList(
    (0-2): 3 x Linear(in_features=4, out_features=4, bias=True)
  )
  (norm): LayerNorm((4,), eps=1e-05, elementwise_affine=True)
  (fc): Linear(in_features=512, out_features=10, bias=True)
)"""


def test_printed_nul_in_arguments() -> None:
    """A NUL inside printed arguments is a SpecError on every Python (3.10 raised ValueError)."""
    with pytest.raises(ParamcalcError, match="cannot read the arguments of Linear"):
        read_printed("Net(\n  (fc): Linear(in_features=4,\x00 out_features=4, bias=True)\n)")


class TestPrinted:
    @FUZZ
    @given(st.integers(0, len(PRINTED)), st.integers(0, 20), st.text(max_size=8))
    def test_mutations(self, at: int, cut: int, insert: str) -> None:
        """print(model) text with a piece cut out and another put in."""
        text = PRINTED[:at] + insert + PRINTED[at + cut :]
        result = ends_cleanly(lambda: read_printed(text))
        if not isinstance(result, ParamcalcError):
            exercise(result.network)  # type: ignore[attr-defined]

    @FUZZ
    @given(st.lists(st.tuples(st.integers(0, 8), STRINGS, layer_calls()), max_size=6))
    def test_built_lines(self, lines: list[tuple[int, str, str]]) -> None:
        """Lines of ``(name): Layer(...)`` at random indents."""
        text = "Net(\n" + "".join(f"{' ' * i}({n}): {c}\n" for i, n, c in lines) + ")"
        result = ends_cleanly(lambda: read_printed(text))
        if not isinstance(result, ParamcalcError):
            exercise(result.network)  # type: ignore[attr-defined]


def _report_dict() -> dict[str, Any]:
    net = pc.Sequential(
        {
            "conv": pc.Conv2d(3, 8, 3, padding=1),
            "block": pc.Residual(pc.Sequential(pc.ReLU(), pc.Conv2d(8, 8, 1))),
            "rep": pc.Repeat(pc.Identity(), 3),
            "flat": pc.Flatten(),
            "fc": pc.Linear(8 * 32 * 32, 10),
        }
    )
    data: dict[str, Any] = json.loads(net.report((3, 32, 32)).to_json())
    return data


def _leaves(value: object, path: tuple[object, ...] = ()) -> Iterator[tuple[object, ...]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    yield path


def _replace(data: object, path: tuple[object, ...], value: object) -> object:
    if not path:
        return value
    head, *rest = path
    if isinstance(data, dict):
        return {k: _replace(v, tuple(rest), value) if k == head else v for k, v in data.items()}
    if isinstance(data, list):
        return [_replace(v, tuple(rest), value) if i == head else v for i, v in enumerate(data)]
    return data


REPORT = _report_dict()
PATHS = sorted(_leaves(REPORT), key=repr)


class TestFromDict:
    @FUZZ
    @given(st.lists(st.tuples(st.sampled_from(PATHS), VALUES), min_size=1, max_size=3))
    def test_mutated_reports(self, changes: list[tuple[tuple[object, ...], object]]) -> None:
        """A report with values replaced anywhere: a network or a ConfigError."""
        data: object = REPORT
        for path, value in changes:
            data = _replace(data, path, value)
        exercise(ends_cleanly(lambda: pc.from_dict(data)))  # type: ignore[arg-type]


HF_BASE: dict[str, Any] = {
    "model_type": "llama",
    "vocab_size": 100,
    "hidden_size": 16,
    "intermediate_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
}
HF_KEYS = [
    "model_type", "vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
    "num_attention_heads", "num_key_value_heads", "head_dim", "tie_word_embeddings",
    "attention_bias", "mlp_bias", "n_embd", "n_layer", "n_head", "n_positions", "n_inner",
    "max_position_embeddings", "type_vocab_size", "rope_scaling", "architectures",
]  # fmt: skip


class TestHF:
    @FUZZ
    @given(
        st.sampled_from(["llama", "mistral", "qwen2", "gpt2", "bert", "nope", 3]),
        st.dictionaries(st.sampled_from(HF_KEYS), VALUES, max_size=4),
    )
    def test_hostile_configs(self, model_type: object, changes: dict[str, object]) -> None:
        """Config dicts with hostile values: a network or a ConfigError."""
        config = {**HF_BASE, "model_type": model_type, **changes}
        exercise(ends_cleanly(lambda: pc.from_hf_config(config)))


CONSTRUCTORS = sorted(
    (name, cls)
    for name, cls in layer_types().items()
    if not inspect.isabstract(cls) and name not in ("Module",)
)


class TestConstructors:
    @FUZZ
    @given(
        st.sampled_from(CONSTRUCTORS),
        st.lists(VALUES, max_size=4),
        st.dictionaries(
            st.sampled_from(["bias", "stride", "padding", "trainable", "dim"]), VALUES, max_size=2
        ),
    )
    def test_hostile_arguments(
        self, entry: tuple[str, type[Layer]], args: list[object], kwargs: dict[str, object]
    ) -> None:
        """Every layer class with hostile arguments: a layer or a ConfigError, never a bare one.

        Python's own TypeError for a wrong number or name of arguments is the
        one exception (the call does not reach paramcalc).
        """
        _, cls = entry

        make: Callable[..., object] = cls

        def build() -> object:
            try:
                return make(*args, **kwargs)
            except TypeError as error:
                if "argument" in str(error) and not isinstance(error, ParamcalcError):
                    return None  # the call's signature, checked by Python
                raise

        exercise(ends_cleanly(build))

    @FUZZ
    @given(st.sampled_from([1, 2, 3, 100, 10**12, 2**63 - 1]))
    def test_huge_repeats(self, n: int) -> None:
        """Repeat of any count costs the same (params, shapes, MACs)."""
        net = pc.Repeat(pc.Linear(4, 4), n)
        assert ends_cleanly(net.params) == 20 * n
        assert ends_cleanly(lambda: net.macs((4,))) == 16 * n


CLI_FLAGS = [
    ["--total"], ["--ascii"], ["--explain"], ["-f", "json"], ["-f", "html"], ["-f", "markdown"],
    ["--depth", "0"], ["--columns", "name,params,shape,memory"], ["--include", "*"],
    ["--from", "printed"], ["--from", "json"], ["--dtype", "bf16"], ["--mixed-precision"],
    ["-b", "3"], ["--input", "1,1,32,32"], ["--input", "3,32,32"], ["--input", "0"], ["-i", "x"],
]  # fmt: skip
CLI_OPTIONS = st.lists(
    st.one_of(st.sampled_from(CLI_FLAGS), STRINGS.map(lambda text: [text])), max_size=4
).map(lambda groups: [part for group in groups for part in group])


class TestCLI:
    @FUZZ
    @given(st.one_of(layer_calls(), st.text(max_size=30), st.just(PRINTED)), CLI_OPTIONS)
    def test_main(self, model: str, options: list[str]) -> None:
        """main() exits 0, 1 or 2 with no traceback and no internal error."""
        out, err = io.StringIO(), io.StringIO()
        argv = [model, *options]
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), within():
            status = main(argv)
        assert status in (0, 1, 2), (argv, status, err.getvalue())
        assert "Traceback" not in err.getvalue()
        assert "internal error" not in err.getvalue(), (argv, err.getvalue())


def test_the_issue_reproducers() -> None:
    """The reproducers of issue 14 each end within a second with a number or a ParamcalcError."""
    reproducers: list[Callable[[], object]] = [
        lambda: pc.Linear(10**200, 10**200).report(),
        lambda: pc.Upsample(scale_factor=1e309),
        lambda: pc.Upsample(scale_factor=float("nan")),
        lambda: repr(pc.Linear(10**5000, 2)),
        lambda: parse("Sequential({{}: Linear(1, 1)})"),
        lambda: pc.Tied(pc.Linear(4, 4), 0),  # type: ignore[arg-type]
        lambda: parse("Linear(1,\r foo)"),
        lambda: pc.LSTM(1, 1, 10**12),
        lambda: pc.TransformerEncoder(pc.TransformerEncoderLayer(4, 1), 10**9),
        lambda: pc.AdaptiveAvgPool1d(10**12).report((1, 10**12)),
    ]
    for reproducer in reproducers:
        with within(1.0 if sys.platform != "win32" else LIMIT_S):
            result = ends_cleanly(reproducer)
        if isinstance(result, ParamcalcError):
            assert "\n" not in str(result)


@pytest.mark.parametrize("depth", [1000])
def test_deep_nesting(depth: int) -> None:
    """Networks nested 1,000 deep stop at the nesting limit with its message."""

    def build() -> Layer:
        net: Layer = pc.Linear(1, 1)
        for _ in range(depth):
            net = pc.Sequential(net)
        return net

    assert "nested at most 100 deep" in str(ends_cleanly(build))
