"""Decoders not shaped like Llama: GPT-2, GPT-BigCode, GPT-NeoX, OPT, Falcon and Phi.

Each has its own module names, so each has its own function here; the heads
(:mod:`paramcalc.hf.heads`) and layer stacks are shared.

>>> from paramcalc.hf import from_hf_config
>>> from_hf_config({"model_type": "gpt2", "n_positions": 1024, "n_embd": 768, "n_layer": 12,
...     "n_head": 12, "vocab_size": 50257, "add_cross_attention": True}).params()
152806656
"""

from __future__ import annotations

from typing import Any

from paramcalc.errors import ConfigError
from paramcalc.hf.blocks import DecoderAttention, named, stack
from paramcalc.hf.config import HFConfig
from paramcalc.hf.decoder import attention_shape
from paramcalc.hf.heads import GENERIC, Base, Head, attach, generic
from paramcalc.layer import Layer
from paramcalc.zoo import _nn as pc
from paramcalc.zoo._common import Conv1D, Net, ResidualNet, SummedEmbeddings

__all__ = [
    "build_falcon",
    "build_gpt2",
    "build_gpt_bigcode",
    "build_gpt_neox",
    "build_opt",
    "build_phi",
    "gpt2_network",
]

_DROPOUTS = ("resid_pdrop", "embd_pdrop", "attn_pdrop", "attention_dropout", "hidden_dropout")


def _classic_heads(family: str, *, causal: str = "ForCausalLM", qa: bool = True) -> dict[str, Head]:
    """Model, causal LM, ``score`` (no bias), ``dropout`` + ``classifier`` and ``qa_outputs``."""
    heads = {
        f"{family}Model": GENERIC["Model"],
        f"{family}{causal}": GENERIC["ForCausalLM"],
        f"{family}ForSequenceClassification": GENERIC["ForSequenceClassification"],
        f"{family}ForTokenClassification": Head("token", "classifier", bias=True, dropout=True),
    }
    if qa:
        heads[f"{family}ForQuestionAnswering"] = GENERIC["ForQuestionAnswering"]
    return heads


def gpt2_network(
    config: HFConfig,
    *,
    family: str = "GPT2",
    vocab: int,
    positions: int,
    layers: int,
    width: int,
    heads: int,
    inner: int,
    eps: float = 1e-5,
    cross: bool = False,
    multi_query: bool = False,
    tie: bool = True,
) -> Layer:
    """GPT-2 (``Conv1D`` projections) or GPT-BigCode (``Linear``, multi-query ``c_attn``).

    The zoo's ``gpt2()`` builds its networks here too.
    """
    head_dim = width // heads
    conv = family == "GPT2"

    def project(out: int, into: int) -> Layer:
        return Conv1D(out, into) if conv else pc.Linear(into, out)

    kv_heads = 1 if multi_query else heads
    qkv = width + 2 * kv_heads * head_dim
    attention = named(f"{family}Attention", DecoderAttention)(
        {
            "c_attn": project(qkv, width),
            "c_proj": project(width, width),
            "attn_dropout": pc.Dropout(0.1),
            "resid_dropout": pc.Dropout(0.1),
        },
        ["c_attn"],
        ["attn_dropout", "c_proj", "resid_dropout"],
        num_heads=heads,
        num_kv_heads=kv_heads,
        head_dim=head_dim,
    )
    modules: dict[str, Layer] = {
        "ln_1": pc.LayerNorm(width, eps=eps),
        "attn": attention,
        "ln_2": pc.LayerNorm(width, eps=eps),
    }
    groups = [["ln_1", "attn"], ["ln_2", "mlp"]]
    if cross:
        modules["crossattention"] = named(f"{family}Attention", DecoderAttention)(
            {
                "c_attn": project(2 * width, width),
                "q_attn": project(width, width),
                "c_proj": project(width, width),
                "attn_dropout": pc.Dropout(0.1),
                "resid_dropout": pc.Dropout(0.1),
            },
            ["q_attn", "c_attn"],
            ["attn_dropout", "c_proj", "resid_dropout"],
            num_heads=heads,
            num_kv_heads=heads,
            head_dim=head_dim,
            kind="cross_attention",
        )
        modules["ln_cross_attn"] = pc.LayerNorm(width, eps=eps)
        groups = [["ln_1", "attn"], ["ln_cross_attn", "crossattention"], ["ln_2", "mlp"]]
    modules["mlp"] = named(f"{family}MLP", Net)(
        {
            "c_fc": project(inner, width),
            "c_proj": project(width, inner),
            "act": pc.GELU(approximate="tanh"),
            "dropout": pc.Dropout(0.1),
        },
        ["c_fc", "act", "c_proj", "dropout"],
    )
    block = named(f"{family}Block", ResidualNet)(modules, groups)
    model = named(f"{family}Model", SummedEmbeddings)(
        {
            "wte": pc.Embedding(vocab, width),
            "wpe": pc.Embedding(positions, width),
            "drop": pc.Dropout(0.1),
            "h": stack([(block, layers)]),
            "ln_f": pc.LayerNorm(width, eps=eps),
        },
        ["wte", "wpe"],
        ["wpe"],
    )
    causal = "LMHeadModel" if conv else "ForCausalLM"
    base = Base(model, "transformer", width, vocab, "wte.weight")
    return attach(config, _classic_heads(family, causal=causal, qa=conv), base, tie_default=tie)


