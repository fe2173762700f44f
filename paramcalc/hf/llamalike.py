"""Llama-shaped decoders described as data: one :class:`Family` row per ``model_type``.

Each row says what a family changes from Llama, read from its
``modeling_*.py``: the kind of norm, the layout of a layer's norms, the
keys that turn biases on (with the config class's defaults), q/k norms,
the MLP, the head classes, and the keys that change no tensor. A family
that differs in more than data has a small function (``special``) that
reads its own keys. :func:`build` makes any of them with
:func:`paramcalc.hf.decoder.from_config`.

>>> from paramcalc.hf import from_hf_config
>>> net = from_hf_config({"model_type": "granite", "vocab_size": 49155, "hidden_size": 2048,
...     "intermediate_size": 8192, "num_hidden_layers": 40, "num_attention_heads": 32,
...     "num_key_value_heads": 8, "tie_word_embeddings": True})  # granite-3.0-2b
>>> type(net).__name__, net.params()
('GraniteForCausalLM', 2533531648)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from paramcalc.errors import ConfigError
from paramcalc.hf.config import HFConfig
from paramcalc.hf.decoder import from_config, given, layer_types
from paramcalc.hf.heads import generic
from paramcalc.hf.layout import Layout
from paramcalc.layer import Layer

__all__ = ["FAMILIES", "Family", "build"]

Special = Callable[[HFConfig], dict[str, Any]]

_BASIC = ("Model", "ForCausalLM")
_CLASSIFIERS = ("ForSequenceClassification", "ForTokenClassification")
_ALL = (*_BASIC, *_CLASSIFIERS, "ForQuestionAnswering")


@dataclass(frozen=True)
class Family:
    """What one Llama-shaped ``model_type`` changes, as data.

    ``biases`` are ``(field, key, default)``: :class:`~paramcalc.hf.decoder.Decoder`'s
    ``qkv_bias``/``o_bias``/``mlp_bias`` set by a config key (its config
    class's default when absent), or fixed when ``key`` is empty.
    ``spec`` holds fixed :class:`~paramcalc.hf.decoder.Decoder` values
    (``norm``, ``norms``, ``qk_norm``, ``mlp_kind``…); ``no_tensor`` the
    family's keys that change no tensor; ``special`` reads the keys that
    need code and returns more Decoder values.
    """

    family: str
    heads: tuple[str, ...] = _BASIC
    qa_prefix: str = ""
    tie: bool = False
    kv_default: int | None = None
    head_dim_default: int | None = None
    biases: tuple[tuple[str, str, bool], ...] = ()
    spec: Mapping[str, Any] = field(default_factory=dict)
    no_tensor: tuple[str, ...] = ()
    window: int | None = None
    special: Special | None = None


def _attention_bias(default: bool = False) -> tuple[tuple[str, str, bool], ...]:
    return (("qkv_bias", "attention_bias", default), ("o_bias", "attention_bias", default))


def _mlp_bias(key: str = "mlp_bias") -> tuple[tuple[str, str, bool], ...]:
    return (("mlp_bias", key, False),)


def _pattern(layers: int, every: int) -> Layout[str]:
    """Sliding layers, each ``every``-th one full (``(i + 1) % every``)."""
    return Layout.every(every, layers)


def _flip(kind: str) -> str:
    return "full_attention" if kind == "sliding_attention" else "sliding_attention"


def _cohere(config: HFConfig) -> dict[str, Any]:
    return {"qk_norm": "stacked" if config.option("use_qk_norm", False) else ""}


def _cohere2(config: HFConfig) -> dict[str, Any]:
    """Cohere 2: sliding layers, each ``sliding_window_pattern``-th one full (default 4)."""
    layers = config.size("num_hidden_layers")
    window = given(config, "sliding_window", 4096)
    every = config.size("sliding_window_pattern", 4)
    kinds = layer_types(config, layers, window)
    if config.maybe("layer_types") is None:
        kinds = _pattern(layers, every)
        if window is None and "sliding_attention" in kinds:
            raise ConfigError(
                f"from_hf_config: {config.where}: sliding layers need `sliding_window`, which "
                "is null."
            )
    return {"window": window, "kinds": kinds}


def _exaone4(config: HFConfig) -> dict[str, Any]:
    layers = config.size("num_hidden_layers")
    window = given(config, "sliding_window", 4096)
    kinds = layer_types(config, layers, window)
    if config.maybe("layer_types") is None:
        if window is None:
            raise ConfigError(
                f"from_hf_config: {config.where}: without `layer_types`, EXAONE 4 needs "
                "`sliding_window` (its config class divides by a pattern of 0)."
            )
        every = config.maybe("sliding_window_pattern")
        if every is not None and not isinstance(every, int):
            raise ConfigError(
                f"from_hf_config: {config.where}: without `layer_types`, "
                f"`sliding_window_pattern` must be an integer. Received: {every!r}."
            )
        kinds = _pattern(layers, config.size("sliding_window_pattern", 4))
    config.ignore("sliding_window_pattern")
    return {"window": window, "kinds": kinds}


def _smollm3(config: HFConfig) -> dict[str, Any]:
    """SmolLM3: sliding layers where ``use_sliding_window`` and no rotary (``no_rope_layers``)."""
    layers = config.size("num_hidden_layers")
    window = given(config, "sliding_window", None)
    config.ignore("no_rope_layers", "no_rope_layer_interval")
    if config.maybe("layer_types") is not None:
        return {"window": window, "kinds": layer_types(config, layers, window)}
    if not config.option("use_sliding_window", False) or window is None:
        return {"window": window, "kinds": Layout.constant("full_attention", layers)}
    rope = config.maybe("no_rope_layers")
    every = config.size("no_rope_layer_interval", 4)
    if rope is None:  # every `every`-th layer has no rotary: full attention
        return {"window": window, "kinds": Layout.every(every, layers).map(_flip)}
    if not isinstance(rope, list) or len(rope) < layers:
        raise ConfigError(
            f"from_hf_config: {config.where}: `no_rope_layers` must list one flag per layer "
            f"({layers}). Received: {rope!r}."
        )
    kinds = Layout.listed(
        ["full_attention" if rope[i] else "sliding_attention" for i in range(layers)]
    )
    return {"window": window, "kinds": kinds}


def _stablelm(config: HFConfig) -> dict[str, Any]:
    """StableLM: ``head_dim`` is ``hidden // heads``; per-head q/k norms; parallel residual."""
    config.ignore("head_dim")
    head_dim = config.size("hidden_size") // config.size("num_attention_heads")
    return {
        "head_dim": head_dim,
        "qk_norm": "per_head" if config.option("qk_layernorm", False) else "",
        "norms": "parallel" if config.option("use_parallel_residual", False) else "pre",
    }


def _apertus(config: HFConfig) -> dict[str, Any]:
    """Apertus: xIELU (``hidden_act: "xielu"``, the default) holds two learned scalars."""
    act = config.option("hidden_act", "xielu")
    return {"mlp_kind": "xielu" if act == "xielu" else "up_down"}


def _helium(config: HFConfig) -> dict[str, Any]:
    """Helium's ``o_proj`` is ``hidden × hidden``: ``heads · head_dim`` must equal ``hidden``."""
    hidden, heads = config.size("hidden_size"), config.size("num_attention_heads")
    head_dim = given(config, "head_dim", 128) or hidden // heads
    if heads * head_dim != hidden:
        raise ConfigError(
            f"from_hf_config: {config.where}: `head_dim` times `num_attention_heads` must be "
            f"`hidden_size` (Helium's o_proj is hidden_size wide). Received: head_dim={head_dim}, "
            f"num_attention_heads={heads}, hidden_size={hidden}."
        )
    return {}


def _starcoder2(config: HFConfig) -> dict[str, Any]:
    return {"window": given(config, "sliding_window", None)}


FAMILIES: Mapping[str, Family] = {
    "granite": Family(
        "Granite",
        biases=(*_attention_bias(), *_mlp_bias()),
        no_tensor=(
            "embedding_multiplier",
            "logits_scaling",
            "residual_multiplier",
            "attention_multiplier",
        ),
    ),
    "cohere": Family(
        "Cohere",
        tie=True,
        biases=_attention_bias(),
        spec={"norm": "weight", "norms": "parallel"},
        no_tensor=("logit_scale", "layer_norm_eps"),
        special=_cohere,
    ),
    "cohere2": Family(
        "Cohere2",
        tie=True,
        biases=_attention_bias(),
        spec={"norm": "weight", "norms": "parallel"},
        no_tensor=("logit_scale", "layer_norm_eps"),
        special=_cohere2,
    ),
    "starcoder2": Family(
        "Starcoder2",
        heads=(*_BASIC, *_CLASSIFIERS),
        tie=True,
        kv_default=2,
        biases=(("qkv_bias", "use_bias", True), ("o_bias", "use_bias", True)),
        spec={"norm": "layer", "mlp_kind": "fc"},
        no_tensor=("norm_epsilon", "residual_dropout", "embedding_dropout"),
        special=lambda config: {**_starcoder2(config), "mlp_bias": config.option("use_bias", True)},
    ),
    "stablelm": Family(
        "StableLm",
        heads=(*_BASIC, *_CLASSIFIERS),
        kv_default=32,
        biases=(("qkv_bias", "use_qkv_bias", False),),
        spec={"norm": "layer"},
        no_tensor=("layer_norm_eps",),
        special=_stablelm,
    ),
    "olmo": Family(
        "Olmo",
        heads=(*_BASIC, "ForSequenceClassification"),
        biases=_attention_bias(),
        spec={"norm": "none"},
        no_tensor=("clip_qkv",),
    ),
    "glm": Family(
        "Glm",
        heads=(*_BASIC, *_CLASSIFIERS),
        kv_default=2,
        head_dim_default=128,
        biases=(("qkv_bias", "attention_bias", True),),
        spec={"mlp_kind": "gate_up"},
    ),
    "glm4": Family(
        "Glm4",
        heads=(*_BASIC, *_CLASSIFIERS),
        kv_default=2,
        head_dim_default=128,
        biases=(("qkv_bias", "attention_bias", True),),
        spec={"mlp_kind": "gate_up", "norms": "glm4"},
    ),
    "exaone4": Family(
        "Exaone4",
        heads=_ALL,
        qa_prefix="transformer",
        kv_default=32,
        spec={"norms": "post", "qk_norm": "head"},
        special=_exaone4,
    ),
    "ernie4_5": Family(
        "Ernie4_5",
        tie=True,
        kv_default=2,
        head_dim_default=128,
        biases=(
            ("qkv_bias", "use_bias", False),
            ("o_bias", "use_bias", False),
            ("mlp_bias", "use_bias", False),
        ),
    ),
    "smollm3": Family(
        "SmolLM3",
        heads=_ALL,
        qa_prefix="transformer",
        tie=True,
        kv_default=4,
        biases=(*_attention_bias(), *_mlp_bias()),
        special=_smollm3,
    ),
    "seed_oss": Family(
        "SeedOss",
        heads=_ALL,
        qa_prefix="transformer",
        kv_default=8,
        head_dim_default=128,
        biases=(
            ("qkv_bias", "attention_bias", True),
            ("o_bias", "attention_out_bias", False),
            *_mlp_bias(),
        ),
        no_tensor=("residual_dropout",),
    ),
    "apertus": Family(
        "Apertus",
        heads=(*_BASIC, "ForTokenClassification"),
        biases=_attention_bias(),
        spec={"norms": "apertus", "qk_norm": "head"},
        special=_apertus,
    ),
    "arcee": Family(
        "Arcee",
        heads=_ALL,
        qa_prefix="transformer",
        biases=(*_attention_bias(), *_mlp_bias()),
        spec={"mlp_kind": "up_down"},
    ),
    "helium": Family(
        "Helium",
        heads=(*_BASIC, *_CLASSIFIERS),
        kv_default=20,
        head_dim_default=128,
        biases=(("qkv_bias", "attention_bias", False), *_mlp_bias()),
        special=_helium,
    ),
    "bitnet": Family(
        "BitNet",
        kv_default=5,
        biases=_attention_bias(),
        spec={"sub_norms": True},
    ),
}
"""The Llama-shaped families built from data, by ``model_type``."""


def build(config: HFConfig) -> Layer:
    """The network of a ``model_type`` of :data:`FAMILIES` (the config's ``model_type``)."""
    row = FAMILIES[config.model_type]
    config.ignore(*row.no_tensor)
    values: dict[str, Any] = dict(row.spec)
    for name, key, default in row.biases:
        value = config.option(key, default) if key else default
        values[name] = values.get(name, False) or value
    if row.special is not None:
        values.update(row.special(config))
    if "window" not in values and row.window is not None:
        values["window"] = row.window
    return from_config(
        config,
        row.family,
        tie=row.tie,
        kv_default=row.kv_default,
        head_dim_default=row.head_dim_default,
        head_classes=generic(row.family, row.heads, qa_prefix=row.qa_prefix),
        **values,
    )
