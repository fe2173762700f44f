"""Config keys read as transformers 5.23 reads them, or named (issue 20, "never silent").

Each total was taken from ``transformers`` 5.23 (``sum(p.numel())`` of the
class built on the meta device from the same dict); the conformance tests
check these cases name by name.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from paramcalc.errors import ParamcalcWarning
from paramcalc.hf import from_hf_config

MIXTRAL: dict[str, Any] = {
    "model_type": "mixtral",
    "vocab_size": 64,
    "hidden_size": 16,
    "intermediate_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "num_experts_per_tok": 1,
}


def test_expert_alias_wins_as_in_transformers() -> None:
    """Mixtral's ``num_experts`` (its ``attribute_map`` alias) wins over ``num_local_experts``."""
    config = MIXTRAL | {"num_local_experts": 4, "num_experts": 2}
    assert from_hf_config(config).params() == 9_872


def test_key_of_another_family_is_not_read() -> None:
    """``n_routed_experts`` (DeepSeek's) in a Mixtral config changes nothing, and is named."""
    with pytest.warns(ParamcalcWarning, match="n_routed_experts"):
        net = from_hf_config(MIXTRAL | {"n_routed_experts": 2})
    assert net.params() == 28_496  # Mixtral's default of 8 experts


def test_t5_encoder_with_is_decoder() -> None:
    """``T5EncoderModel`` builds its stack from the config: ``is_decoder`` adds cross-attention."""
    config = {
        "model_type": "t5",
        "architectures": ["T5EncoderModel"],
        "vocab_size": 64,
        "d_model": 16,
        "d_kv": 4,
        "d_ff": 32,
        "num_layers": 2,
        "num_heads": 4,
        "is_decoder": True,
    }
    assert from_hf_config(config).params() == 7_408


def test_phi_qk_layernorm_with_head_dim() -> None:
    """Phi sizes ``q_layernorm``/``k_layernorm`` as ``hidden // heads``, whatever ``head_dim``."""
    config = {
        "model_type": "phi",
        "vocab_size": 64,
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "qk_layernorm": True,
        "head_dim": 16,
    }
    assert from_hf_config(config).params() == 29_632


def test_qwen2_moe_sliding_window_zero() -> None:
    """Every Qwen2-MoE config.json transformers writes holds ``sliding_window: 0``: unused."""
    config = {
        "model_type": "qwen2_moe",
        "vocab_size": 64,
        "hidden_size": 16,
        "intermediate_size": 32,
        "moe_intermediate_size": 8,
        "shared_expert_intermediate_size": 16,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "num_experts": 4,
        "num_experts_per_tok": 1,
        "sliding_window": 0,
    }
    assert from_hf_config(config).params() == 8_496


@pytest.mark.parametrize(
    ("model_type", "key", "value"),
    [
        ("gpt_bigcode", "num_key_value_heads", 1),
        ("t5", "scale_decoder_outputs", True),
        ("deepseek_v3", "qk_head_dim", 192),
        ("gemma3_text", "_sliding_window_pattern", 6),
    ],
)
def test_keys_changing_no_tensor_do_not_warn(model_type: str, key: str, value: object) -> None:
    """Keys real configs carry that change no tensor in their family are read quietly."""
    base: dict[str, dict[str, Any]] = {
        "gpt_bigcode": {"n_embd": 16, "n_layer": 1, "n_head": 4, "vocab_size": 64},
        "t5": {
            "vocab_size": 64,
            "d_model": 16,
            "d_kv": 4,
            "d_ff": 32,
            "num_layers": 1,
            "num_heads": 4,
        },
        "deepseek_v3": {
            "vocab_size": 64,
            "hidden_size": 16,
            "intermediate_size": 32,
            "moe_intermediate_size": 8,
            "num_hidden_layers": 1,
            "num_attention_heads": 4,
            "n_routed_experts": 4,
            "n_group": 1,
            "topk_group": 1,
            "num_experts_per_tok": 1,
        },
        "gemma3_text": {
            "vocab_size": 64,
            "hidden_size": 16,
            "intermediate_size": 32,
            "num_hidden_layers": 1,
            "num_attention_heads": 4,
        },
    }
    config = {"model_type": model_type, key: value} | base[model_type]
    with warnings.catch_warnings():
        warnings.simplefilter("error", ParamcalcWarning)
        from_hf_config(config)


@pytest.mark.parametrize(
    "config",
    [
        {"model_type": "gpt2", "n_embd": 32, "n_layer": 3, "n_head": 4, "n_positions": 32},
        {
            "model_type": "distilbert",
            "dim": 32,
            "n_layers": 3,
            "n_heads": 4,
            "hidden_dim": 64,
            "max_position_embeddings": 32,
        },
    ],
    ids=["gpt2", "distilbert"],
)
def test_attribute_map_alias_wins(config: dict[str, Any]) -> None:
    """``hidden_size``/``num_hidden_layers`` set GPT-2's ``n_embd``/``n_layer`` (DistilBERT's
    ``dim``/``n_layers``) and win over them, as the config classes' ``attribute_map`` does."""
    aliased = config | {"vocab_size": 64, "hidden_size": 16, "num_hidden_layers": 2}
    if config["model_type"] == "distilbert":
        aliased["architectures"] = ["DistilBertModel"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", ParamcalcWarning)
        assert from_hf_config(aliased).params() == 8_128  # both, from transformers 5.23
