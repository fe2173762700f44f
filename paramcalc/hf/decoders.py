"""Decoder-only language models: ``…ForCausalLM`` from their configs.

One function per ``model_type``, each reading its config through
:class:`~paramcalc.hf.config.HFConfig`.
"""

from __future__ import annotations

from paramcalc.hf.config import HFConfig
from paramcalc.layer import Layer
from paramcalc.zoo.language import gpt2, llama

__all__ = ["build_gpt2", "build_llama", "build_mistral", "build_qwen2"]

_NO_TENSOR = (
    "hidden_act",
    "max_position_embeddings",
    "rope_theta",
    "rope_scaling",
    "attention_dropout",
    "pretraining_tp",
    "sliding_window",
    "use_sliding_window",
    "max_window_layers",
    "rms_norm_eps",
)


def _llama_like(config: HFConfig, *, qkv_bias: bool | None, tie_default: bool) -> Layer:
    config.ignore(*_NO_TENSOR)
    return llama(
        vocab_size=config.size("vocab_size"),
        hidden_size=config.size("hidden_size"),
        intermediate_size=config.size("intermediate_size"),
        num_hidden_layers=config.size("num_hidden_layers"),
        num_attention_heads=config.size("num_attention_heads"),
        num_key_value_heads=config.maybe("num_key_value_heads"),
        head_dim=config.maybe("head_dim"),
        rms_norm_eps=config.option("rms_norm_eps", 1e-6),
        attention_bias=config.option("attention_bias", False),
        qkv_bias=qkv_bias,
        mlp_bias=config.option("mlp_bias", False),
        tie_word_embeddings=config.option("tie_word_embeddings", tie_default),
    )


def build_llama(config: HFConfig) -> Layer:
    """``LlamaForCausalLM``."""
    return _llama_like(config, qkv_bias=None, tie_default=False)


def build_mistral(config: HFConfig) -> Layer:
    """``MistralForCausalLM``."""
    return _llama_like(config, qkv_bias=None, tie_default=False)


def build_qwen2(config: HFConfig) -> Layer:
    """``Qwen2ForCausalLM``: biased q/k/v projections."""
    return _llama_like(config, qkv_bias=True, tie_default=False)


def build_gpt2(config: HFConfig) -> Layer:
    """``GPT2LMHeadModel``, its head tied unless ``tie_word_embeddings`` is false."""
    config.ignore(
        "activation_function",
        "attn_pdrop",
        "embd_pdrop",
        "resid_pdrop",
        "n_ctx",
        "summary_activation",
        "summary_first_dropout",
        "summary_proj_to_labels",
        "summary_type",
        "summary_use_proj",
        "scale_attn_weights",
        "scale_attn_by_inverse_layer_idx",
        "reorder_and_upcast_attn",
    )
    return gpt2(
        vocab_size=config.size("vocab_size"),
        n_positions=config.size("n_positions"),
        n_layer=config.size("n_layer"),
        n_embd=config.size("n_embd"),
        n_head=config.size("n_head"),
        n_inner=config.maybe("n_inner"),
        layer_norm_epsilon=config.option("layer_norm_epsilon", 1e-5),
        tie_word_embeddings=config.option("tie_word_embeddings", True),
    )