def _gpt2_keys(config: HFConfig) -> dict[str, Any]:
    config.ignore(*_DROPOUTS, "activation_function", "scale_attn_weights", "n_ctx")
    width = config.size("n_embd", 768)
    inner = config.maybe("n_inner")
    return {
        "vocab": config.size("vocab_size", 50257),
        "positions": config.size("n_positions", 1024),
        "layers": config.size("n_layer", 12),
        "width": width,
        "heads": _heads(config, width, config.size("n_head", 12)),
        "inner": 4 * width if inner is None else config.size("n_inner"),
    }


def _heads(config: HFConfig, width: int, heads: int) -> int:
    if width % heads:
        raise ConfigError(
            f"from_hf_config: {config.where}: `n_embd` must be divisible by `n_head`. "
            f"Received: n_embd={width}, n_head={heads}."
        )
    return heads


_SUMMARY = (  # GPT2DoubleHeadsModel's summary head, which paramcalc does not build
    "summary_activation",
    "summary_first_dropout",
    "summary_proj_to_labels",
    "summary_type",
    "summary_use_proj",
)


def build_gpt2(config: HFConfig) -> Layer:
    """``GPT2…``: ``add_cross_attention`` adds ``crossattention`` and ``ln_cross_attn``."""
    config.ignore(*_SUMMARY, "scale_attn_by_inverse_layer_idx", "reorder_and_upcast_attn")
    return gpt2_network(
        config,
        cross=config.option("add_cross_attention", False),
        eps=config.option("layer_norm_epsilon", 1e-5),
        **_gpt2_keys(config),
    )


def build_gpt_bigcode(config: HFConfig) -> Layer:
    """``GPTBigCode…`` (StarCoder): GPT-2 with ``Linear`` layers and multi-query ``c_attn``."""
    config.ignore(*_SUMMARY, "attention_softmax_in_fp32", "scale_attention_softmax_in_fp32")
    config.ignore("num_key_value_heads")  # its config class sets it from multi_query; no tensor
    config.choice("add_cross_attention", False, (False,))
    return gpt2_network(
        config,
        family="GPTBigCode",
        multi_query=config.option("multi_query", True),
        eps=config.option("layer_norm_epsilon", 1e-5),
        **_gpt2_keys(config),
    )


def build_gpt_neox(config: HFConfig) -> Layer:
    """``GPTNeoX…`` (Pythia): packed ``query_key_value``, biased MLP, untied ``embed_out``."""
    config.ignore(
        *_DROPOUTS,
        "hidden_act",
        "classifier_dropout",
        "max_position_embeddings",
        "rope_parameters",
        "rope_scaling",
        "rope_theta",
        "rotary_pct",
        "rotary_emb_base",
        "partial_rotary_factor",
        "use_parallel_residual",
        "is_decoder",
        "layer_norm_eps",
        "tie_word_embeddings",
    )
    width, heads, _, head_dim = attention_shape(config)
    bias = config.option("attention_bias", True)
    inner = config.size("intermediate_size")
    vocab = config.size("vocab_size")
    attention = named("GPTNeoXAttention", DecoderAttention)(
        {
            "query_key_value": pc.Linear(width, 3 * width, bias=bias),
            "dense": pc.Linear(width, width, bias=bias),
        },
        ["query_key_value"],
        ["dense"],
        num_heads=heads,
        num_kv_heads=heads,
        head_dim=head_dim,
    )
    mlp = named("GPTNeoXMLP", Net)(
        {
            "dense_h_to_4h": pc.Linear(width, inner),
            "act": pc.GELU(),
            "dense_4h_to_h": pc.Linear(inner, width),
        }
    )
    layer = named("GPTNeoXLayer", ResidualNet)(
        {
            "input_layernorm": pc.LayerNorm(width),
            "post_attention_layernorm": pc.LayerNorm(width),
            "attention": attention,
            "mlp": mlp,
        },
        [["input_layernorm", "attention"], ["post_attention_layernorm", "mlp"]],
    )
    model = named("GPTNeoXModel", Net)(
        {
            "embed_in": pc.Embedding(vocab, width),
            "layers": stack([(layer, config.size("num_hidden_layers"))]),
            "final_layer_norm": pc.LayerNorm(width),
        }
    )
    base = Base(model, "gpt_neox", width, vocab, "embed_in.weight")
    return attach(config, _classic_heads("GPTNeoX"), base, tie_default=False)


