"""Decoders with one packed q/k/v projection and LayerNorms: BLOOM, Persimmon and MPT.

BLOOM (ALiBi, no position tensor) normalises its token table
(``word_embeddings_layernorm``) and always sizes its MLP ``4 * hidden_size``;
Persimmon adds per-head q/k LayerNorms (``qk_layernorm``) and a ReLU² MLP of
``intermediate_size``; MPT (ALiBi) has no bias anywhere, its LayerNorms
included, and in ``transformers`` always ``4 * d_model`` wide MLPs and
multi-head attention.

>>> from paramcalc.hf import from_hf_config
>>> from_hf_config({"model_type": "bloom", "vocab_size": 250880, "hidden_size": 1024,
...     "n_layer": 24, "n_head": 16}).params()
559214592
"""

from __future__ import annotations

from paramcalc.errors import ConfigError
from paramcalc.hf.blocks import DecoderAttention, named, stack
from paramcalc.hf.config import HFConfig
from paramcalc.hf.heads import GENERIC, Base, Head, attach, generic
from paramcalc.layer import Layer
from paramcalc.zoo import _nn as pc
from paramcalc.zoo._common import Net, ResidualNet

__all__ = ["build_bloom", "build_mpt", "build_persimmon"]

_MEGATRON = (  # training switches of the published BLOOM configs: no tensor
    "attention_softmax_in_fp32",
    "bias_dropout_fusion",
    "masked_softmax_fusion",
    "offset_alibi",
    "skip_bias_add",
    "skip_bias_add_qkv",
    "unk_token_id",
    "seq_length",
    "n_inner",  # BloomMLP is always 4 * hidden_size wide
)


def _shape(config: HFConfig, heads_key: str, defaults: tuple[int, int]) -> tuple[int, int]:
    width = config.size("hidden_size", defaults[0])
    heads = config.size(heads_key, defaults[1])
    if width % heads:
        raise ConfigError(
            f"from_hf_config: {config.where}: `hidden_size` must be divisible by `{heads_key}`. "
            f"Received: hidden_size={width}, {heads_key}={heads}."
        )
    return width, heads


def build_bloom(config: HFConfig) -> Layer:
    """``Bloom…``: ``word_embeddings_layernorm``, packed q/k/v, MLP ``4 * hidden_size``."""
    config.ignore(*_MEGATRON, "apply_residual_connection_post_layernorm", "slow_but_exact")
    config.ignore("hidden_dropout", "attention_dropout", "pretraining_tp", "layer_norm_epsilon")
    width, heads = _shape(config, "n_head", (64, 8))
    vocab = config.size("vocab_size", 250880)
    attention = named("BloomAttention", DecoderAttention)(
        {
            "query_key_value": pc.Linear(width, 3 * width),
            "dense": pc.Linear(width, width),
        },
        ["query_key_value"],
        ["dense"],
        num_heads=heads,
        num_kv_heads=heads,
        head_dim=width // heads,
    )
    mlp = named("BloomMLP", Net)(
        {
            "dense_h_to_4h": pc.Linear(width, 4 * width),
            "gelu_impl": pc.GELU(approximate="tanh"),
            "dense_4h_to_h": pc.Linear(4 * width, width),
        }
    )
    block = named("BloomBlock", ResidualNet)(
        {
            "input_layernorm": pc.LayerNorm(width),
            "self_attention": attention,
            "post_attention_layernorm": pc.LayerNorm(width),
            "mlp": mlp,
        },
        [["input_layernorm", "self_attention"], ["post_attention_layernorm", "mlp"]],
    )
    model = named("BloomModel", Net)(
        {
            "word_embeddings": pc.Embedding(vocab, width),
            "word_embeddings_layernorm": pc.LayerNorm(width),
            "h": stack([(block, config.size("n_layer", 2))]),
            "ln_f": pc.LayerNorm(width),
        }
    )
    heads_map = {
        "BloomModel": GENERIC["Model"],
        "BloomForCausalLM": GENERIC["ForCausalLM"],
        "BloomForSequenceClassification": GENERIC["ForSequenceClassification"],
        "BloomForTokenClassification": Head("token", "classifier", bias=True, dropout=True),
        "BloomForQuestionAnswering": GENERIC["ForQuestionAnswering"],
    }
    base = Base(model, "transformer", width, vocab, "word_embeddings.weight")
    return attach(config, heads_map, base, tie_default=True)


