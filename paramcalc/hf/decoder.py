"""The one decoder builder of the Llama-shaped families, and the config keys they share.

Llama, Mistral, Qwen 2/3, Gemma 1/2/3, Phi-3, OLMo 2, Mixtral, Qwen-MoE,
DeepSeek-V3 and gpt-oss all are ``model.embed_tokens``, ``model.layers.N``
(``self_attn``, ``mlp`` and norms) and ``model.norm``, under a head. A
:class:`Decoder` holds what a family changes, as plain values; :func:`build`
makes the network. The zoo's ``llama()``/``mistral()``/``qwen2()`` call it too.

>>> net = build(Decoder("Llama", vocab=32000, hidden=4096, intermediate=11008, layers=32,
...                     heads=32, kv_heads=32, head_dim=128))
>>> type(net).__name__, net.params()
('LlamaForCausalLM', 6738415616)
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from paramcalc._check import shown
from paramcalc.errors import ConfigError
from paramcalc.hf.blocks import DecoderAttention, LayerStack, PackedGatedMLP, named, stack
from paramcalc.hf.config import HFConfig
from paramcalc.hf.heads import Base, Head, attach, generic
from paramcalc.hf.layout import Layout
from paramcalc.hf.parts import WithTables
from paramcalc.layer import Layer, Visit
from paramcalc.shapes import Shape
from paramcalc.zoo import _nn as pc
from paramcalc.zoo._common import GatedMLP, Net, ResidualNet

__all__ = [
    "LAYOUTS",
    "MLP_KINDS",
    "NORMS",
    "NO_TENSOR",
    "Decoder",
    "SubNormGatedMLP",
    "attention_shape",
    "build",
    "from_config",
    "given",
    "layer_types",
]

NO_TENSOR = (
    "hidden_act",
    "max_position_embeddings",
    "rope_theta",
    "rope_scaling",
    "rope_parameters",
    "partial_rotary_factor",
    "attention_dropout",
    "pretraining_tp",
    "rms_norm_eps",
    "use_sliding_window",
    "max_window_layers",
    "tie_word_embeddings",
    "classifier_dropout",
    "hidden_dropout",
    "output_router_logits",
    "router_aux_loss_coef",
    "router_jitter_noise",
    "bos_token_id",
    "eos_token_id",
    "pad_token_id",
)
"""Keys of the Llama-shaped families that change no tensor (rotary, dropouts, eps, router loss)."""

ALL_HEADS = (
    "Model",
    "ForCausalLM",
    "ForSequenceClassification",
    "ForTokenClassification",
    "ForQuestionAnswering",
)


class SubNormGatedMLP(GatedMLP):
    """``down(ffn_sub_norm(act(gate(x)) · up(x)))``: BitNet's MLP."""

    def forward_shapes(self, visit: Visit, shape: Shape | None) -> Shape | None:
        gate = visit("gate_proj", self.module("gate_proj"), shape)
        visit("up_proj", self.module("up_proj"), shape)
        gate = visit("act_fn", self.module("act_fn"), gate)
        gate = visit("ffn_sub_norm", self.module("ffn_sub_norm"), gate)
        return visit("down_proj", self.module("down_proj"), gate)


