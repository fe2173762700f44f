"""The command line's inference options: the footer, the JSON key, the sweep, the device."""

from __future__ import annotations

import json

import pytest

from paramcalc.cli import main

ZOO = ["--zoo", "llama2-7b", "--depth", "0", "--ascii"]


def test_fits_on_a_device(capsys: pytest.CaptureFixture[str]) -> None:
    """--device answers fits / does not fit with the margin and a labelled bound."""
    args = [*ZOO, "--context", "32k", "-b", "4", "--weights", "nf4", "--kv-dtype", "fp8"]
    assert main([*args, "--device", "RTX-4090"]) == 0
    out = capsys.readouterr().out
    assert "RTX-4090 (23.99 GiB): does NOT fit" in out  # 24,564 MiB, as nvidia-smi reports
    assert "lower bound" in out
    assert "kept in bf16: model.embed_tokens" in out


def test_json_has_the_inference_key(capsys: pytest.CaptureFixture[str]) -> None:
    """-f json adds "inference" with its documented fields; the cache: 2·32·32·128·2 a token."""
    assert main([*ZOO, "-f", "json", "--context", "4096", "--device-memory", "24GiB"]) == 0
    data = json.loads(capsys.readouterr().out)["plans"]["inference"]
    assert data["kv_cache"]["bytes"] == 4096 * 524_288
    assert data["fit"]["memory"] == 24 * 2**30
    assert set(data["peak"]) >= {"weights", "kv_cache", "activations", "logits", "total", "stage"}
    assert data["peak"]["total"] == sum(data["peak"]["stage_terms"].values())


def test_sweep_table(capsys: pytest.CaptureFixture[str]) -> None:
    """--sweep context=1k..8k prints one row per doubling, the peak growing with the context."""
    assert main([*ZOO, "--context", "1k", "--sweep", "context=1k..8k"]) == 0
    out = capsys.readouterr().out
    for context in ("1,024", "2,048", "4,096", "8,192"):
        assert f"    {context} " in out


def test_unknown_device(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown device is a usage mistake (exit 2) pointing at --device list, not a traceback."""
    assert main([*ZOO, "--context", "1k", "--device", "Z80"]) == 2
    assert "no device called 'Z80'" in capsys.readouterr().err


def test_bad_context(capsys: pytest.CaptureFixture[str]) -> None:
    """A context that is not a count is a usage error."""
    assert main([*ZOO, "--context", "lots"]) == 2


@pytest.mark.parametrize("fmt", [[], ["-f", "markdown"]], ids=["text", "markdown"])
def test_footer_answers_the_question(capsys: pytest.CaptureFixture[str], fmt: list[str]) -> None:
    """--context asks about inference: no training line in the footer; without it, unchanged."""
    from pathlib import Path

    config = str(Path(__file__).parent / "fixtures" / "hf" / "llama-2-7b.json")
    assert main([config, "--depth", "0", "--ascii", *fmt, "--context", "4k"]) == 0
    asked = capsys.readouterr().out
    assert (
        "Inference (prefill, 4,096 tokens" in asked or "Inference: **prefill, 4,096 tokens" in asked
    )
    assert "Training" not in asked
    assert "Parameter memory" in asked
    assert main([config, "--depth", "0", "--ascii", *fmt]) == 0
    plain = capsys.readouterr().out
    assert "Training states (adamw, fp32)" in plain
    assert "107,814,649,856 B" in plain  # 16 B a parameter: weights, gradients, two AdamW moments
