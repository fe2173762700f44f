"""EleutherAI-style decoders: GPT-J, CodeGen and GPT-Neo.

GPT-J and CodeGen run attention and MLP in parallel off one ``ln_1``, with
rotary positions (no tensor) and a biased ``lm_head``; GPT-Neo is GPT-2-like
(learned ``wpe``) with unbiased q/k/v, local and global layers of the same
tensors. Their configs use GPT-2's key names (``n_embd``, ``n_layer`` …),
whose ``attribute_map`` aliases :mod:`paramcalc.hf` applies first.

>>> from paramcalc.hf import from_hf_config
>>> from_hf_config({"model_type": "gptj", "vocab_size": 50400, "n_embd": 4096, "n_layer": 28,
...     "n_head": 16}).params()
6050882784
"""

from __future__ import annotations

from paramcalc._check import shown
from paramcalc.errors import ConfigError
from paramcalc.hf.blocks import DecoderAttention, named, stack
from paramcalc.hf.config import HFConfig
from paramcalc.hf.heads import GENERIC, Base, Head, attach, num_labels
from paramcalc.layer import Layer
from paramcalc.zoo import _nn as pc
from paramcalc.zoo._common import Net, ResidualNet, SummedEmbeddings

__all__ = ["build_codegen", "build_gpt_neo", "build_gptj"]

_GPTJ_KEYS = ("resid_pdrop", "embd_pdrop", "attn_pdrop", "activation_function", "rotary_dim")


def _width_heads(
    config: HFConfig, width_key: str, heads_key: str, defaults: tuple[int, int]
) -> int:
    width = config.size(width_key, defaults[0])
    heads = config.size(heads_key, defaults[1])
    if width % heads:
        raise ConfigError(
            f"from_hf_config: {config.where}: `{width_key}` must be divisible by `{heads_key}`. "
            f"Received: {width_key}={width}, {heads_key}={heads}."
        )
    return heads


def _parallel(config: HFConfig, family: str, *, packed: bool) -> Base:
    """GPT-J's or CodeGen's base model: ``wte``, ``drop``, ``h`` of parallel blocks, ``ln_f``."""
    config.ignore(*_GPTJ_KEYS, "n_positions", "n_ctx", "layer_norm_epsilon")
    width = config.size("n_embd", 4096)
    heads = _width_heads(config, "n_embd", "n_head", (4096, 16))
    head_dim = width // heads
    inner = 4 * width if config.maybe("n_inner") is None else config.size("n_inner")
    vocab = config.size("vocab_size", 50400)
    if packed:
        projections: dict[str, Layer] = {"qkv_proj": pc.Linear(width, 3 * width, bias=False)}
    else:
        projections = {
            name: pc.Linear(width, width, bias=False) for name in ("k_proj", "v_proj", "q_proj")
        }
    attention = named(f"{family}Attention", DecoderAttention)(
        {**projections, "out_proj": pc.Linear(width, width, bias=False)},
        list(projections),
        ["out_proj"],
        num_heads=heads,
        num_kv_heads=heads,
        head_dim=head_dim,
    )
    mlp = named(f"{family}MLP", Net)(
        {
            "fc_in": pc.Linear(width, inner),
            "act": pc.GELU(approximate="tanh"),
            "fc_out": pc.Linear(inner, width),
        }
    )
    block = named(f"{family}Block", ResidualNet)(
        {"ln_1": pc.LayerNorm(width), "attn": attention, "mlp": mlp},
        [["ln_1", "attn"], ["mlp"]],
    )
    model = named(f"{family}Model", Net)(
        {
            "wte": pc.Embedding(vocab, width),
            "drop": pc.Dropout(0.0),
            "h": stack([(block, config.size("n_layer", 28))]),
            "ln_f": pc.LayerNorm(width),
        }
    )
    return Base(model, "transformer", width, vocab, "wte.weight")


def build_gptj(config: HFConfig) -> Layer:
    """``GPTJ…`` (GPT-J-6B): separate q/k/v, biased ``lm_head``, untied by default."""
    heads = {
        "GPTJModel": GENERIC["Model"],
        "GPTJForCausalLM": Head("causal", "lm_head", bias=True),
        "GPTJForSequenceClassification": GENERIC["ForSequenceClassification"],
        "GPTJForQuestionAnswering": GENERIC["ForQuestionAnswering"],
    }
    if config.architecture == "GPTJForQuestionAnswering":  # sized `num_labels`, not 2
        labels = num_labels(config)
        if labels != 2:
            raise ConfigError(
                f"from_hf_config: GPTJForQuestionAnswering sizes `qa_outputs` by `num_labels`; "
                f"paramcalc builds 2 span logits only. Received: num_labels={labels}."
            )
    return attach(config, heads, _parallel(config, "GPTJ", packed=False), tie_default=False)


