"""Every plan joins a report and is drawn by every renderer (issue 18.4, issue 22.6).

Plans: ``Inference``, ``Fit``, ``TrainingPlan``, the training summary, a
``Sweep`` and the command line's ``InferencePlan``; formats: text, Markdown,
HTML (inside the page, names escaped) and JSON (under ``"plans"``, read back).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import pytest

from paramcalc import ModuleDict, from_dict
from paramcalc.cli import main
from paramcalc.layer import Layer
from paramcalc.plan import fit, inference_memory
from paramcalc.plan.cli import InferencePlan, plan
from paramcalc.plan.show import html, text as show_text
from paramcalc.plan.summary import plan_training
from paramcalc.plan.sweep import sweep
from paramcalc.plan.training import training_plan
from paramcalc.render.markdown import escape as md_escape
from paramcalc.zoo.language import llama

HOSTILE = "<script>alert(1)</script>"


def _net() -> Layer:
    """A small Llama inside a module whose name is a script tag."""
    small = llama(
        num_hidden_layers=2,
        hidden_size=256,
        intermediate_size=512,
        num_attention_heads=4,
        vocab_size=1000,
    )
    return ModuleDict({HOSTILE: small})


def _options(**changes: Any) -> argparse.Namespace:
    values: dict[str, Any] = {
        "context": 128,
        "sweep": ("context", [64, 128]),
        "batch_size": 1,
        "weights": "nf4",
        "dtype": None,
        "kv_dtype": None,
        "attention": None,
        "phase": "prefill",
        "logits": None,
        "logits_dtype": None,
        "group_size": None,
        "device": None,
        "device_memory": 2**30,
    }
    return argparse.Namespace(**{**values, **changes})


NET = _net()
PLANS: dict[str, Any] = {
    "peak": inference_memory(NET, 128),
    "fit": fit(NET, 128, memory=2**30),
    "training_memory": training_plan(NET, seq_len=128),
    "training": plan_training(NET, seq_len=128, device="A100-80GB"),
    "sweep": sweep(NET, "context", [64, 128], memory=2**30),
    "inference": InferencePlan(plan(NET, _options())),
}


@pytest.mark.parametrize("key", sorted(PLANS))
def test_text(key: str) -> None:
    """Text: a plan's lines in the totals, or its own block after a blank line."""
    item = PLANS[key]
    page = NET.report((16,)).with_plans(item).render("text", depth=0)
    if hasattr(item, "text_block"):
        assert page.endswith("\n\n" + item.text_block())
        assert str(item) == item.text_block()
    else:
        for label, value in item.footer_lines():
            total = value.partition(" = ")[0]
            assert f"{(label + ':').ljust(21)} {total}\n" in page + "\n"
        assert str(item) == show_text(item.footer_lines())


@pytest.mark.parametrize("key", sorted(PLANS))
def test_markdown(key: str) -> None:
    """Markdown: each line an item of the totals' list, a sweep's rows a table."""
    item = PLANS[key]
    page = NET.report((16,)).with_plans(item).render("markdown", depth=0)
    for label, _ in item.footer_lines():
        assert f"- {md_escape(label)}: " in page
    if hasattr(item, "table") and item.table() is not None:
        headers, cells = item.table()
        assert "| context | batch | kv cache" in page
        first = cells[0][headers.index("context")]
        assert any(line.startswith(f"| {first.rjust(7)} |") for line in page.splitlines())
        assert "|--------:|" in page


@pytest.mark.parametrize("key", sorted(PLANS))
def test_html(key: str) -> None:
    """HTML: the plan inside the report's one outer div, every name escaped."""
    item = PLANS[key]
    page = NET.report((16,)).with_plans(item).render("html", depth=0)
    assert page.startswith('<div class="paramcalc-report">')
    assert page.endswith("</div>")
    assert page.count("</div>") == 1
    assert HOSTILE not in page
    label = item.footer_lines()[0][0]
    assert page.index(f"<dt>{label}</dt>") < page.index("</div>")
    if hasattr(item, "table") and item.table() is not None:
        assert page.count("<table>") == 2  # the layers' and the sweep's, both styled as one
        assert page.rindex("<table>") > page.index("</dl>")
    plain = item._repr_html_()
    assert plain.startswith('<table class="paramcalc-plan">')
    assert HOSTILE not in plain


