"""Hypothesis properties for issue 23's classes of defect: huge counts, hostile strings and numbers.

Each property draws inputs of one class and checks that every way in ends
within the time limit with the right number or a ParamcalcError whose
message is one short line.
"""

from __future__ import annotations

import contextlib
import io
import json
import warnings
from pathlib import Path
from typing import Any

from hypothesis import given, strategies as st

import paramcalc as pc
from paramcalc import ParamcalcError
from paramcalc.cli import main
from tests.test_fuzz import FUZZ, NUMBERS, STRINGS, VALUES, ends_cleanly, within

HUGE_COUNTS = st.one_of(
    st.sampled_from([1, 2, 10**6, 10**9, 10**12, 2**62, 2**63 - 1]),
    st.integers(min_value=1, max_value=2**63 - 1),
)


class TestHugeCounts:
    @FUZZ
    @given(HUGE_COUNTS, st.booleans(), st.sampled_from(["text", "json", "html", "markdown"]))
    def test_tied_stack_reports(self, n: int, to_last: bool, form: str) -> None:
        """A tied network around a stack of any length reports at a cost independent of n."""
        target = f"body.{n - 1}.weight" if to_last else "emb.weight"
        net = pc.Sequential(
            {
                "emb": pc.Embedding(4, 4),
                "body": pc.Repeat(pc.Linear(4, 4, bias=False), n),
                "head": pc.Tied(pc.Linear(4, 4, bias=False), {"weight": target}),
            }
        )
        with within(2.0):
            report = net.report()
            report.render(form)
            again = pc.from_dict(json.loads(report.to_json()))
        assert report.params == 16 + 16 * n
        assert again.params() == report.params

    @FUZZ
    @given(HUGE_COUNTS, st.integers(min_value=0, max_value=3))
    def test_tie_past_the_stack_is_refused(self, n: int, past: int) -> None:
        """A tie to a copy the stack does not have is a ConfigError, however long the stack."""
        net = pc.Sequential(
            {
                "body": pc.Repeat(pc.Linear(4, 4, bias=False), n),
                "head": pc.Tied(pc.Linear(4, 4, bias=False), {"weight": f"body.{n + past}.weight"}),
            }
        )
        result = ends_cleanly(net.report)
        assert isinstance(result, ParamcalcError)
        assert "not a parameter of the network" in str(result)


REGEX_PARTS = st.sampled_from(
    ["(", ")", "*", "+", "?", "{99999999999}", "{2,}", "|", "\\w", "\\1", ".", "[", "]", "a", "Z"]
)
HOSTILE_PATTERNS = st.one_of(
    st.lists(REGEX_PARTS, max_size=12).map("".join),
    st.text(max_size=20),
    st.sampled_from([r"(\w*)*Z", r"(a+)+$", r"(a|aa)*b", ".*" * 6 + "Z", "x" * 5000]),
)
SMALL_LLAMA_CONFIG: dict[str, Any] = {
    "model_type": "llama",
    "vocab_size": 64,
    "hidden_size": 16,
    "intermediate_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
}
SMALL_LLAMA = pc.from_hf_config(SMALL_LLAMA_CONFIG)


class TestHostileStrings:
    @FUZZ
    @given(
        st.sampled_from(
            ["target_modules", "exclude_modules", "rank_pattern", "alpha_pattern", "save"]
        ),
        HOSTILE_PATTERNS,
    )
    def test_lora_patterns(self, where: str, pattern: str) -> None:
        """Any string where PEFT takes a regex or a name: adapted or a short ConfigError, fast."""
        keywords: dict[str, object] = {"target_modules": ["q_proj"]}
        if where in ("rank_pattern", "alpha_pattern"):
            keywords[where] = {pattern: 4}
        elif where == "save":
            keywords["modules_to_save"] = [pattern]
        else:
            keywords[where] = pattern

        def adapt() -> int:
            return pc.lora(SMALL_LLAMA, **keywords).trainable_params()  # type: ignore[arg-type]

        with within(2.0):
            result = ends_cleanly(adapt)
        if isinstance(result, ParamcalcError):
            assert "\n" not in str(result)
            assert len(str(result)) < 600


NUMBER_TEXT = st.one_of(
    st.sampled_from(
        ["inf", "-inf", "nan", "1e400", "0", "-1", "0.5", "1.5", "2e12", "9" * 5000, "1k", "8k"]
    ),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(alphabet="0123456789.eE+-kKmMGiB", max_size=12),
)
NUMBER_FLAGS = st.sampled_from(
    [
        ("--tokens", "{}"),
        ("--context", "{}"),
        ("--device-memory", "{}"),
        ("--sweep", "context={}..4k"),
        ("--sweep", "batch=1..{}"),
        ("--lora", "r=4,alpha={},q_proj"),
        ("--lora", "r={},q_proj"),
        ("--mfu", "{}"),
        ("--seq", "{}"),
        ("--micro-batch", "{}"),
    ]
)
QWEN = str(Path(__file__).parent / "fixtures" / "hf" / "qwen2-0.5b.json")