@dataclass(frozen=True)
class Decoder:
    """A Llama-shaped decoder, as plain values: what each family changes.

    ``norms``: ``"pre"`` (Llama: ``input_layernorm``, ``post_attention_layernorm``),
    ``"sandwich"`` (Gemma 2/3: also ``pre_``/``post_feedforward_layernorm``) or
    ``"post"`` (OLMo 2: norms after attention and MLP only). ``qk_norm``:
    ``""``, ``"head"`` (a norm of ``head_dim``: Qwen3, Gemma 3) or ``"full"``
    (over all heads: OLMo 2). ``packed``: Phi-3's ``qkv_proj`` and
    ``gate_up_proj``. ``sinks``: gpt-oss's per-head attention sinks.
    ``model`` names the base class (default ``f"{family}Model"``); ``default``
    is the class built when the config has no ``architectures`` (the causal LM).
    ``kinds`` is ``config.layer_types`` (one per layer) and ``window`` the
    sliding window. ``mlp`` builds layer ``i``'s MLP when it is not the dense
    one (mixtures of experts); ``attention`` likewise (DeepSeek's latent one).

    The families of :mod:`paramcalc.hf.llamalike` change a few more things:
    ``norm`` is the kind of every norm (:data:`NORMS`), ``norms`` may also
    be any layout of :data:`LAYOUTS`, ``qk_norm`` also ``"stacked"`` (one
    norm of ``(heads, head_dim)``: Cohere) or ``"per_head"`` (a list of one
    norm per head: StableLM), ``mlp_kind`` one of :data:`MLP_KINDS`, and
    ``sub_norms`` adds BitNet's ``attn_sub_norm`` and ``ffn_sub_norm``.
    """

    family: str
    vocab: int
    hidden: int
    intermediate: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    eps: float = 1e-6
    qkv_bias: bool = False
    o_bias: bool = False
    mlp_bias: bool = False
    qk_norm: str = ""
    norms: str = "pre"
    packed: bool = False
    sinks: bool = False
    kinds: tuple[str, ...] | Layout[str] = ()
    window: int | None = None
    tie: bool = False
    head_classes: Mapping[str, Head] | None = None
    qa_prefix: str = ""
    model: str = ""
    default: str = ""
    mlp: Layout[Layer] | None = field(default=None, compare=False)
    attention: Callable[[str], Layer] | None = field(default=None, compare=False)
    norm: str = "rms"
    mlp_kind: str = "gated"
    sub_norms: bool = False


def rms(width: int, eps: float) -> Layer:
    """The RMSNorm of these families: one ``weight`` of ``width``."""
    return pc.RMSNorm(width, eps=eps)


NORMS = ("rms", "layer", "weight", "none")
"""Norm kinds: RMSNorm, LayerNorm (weight and bias), LayerNorm without bias, without tensors."""


def norm(spec: Decoder, width: int | tuple[int, int]) -> Layer:
    """A norm of ``spec.norm``'s kind over ``width`` (Cohere: ``(heads, head_dim)``)."""
    if spec.norm == "layer":
        return pc.LayerNorm(width, eps=spec.eps)
    if spec.norm == "weight":
        return pc.LayerNorm(width, eps=spec.eps, bias=False)
    if spec.norm == "none":  # OLMo's LayerNorm holds no weight or bias
        return pc.LayerNorm(width, eps=spec.eps, elementwise_affine=False)
    return pc.RMSNorm(width, eps=spec.eps)


MLP_KINDS = ("gated", "gate_up", "up_down", "xielu", "fc")
"""MLPs: ``gate_proj``/``up_proj``/``down_proj``; ``gate_up_proj``/``down_proj`` (GLM);
``up_proj``/``down_proj`` (Arcee), with xIELU's ``act_fn.alpha_p``/``alpha_n`` (Apertus);
``c_fc``/``c_proj`` (StarCoder2)."""


def dense_mlp(spec: Decoder, intermediate: int | None = None, name: str = "MLP") -> Layer:
    """The gated MLP: ``gate_proj``, ``up_proj``, ``down_proj`` (Phi-3: ``gate_up_proj``)."""
    hidden, inner, bias = spec.hidden, intermediate or spec.intermediate, spec.mlp_bias
    kind = spec.mlp_kind
    if kind in ("up_down", "xielu", "fc"):
        first, last = ("c_fc", "c_proj") if kind == "fc" else ("up_proj", "down_proj")
        modules: dict[str, Layer] = {
            first: pc.Linear(hidden, inner, bias=bias),
            last: pc.Linear(inner, hidden, bias=bias),
        }
        if kind == "xielu":  # transformers' XIELUActivation holds two learned scalars
            modules["act_fn"] = WithTables({"alpha_p": pc.Parameter(1), "alpha_n": pc.Parameter(1)})
        else:
            modules["act_fn"] = pc.SiLU()
        return named(f"{spec.family}{name}", Net)(modules, [first, "act_fn", last])
    if spec.sub_norms:  # BitNet: down_proj(ffn_sub_norm(act(gate) * up))
        return named(f"{spec.family}{name}", SubNormGatedMLP)(
            {
                "gate_proj": pc.Linear(hidden, inner, bias=bias),
                "up_proj": pc.Linear(hidden, inner, bias=bias),
                "down_proj": pc.Linear(inner, hidden, bias=bias),
                "act_fn": pc.SiLU(),
                "ffn_sub_norm": norm(spec, inner),
            }
        )
    if spec.packed or kind == "gate_up":
        return named(f"{spec.family}{name}", PackedGatedMLP)(
            {
                "gate_up_proj": pc.Linear(hidden, 2 * inner, bias=bias),
                "down_proj": pc.Linear(inner, hidden, bias=bias),
                "activation_fn": pc.SiLU(),
            }
        )
    return named(f"{spec.family}{name}", GatedMLP)(
        {
            "gate_proj": pc.Linear(hidden, inner, bias=bias),
            "up_proj": pc.Linear(hidden, inner, bias=bias),
            "down_proj": pc.Linear(inner, hidden, bias=bias),
            "act_fn": pc.SiLU(),
        }
    )


