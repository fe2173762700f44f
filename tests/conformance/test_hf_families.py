"""KV cache bytes of families whose config keys are not Llama's, in three forms.

A tiny model of each family is run on CPU for a prefill; the bytes its
``DynamicCache`` holds must equal paramcalc's planned KV cache for the
config as written, in full (``to_json_string(use_diff=False)``) and as
``save_pretrained`` writes it.
"""

from __future__ import annotations

import importlib
import warnings
from pathlib import Path
from typing import Any

import pytest

from paramcalc.hf import from_hf_config
from paramcalc.plan.kv_cache import kv_cache
from tests.conformance.test_hf_forms import _forms

pytestmark = pytest.mark.usefixtures("transformers")

TOKENS = 40

TINY: dict[str, dict[str, Any]] = {
    "gptj": {"n_embd": 64, "n_head": 4, "n_layer": 3, "rotary_dim": 8, "n_positions": 128},
    "codegen": {
        "n_embd": 64,
        "n_head": 4,
        "n_layer": 3,
        "rotary_dim": 8,
        "n_positions": 128,
        "n_ctx": 128,
    },
    "bloom": {"hidden_size": 64, "n_head": 4, "n_layer": 3},
    "persimmon": {
        "hidden_size": 64,
        "num_attention_heads": 4,
        "num_hidden_layers": 3,
        "intermediate_size": 96,
    },
    "xglm": {"d_model": 64, "attention_heads": 4, "num_layers": 3, "ffn_dim": 96},
    "mpt": {"d_model": 64, "n_heads": 4, "n_layers": 3},
    "dbrx": {
        "d_model": 64,
        "n_heads": 4,
        "n_layers": 3,
        "attn_config": {"kv_n_heads": 2, "rope_theta": 10000, "clip_qkv": 8},  # both needed to run
        "ffn_config": {"ffn_hidden_size": 32, "moe_num_experts": 4, "moe_top_k": 2},
    },
    "deepseek_v2": {
        "hidden_size": 64,
        "intermediate_size": 96,
        "moe_intermediate_size": 16,
        "num_hidden_layers": 3,
        "num_attention_heads": 4,
        "n_routed_experts": 4,
        "num_experts_per_tok": 2,
        "first_k_dense_replace": 1,
        "q_lora_rank": 16,
        "kv_lora_rank": 12,
        "qk_rope_head_dim": 4,
        "qk_nope_head_dim": 6,
        "v_head_dim": 5,
    },
    "jetmoe": {
        "hidden_size": 64,
        "num_key_value_heads": 2,
        "kv_channels": 8,
        "num_hidden_layers": 3,
        "intermediate_size": 32,
        "num_local_experts": 4,
        "num_experts_per_tok": 2,
    },
    "gpt_neo": {
        "hidden_size": 64,
        "num_heads": 4,
        "num_layers": 4,
        "attention_types": [[["global", "local"], 2]],
        "window_size": 8,
        "max_position_embeddings": 128,
    },
}


@pytest.mark.parametrize("model_type", sorted(TINY))
def test_cache_bytes(torch: Any, model_type: str, tmp_path: Path) -> None:
    """The planned KV cache equals the bytes transformers caches after a prefill."""
    transformers = importlib.import_module("transformers")
    config = {"model_type": model_type, "vocab_size": 128} | TINY[model_type]
    data = {key: value for key, value in config.items() if key != "model_type"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hf_config = transformers.AutoConfig.for_model(model_type, **data)
        torch.manual_seed(0)
        model = transformers.AutoModelForCausalLM.from_config(hf_config)
    model = model.to(torch.bfloat16).eval()
    with torch.no_grad():
        out = model(input_ids=torch.randint(0, 128, (2, TOKENS)), use_cache=True)
    expected = sum(
        t.numel() * t.element_size()
        for layer in out.past_key_values.layers
        for t in (layer.keys, layer.values)
    )
    assert expected
    for form, written in _forms(config, tmp_path).items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            net = from_hf_config(written)
        assert kv_cache(net, TOKENS, 2, "bf16").bytes == expected, form
