"""The command line's training options (paramcalc/plan/train_cli.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paramcalc.cli import main
from paramcalc.plan import training
from paramcalc.plan.train_cli import (
    BASE_FORMATS,
    CHECKPOINTING,
    OPTIMIZERS,
    PRECISIONS,
    parse_lora,
)

LLAMA_31_8B = {
    "model_type": "llama",
    "architectures": ["LlamaForCausalLM"],
    "vocab_size": 128256,
    "hidden_size": 4096,
    "intermediate_size": 14336,
    "num_hidden_layers": 32,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "rms_norm_eps": 1e-05,
    "max_position_embeddings": 131072,
    "rope_theta": 500000.0,
}


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """Llama-3.1-8B's config.json on disk."""
    path = tmp_path / "config.json"
    path.write_text(json.dumps(LLAMA_31_8B))
    return path


def test_choices_agree_with_the_planner() -> None:
    """The parser's choices are the planner's (kept apart so the parser loads no planner)."""
    assert OPTIMIZERS == training.OPTIMIZERS
    assert tuple(training.PRECISIONS) == PRECISIONS
    assert CHECKPOINTING == training.CHECKPOINTING
    assert BASE_FORMATS == training.BASE_FORMATS


@pytest.mark.parametrize(
    ("spec", "options"),
    [
        ("r=16,all-linear", {"r": 16, "target_modules": "all-linear"}),
        ("r=8,q_proj+v_proj", {"r": 8, "target_modules": ["q_proj", "v_proj"]}),
        (
            "r=8,q_proj,v_proj,dora",
            {"r": 8, "use_dora": True, "target_modules": ["q_proj", "v_proj"]},
        ),
        (
            "targets=c_attn,save=lm_head,bias=all",
            {"target_modules": ["c_attn"], "modules_to_save": ["lm_head"], "bias": "all"},
        ),
    ],
)
def test_parse_lora(spec: str, options: dict[str, object]) -> None:
    """--lora's mini-language maps onto LoraConfig's keywords."""
    assert parse_lora(spec) == options


def test_issue_command(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The issue's command prints the plan; the JSON carries it under plans.training."""
    argv = [str(config), "--train", "--lora", "r=16,all-linear", "--optimizer", "adamw"]
    argv += ["--zero", "3", "--devices", "8", "--device", "H100-80GB", "--seq", "4096"]
    argv += ["--micro-batch", "2", "--checkpointing", "full"]
    assert main([*argv, "--depth", "0"]) == 0
    out = capsys.readouterr().out
    assert "trainable params: 41,943,040 || all params: 8,072,204,288 || trainable%: 0.5196" in out
    assert "zero3 over 8" in out
    assert main([*argv, "--format", "json"]) == 0
    plan = json.loads(capsys.readouterr().out)["plans"]["training"]
    assert plan["memory"]["trainable"] == 41943040
    assert plan["memory"]["sharding"] == "zero3"
    assert plan["fits"] is True


def test_total_counts_the_adapted_model(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--total with --lora prints PEFT's "all params" count."""
    assert main([str(config), "--lora", "r=8,q_proj+v_proj", "--total"]) == 0
    assert capsys.readouterr().out.strip() == "8033669120"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--train", "--seq", "16", "--zero", "3"], "devices > 1"),
        (["--lora", "r=x,q_proj"], "whole number"),
        (["--lora", "r=4,nothing"], "not found"),
        (
            [
                "--train",
                "--seq",
                "16",
                "--tokens",
                "1e9",
                "--device",
                "H100-80GB",
                "--mfu",
                "1e-300",
            ],
            "mfu",
        ),
        (
            [
                "--train",
                "--seq",
                "16",
                "--tokens",
                "1e9",
                "--device",
                "H100-80GB",
                "--mfu",
                "1e-300",
                "-f",
                "json",
            ],
            "past any calendar",
        ),
    ],
)
def test_errors(
    config: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    """Bad training options exit 1 with the rule named (--train without --seq: exit 2,
    tests/test_devices.py)."""
    assert main([str(config), *extra]) == 1
    assert message in capsys.readouterr().err


def test_zoo_with_lora(capsys: pytest.CaptureFixture[str]) -> None:
    """--zoo takes the training options too."""
    assert main(["--zoo", "gpt2", "--lora", "r=8,c_attn", "--total"]) == 0
    assert capsys.readouterr().out.strip() == str(124439808 + 12 * 8 * (768 + 2304))
    assert main(["--zoo", "gpt2", "--train", "--seq", "1024", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["plans"]["training"]["memory"]["seq_len"] == 1024