def _attention(spec: Decoder, kind: str) -> Layer:
    hidden, heads, kv, dim = spec.hidden, spec.heads, spec.kv_heads, spec.head_dim
    modules: dict[str, Layer] = {}
    outputs = ["o_proj"]
    if spec.sinks:
        modules["sinks"] = pc.Parameter(heads)
    if spec.packed:
        modules["o_proj"] = pc.Linear(heads * dim, hidden, bias=spec.o_bias)
        modules["qkv_proj"] = pc.Linear(hidden, (heads + 2 * kv) * dim, bias=spec.qkv_bias)
        inputs = ["qkv_proj"]
    else:
        modules["q_proj"] = pc.Linear(hidden, heads * dim, bias=spec.qkv_bias)
        modules["k_proj"] = pc.Linear(hidden, kv * dim, bias=spec.qkv_bias)
        modules["v_proj"] = pc.Linear(hidden, kv * dim, bias=spec.qkv_bias)
        modules["o_proj"] = pc.Linear(heads * dim, hidden, bias=spec.o_bias)
        inputs = ["q_proj", "k_proj", "v_proj"]
    norms: list[tuple[str, int, int]] = []
    if spec.qk_norm == "head":
        modules["q_norm"] = rms(dim, spec.eps)
        modules["k_norm"] = rms(dim, spec.eps)
        norms = [("q_norm", heads, dim), ("k_norm", kv, dim)]
    elif spec.qk_norm == "full":
        modules["q_norm"] = rms(heads * dim, spec.eps)
        modules["k_norm"] = rms(kv * dim, spec.eps)
        norms = [("q_norm", 1, heads * dim), ("k_norm", 1, kv * dim)]
    elif spec.qk_norm == "stacked":
        modules["q_norm"] = norm(spec, (heads, dim))
        modules["k_norm"] = norm(spec, (kv, dim))
        norms = [("q_norm", heads, dim), ("k_norm", kv, dim)]
    elif spec.qk_norm == "per_head":  # StableLM: a LayerNorm without bias for each head
        for name, count in (("q_layernorm", heads), ("k_layernorm", kv)):
            each = pc.LayerNorm(dim, eps=spec.eps, bias=False)
            modules[name] = named(f"{spec.family}LayerNormPerHead", WithTables)(
                {"norms": stack([(each, count)])}
            )
        norms = [("q_layernorm", heads, dim), ("k_layernorm", kv, dim)]
    if spec.sub_norms:  # BitNet: o_proj(attn_sub_norm(attention))
        modules["attn_sub_norm"] = norm(spec, hidden)
        outputs = ["attn_sub_norm", "o_proj"]
    return named(f"{spec.family}Attention", DecoderAttention)(
        modules,
        inputs,
        outputs,
        num_heads=heads,
        num_kv_heads=kv,
        head_dim=dim,
        norms=norms,
        kind=kind,
        sliding_window=spec.window if kind == "sliding_attention" else None,
    )


