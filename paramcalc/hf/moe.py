"""Mixture-of-experts decoders: Mixtral, Qwen2-MoE, Qwen3-MoE, DeepSeek-V3, gpt-oss.

Each is the shared Llama-shaped decoder (:mod:`paramcalc.hf.decoder`) with
an MoE block for some or all layers' ``mlp``: a router, the routed experts
(fused 3-d tensors, :class:`~paramcalc.hf.blocks.Experts`) and, for some,
shared experts. ``active_params()`` counts what one token runs through:

>>> from paramcalc.hf import from_hf_config
>>> net = from_hf_config({"model_type": "mixtral", "vocab_size": 32000, "hidden_size": 4096,
...     "intermediate_size": 14336, "num_hidden_layers": 32, "num_attention_heads": 32,
...     "num_key_value_heads": 8, "num_local_experts": 8, "num_experts_per_tok": 2})
>>> net.params(), net.active_params()  # Mixtral-8x7B: 46.7B, 12.9B active
(46702792704, 12879925248)
"""

from __future__ import annotations

from typing import Any, NamedTuple

from paramcalc._check import shown
from paramcalc.errors import ConfigError
from paramcalc.hf.blocks import Experts, LatentAttention, Parallel, named
from paramcalc.hf.config import HFConfig
from paramcalc.hf.decoder import Decoder, dense_mlp, from_config, given, rms
from paramcalc.hf.dense import _window
from paramcalc.hf.heads import generic
from paramcalc.hf.layout import Layout
from paramcalc.layer import Layer
from paramcalc.zoo import _nn as pc

__all__ = [
    "build_deepseek_v3",
    "build_gpt_oss",
    "build_mixtral",
    "build_olmoe",
    "build_qwen2_moe",
    "build_qwen3_moe",
]


def _experts_count(config: HFConfig, keys: tuple[str, ...], default: int) -> int:
    """The routed experts: the first of ``keys`` present, as the config class applies them.

    ``keys`` are the family's own key and its ``attribute_map`` alias, the one
    ``transformers`` keeps when both are given first (Mixtral: ``num_experts``
    over ``num_local_experts``). A key of another family is not read (so it warns).
    """
    for key in keys:
        if key in config:
            config.ignore(*keys)
            return config.size(key)
    config.ignore(*keys)
    return default


def _top_k(config: HFConfig, experts: int, default: int) -> int:
    top_k = config.size("num_experts_per_tok", default)
    if top_k > experts:
        raise ConfigError(
            f"from_hf_config: {config.where}: `num_experts_per_tok` must be at most the number "
            f"of experts. Received: num_experts_per_tok={top_k}, experts={experts}."
        )
    return top_k


def _sparse_layers(config: HFConfig, layers: int) -> Layout[bool]:
    """Qwen-MoE: layer ``i`` is dense in ``mlp_only_layers`` or off ``decoder_sparse_step``."""
    step = config.size("decoder_sparse_step", 1)
    only = config.maybe("mlp_only_layers") or []
    if not isinstance(only, list) or any(
        isinstance(i, bool) or not isinstance(i, int) for i in only
    ):
        raise ConfigError(
            f"from_hf_config: {config.where}: `mlp_only_layers` must be a list of layer "
            f"indices. Received: {shown(only)}."
        )
    sparse = Layout.cycle(((False, step - 1), (True, 1)), layers)
    return sparse.replaced(only, False)


def _qwen_kinds(config: HFConfig, layers: int, window: int | None) -> dict[str, Any]:
    if config.maybe("layer_types") is not None or window is None:
        return {}
    start = config.size("max_window_layers", 28, minimum=0)
    return {"kinds": Layout.split(start, "full_attention", "sliding_attention", layers)}


def build_mixtral(config: HFConfig) -> Layer:
    """``Mixtral…``: every layer a ``gate`` then 8 fused ``experts``, top 2."""
    hidden = config.size("hidden_size")
    experts = _experts_count(config, ("num_experts", "num_local_experts"), 8)
    top_k = _top_k(config, experts, 2)
    inner = config.size("intermediate_size")
    block = named("MixtralSparseMoeBlock", Parallel)(
        {
            "gate": pc.Linear(hidden, experts, bias=False),
            "experts": Experts(experts, hidden, inner, top_k=top_k),
        }
    )
    return from_config(
        config,
        "Mixtral",
        kv_default=8,
        window=_window(config, None),
        mlp=Layout.constant(block, config.size("num_hidden_layers")),
    )


