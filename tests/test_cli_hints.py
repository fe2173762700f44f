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