LAYOUTS: Mapping[str, tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]] = {
    "pre": (
        ("input_layernorm", "post_attention_layernorm"),
        (("input_layernorm", "self_attn"), ("post_attention_layernorm", "mlp")),
    ),
    "sandwich": (
        (
            "input_layernorm",
            "post_attention_layernorm",
            "pre_feedforward_layernorm",
            "post_feedforward_layernorm",
        ),
        (
            ("input_layernorm", "self_attn", "post_attention_layernorm"),
            ("pre_feedforward_layernorm", "mlp", "post_feedforward_layernorm"),
        ),
    ),
    "post": (
        ("post_attention_layernorm", "post_feedforward_layernorm"),
        (("self_attn", "post_attention_layernorm"), ("mlp", "post_feedforward_layernorm")),
    ),
    "parallel": (("input_layernorm",), (("input_layernorm", "self_attn"), ("mlp",))),
    "glm4": (
        (
            "input_layernorm",
            "post_attention_layernorm",
            "post_self_attn_layernorm",
            "post_mlp_layernorm",
        ),
        (
            ("input_layernorm", "self_attn", "post_self_attn_layernorm"),
            ("post_attention_layernorm", "mlp", "post_mlp_layernorm"),
        ),
    ),
    "apertus": (
        ("attention_layernorm", "feedforward_layernorm"),
        (("attention_layernorm", "self_attn"), ("feedforward_layernorm", "mlp")),
    ),
}
"""A decoder layer's norms, in registration order (after ``self_attn`` and ``mlp``), and its
residual branches: ``"pre"`` (Llama), ``"sandwich"`` (Gemma 2/3), ``"post"`` (OLMo 2),
``"parallel"`` (Cohere: attention and MLP read one norm), ``"glm4"``, ``"apertus"``."""


def _layer(spec: Decoder, attention: Layer, mlp: Layer) -> Layer:
    modules: dict[str, Layer] = {"self_attn": attention, "mlp": mlp}
    names, groups = LAYOUTS[spec.norms]
    for name in names:
        modules[name] = norm(spec, spec.hidden)
    return named(f"{spec.family}DecoderLayer", ResidualNet)(modules, [list(g) for g in groups])


def kinds_of(spec: Decoder) -> Layout[str]:
    """``spec.kinds`` as a :class:`~paramcalc.hf.layout.Layout` (default: every layer full)."""
    if isinstance(spec.kinds, Layout):
        return spec.kinds
    if spec.kinds:
        return Layout.listed(spec.kinds)
    return Layout.constant("full_attention", spec.layers)


def base(spec: Decoder) -> Base:
    """The ``…Model``: token table, the layers (as runs of equal layers) and the final norm.

    Built from runs and periods of layer kinds, never layer by layer: any depth costs the same.
    """
    kinds = kinds_of(spec)
    mlps = spec.mlp if spec.mlp is not None else Layout.constant(dense_mlp(spec), len(kinds))
    attentions: dict[str, Layer] = {}
    layers: dict[tuple[str, int], Layer] = {}

    def layer(pair: tuple[str, Layer]) -> Layer:
        kind, mlp = pair
        if kind not in attentions:
            made = spec.attention(kind) if spec.attention else _attention(spec, kind)
            attentions[kind] = made
        key = (kind, id(mlp))
        if key not in layers:  # each kind of layer owns its modules: freezing one is exact
            layers[key] = _layer(spec, copy.deepcopy(attentions[kind]), copy.deepcopy(mlp))
        return layers[key]

    segments = kinds.zip(mlps).map(layer).segments()
    stacked: Layer = LayerStack(segments=segments)
    if len(segments) == 1 and len(segments[0][0]) == 1:
        stacked = stack(segments[0][0])
    model = named(spec.model or f"{spec.family}Model", Net)(
        {
            "embed_tokens": pc.Embedding(spec.vocab, spec.hidden),
            "layers": stacked,
            "norm": norm(spec, spec.hidden),
        }
    )
    return Base(model, "model", spec.hidden, spec.vocab, "embed_tokens.weight")


def build(spec: Decoder, config: HFConfig | None = None) -> Layer:
    """The network: the head ``config``'s ``architectures[0]`` names, or the causal LM."""
    heads = spec.head_classes or generic(spec.family, ALL_HEADS, qa_prefix=spec.qa_prefix)
    return attach(
        config or HFConfig({}),
        heads,
        base(spec),
        tie_default=spec.tie,
        default=spec.default or None,
    )