def build_olmoe(config: HFConfig) -> Layer:
    """``Olmoe…`` (OLMoE): OLMo 2's q/k norms over all heads, a ``gate`` and 64 experts, top 8."""
    config.ignore("norm_topk_prob", "clip_qkv")
    hidden = config.size("hidden_size")
    experts = _experts_count(config, ("num_local_experts", "num_experts"), 64)
    top_k = _top_k(config, experts, 8)
    block = named("OlmoeSparseMoeBlock", Parallel)(
        {
            "gate": pc.Linear(hidden, experts, bias=False),
            "experts": Experts(experts, hidden, config.size("intermediate_size"), top_k=top_k),
        }
    )
    bias = config.option("attention_bias", False)
    return from_config(
        config,
        "Olmoe",
        eps=config.option("rms_norm_eps", 1e-5),
        qkv_bias=bias,
        o_bias=bias,
        qk_norm="full",
        mlp=Layout.constant(block, config.size("num_hidden_layers")),
        head_classes=generic("Olmoe", ("Model", "ForCausalLM")),
    )


class _QwenMoe(NamedTuple):
    """What Qwen2-MoE and Qwen3-MoE read alike, and a spec for their dense MLPs."""

    hidden: int
    layers: int
    experts: int
    top_k: int
    sparse: Layout[bool]
    window: int | None
    spec: Decoder


def _qwen_moe(
    config: HFConfig, family: str, experts: int, top_k: int, keys: tuple[str, ...]
) -> _QwenMoe:
    config.ignore("norm_topk_prob")
    hidden = config.size("hidden_size")
    layers = config.size("num_hidden_layers")
    count = _experts_count(config, keys, experts)
    chosen = _top_k(config, count, top_k)
    sparse = _sparse_layers(config, layers)
    window = _window(config, 4096, "use_sliding_window")
    spec = Decoder(
        family,
        vocab=0,
        hidden=hidden,
        intermediate=config.size("intermediate_size"),
        layers=layers,
        heads=1,
        kv_heads=1,
        head_dim=1,
    )
    return _QwenMoe(hidden, layers, count, chosen, sparse, window, spec)


def build_qwen2_moe(config: HFConfig) -> Layer:
    """``Qwen2Moe…``: routed experts plus a gated shared expert; dense ``mlp_only_layers``."""
    moe = _qwen_moe(config, "Qwen2Moe", 60, 4, ("num_experts",))
    hidden = moe.hidden
    moe_inner = config.size("moe_intermediate_size", 1408)
    shared_inner = config.size("shared_expert_intermediate_size", 5632)
    block = named("Qwen2MoeSparseMoeBlock", Parallel)(
        {
            "gate": pc.Linear(hidden, moe.experts, bias=False),
            "experts": Experts(moe.experts, hidden, moe_inner, top_k=moe.top_k),
            "shared_expert": dense_mlp(moe.spec, shared_inner),
            "shared_expert_gate": pc.Linear(hidden, 1, bias=False),
        }
    )
    dense = dense_mlp(moe.spec)
    return from_config(
        config,
        "Qwen2Moe",
        kv_default=16,
        qkv_bias=config.option("qkv_bias", True),
        window=moe.window,
        mlp=moe.sparse.map(lambda sparse: block if sparse else dense),
        **_qwen_kinds(config, moe.layers, moe.window),
    )


def build_qwen3_moe(config: HFConfig) -> Layer:
    """``Qwen3Moe…``: Qwen3 attention (q/k norms), fused ``experts`` then ``gate``."""
    moe = _qwen_moe(config, "Qwen3Moe", 128, 8, ("num_local_experts", "num_experts"))
    bias = config.option("attention_bias", False)
    block = named("Qwen3MoeSparseMoeBlock", Parallel)(
        {
            "experts": Experts(
                moe.experts, moe.hidden, config.size("moe_intermediate_size", 768), top_k=moe.top_k
            ),
            "gate": pc.Linear(moe.hidden, moe.experts, bias=False),
        }
    )
    dense = dense_mlp(moe.spec)
    return from_config(
        config,
        "Qwen3Moe",
        kv_default=4,
        qa_prefix="transformer",
        qkv_bias=bias,
        o_bias=bias,
        qk_norm="head",
        window=moe.window,
        mlp=moe.sparse.map(lambda sparse: block if sparse else dense),
        **_qwen_kinds(config, moe.layers, moe.window),
    )