class TestHostileNumbers:
    @FUZZ
    @given(st.lists(st.tuples(NUMBER_FLAGS, NUMBER_TEXT), min_size=1, max_size=3))
    def test_number_flags(self, flags: list[tuple[tuple[str, str], str]]) -> None:
        """Any number text in a numeric flag: exit 0, 1 or 2, no traceback, no internal error."""
        argv = [QWEN, "--train", "--seq", "64", "--device", "H100-80GB", "--context", "1k"]
        for (flag, template), text in flags:
            argv += [flag, template.format(text)]
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), within():
            status = main(argv)
        assert status in (0, 1, 2), (argv, status)
        assert "Traceback" not in err.getvalue()
        assert "internal error" not in err.getvalue(), (argv, err.getvalue())
        assert all(len(line) < 2_000 for line in err.getvalue().splitlines())


GPT2_REPORT: dict[str, Any] = json.loads(pc.zoo.gpt2(n_layer=2).report((16,)).to_json())
STORED_FIELDS = sorted(
    (index, key)
    for index, row in enumerate(GPT2_REPORT["rows"])
    if row["spec"]["type"] in ("GPT2Attention", "GPT2Block", "GPT2MLP", "Attend", "GPT2Model")
    for key in row["spec"].get("args", {})
)


class TestHostileReports:
    @FUZZ
    @given(
        st.sampled_from(STORED_FIELDS),
        st.one_of(VALUES, st.just({"$layer": {"type": "Nope"}}), st.just({"$child": "x"})),
    )
    def test_stored_blocks(self, where: tuple[int, str], value: object) -> None:
        """A zoo block's stored field replaced by anything: from_dict builds it or refuses it.

        A network from_dict accepts renders in every format without error.
        """
        index, key = where
        data = json.loads(json.dumps(GPT2_REPORT))
        data["rows"][index]["spec"]["args"][key] = value
        result = ends_cleanly(lambda: pc.from_dict(data))
        if isinstance(result, ParamcalcError):
            assert "\n" not in str(result)
            return
        assert isinstance(result, pc.Layer)
        with within():
            report = result.report((16,))
            for form in ("text", "json", "html", "markdown"):
                report.render(form)


class TestHostileNumberArguments:
    @FUZZ
    @given(
        st.sampled_from(["memory", "context", "batch", "r", "lora_alpha", "tokens"]),
        st.one_of(NUMBERS, STRINGS, st.lists(NUMBERS, max_size=2)),
    )
    def test_planner_arguments(self, name: str, value: object) -> None:
        """Any value as a planner's number: a result or a ParamcalcError naming the argument."""
        from paramcalc.plan.devices import fit
        from paramcalc.plan.inference import inference_memory

        def plan() -> object:
            if name == "memory":
                return fit(SMALL_LLAMA, 16, memory=value)  # type: ignore[arg-type]
            if name in ("context", "batch"):
                arguments: dict[str, Any] = {"context": 16, "batch": 1, name: value}
                return inference_memory(SMALL_LLAMA, **arguments).total
            if name == "tokens":
                return pc.plan_training(
                    SMALL_LLAMA,
                    seq_len=16,
                    device="H100-80GB",
                    tokens=value,  # type: ignore[arg-type]
                ).seconds
            keywords: dict[str, Any] = {name: value}
            return pc.lora(SMALL_LLAMA, target_modules=["q_proj"], **keywords)

        result = ends_cleanly(plan)
        if isinstance(result, ParamcalcError):
            assert "\n" not in str(result)
            assert len(str(result)) < 600
            if name in ("memory", "r", "lora_alpha", "tokens"):
                assert name in str(result)


LONG_STRINGS = st.one_of(
    st.integers(min_value=100, max_value=200_000).map(lambda n: "x" * n),
    st.integers(min_value=1, max_value=1_000).map(lambda n: ["y" * 1000] * n),
    st.text(min_size=50, max_size=400),
)


class TestLongEchoes:
    @FUZZ
    @given(st.sampled_from(["model_type", "layer_types", "architectures", "rope_scaling"]),
           LONG_STRINGS)  # fmt: skip
    def test_config_messages_are_short(self, key: str, value: object) -> None:
        """A huge string or list in a config: any error or warning stays under 1,000 characters."""
        config: dict[str, Any] = {**SMALL_LLAMA_CONFIG, key: value}
        if key == "architectures" and isinstance(value, str):
            config[key] = [value]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = ends_cleanly(lambda: pc.from_hf_config(config))
        if isinstance(result, ParamcalcError):
            assert len(str(result)) < 1_000
        assert all(len(str(item.message)) < 1_000 for item in caught)
