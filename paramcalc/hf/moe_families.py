"""More mixtures of experts: PhiMoE, GLM-4-MoE, DeepSeek-V2 (shared decoder), GraniteMoE.

Each is :func:`paramcalc.hf.decoder.from_config` with its own MoE block
(a router, fused :class:`~paramcalc.hf.blocks.Experts`), as in
:mod:`paramcalc.hf.moe`; ``active_params()`` counts what one token runs through.

>>> from paramcalc.hf import from_hf_config
>>> net = from_hf_config({"model_type": "phimoe", "vocab_size": 32064, "hidden_size": 4096,
...     "intermediate_size": 6400, "num_hidden_layers": 32, "num_attention_heads": 32,
...     "num_key_value_heads": 8, "num_local_experts": 16, "num_experts_per_tok": 2,
...     "attention_bias": True, "lm_head_bias": True})
>>> net.params(), net.active_params()  # Phi-3.5-MoE: 41.9B, 6.6B active
(41873153344, 6640999744)
"""

from __future__ import annotations

from paramcalc.errors import ConfigError
from paramcalc.hf.blocks import DecoderAttention, Experts, LatentAttention, Parallel, named, stack
from paramcalc.hf.config import HFConfig
from paramcalc.hf.decoder import (
    NO_TENSOR,
    Decoder,
    attention_shape,
    dense_mlp,
    from_config,
    given,
    rms,
)
from paramcalc.hf.heads import GENERIC, Base, Head, attach, generic
from paramcalc.hf.layout import Layout
from paramcalc.layer import Layer
from paramcalc.zoo import _nn as pc
from paramcalc.zoo._common import Net, ResidualNet

__all__ = ["build_deepseek_v2", "build_glm4_moe", "build_granitemoe", "build_phimoe"]


def _experts(config: HFConfig, key: str, default: int, top_default: int) -> tuple[int, int]:
    experts = config.size(key, default)
    top_k = config.size("num_experts_per_tok", top_default)
    if top_k > experts:
        raise ConfigError(
            f"from_hf_config: {config.where}: `num_experts_per_tok` must be at most `{key}`. "
            f"Received: num_experts_per_tok={top_k}, {key}={experts}."
        )
    return experts, top_k


def build_phimoe(config: HFConfig) -> Layer:
    """``Phimoe…`` (Phi-3.5-MoE): LayerNorms, ``router`` and 16 experts, top 2, ``lm_head_bias``."""
    config.ignore("router_jitter_noise", "input_jitter_noise", "router_aux_loss_coef")
    hidden = config.size("hidden_size")
    experts, top_k = _experts(config, "num_local_experts", 16, 2)
    block = named("PhimoeSparseMoeBlock", Parallel)(
        {
            "router": pc.Linear(hidden, experts, bias=False),
            "experts": Experts(experts, hidden, config.size("intermediate_size"), top_k=top_k),
        }
    )
    bias = config.option("attention_bias", False)
    heads = {
        "PhimoeModel": GENERIC["Model"],
        "PhimoeForCausalLM": Head("causal", "lm_head", bias=config.option("lm_head_bias", False)),
        "PhimoeForSequenceClassification": GENERIC["ForSequenceClassification"],
    }
    return from_config(
        config,
        "Phimoe",
        kv_default=8,
        norm="layer",
        eps=config.option("rms_norm_eps", 1e-5),
        qkv_bias=bias,
        o_bias=bias,
        window=given(config, "sliding_window", None),
        mlp=Layout.constant(block, config.size("num_hidden_layers")),
        head_classes=heads,
    )