@pytest.mark.parametrize("key", sorted(PLANS))
def test_json_reads_back(key: str) -> None:
    """JSON: the plan's to_dict() under "plans" → its key; from_dict rebuilds the network."""
    item = PLANS[key]
    assert item.key == key
    data = json.loads(NET.report((16,)).with_plans(item).render("json"))
    assert data["plans"][key] == json.loads(json.dumps(item.to_dict()))
    assert from_dict(data).params() == NET.params()


@pytest.mark.parametrize("key", sorted(PLANS))
def test_repr_is_one_line(key: str) -> None:
    """repr() is one readable line naming the kind, not a dataclass dump."""
    shown = repr(PLANS[key])
    assert "\n" not in shown
    assert len(shown) < 200
    assert "stage_terms" not in shown
    assert "activations_no_checkpointing" not in shown


def test_reprs() -> None:
    """The one-line reprs, exactly."""
    peak = PLANS["peak"]
    assert repr(peak) == (
        f"Inference(prefill, 128 tokens × 1: peak {peak.footer_lines()[1][1].split(' at')[0]} "
        f"at the {peak.stage} stage)"
    )
    assert repr(PLANS["sweep"]).startswith("Sweep(context: 64 to 128, 2 rows, peak ")
    assert repr(PLANS["training_memory"]).startswith("TrainingPlan(1 device(s), adamw, ")
    assert repr(PLANS["inference"]).startswith("InferencePlan(128 tokens × 1: peak ")
    assert repr(PLANS["training"]).startswith("TrainingSummary(A100-80GB: fits, peak ")
    assert PLANS["inference"]._repr_html_().startswith(html(PLANS["inference"].footer_lines()))


def test_fit_lines_start_with_the_peaks() -> None:
    """A Fit's lines are its peak's lines, then the device's answer."""
    peak, answer = PLANS["peak"], PLANS["fit"]
    assert answer.footer_lines()[: len(peak.footer_lines())] == peak.footer_lines()


def test_training_plan_replaces_the_simple_figure() -> None:
    """With a training plan in the report, the footer's simpler training figure is left out."""
    page = NET.report((16,)).with_plans(PLANS["training_memory"]).render("text", depth=0)
    assert "Training peak (" not in page
    assert "Training states (" not in page
    assert "Training plan (per device):" in page


def test_sweep_refuses_bad_input() -> None:
    """A sweep of nothing, of a string or over an unknown quantity is refused by name."""
    from paramcalc.errors import ConfigError

    with pytest.raises(ConfigError, match="`varies`"):
        sweep(NET, "heads", [1])
    with pytest.raises(ConfigError, match="`values`"):
        sweep(NET, "context", [])
    with pytest.raises(ConfigError, match="`values`"):
        sweep(NET, "weights", "nf4")


ZOO = ["--zoo", "llama2-7b", "--depth", "0", "--ascii", "--context", "1k"]


def test_cli_text_is_the_block(capsys: pytest.CaptureFixture[str]) -> None:
    """Text: the report, a blank line, then the inference block, as before the channel."""
    args = [*ZOO, "--sweep", "context=1k..4k", "--device-memory", "24GiB"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "\n\nInference (prefill, 1,024 tokens × 1, weights bf16" in out
    assert out.rstrip("\n").endswith("    4,096     1     2.00 GiB   388.06 MiB    14.93 GiB  yes")


def test_cli_markdown_and_html(capsys: pytest.CaptureFixture[str]) -> None:
    """Markdown: a list and a table, no raw text block; HTML: inside the page's div."""
    args = [*ZOO, "--sweep", "context=1k..2k"]
    assert main([*args, "-f", "markdown"]) == 0
    out = capsys.readouterr().out
    assert "- Inference: **prefill, 1,024 tokens × 1" in out
    assert "| context | batch | kv cache   | activations | peak      |" in out
    assert "  weights           12.55 GiB" not in out
    assert main([*args, "-f", "html"]) == 0
    page = capsys.readouterr().out.rstrip("\n")
    assert page.endswith("</div>")
    assert page.count("</div>") == 1
    assert page.index("<dt>Inference</dt>") < page.index("</div>")
    assert '<td class="num">2,048</td>' in page
