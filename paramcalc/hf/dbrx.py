"""DBRX: packed grouped-query ``Wqkv``, bias-free LayerNorms, GLU experts in 2-d tensors.

Its keys sit in two sub-configs: ``attn_config`` (``kv_n_heads``) and
``ffn_config`` (``ffn_hidden_size``, ``moe_num_experts``, ``moe_top_k``);
``ffn_config.hidden_size`` is overwritten with ``d_model``, as ``DbrxConfig`` does.

>>> from paramcalc.hf import from_hf_config
>>> net = from_hf_config({"model_type": "dbrx", "d_model": 6144, "n_heads": 48, "n_layers": 40,
...     "vocab_size": 100352, "attn_config": {"kv_n_heads": 8},
...     "ffn_config": {"ffn_hidden_size": 10752, "moe_num_experts": 16, "moe_top_k": 4}})
>>> net.params(), net.active_params()  # DBRX: 132B, 36B active
(131596523520, 36469708800)
"""

from __future__ import annotations

from dataclasses import dataclass

from paramcalc.errors import ConfigError
from paramcalc.hf.blocks import DecoderAttention, Experts, Parallel, named, stack
from paramcalc.hf.config import HFConfig
from paramcalc.hf.heads import GENERIC, Base, attach
from paramcalc.layer import Layer
from paramcalc.shapes import Shape
from paramcalc.zoo import _nn as pc
from paramcalc.zoo._common import Net

__all__ = ["GLUExperts", "build_dbrx"]

_SUB_GENERIC = ("id2label", "label2id")  # what a sub-config's save_pretrained writes besides


@dataclass(frozen=True, repr=False, eq=False)
class GLUExperts(Experts):
    """DBRX's experts: ``w1``, ``v1`` and ``w2``, each ``(E·I, H)``.

    >>> next(GLUExperts(4, 8, 16, top_k=1).named_parameters())
    ('w1', (64, 8))
    """

    def parameter_shapes(self) -> tuple[tuple[str, Shape], ...]:
        rows = self.num_experts * self.intermediate_size
        return (
            ("w1", (rows, self.hidden_size)),
            ("v1", (rows, self.hidden_size)),
            ("w2", (rows, self.hidden_size)),
        )


def build_dbrx(config: HFConfig) -> Layer:
    """``DbrxModel`` and ``DbrxForCausalLM`` (never tied: ``DbrxConfig`` refuses it)."""
    config.ignore("max_seq_len", "resid_pdrop", "emb_pdrop", "rope_parameters", "rope_theta")
    config.ignore("output_router_logits", "router_aux_loss_coef", "num_key_value_heads")
    config.choice("tie_word_embeddings", False, (False,))
    width = config.size("d_model", 2048)
    heads = config.size("n_heads", 16)
    if width % heads:
        raise ConfigError(
            f"from_hf_config: {config.where}: `d_model` must be divisible by `n_heads`. "
            f"Received: d_model={width}, n_heads={heads}."
        )
    head_dim = width // heads
    attn = config.sub("attn_config", optional=True)
    attn.ignore("attn_pdrop", "clip_qkv", "rope_theta", *_SUB_GENERIC)
    kv = attn.size("kv_n_heads", 1)
    if heads % kv:
        raise ConfigError(
            f"from_hf_config: {config.where}: `n_heads` must be divisible by "
            f"`attn_config.kv_n_heads`. Received: n_heads={heads}, kv_n_heads={kv}."
        )
    ffn = config.sub("ffn_config", optional=True)
    ffn.ignore("ffn_act_fn", "moe_jitter_eps", "moe_loss_weight", "moe_normalize_expert_weights")
    ffn.ignore("hidden_size", "uniform_expert_assignment", *_SUB_GENERIC)
    experts = ffn.size("moe_num_experts", 4)
    top_k = ffn.size("moe_top_k", 1)
    if top_k > experts:
        raise ConfigError(
            f"from_hf_config: {config.where}: `ffn_config.moe_top_k` must be at most "
            f"`moe_num_experts`. Received: moe_top_k={top_k}, moe_num_experts={experts}."
        )
    inner = ffn.size("ffn_hidden_size", 3584)
    vocab = config.size("vocab_size", 32000)
    attention = named("DbrxAttention", DecoderAttention)(
        {
            "Wqkv": pc.Linear(width, width + 2 * kv * head_dim, bias=False),
            "out_proj": pc.Linear(width, width, bias=False),
        },
        ["Wqkv"],
        ["out_proj"],
        num_heads=heads,
        num_kv_heads=kv,
        head_dim=head_dim,
    )
    norm_attn_norm = named("DbrxNormAttentionNorm", Net)(
        {
            "norm_1": pc.LayerNorm(width, bias=False),
            "attn": attention,
            "norm_2": pc.LayerNorm(width, bias=False),
        }
    )
    moe = named("DbrxFFN", Parallel)(
        {
            "router": named("DbrxRouter", Net)({"layer": pc.Linear(width, experts, bias=False)}),
            "experts": named("DbrxExperts", Net)(
                {"mlp": GLUExperts(experts, width, inner, top_k=top_k)}
            ),
        }
    )
    block = named("DbrxBlock", Net)({"norm_attn_norm": norm_attn_norm, "ffn": moe})
    model = named("DbrxModel", Net)(
        {
            "wte": pc.Embedding(vocab, width),
            "blocks": stack([(block, config.size("n_layers", 24))]),
            "norm_f": pc.LayerNorm(width, bias=False),
        }
    )
    heads_map = {"DbrxModel": GENERIC["Model"], "DbrxForCausalLM": GENERIC["ForCausalLM"]}
    base = Base(model, "transformer", width, vocab, "wte.weight")
    return attach(config, heads_map, base, tie_default=False)