def build_granitemoe(config: HFConfig) -> Layer:
    """``GraniteMoe…``: Llama attention, then the norms, then ``block_sparse_moe``.

    Its layer registers ``block_sparse_moe`` (a ``router`` and fused experts)
    after both norms, so the layer is built here rather than by the shared decoder.
    """
    config.ignore(*NO_TENSOR, "embedding_multiplier", "logits_scaling", "residual_multiplier")
    config.ignore("attention_multiplier")
    hidden, heads, kv, head_dim = attention_shape(config)
    vocab = config.size("vocab_size", 32000)
    eps = config.option("rms_norm_eps", 1e-6)
    experts, top_k = _experts(config, "num_local_experts", 8, 2)
    bias = config.option("attention_bias", False)
    attention = named("GraniteMoeAttention", DecoderAttention)(
        {
            "q_proj": pc.Linear(hidden, heads * head_dim, bias=bias),
            "k_proj": pc.Linear(hidden, kv * head_dim, bias=bias),
            "v_proj": pc.Linear(hidden, kv * head_dim, bias=bias),
            "o_proj": pc.Linear(heads * head_dim, hidden, bias=bias),
        },
        ["q_proj", "k_proj", "v_proj"],
        ["o_proj"],
        num_heads=heads,
        num_kv_heads=kv,
        head_dim=head_dim,
    )
    moe = named("GraniteMoeMoE", Parallel)(
        {
            "router": pc.Linear(hidden, experts, bias=False),
            "experts": Experts(experts, hidden, config.size("intermediate_size"), top_k=top_k),
        }
    )
    layer = named("GraniteMoeDecoderLayer", ResidualNet)(
        {
            "self_attn": attention,
            "input_layernorm": rms(hidden, eps),
            "post_attention_layernorm": rms(hidden, eps),
            "block_sparse_moe": moe,
        },
        [["input_layernorm", "self_attn"], ["post_attention_layernorm", "block_sparse_moe"]],
    )
    model = named("GraniteMoeModel", Net)(
        {
            "embed_tokens": pc.Embedding(vocab, hidden),
            "layers": stack([(layer, config.size("num_hidden_layers", 32))]),
            "norm": rms(hidden, eps),
        }
    )
    heads_map = {
        "GraniteMoeModel": GENERIC["Model"],
        "GraniteMoeForCausalLM": GENERIC["ForCausalLM"],
    }
    return attach(
        config,
        heads_map,
        Base(model, "model", hidden, vocab, "embed_tokens.weight"),
        tie_default=False,
    )


def build_glm4_moe(config: HFConfig) -> Layer:
    """``Glm4Moe…`` (GLM-4.5): dense first layers, then ``experts``, ``gate``, ``shared_experts``.

    q/k/v take ``attention_bias``, ``o_proj`` none; ``use_qk_norm`` adds per-head
    q/k RMSNorms. ``head_dim`` defaults to ``hidden_size // num_attention_heads``
    rounded down, as ``Glm4MoeAttention`` computes it; the multi-token-prediction
    layers (``num_nextn_predict_layers``) build no tensor in these classes.
    """
    config.ignore("num_nextn_predict_layers", "num_mtp_layers", "routed_scaling_factor")
    config.ignore("n_group", "topk_group", "norm_topk_prob")
    hidden = config.size("hidden_size")
    heads = config.size("num_attention_heads")
    layers = config.size("num_hidden_layers")
    keys = ("num_local_experts", "n_routed_experts")  # the alias wins, as in Glm4MoeConfig
    key = next((key for key in keys if key in config), keys[1])
    config.ignore(*keys)
    experts, top_k = _experts(config, key, 128, 8)
    first_dense = config.size("first_k_dense_replace", 1, minimum=0)
    moe_inner = config.size("moe_intermediate_size", 1408)
    shared = config.size("n_shared_experts", 1)
    spec = Decoder(
        "Glm4Moe",
        vocab=0,
        hidden=hidden,
        intermediate=config.size("intermediate_size"),
        layers=layers,
        heads=1,
        kv_heads=1,
        head_dim=1,
    )
    block = named("Glm4MoeMoE", Parallel)(
        {
            "experts": Experts(experts, hidden, moe_inner, top_k=top_k),
            "gate": pc.Linear(hidden, experts, bias=False),
            "shared_experts": dense_mlp(spec, moe_inner * shared),
        }
    )
    dense = dense_mlp(spec)
    return from_config(
        config,
        "Glm4Moe",
        kv_default=8,
        head_dim_default=hidden // heads,
        eps=config.option("rms_norm_eps", 1e-5),
        qkv_bias=config.option("attention_bias", False),
        qk_norm="head" if config.option("use_qk_norm", False) else "",
        mlp=Layout.split(first_dense, dense, block, layers),
        head_classes={
            "Glm4MoeModel": GENERIC["Model"],
            "Glm4MoeForCausalLM": GENERIC["ForCausalLM"],
        },
    )


