"""Flags that do not apply to the question asked are refused by name (exit 2), never ignored."""

from __future__ import annotations

import pytest

from paramcalc.cli import main

GPT2 = ["--zoo", "gpt2", "--depth", "0"]
CASES = [
    (
        ["--context", "32k", "--device", "H100-80GB", "--devices", "2"],
        "--devices sizes the training plan",
    ),
    (
        ["--zero", "3", "--seq", "99", "--micro-batch", "7"],
        "--zero, --seq, --micro-batch size the training plan: add --train",
    ),
    (["--checkpointing", "full"], "--checkpointing sizes the training plan"),
    (["--precision", "fp32"], "--precision sizes"),
    (
        ["--train", "--seq", "1k", "--base-format", "nf4-dq"],
        "--base-format is the quantized frozen base under LoRA",
    ),
    (["--base-format", "nf4"], "--base-format sizes the training plan"),
    (
        ["--train", "--seq", "1k", "--tokens", "1e9"],
        "--tokens asks for the training time, which needs --device",
    ),
    (["--train", "--seq", "1k", "--mfu", "0.5"], "--mfu sets the time of a token budget"),
    (
        ["--train", "--seq", "1k", "--devices", "4", "--devices-per-node", "2"],
        "--devices-per-node is the shard group of --fsdp hybrid",
    ),
    (["--context", "1k", "--group-size", "64"], "--group-size is GPTQ's and AWQ's"),
    (
        ["--tied"],
        "--tied/--untied: only for print(model) text, and this model is a reference network",
    ),
    (["--experts", "8"], "--experts: only for print(model) text"),
    (
        ["--total", "--depth", "1"],
        "--total prints only the parameter count: --depth would be ignored",
    ),
    (["--total", "--context", "1k"], "--context would be ignored"),
]


@pytest.mark.parametrize(("extra", "message"), CASES)
def test_refused_by_name(
    capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    """Each ignored flag is named with what it needs; exit 2 (a usage mistake)."""
    assert main([*GPT2[:2], *extra]) == 2
    assert message in capsys.readouterr().err


def test_printed_flags_on_a_spec(capsys: pytest.CaptureFixture[str]) -> None:
    """--image-size on layer calls (not print(model) text) is refused."""
    assert main(["Linear(4, 4)", "--image-size", "224"]) == 2
    assert "this model is read as spec" in capsys.readouterr().err


@pytest.mark.parametrize(
    "extra",
    [
        ["--train", "--seq", "1k", "--devices", "2"],  # DDP over two devices
        ["--train", "--seq", "1k", "--device", "A100-80GB", "--tokens", "1e9", "--mfu", "0.5"],
        ["--lora", "r=8,c_attn", "--train", "--seq", "1k", "--base-format", "nf4-dq"],
        ["--context", "1k", "--weights", "gptq", "--group-size", "64"],
    ],
)
def test_applying_flags_pass(capsys: pytest.CaptureFixture[str], extra: list[str]) -> None:
    """The same flags where they apply are accepted."""
    assert main([*GPT2, *extra]) == 0, capsys.readouterr().err
