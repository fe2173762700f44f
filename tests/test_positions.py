"""The positions limit: declared by the builders, derived from config.json as vLLM does, and
the bound on the largest context a device answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paramcalc.cli import main
from paramcalc.hf import from_hf_config
from paramcalc.hf.positions import Positions, declared, from_config
from paramcalc.plan.devices import fit
from paramcalc.zoo import get

HF = Path(__file__).parent / "fixtures" / "hf"

# vLLM's derived max_model_len (_get_and_verify_max_len, vllm/config.py) for these configs,
# worked by its rule: the smallest length key; x factor unless su/longrope/llama3; yarn scales
# original_max_position_embeddings. Published context lengths agree: GPT-2 1,024, Llama 2
# 4,096, DeepSeek-V3 163,840 (4,096 x 40), gpt-oss 131,072 (4,096 x 32).
LIMITS = {
    "gpt2.json": 1024,
    "llama-2-7b.json": 4096,
    "deepseek-v3.json": 163840,
    "gpt-oss-20b.json": 131072,
    "mistral-7b.json": 32768,
}


@pytest.mark.parametrize(("name", "limit"), LIMITS.items())
def test_config_limits(name: str, limit: int) -> None:
    """config.json -> the limit vLLM derives (text_config for a multimodal model)."""
    found = from_config(json.loads((HF / name).read_text()))
    assert found is not None
    assert found.limit == limit


@pytest.mark.parametrize(
    ("scaling", "limit"),
    [
        ({"rope_type": "llama3", "factor": 8.0, "original_max_position_embeddings": 8192}, 131072),
        ({"type": "linear", "factor": 2.0}, 262144),
        ({"rope_type": "dynamic", "factor": 4.0}, 524288),
        ({"rope_type": "longrope", "factor": 32.0}, 131072),
        ({"type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32768}, 131072),
    ],
)
def test_rope_scaling(scaling: dict[str, object], limit: int) -> None:
    """llama3/longrope state the extended length; linear/dynamic multiply; yarn the original."""
    found = from_config({"max_position_embeddings": 131072, "rope_scaling": scaling})
    assert found is not None
    assert found.limit == limit


def test_smallest_key_wins() -> None:
    """Two length keys: the smaller (vLLM's rule)."""
    found = from_config({"max_position_embeddings": 8192, "seq_length": 4096})
    assert found == Positions(4096, "seq_length 4,096")


def test_builders_declare() -> None:
    """from_hf_config and the zoo's language models carry the limit; LoRA keeps it."""
    from paramcalc.plan.lora import lora

    net = from_hf_config(HF / "llama-2-7b.json")
    assert declared(net) == Positions(4096, "max_position_embeddings 4,096")
    assert declared(lora(net, r=8, target_modules=["q_proj"])) == declared(net)
    assert declared(get("llama3-8b")) == Positions(8192, "max_position_embeddings 8,192")
    assert declared(get("resnet18")) is None


def test_largest_context_is_bounded() -> None:
    """GPT-2 on an H100: the memory allows ~100k tokens, the model 1,024; the answer says which."""
    answer = fit(get("gpt2"), 512, device_name="H100-80GB")
    assert answer.largest_context == 1024
    assert answer.context_bound == "positions"
    small = fit(get("llama2-7b"), 512, memory=14 * 2**30)  # 12.55 GiB of weights
    assert small.largest_context is not None
    assert small.largest_context < 4096
    assert small.context_bound == "memory"


def test_cli_says_the_bound(capsys: pytest.CaptureFixture[str]) -> None:
    """The footer names the bound; a context beyond the limit is flagged."""
    assert (
        main([str(HF / "deepseek-v3.json"), "--context", "1k", "--device-memory", "2T", "-d", "0"])
        == 0
    )
    out = capsys.readouterr().out
    assert "163,840 (bound: the model's positions, max_position_embeddings: original_max" in out
    assert main(["--zoo", "llama2-7b", "--context", "8k", "--depth", "0"]) == 0
    assert (
        "beyond the model's positions limit (max_position_embeddings 4,096)"
        in capsys.readouterr().out
    )
