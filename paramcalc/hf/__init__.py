"""Networks from Hugging Face ``config.json`` files, without ``transformers`` or a download.

``from_hf_config`` reads a local ``config.json`` (a file, a folder holding
one, or an already-parsed dict) and builds the network its ``model_type``
and ``architectures[0]`` describe, with ``transformers``' parameter names,
order and shapes, so the counts are exact before a single weight exists:

>>> net = from_hf_config({"model_type": "llama", "vocab_size": 32000, "hidden_size": 4096,
...     "intermediate_size": 11008, "num_hidden_layers": 32, "num_attention_heads": 32})
>>> net.params()
6738415616

Keys the ``transformers`` config classes default are optional here with the
same defaults; the sizes are required, and a missing one is named. A key
that changes a tensor is honoured, or refused when it holds a value
paramcalc does not build; a key paramcalc does not know is named in a
:class:`~paramcalc.errors.ParamcalcWarning`.

Layout: :mod:`paramcalc.hf.config` reads configs; each family group has one
module (``paramcalc.hf.<group>``) with a ``build_<model_type>(config)``
function per ``model_type``, registered in :data:`MODEL_TYPES` and imported
only when that type is asked for: ``dense`` (Llama-shaped decoders),
``llamalike`` (Llama-shaped families described as data, one row each),
``moe`` (mixtures of experts), ``classic`` (GPT-2, GPT-BigCode, GPT-NeoX,
OPT, Falcon, Phi), ``eleuther`` (GPT-J, CodeGen, GPT-Neo), ``packed`` (BLOOM,
Persimmon, MPT), ``xglm``, ``moe_families`` (PhiMoE,
GraniteMoE, GLM-4-MoE, DeepSeek-V2), ``dbrx``, ``jetmoe``. They share
``decoder`` (the Llama-shaped builder),
``blocks`` (attention, experts, layer stacks) and ``heads`` (the head
``architectures[0]`` names). See ``docs/hf.md``.
"""

from __future__ import annotations

import importlib
import os
import warnings
from collections.abc import Callable, Mapping
from typing import Any

from paramcalc._check import shown, shown_names
from paramcalc.errors import ConfigError, ParamcalcWarning
from paramcalc.hf.config import HFConfig, load
from paramcalc.hf.positions import declare, from_config
from paramcalc.layer import Layer

__all__ = ["ALIASES", "GENERIC_KEYS", "MODEL_TYPES", "from_hf_config"]