def build_opt(config: HFConfig) -> Layer:
    """``OPT…``: learned positions (+2), optional ``project_in``/``project_out``, post/pre norms."""
    config.ignore(
        "dropout",
        "attention_dropout",
        "activation_dropout",
        "activation_function",
        "layerdrop",
        "init_std",
        "max_position_embeddings",
        "tie_word_embeddings",
    )
    width, heads, _, head_dim = attention_shape(config)
    vocab = config.size("vocab_size")
    word = config.size("word_embed_proj_dim", width)
    ffn = config.size("ffn_dim", 3072)
    bias = config.option("enable_bias", True)
    affine = config.option("layer_norm_elementwise_affine", True)
    before = config.option("do_layer_norm_before", True)
    removed = config.option("_remove_final_layer_norm", False)
    final = before and not removed
    positions = config.size("max_position_embeddings", 2048)
    attention = named("OPTAttention", DecoderAttention)(
        {
            "k_proj": pc.Linear(width, width, bias=bias),
            "v_proj": pc.Linear(width, width, bias=bias),
            "q_proj": pc.Linear(width, width, bias=bias),
            "out_proj": pc.Linear(width, width, bias=bias),
        },
        ["q_proj", "k_proj", "v_proj"],
        ["out_proj"],
        num_heads=heads,
        num_kv_heads=heads,
        head_dim=head_dim,
    )
    layer = named("OPTDecoderLayer", ResidualNet)(
        {
            "self_attn": attention,
            "self_attn_layer_norm": pc.LayerNorm(width, elementwise_affine=affine),
            "fc1": pc.Linear(width, ffn, bias=bias),
            "activation_fn": pc.ReLU(),
            "fc2": pc.Linear(ffn, width, bias=bias),
            "final_layer_norm": pc.LayerNorm(width, elementwise_affine=affine),
        },
        [
            ["self_attn_layer_norm", "self_attn"],
            ["final_layer_norm", "fc1", "activation_fn", "fc2"],
        ],
    )
    modules: dict[str, Layer] = {
        "embed_tokens": pc.Embedding(vocab, word),
        "embed_positions": pc.Embedding(positions + 2, width),
    }
    steps: list[str] = ["embed_tokens"]
    if word != width:
        modules["project_out"] = pc.Linear(width, word, bias=False)
        modules["project_in"] = pc.Linear(word, width, bias=False)
        steps.append("project_in")
    steps.append("layers")
    if final:
        modules["final_layer_norm"] = pc.LayerNorm(width, elementwise_affine=affine)
        steps.append("final_layer_norm")
    modules["layers"] = stack([(layer, config.size("num_hidden_layers"))])
    if word != width:
        steps.append("project_out")
    decoder = named("OPTDecoder", Net)(modules, steps)
    model = named("OPTModel", Net)({"decoder": decoder})
    classes = {
        "OPTModel": GENERIC["Model"],
        "OPTForCausalLM": GENERIC["ForCausalLM"],
        "OPTForSequenceClassification": GENERIC["ForSequenceClassification"],
        "OPTForQuestionAnswering": GENERIC["ForQuestionAnswering"],
    }
    base = Base(model, "model", word, vocab, "decoder.embed_tokens.weight")
    return attach(config, classes, base, tie_default=True)


