"""Hints: a missing file is one line (exit 2); a zoo name without --zoo and a Hub id say why."""

from __future__ import annotations

import pytest

from paramcalc.cli import main


@pytest.mark.parametrize(
    ("model", "hint"),
    [
        ("missing.json", "no such file: missing.json"),
        ("llama2-7b", "no such file: llama2-7b; did you mean --zoo llama2-7b?"),
        ("resnet5", "did you mean --zoo resnet50?"),
        ("meta-llama/Llama-3.1-8B", "a Hugging Face model id is not read from the network"),
    ],
)
def test_one_line(capsys: pytest.CaptureFixture[str], model: str, hint: str) -> None:
    """One error line, no usage block, exit 2."""
    assert main([model]) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [f"paramcalc: error: {err.split('error: ', 1)[1].strip()}"]
    assert hint in err
    assert "usage:" not in err


def test_layer_calls_still_read(capsys: pytest.CaptureFixture[str]) -> None:
    """Layer calls are not mistaken for a missing file."""
    assert main(["--total", "Linear(4, 4)"]) == 0
    assert capsys.readouterr().out == "20\n"


def test_lora_takes_peft_default_targets(capsys: pytest.CaptureFixture[str]) -> None:
    """--lora r=16 on Llama-2-7B: PEFT's q_proj/v_proj, said so. PEFT prints "trainable params:
    8,388,608 || all params: 6,746,804,224" for this model and config."""
    from pathlib import Path

    config = Path(__file__).parent / "fixtures" / "hf" / "llama-2-7b.json"
    assert main([str(config), "--lora", "r=16", "--total"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "6746804224\n"
    assert "PEFT 0.21.2's default for model_type llama" in captured.err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--zoo", "gpt2", "--lora", "16"], "a bare number is not a module name; the rank is r=16"),
        (["Linear(4, 4)", "--lora", "r=16"], "has none for this model"),
    ],
)
def test_lora_refusals(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    """A bare rank and a model without PEFT defaults are refused with the fix."""
    assert main([*argv, "--total"]) == 1
    assert message in capsys.readouterr().err