MODEL_TYPES: Mapping[str, str] = {
    "llama": "paramcalc.hf.dense:build_llama",
    "mistral": "paramcalc.hf.dense:build_mistral",
    "qwen2": "paramcalc.hf.dense:build_qwen2",
    "qwen3": "paramcalc.hf.dense:build_qwen3",
    "gemma": "paramcalc.hf.dense:build_gemma",
    "gemma2": "paramcalc.hf.dense:build_gemma2",
    "gemma3_text": "paramcalc.hf.dense:build_gemma3_text",
    "phi3": "paramcalc.hf.dense:build_phi3",
    "olmo2": "paramcalc.hf.dense:build_olmo2",
    "granite": "paramcalc.hf.llamalike:build",
    "cohere": "paramcalc.hf.llamalike:build",
    "cohere2": "paramcalc.hf.llamalike:build",
    "starcoder2": "paramcalc.hf.llamalike:build",
    "stablelm": "paramcalc.hf.llamalike:build",
    "olmo": "paramcalc.hf.llamalike:build",
    "glm": "paramcalc.hf.llamalike:build",
    "glm4": "paramcalc.hf.llamalike:build",
    "exaone4": "paramcalc.hf.llamalike:build",
    "ernie4_5": "paramcalc.hf.llamalike:build",
    "smollm3": "paramcalc.hf.llamalike:build",
    "seed_oss": "paramcalc.hf.llamalike:build",
    "apertus": "paramcalc.hf.llamalike:build",
    "arcee": "paramcalc.hf.llamalike:build",
    "helium": "paramcalc.hf.llamalike:build",
    "bitnet": "paramcalc.hf.llamalike:build",
    "mixtral": "paramcalc.hf.moe:build_mixtral",
    "qwen2_moe": "paramcalc.hf.moe:build_qwen2_moe",
    "qwen3_moe": "paramcalc.hf.moe:build_qwen3_moe",
    "deepseek_v3": "paramcalc.hf.moe:build_deepseek_v3",
    "gpt_oss": "paramcalc.hf.moe:build_gpt_oss",
    "olmoe": "paramcalc.hf.moe:build_olmoe",
    "phi": "paramcalc.hf.classic:build_phi",
    "falcon": "paramcalc.hf.classic:build_falcon",
    "gpt_neox": "paramcalc.hf.classic:build_gpt_neox",
    "opt": "paramcalc.hf.classic:build_opt",
    "gpt2": "paramcalc.hf.classic:build_gpt2",
    "gpt_bigcode": "paramcalc.hf.classic:build_gpt_bigcode",
    "bert": "paramcalc.hf.encoders:build_bert",
    "roberta": "paramcalc.hf.encoders:build_roberta",
    "distilbert": "paramcalc.hf.encoders:build_distilbert",
    "t5": "paramcalc.hf.t5:build_t5",
    "mt5": "paramcalc.hf.t5:build_mt5",
    "vit": "paramcalc.hf.vision:build_vit",
    "clip": "paramcalc.hf.vision:build_clip",
    "clip_text_model": "paramcalc.hf.vision:build_clip_text_model",
    "clip_vision_model": "paramcalc.hf.vision:build_clip_vision_model",
    "siglip_vision_model": "paramcalc.hf.vision:build_siglip_vision_model",
    "whisper": "paramcalc.hf.whisper:build_whisper",
    "gemma3": "paramcalc.hf.gemma3:build_gemma3",
    "gptj": "paramcalc.hf.eleuther:build_gptj",
    "codegen": "paramcalc.hf.eleuther:build_codegen",
    "gpt_neo": "paramcalc.hf.eleuther:build_gpt_neo",
    "bloom": "paramcalc.hf.packed:build_bloom",
    "persimmon": "paramcalc.hf.packed:build_persimmon",
    "xglm": "paramcalc.hf.xglm:build_xglm",
    "mpt": "paramcalc.hf.packed:build_mpt",
    "phimoe": "paramcalc.hf.moe_families:build_phimoe",
    "granitemoe": "paramcalc.hf.moe_families:build_granitemoe",
    "glm4_moe": "paramcalc.hf.moe_families:build_glm4_moe",
    "dbrx": "paramcalc.hf.dbrx:build_dbrx",
    "deepseek_v2": "paramcalc.hf.moe_families:build_deepseek_v2",
    "jetmoe": "paramcalc.hf.jetmoe:build_jetmoe",
}
"""The supported ``model_type`` values and the builder of each (``module:function``)."""

GENERIC_KEYS = frozenset(
    {
        # PretrainedConfig's own keys, and generation and tokenizer settings: no tensor
        "_name_or_path",
        "_attn_implementation",
        "attn_implementation",
        "architectures",
        "model_type",
        "torch_dtype",
        "dtype",
        "transformers_version",
        "bos_token_id",
        "eos_token_id",
        "pad_token_id",
        "sep_token_id",
        "decoder_start_token_id",
        "use_cache",
        "initializer_range",
        "initializer_factor",
        "output_attentions",
        "output_hidden_states",
        "return_dict",
        "is_encoder_decoder",
        "tokenizer_class",
        "task_specific_params",
        "problem_type",
        "finetuning_task",
        "max_length",
        "min_length",
        "do_sample",
        "num_beams",
        "temperature",
        "top_k",
        "top_p",
        "repetition_penalty",
        "length_penalty",
        "no_repeat_ngram_size",
        "early_stopping",
        "forced_bos_token_id",
        "forced_eos_token_id",
        "bad_words_ids",
        "begin_suppress_tokens",
        "suppress_tokens",
        "chunk_size_feed_forward",
        "gradient_checkpointing",
        "quantization_config",  # sizes the stored weights, not the parameter count
        "prefix",
        "license",
        "auto_map",  # remote-code class paths
        "cache_implementation",  # generation setting
    }
)
"""Keys of any config that change no parameter tensor."""


