"""JetMoE: a mixture of attention heads (``experts`` of q/o projections) and of MLPs.

Each layer's ``self_attention`` holds a ``JetMoeMoA`` (a ``bias``, expert
``input_linear``/``output_linear`` tensors ``(E, out, in)`` and a ``router``)
and one shared ``kv_proj``; its ``mlp`` is the same kind of block with GLU
experts. A token runs through ``num_experts_per_tok`` experts of each, and
has ``num_key_value_heads · num_experts_per_tok`` query heads.

>>> from paramcalc.hf import from_hf_config
>>> net = from_hf_config({"model_type": "jetmoe"})  # JetMoeConfig() defaults
>>> net.params(), net.active_params()
(4293888000, 1198491648)
"""

from __future__ import annotations

from dataclasses import dataclass

from paramcalc.errors import ConfigError
from paramcalc.hf.blocks import DecoderAttention, Experts, named, stack
from paramcalc.hf.config import HFConfig
from paramcalc.hf.decoder import NO_TENSOR, rms
from paramcalc.hf.heads import Base, attach, generic
from paramcalc.hf.parts import WithTables
from paramcalc.layer import Layer
from paramcalc.shapes import Shape
from paramcalc.zoo import _nn as pc
from paramcalc.zoo._common import Net, ResidualNet

__all__ = ["ParallelExperts", "build_jetmoe"]


@dataclass(frozen=True, repr=False, eq=False)
class ParallelExperts(Experts):
    """``JetMoeParallelExperts``: one ``weight`` ``(E, out, in)``.

    ``hidden_size`` is ``in``, ``intermediate_size`` is ``out``.

    >>> next(ParallelExperts(8, 16, 32, top_k=2).named_parameters())
    ('weight', (8, 32, 16))
    """

    def parameter_shapes(self) -> tuple[tuple[str, Shape], ...]:
        return (("weight", (self.num_experts, self.intermediate_size, self.hidden_size)),)

    def infer_shape(self, shape: Shape) -> Shape:
        # the GLU halves input_linear's output before output_linear: sizes pass as JetMoE's do
        return (*shape[:-1], self.intermediate_size)

    def count_macs(self, shape: Shape, output: Shape) -> int:
        tokens = 1
        for size in shape[:-1]:
            tokens *= size
        return tokens * self.top_k * self.hidden_size * self.intermediate_size


def _block(name: str, hidden: int, inner: int, out: int, experts: int, top_k: int) -> Layer:
    """``bias``, ``input_linear`` (hidden → inner), ``output_linear`` (out → hidden), ``router``."""
    return named(name, WithTables)(
        {
            "bias": pc.Parameter(hidden),
            "input_linear": ParallelExperts(experts, hidden, inner, top_k=top_k),
            "output_linear": ParallelExperts(experts, out, hidden, top_k=top_k),
            "router": named("JetMoeTopKGating", Net)(
                {"layer": pc.Linear(hidden, experts, bias=False)}
            ),
        },
        ["input_linear", "output_linear"],
    )


def build_jetmoe(config: HFConfig) -> Layer:
    """``JetMoeModel``, ``JetMoeForCausalLM`` (tied by default), ``…ForSequenceClassification``."""
    config.ignore(*NO_TENSOR, "activation_function", "aux_loss_coef", "num_attention_heads")
    hidden = config.size("hidden_size", 2048)
    kv_heads = config.size("num_key_value_heads", 16)
    head_dim = config.size("kv_channels", 128)
    experts = config.size("num_local_experts", 8)
    top_k = config.size("num_experts_per_tok", 2)
    if top_k > experts:
        raise ConfigError(
            f"from_hf_config: {config.where}: `num_experts_per_tok` must be at most "
            f"`num_local_experts`. Received: num_experts_per_tok={top_k}, "
            f"num_local_experts={experts}."
        )
    inner = config.size("intermediate_size", 5632)
    vocab = config.size("vocab_size", 32000)
    eps = config.option("rms_norm_eps", 1e-6)
    kv_size = kv_heads * head_dim
    attention = named("JetMoeAttention", DecoderAttention)(
        {
            "experts": _block("JetMoeMoA", hidden, kv_size, kv_size, experts, top_k),
            "kv_proj": pc.Linear(hidden, 2 * kv_size, bias=False),
        },
        ["kv_proj"],
        ["experts"],
        num_heads=kv_heads * top_k,
        num_kv_heads=kv_heads,
        head_dim=head_dim,
    )
    layer = named("JetMoeDecoderLayer", ResidualNet)(
        {
            "mlp": _block("JetMoeMoE", hidden, 2 * inner, inner, experts, top_k),
            "input_layernorm": rms(hidden, 1e-6),
            "post_attention_layernorm": rms(hidden, 1e-6),
            "self_attention": attention,
        },
        [["input_layernorm", "self_attention"], ["post_attention_layernorm", "mlp"]],
    )
    model = named("JetMoeModel", Net)(
        {
            "embed_tokens": pc.Embedding(vocab, hidden),
            "layers": stack([(layer, config.size("num_hidden_layers", 12))]),
            "norm": rms(hidden, eps),
        }
    )
    heads = generic("JetMoe", ("Model", "ForCausalLM", "ForSequenceClassification"))
    base = Base(model, "model", hidden, vocab, "embed_tokens.weight")
    return attach(config, heads, base, tie_default=True)
