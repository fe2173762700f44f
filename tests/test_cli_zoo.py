"""``paramcalc --zoo NAME``: reference networks from the command line."""

from __future__ import annotations

import pytest

from paramcalc.cli import main


def test_zoo_total(capsys: pytest.CaptureFixture[str]) -> None:
    """--zoo gpt2 --total prints the published tied total."""
    assert main(["--zoo", "gpt2", "--total"]) == 0
    assert capsys.readouterr().out == "124439808\n"


def test_zoo_report_at_standard_input(capsys: pytest.CaptureFixture[str]) -> None:
    """Without --input a zoo network runs at its standard input; --input overrides it."""
    assert main(["--zoo", "ResNet-50", "--depth", "0", "--ascii"]) == 0
    out = capsys.readouterr().out
    assert "Total params:          25,557,032 (25.6M)" in out
    assert "Input shape:          (3, 224, 224) per sample" in out
    assert "Total MACs:           4,089,184,256 (4.09B)" in out
    assert main(["--zoo", "resnet50", "--input", "3,32,32", "--depth", "0"]) == 0
    assert "Input shape:          (3, 32, 32) per sample" in capsys.readouterr().out


def test_zoo_list(capsys: pytest.CaptureFixture[str]) -> None:
    """--zoo list shows every name with its published total."""
    assert main(["--zoo", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:2] == ["lenet5", "61,706"]
    assert any(line.split()[:2] == ["llama2-7b", "6,738,415,616"] for line in lines)


def test_zoo_errors(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown name, or a model and --zoo together, is a usage error (status 2)."""
    assert main(["--zoo", "resnet51"]) == 2
    assert "zoo: unknown model 'resnet51'" in capsys.readouterr().err
    assert main(["--zoo", "gpt2", "Linear(2, 2)"]) == 2
    assert "give a model or --zoo NAME, not both" in capsys.readouterr().err
    assert main([]) == 2
    assert main(["--zoo", "gpt2", "--input", "2048"]) == 1
    assert "has 1024 positions in `wpe`" in capsys.readouterr().err
