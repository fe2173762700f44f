"""from_hf_config on the published configs shipped in tests/fixtures/hf."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paramcalc import ConfigError
from paramcalc.hf import from_hf_config

FIXTURES = Path(__file__).parent / "fixtures" / "hf"


@pytest.mark.parametrize(
    ("file", "total", "kind"),
    [
        ("llama-2-7b.json", 6_738_415_616, "LlamaForCausalLM"),  # Llama 2 paper / HF card: 7B
        ("mistral-7b.json", 7_241_732_096, "MistralForCausalLM"),  # Mistral-7B-v0.1: 7.24B
        ("qwen2-0.5b.json", 494_032_768, "Qwen2ForCausalLM"),  # Qwen2-0.5B: 0.49B, tied
        ("gpt2.json", 124_439_808, "GPT2LMHeadModel"),  # GPT-2 small, tied head
        # bert-base-uncased's checkpoint class; BertModel (with pooler) is 109,482,240
        ("bert-base-uncased.json", 109_514_298, "BertForMaskedLM"),
        ("roberta-base.json", 124_697_433, "RobertaForMaskedLM"),  # roberta-base: 125M
        ("distilbert-base-uncased.json", 66_985_530, "DistilBertForMaskedLM"),  # 66M
        ("t5-small.json", 60_506_624, "T5ForConditionalGeneration"),  # T5 paper: 60M
        ("vit-base-patch16-224.json", 86_567_656, "ViTForImageClassification"),  # 86.6M
        ("clip-vit-base-patch32.json", 151_277_313, "CLIPModel"),  # 151M
        ("whisper-tiny.json", 37_760_640, "WhisperForConditionalGeneration"),  # 39M
        ("whisper-base.json", 72_593_920, "WhisperForConditionalGeneration"),  # 74M
    ],
)
def test_shipped_configs(file: str, total: int, kind: str) -> None:
    """Each shipped config builds the network with its published total."""
    net = from_hf_config(FIXTURES / file)
    assert type(net).__name__ == kind
    assert net.params() == total
    assert from_hf_config(str(FIXTURES / file)).params() == total


def test_qwen2_embeddings_tied() -> None:
    """Qwen2-0.5B ties its head: 136,134,656 embedding parameters counted once."""
    config = json.loads((FIXTURES / "qwen2-0.5b.json").read_text())
    tied = from_hf_config(config)
    untied = from_hf_config({**config, "tie_word_embeddings": False})
    assert untied.params() - tied.params() == 151936 * 896 == 136_134_656
    assert tied.params_per_use() == untied.params()


def test_folder_holding_config(tmp_path: Path) -> None:
    """A model folder is read through its config.json."""
    (tmp_path / "config.json").write_text((FIXTURES / "gpt2.json").read_text())
    assert from_hf_config(tmp_path).params() == 124_439_808


def test_gpt2_untied_and_inner() -> None:
    """tie_word_embeddings=false and n_inner are honoured."""
    config = json.loads((FIXTURES / "gpt2.json").read_text())
    assert from_hf_config({**config, "tie_word_embeddings": False}).params() == 163_037_184
    wide = from_hf_config({**config, "n_inner": 4 * 768 + 8})
    assert wide.params() == 124_439_808 + 12 * (768 * 8 + 8 + 8 * 768)


def test_llama_70b_from_dict() -> None:
    """A Llama-2-70B config (GQA, 80 layers) sizes at once."""
    config = json.loads((FIXTURES / "llama-2-7b.json").read_text())
    config |= {
        "hidden_size": 8192,
        "intermediate_size": 28672,
        "num_attention_heads": 64,
        "num_key_value_heads": 8,
        "num_hidden_layers": 80,
    }
    assert from_hf_config(config).params() == 68_976_648_192


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"model_type": "nope"}, r"unsupported model_type 'nope'; supported: .*llama, mistral"),
        ({"hidden_size": 8}, r"the config has no `model_type`"),
        ({"model_type": "llama"}, r"a llama config needs `vocab_size`, which is missing"),
        (
            {"model_type": "bert", "vocab_size": 10, "hidden_size": 8, "num_hidden_layers": 1},
            r"a bert config needs `num_attention_heads`",
        ),
        (
            {
                "model_type": "mistral",
                "vocab_size": 10,
                "hidden_size": 8,
                "intermediate_size": 8,
                "num_hidden_layers": 1,
                "num_attention_heads": 3,
            },
            r"`hidden_size` must be divisible by `num_attention_heads`",
        ),
        (
            {
                "model_type": "qwen2",
                "vocab_size": 10,
                "hidden_size": 8,
                "intermediate_size": 0,
                "num_hidden_layers": 1,
                "num_attention_heads": 2,
                "num_key_value_heads": 2,  # absent: Qwen2Config's default, 32
            },
            r"`intermediate_size` must be at least 1",
        ),
    ],
)
def test_config_errors(config: dict[str, object], message: str) -> None:
    """Unknown types and missing or bad keys are ConfigErrors naming the key."""
    with pytest.raises(ConfigError, match=message):
        from_hf_config(config)


def test_unreadable_files(tmp_path: Path) -> None:
    """A missing file or invalid JSON is a ConfigError naming the path."""
    with pytest.raises(ConfigError, match=r"cannot read .*nope\.json"):
        from_hf_config(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with pytest.raises(ConfigError, match=r"bad\.json' is not valid JSON"):
        from_hf_config(bad)
    with pytest.raises(ConfigError, match=r"give a path to a config\.json or a dict"):
        from_hf_config(42)  # type: ignore[arg-type]
