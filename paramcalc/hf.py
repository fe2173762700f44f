"""Networks from Hugging Face ``config.json`` files, without ``transformers`` or a download.

``from_hf_config`` reads a local ``config.json`` (a file, a folder holding
one, or an already-parsed dict) for the model types ``llama``, ``mistral``,
``qwen2``, ``gpt2`` and ``bert``, and builds the network with the zoo's
functions, so the counts are exact before a single weight exists:

>>> net = from_hf_config({"model_type": "llama", "vocab_size": 32000, "hidden_size": 4096,
...     "intermediate_size": 11008, "num_hidden_layers": 32, "num_attention_heads": 32})
>>> net.params()
6738415616

Keys the ``transformers`` config classes default are optional here with the
same defaults; the sizes are required, and a missing one is named.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from paramcalc.errors import ConfigError
from paramcalc.layer import Layer
from paramcalc.zoo.language import bert, gpt2, llama

__all__ = ["MODEL_TYPES", "from_hf_config"]

_LLAMA_REQUIRED = (
    "vocab_size",
    "hidden_size",
    "intermediate_size",
    "num_hidden_layers",
    "num_attention_heads",
)


def _get(config: Mapping[str, Any], key: str, model_type: str) -> Any:
    if key not in config or config[key] is None:
        raise ConfigError(f"from_hf_config: a {model_type} config needs `{key}`, which is missing.")
    return config[key]


def _llama_like(
    config: Mapping[str, Any], model_type: str, *, qkv_bias: bool | None, tie_default: bool
) -> Layer:
    sizes = {key: _get(config, key, model_type) for key in _LLAMA_REQUIRED}
    return llama(
        **sizes,
        num_key_value_heads=config.get("num_key_value_heads"),
        head_dim=config.get("head_dim"),
        rms_norm_eps=config.get("rms_norm_eps", 1e-6),
        attention_bias=config.get("attention_bias", False),
        qkv_bias=qkv_bias,
        mlp_bias=config.get("mlp_bias", False),
        tie_word_embeddings=config.get("tie_word_embeddings", tie_default),
    )


def _llama(config: Mapping[str, Any]) -> Layer:
    return _llama_like(config, "llama", qkv_bias=None, tie_default=False)


def _mistral(config: Mapping[str, Any]) -> Layer:
    return _llama_like(config, "mistral", qkv_bias=None, tie_default=False)


def _qwen2(config: Mapping[str, Any]) -> Layer:
    return _llama_like(config, "qwen2", qkv_bias=True, tie_default=False)


def _gpt2(config: Mapping[str, Any]) -> Layer:
    return gpt2(
        vocab_size=_get(config, "vocab_size", "gpt2"),
        n_positions=_get(config, "n_positions", "gpt2"),
        n_layer=_get(config, "n_layer", "gpt2"),
        n_embd=_get(config, "n_embd", "gpt2"),
        n_head=_get(config, "n_head", "gpt2"),
        n_inner=config.get("n_inner"),
        layer_norm_epsilon=config.get("layer_norm_epsilon", 1e-5),
        tie_word_embeddings=config.get("tie_word_embeddings", True),
    )


def _bert(config: Mapping[str, Any]) -> Layer:
    keys = (
        "vocab_size",
        "hidden_size",
        "num_hidden_layers",
        "num_attention_heads",
        "intermediate_size",
    )
    sizes = {key: _get(config, key, "bert") for key in keys}
    return bert(
        **sizes,
        max_position_embeddings=config.get("max_position_embeddings", 512),
        type_vocab_size=config.get("type_vocab_size", 2),
        layer_norm_eps=config.get("layer_norm_eps", 1e-12),
        pad_token_id=config.get("pad_token_id", 0),
    )


MODEL_TYPES: Mapping[str, Callable[[Mapping[str, Any]], Layer]] = {
    "llama": _llama,
    "mistral": _mistral,
    "qwen2": _qwen2,
    "gpt2": _gpt2,
    "bert": _bert,
}
"""The supported ``model_type`` values and their builders."""


def _load(source: str | os.PathLike[str] | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(source, Mapping):
        return source
    if not isinstance(source, (str, os.PathLike)):
        raise ConfigError(
            "from_hf_config: give a path to a config.json or a dict. "
            f"Received: {source!r} ({type(source).__name__})."
        )
    path = Path(source)
    if path.is_dir():
        path = path / "config.json"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"from_hf_config: cannot read {str(path)!r}: {error.strerror}.") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError(f"from_hf_config: {str(path)!r} is not valid JSON: {error}.") from None
    if not isinstance(data, dict):
        raise ConfigError(f"from_hf_config: {str(path)!r} holds no JSON object.")
    return data


def from_hf_config(source: str | os.PathLike[str] | Mapping[str, Any]) -> Layer:
    """Build the network a Hugging Face ``config.json`` describes (local, no network).

    The causal-LM types build their ``…ForCausalLM`` (with the LM head, tied
    when ``tie_word_embeddings`` says so); ``bert`` builds ``BertModel``.

    >>> from_hf_config({"model_type": "t5"})
    Traceback (most recent call last):
    ...
    paramcalc.errors.ConfigError: from_hf_config: unsupported model_type 't5'; supported: ...
    >>> from_hf_config({"model_type": "gpt2", "vocab_size": 50257})
    Traceback (most recent call last):
    ...
    paramcalc.errors.ConfigError: from_hf_config: a gpt2 config needs `n_positions`, which is ...
    """
    config = _load(source)
    if "model_type" not in config:
        raise ConfigError("from_hf_config: the config has no `model_type`.")
    model_type = config["model_type"]
    build = MODEL_TYPES.get(model_type) if isinstance(model_type, str) else None
    if build is None:
        raise ConfigError(
            f"from_hf_config: unsupported model_type {model_type!r}; "
            f"supported: {', '.join(MODEL_TYPES)}."
        )
    return build(config)
