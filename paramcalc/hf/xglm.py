"""XGLM (fairseq's multilingual GPT): biased q/k/v/out, post-attention MLP, sinusoidal positions.

Positions are sinusoidal (no tensor, no length limit); ``add_cross_attention``
adds ``encoder_attn`` and its LayerNorm to every layer.

>>> from paramcalc.hf import from_hf_config
>>> from_hf_config({"model_type": "xglm", "vocab_size": 256008, "d_model": 1024,
...     "ffn_dim": 4096, "num_layers": 24, "attention_heads": 16}).params()
564463616
"""

from __future__ import annotations

from paramcalc.errors import ConfigError
from paramcalc.hf.blocks import DecoderAttention, named, stack
from paramcalc.hf.config import HFConfig
from paramcalc.hf.heads import GENERIC, Base, attach
from paramcalc.layer import Layer
from paramcalc.zoo import _nn as pc
from paramcalc.zoo._common import Net, ResidualNet

__all__ = ["build_xglm"]


def _attention(width: int, heads: int, kind: str) -> Layer:
    return named("XGLMAttention", DecoderAttention)(
        {name: pc.Linear(width, width) for name in ("k_proj", "v_proj", "q_proj", "out_proj")},
        ["q_proj", "k_proj", "v_proj"],
        ["out_proj"],
        num_heads=heads,
        num_kv_heads=heads,
        head_dim=width // heads,
        kind=kind,
    )


def build_xglm(config: HFConfig) -> Layer:
    """``XGLMModel`` and ``XGLMForCausalLM`` (``lm_head`` tied by default)."""
    config.ignore("activation_function", "dropout", "attention_dropout", "activation_dropout")
    config.ignore("layerdrop", "init_std", "scale_embedding", "max_position_embeddings")
    width = config.size("d_model", 1024)
    heads = config.size("attention_heads", 16)
    if width % heads:
        raise ConfigError(
            f"from_hf_config: {config.where}: `d_model` must be divisible by `attention_heads`. "
            f"Received: d_model={width}, attention_heads={heads}."
        )
    ffn = config.size("ffn_dim", 4096)
    vocab = config.size("vocab_size", 256008)
    modules: dict[str, Layer] = {"self_attn": _attention(width, heads, "full_attention")}
    groups = [["self_attn_layer_norm", "self_attn"]]
    if config.option("add_cross_attention", False):
        modules["encoder_attn"] = _attention(width, heads, "cross_attention")
        modules["encoder_attn_layer_norm"] = pc.LayerNorm(width)
        groups.append(["encoder_attn_layer_norm", "encoder_attn"])
    modules |= {
        "self_attn_layer_norm": pc.LayerNorm(width),
        "fc1": pc.Linear(width, ffn),
        "activation_fn": pc.GELU(),
        "fc2": pc.Linear(ffn, width),
        "final_layer_norm": pc.LayerNorm(width),
    }
    groups.append(["final_layer_norm", "fc1", "activation_fn", "fc2"])
    layer = named("XGLMDecoderLayer", ResidualNet)(modules, groups)
    model = named("XGLMModel", Net)(
        {
            "embed_tokens": pc.Embedding(vocab, width),
            "layers": stack([(layer, config.size("num_layers", 24))]),
            "layer_norm": pc.LayerNorm(width),
        }
    )
    heads_map = {"XGLMModel": GENERIC["Model"], "XGLMForCausalLM": GENERIC["ForCausalLM"]}
    base = Base(model, "model", width, vocab, "embed_tokens.weight")
    return attach(config, heads_map, base, tie_default=True)