def given(config: HFConfig, key: str, default: int | None) -> int | None:
    """An optional size: the family's ``default`` when the key is absent, None when it is null.

    The config classes' defaults apply to absent keys only: an explicit
    ``null`` keeps its meaning (no window, ``hidden // heads``, …).
    """
    if key not in config.data:
        config.ignore(key)
        return default
    return None if config.maybe(key) is None else config.size(key)


def attention_shape(
    config: HFConfig,
    *,
    kv_default: int | None = None,
    head_dim_default: int | None = None,
    grouped: bool = True,
) -> tuple[int, int, int, int]:
    """``hidden_size``, heads, key/value heads and ``head_dim``.

    An absent ``num_key_value_heads``/``head_dim`` takes the family's config
    default (Mistral: 8 key/value heads; Qwen3, Gemma: a ``head_dim`` of 128,
    256); a null or family without one: all heads, ``hidden // heads``.
    ``grouped=False`` (DeepSeek's latent attention): no tensor has key/value
    heads, and ``num_key_value_heads`` is not read.
    """
    hidden = config.size("hidden_size")
    heads = config.size("num_attention_heads")
    if grouped:
        kv_heads = given(config, "num_key_value_heads", kv_default) or heads
    else:
        config.ignore("num_key_value_heads")
        kv_heads = heads
    head_dim = given(config, "head_dim", head_dim_default)
    if head_dim is None:
        if hidden % heads:
            raise ConfigError(
                f"from_hf_config: {config.where}: `hidden_size` must be divisible by "
                f"`num_attention_heads`. Received: hidden_size={hidden}, "
                f"num_attention_heads={heads}."
            )
        head_dim = hidden // heads
    if heads % kv_heads:
        raise ConfigError(
            f"from_hf_config: {config.where}: `num_attention_heads` must be divisible by "
            f"`num_key_value_heads`. Received: num_attention_heads={heads}, "
            f"num_key_value_heads={kv_heads}."
        )
    return hidden, heads, kv_heads, head_dim


def layer_types(config: HFConfig, layers: int, window: int | None) -> Layout[str]:
    """``config.layer_types`` (checked), else sliding layers wherever a window is set.

    As ``transformers``' cache does when the config has no ``layer_types``.
    """
    given = config.maybe("layer_types")
    allowed = ("full_attention", "sliding_attention")
    if given is None:
        return Layout.constant(
            "sliding_attention" if window is not None else "full_attention", layers
        )
    if (
        not isinstance(given, list)
        or len(given) != layers
        or any(kind not in allowed for kind in given)
    ):
        raise ConfigError(
            f"from_hf_config: {config.where}: `layer_types` must list one of "
            f"{', '.join(map(repr, allowed))} per layer ({layers}). Received: {shown(given)}."
        )
    if window is None and "sliding_attention" in given:
        raise ConfigError(
            f"from_hf_config: {config.where}: `layer_types` has sliding layers but "
            "`sliding_window` is not set."
        )
    return Layout.listed(given)


def from_config(
    config: HFConfig,
    family: str,
    *,
    tie: bool = False,
    kv_default: int | None = None,
    head_dim_default: int | None = None,
    grouped: bool = True,
    **changes: Any,
) -> Layer:
    """The Llama-shaped network a config describes, with a family's ``changes`` to :class:`Decoder`.

    Reads the keys every such family has; ``changes`` hold what the family
    module read itself (``qk_norm="head"``, ``mlp=…``); ``kv_default`` and
    ``head_dim_default`` are its config class's defaults for absent keys.
    """
    config.ignore(*NO_TENSOR)
    vocab = config.size("vocab_size")
    hidden, heads, kv_heads, head_dim = attention_shape(
        config, kv_default=kv_default, head_dim_default=head_dim_default, grouped=grouped
    )
    layers = config.size("num_hidden_layers")
    values: dict[str, Any] = {
        "vocab": vocab,
        "hidden": hidden,
        "intermediate": config.size("intermediate_size"),
        "layers": layers,
        "heads": heads,
        "kv_heads": kv_heads,
        "head_dim": head_dim,
        "tie": tie,
        "eps": config.option("rms_norm_eps", 1e-6),
    }
    values.update(changes)
    if "kinds" not in values:
        window = changes.get("window")
        values["kinds"] = layer_types(config, layers, window if isinstance(window, int) else None)
    spec = Decoder(family, **values)
    return build(spec, config)