def build_deepseek_v3(config: HFConfig) -> Layer:
    """``DeepseekV3…``: latent attention; dense first layers, then shared + routed experts.

    ``num_nextn_predict_layers`` (the multi-token-prediction module) builds no
    tensor in ``DeepseekV3ForCausalLM``: ``transformers`` makes it apart, for
    ``generate(use_mtp=True)``; the published 671B leaves it out too.
    """
    config.ignore(
        "num_nextn_predict_layers",
        "num_mtp_layers",
        "routed_scaling_factor",
        "n_group",
        "topk_group",
        "norm_topk_prob",
        "rope_interleave",
        "scoring_func",
        "topk_method",
        "seq_aux",
        "aux_loss_alpha",
        "ep_size",
    )
    config.choice("moe_layer_freq", 1, (1,))  # transformers builds MoE on every layer from k on
    hidden = config.size("hidden_size")
    heads = config.size("num_attention_heads")
    layers = config.size("num_hidden_layers")
    experts = _experts_count(config, ("num_local_experts", "n_routed_experts"), 256)
    top_k = _top_k(config, experts, 8)
    first_dense = config.size("first_k_dense_replace", 3, minimum=0)
    moe_inner = config.size("moe_intermediate_size", 2048)
    shared = config.size("n_shared_experts", 1)
    q_rank = given(config, "q_lora_rank", 1536)  # absent: 1536; null: one q_proj
    kv_rank = config.size("kv_lora_rank", 512)
    rope = config.size("qk_rope_head_dim", 64)
    nope = config.size("qk_nope_head_dim", 128)
    v_dim = config.size("v_head_dim", 128)
    eps = config.option("rms_norm_eps", 1e-6)
    bias = config.option("attention_bias", False)
    qk = nope + rope
    config.ignore("head_dim")  # transformers sets it to qk_rope_head_dim; no tensor uses it
    config.ignore("qk_head_dim")  # the attention computes nope + rope itself
    modules: dict[str, Layer] = {}
    if q_rank is None:
        modules["q_proj"] = pc.Linear(hidden, heads * qk, bias=False)
    else:
        modules["q_a_proj"] = pc.Linear(hidden, q_rank, bias=bias)
        modules["q_a_layernorm"] = rms(q_rank, eps)
        modules["q_b_proj"] = pc.Linear(q_rank, heads * qk, bias=False)
    modules["kv_a_proj_with_mqa"] = pc.Linear(hidden, kv_rank + rope, bias=bias)
    modules["kv_a_layernorm"] = rms(kv_rank, eps)
    modules["kv_b_proj"] = pc.Linear(kv_rank, heads * (nope + v_dim), bias=False)
    modules["o_proj"] = pc.Linear(heads * v_dim, hidden, bias=bias)
    attention = named("DeepseekV3Attention", LatentAttention)(
        modules,
        num_heads=heads,
        qk_head_dim=qk,
        v_head_dim=v_dim,
        kv_lora_rank=kv_rank,
        qk_rope_head_dim=rope,
    )
    spec = Decoder(
        "DeepseekV3",
        vocab=0,
        hidden=hidden,
        intermediate=config.size("intermediate_size"),
        layers=layers,
        heads=1,
        kv_heads=1,
        head_dim=1,
    )
    block = named("DeepseekV3MoE", Parallel)(
        {
            # DeepseekV3TopkRouter scores in fp32: the top-k weights are fp32
            "experts": Experts(experts, hidden, moe_inner, top_k=top_k, routing_dtype="fp32"),
            "gate": pc.Linear(hidden, experts, bias=False),
            "shared_experts": dense_mlp(spec, moe_inner * shared),
        }
    )
    dense = dense_mlp(spec)
    return from_config(
        config,
        "DeepseekV3",
        grouped=False,
        heads=heads,
        kv_heads=heads,
        head_dim=qk,
        kinds=Layout.constant("latent_attention", layers),
        attention=lambda kind: attention,
        mlp=Layout.split(first_dense, dense, block, layers),
        head_classes=generic(
            "DeepseekV3",
            ("Model", "ForCausalLM", "ForSequenceClassification", "ForTokenClassification"),
        ),
    )


def build_gpt_oss(config: HFConfig) -> Layer:
    """``GptOss…``: biased attention with sinks, a biased router, experts with biases."""
    config.ignore("swiglu_alpha", "swiglu_limit", "initial_context_length", "experts_per_token")
    hidden = config.size("hidden_size")
    experts = _experts_count(config, ("num_experts", "num_local_experts"), 128)
    top_k = _top_k(config, experts, 4)
    bias = config.option("attention_bias", True)
    block = named("GptOssMLP", Parallel)(
        {
            "router": pc.Linear(hidden, experts, bias=True),
            "experts": Experts(
                experts, hidden, config.size("intermediate_size"), top_k=top_k, layout="gpt_oss"
            ),
        }
    )
    window = _window(config, 128)
    layers = config.size("num_hidden_layers")
    extra: dict[str, Any] = {}
    if config.maybe("layer_types") is None:
        extra["kinds"] = Layout.every(2, layers)
    return from_config(
        config,
        "GptOss",
        kv_default=8,
        head_dim_default=64,
        qkv_bias=bias,
        o_bias=bias,
        sinks=True,
        window=window,
        mlp=Layout.constant(block, layers),
        head_classes=generic(
            "GptOss",
            ("Model", "ForCausalLM", "ForSequenceClassification", "ForTokenClassification"),
        ),
        **extra,
    )