def build_deepseek_v2(config: HFConfig) -> Layer:
    """``DeepseekV2…``: DeepSeek-V3's latent attention and MoE, with ``mlp_bias``.

    ``num_experts_per_tok`` has no default (None) in ``DeepseekV2Config``; it sizes
    no tensor but the active parameters, so a config with experts must give it.
    """
    config.ignore("routed_scaling_factor", "n_group", "topk_group", "topk_method")
    config.ignore("norm_topk_prob", "head_dim", "qk_head_dim", "num_key_value_heads")
    hidden = config.size("hidden_size")
    heads = config.size("num_attention_heads")
    layers = config.size("num_hidden_layers")
    keys = ("num_experts", "n_routed_experts")  # the alias wins, as in DeepseekV2Config
    key = next((key for key in keys if key in config), keys[1])
    config.ignore(*keys)
    if config.maybe("num_experts_per_tok") is None:
        raise ConfigError(
            f"from_hf_config: a {config.where} needs `num_experts_per_tok` (the experts a token "
            "runs through; DeepseekV2Config has no default) to count active parameters."
        )
    experts, top_k = _experts(config, key, 64, 1)
    first_dense = config.size("first_k_dense_replace", 0, minimum=0)
    moe_inner = config.size("moe_intermediate_size", 1407)
    shared = config.size("n_shared_experts", 2)
    q_rank = given(config, "q_lora_rank", 1536)  # absent: 1536; null: one q_proj
    kv_rank = config.size("kv_lora_rank", 512)
    rope = config.size("qk_rope_head_dim", 64)
    nope = config.size("qk_nope_head_dim", 128)
    v_dim = config.size("v_head_dim", 128)
    eps = config.option("rms_norm_eps", 1e-6)
    bias = config.option("attention_bias", False)
    qk = nope + rope
    modules: dict[str, Layer] = {}
    if q_rank is None:
        modules["q_proj"] = pc.Linear(hidden, heads * qk, bias=False)
    else:
        modules["q_a_proj"] = pc.Linear(hidden, q_rank, bias=bias)
        modules["q_a_layernorm"] = rms(q_rank, 1e-6)
        modules["q_b_proj"] = pc.Linear(q_rank, heads * qk, bias=False)
    modules["kv_a_proj_with_mqa"] = pc.Linear(hidden, kv_rank + rope, bias=bias)
    modules["kv_a_layernorm"] = rms(kv_rank, 1e-6)
    modules["kv_b_proj"] = pc.Linear(kv_rank, heads * (nope + v_dim), bias=False)
    modules["o_proj"] = pc.Linear(heads * v_dim, hidden, bias=bias)
    attention = named("DeepseekV2Attention", LatentAttention)(
        modules,
        num_heads=heads,
        qk_head_dim=qk,
        v_head_dim=v_dim,
        kv_lora_rank=kv_rank,
        qk_rope_head_dim=rope,
    )
    spec = Decoder(
        "DeepseekV2",
        vocab=0,
        hidden=hidden,
        intermediate=config.size("intermediate_size"),
        layers=layers,
        heads=1,
        kv_heads=1,
        head_dim=1,
        mlp_bias=config.option("mlp_bias", False),
    )
    block = named("DeepseekV2Moe", Parallel)(
        {
            "experts": Experts(experts, hidden, moe_inner, top_k=top_k),
            "gate": pc.Linear(hidden, experts, bias=False),
            "shared_experts": dense_mlp(spec, moe_inner * shared),
        }
    )
    dense = dense_mlp(spec)
    return from_config(
        config,
        "DeepseekV2",
        grouped=False,
        heads=heads,
        kv_heads=heads,
        head_dim=qk,
        eps=eps,
        kinds=Layout.constant("latent_attention", layers),
        attention=lambda kind: attention,
        mlp=Layout.split(first_dense, dense, block, layers),
        head_classes=generic("DeepseekV2", ("Model", "ForCausalLM", "ForSequenceClassification")),
    )
