"""Dense Llama-shaped decoders: each family's differences from Llama, in one function.

Llama, Mistral, Qwen2, Qwen3, Gemma, Gemma 2, Gemma 3 (text), Phi-3 and
OLMo 2, all built by :func:`paramcalc.hf.decoder.from_config`. Each function
reads the keys its ``configuration_*.py`` adds and says what they change.

>>> from paramcalc.hf import from_hf_config
>>> from_hf_config({"model_type": "gemma", "vocab_size": 256000, "hidden_size": 2048,
...     "intermediate_size": 16384, "num_hidden_layers": 18, "num_attention_heads": 8,
...     "num_key_value_heads": 1, "head_dim": 256}).params()  # gemma-2b
2506172416
"""

from __future__ import annotations

import math
from typing import Any

from paramcalc._check import shown
from paramcalc.errors import ConfigError
from paramcalc.hf.config import HFConfig
from paramcalc.hf.decoder import from_config, given, layer_types
from paramcalc.hf.heads import Head, generic
from paramcalc.hf.layout import Layout
from paramcalc.layer import Layer

__all__ = [
    "build_gemma",
    "build_gemma2",
    "build_gemma3_text",
    "build_llama",
    "build_mistral",
    "build_olmo2",
    "build_phi3",
    "build_qwen2",
    "build_qwen3",
    "gemma3_text_model",
]

_LLAMA_HEADS = ("Model", "ForCausalLM", "ForSequenceClassification", "ForTokenClassification")


def _window(config: HFConfig, default: int | None, flag: str | None = None) -> int | None:
    """``sliding_window`` (the config class's ``default`` when absent; None when ``flag`` is false).

    ``flag`` is Qwen's ``use_sliding_window``, which turns the window off.
    """
    if flag is not None and not config.option(flag, False):
        config.ignore("sliding_window")  # unused, whatever it holds (Qwen2-MoE writes 0)
        return None
    return given(config, "sliding_window", default)


def build_llama(config: HFConfig) -> Layer:
    """``Llama…``: ``attention_bias`` biases q/k/v/o, ``mlp_bias`` the MLP."""
    bias = config.option("attention_bias", False)
    return from_config(
        config,
        "Llama",
        qkv_bias=bias,
        o_bias=bias,
        mlp_bias=config.option("mlp_bias", False),
        qa_prefix="transformer",
    )


def build_mistral(config: HFConfig) -> Layer:
    """``Mistral…``: Llama without biases; a ``sliding_window`` only bounds the cache."""
    return from_config(config, "Mistral", kv_default=8, window=_window(config, 4096))


def build_qwen2(config: HFConfig) -> Layer:
    """``Qwen2…``: biased q/k/v (not o); sliding layers from ``max_window_layers`` on."""
    window = _window(config, 4096, "use_sliding_window")
    layers = config.size("num_hidden_layers")
    kinds = None
    if config.maybe("layer_types") is None and window is not None:
        start = config.size("max_window_layers", 28, minimum=0)
        kinds = Layout.split(start, "full_attention", "sliding_attention", layers)
    extra: dict[str, Any] = {} if kinds is None else {"kinds": kinds}
    return from_config(
        config,
        "Qwen2",
        kv_default=32,
        qkv_bias=True,
        window=window,
        qa_prefix="transformer",
        **extra,
    )


def build_qwen3(config: HFConfig) -> Layer:
    """``Qwen3…``: per-head ``q_norm``/``k_norm``; ``attention_bias`` biases q/k/v/o."""
    bias = config.option("attention_bias", False)
    window = _window(config, 4096, "use_sliding_window")
    layers = config.size("num_hidden_layers")
    extra: dict[str, Any] = {}
    if config.maybe("layer_types") is None and window is not None:
        start = config.size("max_window_layers", 28, minimum=0)
        extra["kinds"] = Layout.split(start, "full_attention", "sliding_attention", layers)
    return from_config(
        config,
        "Qwen3",
        kv_default=32,
        head_dim_default=128,
        qkv_bias=bias,
        o_bias=bias,
        qk_norm="head",
        window=window,
        qa_prefix="transformer",
        **extra,
    )


def _gemma_keys(config: HFConfig) -> None:
    config.ignore(
        "hidden_activation",
        "query_pre_attn_scalar",
        "final_logit_softcapping",
        "attn_logit_softcapping",
        "use_bidirectional_attention",
        "sliding_window_pattern",
        "rope_local_base_freq",
        "_sliding_window_pattern",  # stored by Gemma3TextConfig; layer_types come from the above
    )


