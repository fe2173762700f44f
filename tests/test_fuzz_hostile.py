"""Hypothesis properties for issue 23's classes of defect: huge counts, hostile strings and numbers.

Each property draws inputs of one class and checks that every way in ends
within the time limit with the right number or a ParamcalcError whose
message is one short line.
"""

from __future__ import annotations

import json

from hypothesis import given, strategies as st

import paramcalc as pc
from paramcalc import ParamcalcError
from tests.test_fuzz import FUZZ, ends_cleanly, within

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
SMALL_LLAMA = pc.from_hf_config(
    {
        "model_type": "llama",
        "vocab_size": 64,
        "hidden_size": 16,
        "intermediate_size": 32,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
    }
)


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