def build_codegen(config: HFConfig) -> Layer:
    """``CodeGen…``: GPT-J with one packed ``qkv_proj``; a model and a causal LM only."""
    heads = {
        "CodeGenModel": GENERIC["Model"],
        "CodeGenForCausalLM": Head("causal", "lm_head", bias=True),
    }
    return attach(config, heads, _parallel(config, "CodeGen", packed=True), tie_default=False)


def _attention_layers(config: HFConfig, layers: int) -> None:
    """The layer kinds, ``global`` or ``local``, must number ``num_layers``, as GPTNeoConfig checks.

    ``attention_layers`` when given (it wins, as in ``transformers``), else
    ``attention_types`` (``[[["global", "local"], 12]]``) expanded; counted,
    never expanded, so the cost does not grow with the repeat counts.
    """
    kinds = config.maybe("attention_layers")
    if kinds is not None:
        config.ignore("attention_types")
        key, count = "attention_layers", _count([[kinds, 1]]) if isinstance(kinds, list) else None
    else:
        types = config.maybe("attention_types")
        key, count = (
            "attention_types",
            _count([[["global", "local"], 12]] if types is None else types),
        )
    if count != layers:
        raise ConfigError(
            f"from_hf_config: `{key}` in the {config.where} must give `num_layers`={layers} "
            f"layer kinds, each 'global' or 'local', as GPTNeoConfig requires. "
            f"Received: {shown(config.maybe(key))}."
        )


def _count(types: object) -> int | None:
    """How many layer kinds ``[[kinds, repeat], …]`` gives, or None when malformed."""
    if not isinstance(types, list):
        return None
    count = 0
    for item in types:
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], list)):
            return None
        repeat = item[1]
        if not isinstance(repeat, int) or isinstance(repeat, bool) or repeat < 0:
            return None
        if any(kind not in ("global", "local") for kind in item[0]):
            return None
        count += len(item[0]) * repeat
    return count


def build_gpt_neo(config: HFConfig) -> Layer:
    """``GPTNeo…``: GPT-2's layout with unbiased q/k/v; local layers have the same tensors.

    A local layer masks keys beyond ``window_size`` but its cache holds every token,
    as ``transformers``' ``DynamicCache`` does.
    """
    config.ignore("resid_dropout", "embed_dropout", "attention_dropout", "classifier_dropout")
    config.ignore("activation_function", "window_size", "layer_norm_epsilon")
    width = config.size("hidden_size", 2048)
    heads = _width_heads(config, "hidden_size", "num_heads", (2048, 16))
    layers = config.size("num_layers", 24)
    _attention_layers(config, layers)
    inner = (
        4 * width if config.maybe("intermediate_size") is None else config.size("intermediate_size")
    )
    vocab = config.size("vocab_size", 50257)
    self_attention = named("GPTNeoSelfAttention", DecoderAttention)(
        {
            "k_proj": pc.Linear(width, width, bias=False),
            "v_proj": pc.Linear(width, width, bias=False),
            "q_proj": pc.Linear(width, width, bias=False),
            "out_proj": pc.Linear(width, width),
        },
        ["q_proj", "k_proj", "v_proj"],
        ["out_proj"],
        num_heads=heads,
        num_kv_heads=heads,
        head_dim=width // heads,
    )
    mlp = named("GPTNeoMLP", Net)(
        {
            "c_fc": pc.Linear(width, inner),
            "act": pc.GELU(approximate="tanh"),
            "c_proj": pc.Linear(inner, width),
            "dropout": pc.Dropout(0.0),
        }
    )
    block = named("GPTNeoBlock", ResidualNet)(
        {
            "ln_1": pc.LayerNorm(width),
            "attn": named("GPTNeoAttention", Net)({"attention": self_attention}),
            "ln_2": pc.LayerNorm(width),
            "mlp": mlp,
        },
        [["ln_1", "attn"], ["ln_2", "mlp"]],
    )
    model = named("GPTNeoModel", SummedEmbeddings)(
        {
            "wte": pc.Embedding(vocab, width),
            "wpe": pc.Embedding(config.size("max_position_embeddings", 2048), width),
            "drop": pc.Dropout(0.0),
            "h": stack([(block, layers)]),
            "ln_f": pc.LayerNorm(width),
        },
        ["wte", "wpe"],
        ["wpe"],
    )
    heads_map = {
        "GPTNeoModel": GENERIC["Model"],
        "GPTNeoForCausalLM": GENERIC["ForCausalLM"],
        "GPTNeoForSequenceClassification": GENERIC["ForSequenceClassification"],
        "GPTNeoForTokenClassification": Head("token", "classifier", bias=True, dropout=True),
        "GPTNeoForQuestionAnswering": GENERIC["ForQuestionAnswering"],
    }
    base = Base(model, "transformer", width, vocab, "wte.weight")
    return attach(config, heads_map, base, tie_default=True)