_GPT2_ALIASES = {
    "hidden_size": "n_embd",
    "max_position_embeddings": "n_positions",
    "num_attention_heads": "n_head",
    "num_hidden_layers": "n_layer",
}
ALIASES: Mapping[str, Mapping[str, str]] = {
    "gpt2": _GPT2_ALIASES,
    "gpt_bigcode": _GPT2_ALIASES,
    "gptj": _GPT2_ALIASES,
    "codegen": _GPT2_ALIASES,
    "gpt_neo": {"num_attention_heads": "num_heads", "num_hidden_layers": "num_layers"},
    "xglm": {
        "num_attention_heads": "attention_heads",
        "hidden_size": "d_model",
        "num_hidden_layers": "num_layers",
    },
    "mpt": {
        "num_attention_heads": "n_heads",
        "hidden_size": "d_model",
        "num_hidden_layers": "n_layers",
    },
    "dbrx": {
        "num_attention_heads": "n_heads",
        "hidden_size": "d_model",
        "num_hidden_layers": "n_layers",
        "max_position_embeddings": "max_seq_len",
    },
    "jetmoe": {"head_dim": "kv_channels"},
    # BloomConfig's `n_embed` (published BLOOM configs) wins over `hidden_size`, as there
    "bloom": {
        "n_embed": "hidden_size",
        "num_attention_heads": "n_head",
        "num_hidden_layers": "n_layer",
    },
    "distilbert": {
        "hidden_size": "dim",
        "num_attention_heads": "n_heads",
        "num_hidden_layers": "n_layers",
    },
}
"""The config classes' ``attribute_map``: an alias sets its key and wins over it, as in
``transformers`` (the experts' aliases are read in :mod:`paramcalc.hf.moe`). T5's and
Whisper's are not applied yet (their decoder sizes default from the encoder's before
the alias is applied): a key given under their alias is named in a warning."""


def _aliased(model_type: str, data: Mapping[str, Any]) -> Mapping[str, Any]:
    """``data`` with each ``attribute_map`` alias moved onto its key.

    Two aliases of one key that disagree are refused, naming both.
    """
    aliases = ALIASES.get(model_type, {})
    present = [alias for alias in aliases if data.get(alias) is not None]
    if not present:
        return data
    moved = dict(data)
    source: dict[str, str] = {}
    for alias in present:
        target = aliases[alias]
        if target in source and moved[target] != data[alias]:
            raise ConfigError(
                f"from_hf_config: the {model_type} config gives `{source[target]}` and "
                f"`{alias}`, both aliases of `{target}`, different values. Received: "
                f"{source[target]}={data[source[target]]!r}, {alias}={data[alias]!r}."
            )
        moved[target] = data[alias]
        del moved[alias]
        source[target] = alias
    return moved


def _builder(model_type: str) -> Callable[[HFConfig], Layer]:
    target = MODEL_TYPES.get(model_type)
    if target is None:
        raise ConfigError(
            f"from_hf_config: unsupported model_type {shown(model_type)}; "
            f"supported: {', '.join(sorted(MODEL_TYPES))}."
        )
    module, _, function = target.partition(":")
    build: Callable[[HFConfig], Layer] = getattr(importlib.import_module(module), function)
    return build


def from_hf_config(source: str | os.PathLike[str] | Mapping[str, Any]) -> Layer:
    """Build the network a Hugging Face ``config.json`` describes (local, no network).

    The class in ``architectures[0]`` decides the head, as ``AutoModel`` does;
    without ``architectures``, the family's causal LM is built. A class the
    family does not define is refused with the list of those it does.

    >>> from_hf_config({"model_type": "nope"})
    Traceback (most recent call last):
    ...
    paramcalc.errors.ConfigError: from_hf_config: unsupported model_type 'nope'; supported: ...
    >>> from_hf_config({"model_type": "llama", "vocab_size": 32000})
    Traceback (most recent call last):
    ...
    paramcalc.errors.ConfigError: from_hf_config: a llama config needs `hidden_size`, which ...
    """
    data = load(source)
    model_type = data.get("model_type")
    if isinstance(model_type, str):
        data = _aliased(model_type, data)
    config = HFConfig(data, "config")
    model_type = config.model_type
    config.where = f"{model_type} config"
    network = declare(_builder(model_type)(config), from_config(data))
    unknown = [key for key in config.unread() if key.rsplit(".", 1)[-1] not in GENERIC_KEYS]
    if unknown:
        warnings.warn(
            ParamcalcWarning(
                f"from_hf_config: the {config.where} has keys paramcalc does not know: "
                f"{shown_names(unknown)}; if they change a tensor, the count may be wrong."
            ),
            stacklevel=2,
        )
    return network
