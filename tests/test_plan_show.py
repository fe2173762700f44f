"""Plans show themselves (text, escaped HTML) and join a report drawn by every renderer."""

from __future__ import annotations

import json

from paramcalc.plan import fit
from paramcalc.plan.summary import plan_training
from paramcalc.zoo import get


def _fit() -> object:
    return fit(get("llama2-7b"), 1024, device_name="RTX-4090")


def test_fit_text_and_repr() -> None:
    """print(fit) shows the answer; repr is one readable line, not a dataclass dump."""
    answer = _fit()
    assert "RTX-4090:" in str(answer)
    assert "Largest context:" in str(answer)
    assert repr(answer).startswith("Fit(RTX-4090: fits, peak ")
    assert "Inference(" not in repr(answer)


def test_html_is_escaped() -> None:
    """The HTML is a table whose cells are escaped."""
    page = _fit()._repr_html_()  # type: ignore[attr-defined]
    assert page.startswith('<table class="paramcalc-plan">')
    assert "<td>" in page


def test_report_with_fit_renders_everywhere() -> None:
    """report.with_plans(fit(...)) draws in text, Markdown, HTML and JSON (no traceback)."""
    report = get("llama2-7b").report((16,)).with_plans(_fit())
    for fmt in ("text", "markdown", "html"):
        assert "Largest context" in report.render(fmt)
    assert json.loads(report.render("json"))["plans"]["fit"]["device"] == "RTX-4090"


def test_training_summary_shows_itself() -> None:
    """plan_training(...) prints its footer lines and has an HTML table."""
    summary = plan_training(get("gpt2"), seq_len=1024, device="A100-80GB")
    assert str(summary).startswith("Training plan (per device):")
    assert summary._repr_html_().startswith("<table")