def build_persimmon(config: HFConfig) -> Layer:
    """``Persimmon…``: packed biased q/k/v, q/k LayerNorms sized ``hidden // heads``."""
    config.ignore("hidden_act", "max_position_embeddings", "rope_parameters", "rope_theta")
    config.ignore("rope_scaling", "partial_rotary_factor", "layer_norm_eps")
    config.ignore("hidden_dropout", "attention_dropout")
    width, heads = _shape(config, "num_attention_heads", (4096, 64))
    head_dim = width // heads
    inner = config.size("intermediate_size", 16384)
    vocab = config.size("vocab_size", 262144)
    modules: dict[str, Layer] = {
        "query_key_value": pc.Linear(width, 3 * width),
        "dense": pc.Linear(width, width),
    }
    norms: list[tuple[str, int, int]] = []
    if config.option("qk_layernorm", True):
        modules["q_layernorm"] = pc.LayerNorm(head_dim)
        modules["k_layernorm"] = pc.LayerNorm(head_dim)
        norms = [("q_layernorm", heads, head_dim), ("k_layernorm", heads, head_dim)]
    attention = named("PersimmonAttention", DecoderAttention)(
        modules,
        ["query_key_value"],
        ["dense"],
        num_heads=heads,
        num_kv_heads=heads,
        head_dim=head_dim,
        norms=norms,
    )
    mlp = named("PersimmonMLP", Net)(
        {
            "dense_h_to_4h": pc.Linear(width, inner),
            "act": pc.ReLU(),
            "dense_4h_to_h": pc.Linear(inner, width),
        }
    )
    layer = named("PersimmonDecoderLayer", ResidualNet)(
        {
            "self_attn": attention,
            "mlp": mlp,
            "input_layernorm": pc.LayerNorm(width),
            "post_attention_layernorm": pc.LayerNorm(width),
        },
        [["input_layernorm", "self_attn"], ["post_attention_layernorm", "mlp"]],
    )
    model = named("PersimmonModel", Net)(
        {
            "embed_tokens": pc.Embedding(vocab, width),
            "layers": stack([(layer, config.size("num_hidden_layers", 36))]),
            "final_layernorm": pc.LayerNorm(width),
        }
    )
    suffixes = ("Model", "ForCausalLM", "ForSequenceClassification", "ForTokenClassification")
    base = Base(model, "model", width, vocab, "embed_tokens.weight")
    return attach(config, generic("Persimmon", suffixes), base, tie_default=False)


_MPT_FIXED = (  # MptConfig keys the transformers 5.23 model does not read: no tensor changes
    "expansion_ratio",  # MptMLP is always 4 * d_model wide
    "no_bias",  # no bias either way
    "learned_pos_emb",  # no position table (ALiBi)
    "norm_type",
    "embedding_fraction",
    "logit_scale",
    "init_device",
    "max_seq_len",
    "resid_pdrop",
    "emb_pdrop",
    "layer_norm_epsilon",
    "init_config",
    "fc_type",
    "ffn_config",
    "verbose",
)


def build_mpt(config: HFConfig) -> Layer:
    """``Mpt…``: ``Wqkv`` and ``out_proj``, ``up_proj``/``down_proj``, weight-only LayerNorms.

    ``attn_config``'s keys (``attn_type``, ``qk_ln``, ``clip_qkv``, ``alibi`` …)
    change no tensor of ``transformers``' MPT, which always builds multi-head attention.
    """
    config.ignore(*_MPT_FIXED)
    attn = config.sub("attn_config", optional=True)
    attn.ignore(*attn.data)
    width, heads = _shape_mpt(config)
    vocab = config.size("vocab_size", 50368)
    attention = named("MptAttention", DecoderAttention)(
        {
            "Wqkv": pc.Linear(width, 3 * width, bias=False),
            "out_proj": pc.Linear(width, width, bias=False),
        },
        ["Wqkv"],
        ["out_proj"],
        num_heads=heads,
        num_kv_heads=heads,
        head_dim=width // heads,
    )
    mlp = named("MptMLP", Net)(
        {
            "up_proj": pc.Linear(width, 4 * width, bias=False),
            "act": pc.GELU(),
            "down_proj": pc.Linear(4 * width, width, bias=False),
        }
    )
    block = named("MptBlock", ResidualNet)(
        {
            "norm_1": pc.LayerNorm(width, bias=False),
            "attn": attention,
            "norm_2": pc.LayerNorm(width, bias=False),
            "ffn": mlp,
        },
        [["norm_1", "attn"], ["norm_2", "ffn"]],
    )
    model = named("MptModel", Net)(
        {
            "wte": pc.Embedding(vocab, width),
            "blocks": stack([(block, config.size("n_layers", 24))]),
            "norm_f": pc.LayerNorm(width, bias=False),
        }
    )
    heads_map = {
        "MptModel": GENERIC["Model"],
        "MptForCausalLM": GENERIC["ForCausalLM"],
        "MptForSequenceClassification": GENERIC["ForSequenceClassification"],
        "MptForTokenClassification": Head("token", "classifier", bias=True, dropout=True),
        "MptForQuestionAnswering": GENERIC["ForQuestionAnswering"],
    }
    base = Base(model, "transformer", width, vocab, "wte.weight")
    return attach(config, heads_map, base, tie_default=True)


def _shape_mpt(config: HFConfig) -> tuple[int, int]:
    width = config.size("d_model", 2048)
    heads = config.size("n_heads", 16)
    if width % heads:
        raise ConfigError(
            f"from_hf_config: {config.where}: `d_model` must be divisible by `n_heads`. "
            f"Received: d_model={width}, n_heads={heads}."
        )
    return width, heads