def _softcap(config: HFConfig, default: float | None) -> float | None:
    """``final_logit_softcapping``: absent, the config class's default; null, no capping."""
    key = "final_logit_softcapping"
    if key not in config.data:
        config.ignore(key)
        return default
    value = config.maybe(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
        raise ConfigError(
            f"from_hf_config: {config.where}: `{key}` must be a positive finite number or "
            f"null. Received: {key}={shown(value)}."
        )
    return float(value)


def _capped(family: str, cap: float | None) -> dict[str, Head]:
    """The causal head of ``family`` with its logits soft-capped at ``cap`` (None: not)."""
    return {f"{family}ForCausalLM": Head("causal", "lm_head", softcap=cap)}


def build_gemma(config: HFConfig) -> Layer:
    """``Gemma…``: the head tied by default (embeddings scaled by √hidden: no tensor)."""
    _gemma_keys(config)
    bias = config.option("attention_bias", False)
    return from_config(
        config,
        "Gemma",
        kv_default=16,
        head_dim_default=256,
        tie=True,
        qkv_bias=bias,
        o_bias=bias,
        head_classes=generic("Gemma", _LLAMA_HEADS),
    )


def build_gemma2(config: HFConfig) -> Layer:
    """``Gemma2…``: sandwich norms, sliding layers every other layer, the head tied."""
    _gemma_keys(config)
    bias = config.option("attention_bias", False)
    layers = config.size("num_hidden_layers")
    window = _window(config, 4096)
    kinds = layer_types(config, layers, window)
    if config.maybe("layer_types") is None:
        kinds = Layout.every(2, layers)
    return from_config(
        config,
        "Gemma2",
        kv_default=4,
        head_dim_default=256,
        tie=True,
        qkv_bias=bias,
        o_bias=bias,
        norms="sandwich",
        window=window,
        kinds=kinds,
        head_classes={
            **generic("Gemma2", _LLAMA_HEADS),
            **_capped("Gemma2", _softcap(config, 30.0)),
        },
    )


def gemma3_text_model(config: HFConfig) -> Layer:
    """``Gemma3TextModel`` of a ``text_config``: the multimodal ``gemma3``'s ``language_model``.

    >>> from paramcalc.hf.config import HFConfig
    >>> text = HFConfig({"vocab_size": 262208, "hidden_size": 2560, "intermediate_size": 10240,
    ...     "num_hidden_layers": 34, "num_attention_heads": 8, "num_key_value_heads": 4,
    ...     "head_dim": 256, "sliding_window": 1024}, "gemma3 config: text_config")
    >>> model = gemma3_text_model(text)  # gemma-3-4b's language model
    >>> type(model).__name__, model.params()
    ('Gemma3TextModel', 3880263168)
    """
    return build_gemma3_text(config, default="Gemma3TextModel")


def build_gemma3_text(config: HFConfig, *, default: str = "") -> Layer:
    """``Gemma3ForCausalLM``/``Gemma3TextModel``: Gemma 2 with per-head q/k norms, 5:1 sliding.

    ``default`` is the class built without ``architectures`` (the causal LM);
    :func:`gemma3_text_model` builds the multimodal model's language model.
    """
    _gemma_keys(config)
    bias = config.option("attention_bias", False)
    layers = config.size("num_hidden_layers")
    window = _window(config, 4096)
    if window is not None and config.option("use_bidirectional_attention", False):
        window = window // 2 + 1
    pattern = config.size("sliding_window_pattern", 6)
    kinds = layer_types(config, layers, window)
    if config.maybe("layer_types") is None:
        kinds = Layout.every(pattern, layers)
    heads = {
        "Gemma3TextModel": generic("Gemma3", ("Model",))["Gemma3Model"],
        **_capped("Gemma3", _softcap(config, None)),
        "Gemma3TextForSequenceClassification": generic("X", ("ForSequenceClassification",))[
            "XForSequenceClassification"
        ],
    }
    return from_config(
        config,
        "Gemma3",
        kv_default=4,
        head_dim_default=256,
        tie=True,
        qkv_bias=bias,
        o_bias=bias,
        qk_norm="head",
        norms="sandwich",
        window=window,
        kinds=kinds,
        head_classes=heads,
        model="Gemma3TextModel",
        default=default,
    )


def build_phi3(config: HFConfig) -> Layer:
    """``Phi3…``: packed ``qkv_proj`` and ``gate_up_proj``; no biases."""
    # Phi3Config has no `attention_bias`: transformers 5.23 builds no bias whatever it says
    config.ignore("resid_pdrop", "embd_pdrop", "original_max_position_embeddings", "attention_bias")
    return from_config(
        config,
        "Phi3",
        packed=True,
        window=_window(config, None),
        head_classes=generic("Phi3", _LLAMA_HEADS),
    )


def build_olmo2(config: HFConfig) -> Layer:
    """``Olmo2…``: norms after attention and MLP, q/k norms over all heads."""
    bias = config.option("attention_bias", False)
    return from_config(
        config,
        "Olmo2",
        qkv_bias=bias,
        o_bias=bias,
        qk_norm="full",
        norms="post",
        head_classes=generic("Olmo2", ("Model", "ForCausalLM", "ForSequenceClassification")),
    )