def build_falcon(config: HFConfig) -> Layer:
    """``Falcon…``: multi-query or grouped ``query_key_value``; parallel attention and MLP.

    ``new_decoder_architecture`` (Falcon-40B/180B) packs ``num_kv_heads``
    groups and, in parallel layers, two norms (``ln_attn``, ``ln_mlp``);
    ``multi_query`` (Falcon-7B) one key/value head; ``alibi`` has no tensor.
    """
    config.ignore(*_DROPOUTS, "alibi", "activation", "max_position_embeddings", "rope_parameters")
    config.ignore("rope_theta", "rope_scaling", "layer_norm_epsilon", "tie_word_embeddings")
    # not a FalconConfig field: transformers 5.23 builds the same tensors either way
    config.ignore("apply_residual_connection_post_layernorm")
    width, heads, _, head_dim = attention_shape(config)
    vocab = config.size("vocab_size")
    new = config.option("new_decoder_architecture", False)
    multi = config.option("multi_query", True)
    parallel = config.option("parallel_attn", True)
    bias = config.option("bias", False)
    kv = config.size("num_kv_heads", heads)
    ffn = config.size("ffn_hidden_size", 4 * width)
    norms = config.maybe("num_ln_in_parallel_attn")
    if norms is None and new:
        norms = 2
    if new:  # FalconAttention broadcasts keys and values to every query head, then caches them
        qkv, kv_heads = (2 * kv + heads) * head_dim, heads
    elif multi:
        qkv, kv_heads = width + 2 * head_dim, 1
    else:
        qkv, kv_heads = 3 * width, kv
    attention = named("FalconAttention", DecoderAttention)(
        {
            "query_key_value": pc.Linear(width, qkv, bias=bias),
            "dense": pc.Linear(width, width, bias=bias),
        },
        ["query_key_value"],
        ["dense"],
        num_heads=heads,
        num_kv_heads=kv_heads,
        head_dim=head_dim,
    )
    mlp = named("FalconMLP", Net)(
        {
            "dense_h_to_4h": pc.Linear(width, ffn, bias=bias),
            "act": pc.GELU(),
            "dense_4h_to_h": pc.Linear(ffn, width, bias=bias),
        }
    )
    modules: dict[str, Layer] = {"self_attention": attention, "mlp": mlp}
    if not parallel:
        modules["post_attention_layernorm"] = pc.LayerNorm(width)
        modules["input_layernorm"] = pc.LayerNorm(width)
        groups = [["input_layernorm", "self_attention"], ["post_attention_layernorm", "mlp"]]
    elif norms == 2:
        modules["ln_attn"] = pc.LayerNorm(width)
        modules["ln_mlp"] = pc.LayerNorm(width)
        groups = [["ln_attn", "self_attention"], ["ln_mlp", "mlp"]]
    else:
        modules["input_layernorm"] = pc.LayerNorm(width)
        groups = [["input_layernorm", "self_attention"], ["mlp"]]
    layer = named("FalconDecoderLayer", ResidualNet)(modules, groups)
    model = named("FalconModel", Net)(
        {
            "word_embeddings": pc.Embedding(vocab, width),
            "h": stack([(layer, config.size("num_hidden_layers"))]),
            "ln_f": pc.LayerNorm(width),
        }
    )
    base = Base(model, "transformer", width, vocab, "word_embeddings.weight")
    return attach(config, _classic_heads("Falcon"), base, tie_default=True)


def build_phi(config: HFConfig) -> Layer:
    """``Phi…`` (phi-1/1.5/2): biased projections, parallel attention and MLP, biased head."""
    config.ignore(*_DROPOUTS, "hidden_act", "max_position_embeddings", "rope_parameters")
    config.ignore("rope_theta", "rope_scaling", "partial_rotary_factor", "layer_norm_eps")
    config.ignore("tie_word_embeddings")
    width, heads, kv, head_dim = attention_shape(config)
    vocab = config.size("vocab_size")
    inner = config.size("intermediate_size")
    modules: dict[str, Layer] = {
        "q_proj": pc.Linear(width, heads * head_dim),
        "k_proj": pc.Linear(width, kv * head_dim),
        "v_proj": pc.Linear(width, kv * head_dim),
        "dense": pc.Linear(heads * head_dim, width),
    }
    norms: list[tuple[str, int, int]] = []
    if config.option("qk_layernorm", False):  # sized hidden // heads even with a head_dim
        modules["q_layernorm"] = pc.LayerNorm(width // heads)
        modules["k_layernorm"] = pc.LayerNorm(width // heads)
        norms = [("q_layernorm", heads, width // heads), ("k_layernorm", kv, width // heads)]
    attention = named("PhiAttention", DecoderAttention)(
        modules,
        ["q_proj", "k_proj", "v_proj"],
        ["dense"],
        num_heads=heads,
        num_kv_heads=kv,
        head_dim=head_dim,
        norms=norms,
    )
    mlp = named("PhiMLP", Net)(
        {"fc1": pc.Linear(width, inner), "act": pc.GELU(), "fc2": pc.Linear(inner, width)}
    )
    layer = named("PhiDecoderLayer", ResidualNet)(
        {"self_attn": attention, "mlp": mlp, "input_layernorm": pc.LayerNorm(width)},
        [["input_layernorm", "self_attn"], ["mlp"]],
    )
    model = named("PhiModel", Net)(
        {
            "embed_tokens": pc.Embedding(vocab, width),
            "layers": stack([(layer, config.size("num_hidden_layers"))]),
            "final_layernorm": pc.LayerNorm(width),
        }
    )
    heads_map = generic("Phi", ("Model", "ForSequenceClassification", "ForTokenClassification"))
    heads_map["PhiForCausalLM"] = Head("causal", "lm_head", bias=True)
    base = Base(model, "model", width, vocab, "embed_tokens.weight")
    return attach(config, heads_map, base, tie_default=False)
