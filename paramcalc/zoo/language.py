"""Language models, named as Hugging Face ``transformers`` names them.

The input is a sequence of token ids: a per-sample shape ``(L,)``. One
function sizes a family; the counts match the published totals:

>>> from paramcalc.zoo.language import gpt2, llama
>>> gpt2().params(), gpt2(tie_word_embeddings=False).params()
(124439808, 163037184)
>>> llama().params()  # Llama-2-7B
6738415616

The decoders are built by the Hugging Face config readers' builders
(:mod:`paramcalc.hf.decoder`, :mod:`paramcalc.hf.classic`): one builder per
family, whether sized here or from a ``config.json``. Buffers (attention
masks, rotary frequencies, position ids) are not listed: they are not
parameters and vary between ``transformers`` versions.
"""

from __future__ import annotations

from paramcalc import _check
from paramcalc.errors import ConfigError
from paramcalc.graph import Repeat
from paramcalc.hf.blocks import DecoderAttention, named
from paramcalc.hf.classic import gpt2_network
from paramcalc.hf.config import HFConfig
from paramcalc.hf.decoder import Decoder, build
from paramcalc.hf.positions import Positions, declare
from paramcalc.layer import Layer
from paramcalc.zoo import _nn as pc
from paramcalc.zoo._common import (
    FirstToken,
    GatedMLP,
    Net,
    ResidualNet,
    SelfAttention,
    SummedEmbeddings,
)

__all__ = [
    "GPT2MLP",
    "BertEmbeddings",
    "BertLayer",
    "BertModel",
    "BertSelfAttention",
    "GPT2Attention",
    "GPT2Block",
    "GPT2LMHeadModel",
    "GPT2Model",
    "LlamaAttention",
    "LlamaDecoderLayer",
    "LlamaForCausalLM",
    "LlamaMLP",
    "LlamaModel",
    "SummedEmbeddings",
    "bert",
    "gpt2",
    "llama",
    "mistral",
    "qwen2",
]

GPT2_SIZES = {
    "small": (12, 768, 12),
    "medium": (24, 1024, 16),
    "large": (36, 1280, 20),
    "xl": (48, 1600, 25),
}

# The classes transformers names these modules by (made once, shared with paramcalc.hf)
GPT2LMHeadModel = named("GPT2LMHeadModel", Net)
GPT2Model = named("GPT2Model", SummedEmbeddings)
GPT2Block = named("GPT2Block", ResidualNet)
GPT2Attention = named("GPT2Attention", DecoderAttention)
GPT2MLP = named("GPT2MLP", Net)
LlamaForCausalLM = named("LlamaForCausalLM", Net)
LlamaModel = named("LlamaModel", Net)
LlamaDecoderLayer = named("LlamaDecoderLayer", ResidualNet)
LlamaAttention = named("LlamaAttention", DecoderAttention)
LlamaMLP = named("LlamaMLP", GatedMLP)


class BertEmbeddings(SummedEmbeddings):
    """Hugging Face's ``BertEmbeddings``: word, position and token-type tables summed."""


class BertLayer(Net):
    """Hugging Face's ``BertLayer``: attention, intermediate, output (post-norm)."""


class BertSelfAttention(SelfAttention):
    """Hugging Face's ``BertSelfAttention``: query, key, value and attention."""


class BertModel(Net):
    """Hugging Face's ``BertModel`` (with its pooler)."""


def _positive(model: str, **values: object) -> None:
    for name, value in values.items():
        _check.positive(model, name, value)


def _heads(model: str, hidden: int, heads: int, kv_heads: int, head_dim: int | None) -> int:
    if head_dim is None:
        if hidden % heads:
            raise ConfigError(
                f"{model}: `hidden_size` must be divisible by `num_attention_heads`. "
                f"Received: hidden_size={hidden}, num_attention_heads={heads}."
            )
        head_dim = hidden // heads
    _check.positive(model, "head_dim", head_dim)
    if heads % kv_heads:
        raise ConfigError(
            f"{model}: `num_attention_heads` must be divisible by `num_key_value_heads`. "
            f"Received: num_attention_heads={heads}, num_key_value_heads={kv_heads}."
        )
    return head_dim


def gpt2(
    size: str = "small",
    *,
    vocab_size: int = 50257,
    n_positions: int = 1024,
    n_layer: int | None = None,
    n_embd: int | None = None,
    n_head: int | None = None,
    n_inner: int | None = None,
    layer_norm_epsilon: float = 1e-5,
    tie_word_embeddings: bool = True,
) -> Layer:
    """GPT-2 (``small``, ``medium``, ``large``, ``xl``) with its LM head, tied by default.

    ``n_layer``/``n_embd``/``n_head`` override the size's values.

    >>> [gpt2(size).params() for size in ("small", "medium", "large", "xl")]
    [124439808, 354823168, 774030080, 1557611200]
    """
    if size not in GPT2_SIZES:
        raise ConfigError(
            f"gpt2: `size` must be one of {', '.join(map(repr, GPT2_SIZES))}. "
            f"Received: size={size!r}."
        )
    layers, width, heads = GPT2_SIZES[size]
    layers = layers if n_layer is None else n_layer
    width = width if n_embd is None else n_embd
    heads = heads if n_head is None else n_head
    inner = 4 * width if n_inner is None else n_inner
    _positive("gpt2", vocab_size=vocab_size, n_positions=n_positions, n_layer=layers)
    _positive("gpt2", n_embd=width, n_head=heads, n_inner=inner)
    _check.boolean("gpt2", "tie_word_embeddings", tie_word_embeddings)
    _heads("gpt2", width, heads, heads, None)
    network = gpt2_network(
        HFConfig({}, "gpt2"),
        vocab=vocab_size,
        positions=n_positions,
        layers=layers,
        width=width,
        heads=heads,
        inner=inner,
        eps=layer_norm_epsilon,
        tie=tie_word_embeddings,
    )
    return declare(network, Positions(n_positions, f"n_positions {n_positions:,}"))


def llama(
    *,
    vocab_size: int = 32000,
    hidden_size: int = 4096,
    intermediate_size: int = 11008,
    num_hidden_layers: int = 32,
    num_attention_heads: int = 32,
    num_key_value_heads: int | None = None,
    head_dim: int | None = None,
    rms_norm_eps: float = 1e-5,
    attention_bias: bool = False,
    qkv_bias: bool | None = None,
    mlp_bias: bool = False,
    tie_word_embeddings: bool = False,
    family: str = "Llama",
    sliding_window: int | None = None,
    max_position_embeddings: int | None = None,
) -> Layer:
    """A Llama-style decoder (``LlamaForCausalLM``); the defaults are Llama-2-7B's.

    ``qkv_bias`` (default: ``attention_bias``) gives Qwen2's biased q/k/v
    projections with an unbiased output projection; ``family`` names the
    classes (``"Mistral"``, ``"Qwen2"``). ``sliding_window`` makes every
    layer a sliding one (Mistral-7B-v0.1's 4096). ``max_position_embeddings``,
    when given, is declared as the positions limit (the planners' bound).

    >>> llama().params()
    6738415616
    >>> llama(hidden_size=8192, intermediate_size=28672, num_hidden_layers=80,
    ...       num_attention_heads=64, num_key_value_heads=8).params()  # Llama-2-70B
    68976648192
    """
    kv_heads = num_attention_heads if num_key_value_heads is None else num_key_value_heads
    _positive(
        "llama",
        vocab_size=vocab_size,
        hidden_size=hidden_size,
        intermediate_size=intermediate_size,
        num_hidden_layers=num_hidden_layers,
        num_attention_heads=num_attention_heads,
        num_key_value_heads=kv_heads,
    )
    for name, flag in (
        ("attention_bias", attention_bias),
        ("mlp_bias", mlp_bias),
        ("tie_word_embeddings", tie_word_embeddings),
    ):
        _check.boolean("llama", name, flag)
    qkv = attention_bias if qkv_bias is None else _check.boolean("llama", "qkv_bias", qkv_bias)
    dim = _heads("llama", hidden_size, num_attention_heads, kv_heads, head_dim)
    spec = Decoder(
        family,
        vocab=vocab_size,
        hidden=hidden_size,
        intermediate=intermediate_size,
        layers=num_hidden_layers,
        heads=num_attention_heads,
        kv_heads=kv_heads,
        head_dim=dim,
        eps=rms_norm_eps,
        qkv_bias=qkv,
        o_bias=attention_bias,
        mlp_bias=mlp_bias,
        tie=tie_word_embeddings,
        kinds=() if sliding_window is None else ("sliding_attention",) * num_hidden_layers,
        window=sliding_window,
    )
    limit = max_position_embeddings
    if limit is not None:
        _positive("llama", max_position_embeddings=limit)
    positions = None if limit is None else Positions(limit, f"max_position_embeddings {limit:,}")
    return declare(build(spec), positions)


def mistral(
    *,
    vocab_size: int = 32000,
    hidden_size: int = 4096,
    intermediate_size: int = 14336,
    num_hidden_layers: int = 32,
    num_attention_heads: int = 32,
    num_key_value_heads: int = 8,
    head_dim: int | None = None,
    rms_norm_eps: float = 1e-5,
    tie_word_embeddings: bool = False,
    sliding_window: int | None = None,
    max_position_embeddings: int | None = None,
) -> Layer:
    """``MistralForCausalLM``; the defaults are Mistral-7B's (grouped-query attention).

    ``sliding_window=4096`` is Mistral-7B-v0.1's (and ``MistralConfig``'s
    default); v0.2 and later have none.

    >>> mistral().params()
    7241732096
    """
    return llama(
        vocab_size=vocab_size,
        hidden_size=hidden_size,
        intermediate_size=intermediate_size,
        num_hidden_layers=num_hidden_layers,
        num_attention_heads=num_attention_heads,
        num_key_value_heads=num_key_value_heads,
        head_dim=head_dim,
        rms_norm_eps=rms_norm_eps,
        tie_word_embeddings=tie_word_embeddings,
        family="Mistral",
        sliding_window=sliding_window,
        max_position_embeddings=max_position_embeddings,
    )


def qwen2(
    *,
    vocab_size: int = 151936,
    hidden_size: int = 896,
    intermediate_size: int = 4864,
    num_hidden_layers: int = 24,
    num_attention_heads: int = 14,
    num_key_value_heads: int = 2,
    rms_norm_eps: float = 1e-6,
    tie_word_embeddings: bool = True,
) -> Layer:
    """``Qwen2ForCausalLM`` (biased q/k/v); the defaults are Qwen2-0.5B's, head tied.

    >>> qwen2().params()
    494032768
    """
    return llama(
        vocab_size=vocab_size,
        hidden_size=hidden_size,
        intermediate_size=intermediate_size,
        num_hidden_layers=num_hidden_layers,
        num_attention_heads=num_attention_heads,
        num_key_value_heads=num_key_value_heads,
        rms_norm_eps=rms_norm_eps,
        qkv_bias=True,
        tie_word_embeddings=tie_word_embeddings,
        family="Qwen2",
    )


def bert(
    *,
    vocab_size: int = 30522,
    hidden_size: int = 768,
    num_hidden_layers: int = 12,
    num_attention_heads: int = 12,
    intermediate_size: int = 3072,
    max_position_embeddings: int = 512,
    type_vocab_size: int = 2,
    layer_norm_eps: float = 1e-12,
    pad_token_id: int = 0,
    add_pooling_layer: bool = True,
) -> BertModel:
    """``BertModel``; the defaults are BERT-base's (109,482,240 with the pooler).

    The output shape is the pooler's ``(hidden_size,)`` (or the sequence's
    without a pooler).

    >>> bert().params()
    109482240
    """
    _positive(
        "bert",
        vocab_size=vocab_size,
        hidden_size=hidden_size,
        num_hidden_layers=num_hidden_layers,
        num_attention_heads=num_attention_heads,
        intermediate_size=intermediate_size,
        max_position_embeddings=max_position_embeddings,
        type_vocab_size=type_vocab_size,
    )
    _check.boolean("bert", "add_pooling_layer", add_pooling_layer)
    dim = _heads("bert", hidden_size, num_attention_heads, num_attention_heads, None)
    width = hidden_size
    layer = BertLayer(
        {
            "attention": Net(
                {
                    "self": BertSelfAttention(
                        {
                            "query": pc.Linear(width, width),
                            "key": pc.Linear(width, width),
                            "value": pc.Linear(width, width),
                            "dropout": pc.Dropout(0.1),
                        },
                        ["query", "key", "value"],
                        ["dropout"],
                        num_heads=num_attention_heads,
                        head_dim=dim,
                    ),
                    "output": Net(
                        {
                            "dense": pc.Linear(width, width),
                            "LayerNorm": pc.LayerNorm(width, eps=layer_norm_eps),
                            "dropout": pc.Dropout(0.1),
                        },
                        ["dense", "dropout", "LayerNorm"],
                    ),
                }
            ),
            "intermediate": Net(
                {
                    "dense": pc.Linear(width, intermediate_size),
                    "intermediate_act_fn": pc.GELU(),
                }
            ),
            "output": Net(
                {
                    "dense": pc.Linear(intermediate_size, width),
                    "LayerNorm": pc.LayerNorm(width, eps=layer_norm_eps),
                    "dropout": pc.Dropout(0.1),
                },
                ["dense", "dropout", "LayerNorm"],
            ),
        }
    )
    modules: dict[str, Layer] = {
        "embeddings": BertEmbeddings(
            {
                "word_embeddings": pc.Embedding(vocab_size, width, padding_idx=pad_token_id),
                "position_embeddings": pc.Embedding(max_position_embeddings, width),
                "token_type_embeddings": pc.Embedding(type_vocab_size, width),
                "LayerNorm": pc.LayerNorm(width, eps=layer_norm_eps),
                "dropout": pc.Dropout(0.1),
            },
            ["word_embeddings", "position_embeddings", "token_type_embeddings"],
            ["position_embeddings"],
        ),
        "encoder": Net({"layer": Repeat(layer, num_hidden_layers)}),
    }
    if add_pooling_layer:
        modules["pooler"] = Net(
            {"dense": pc.Linear(width, width), "activation": pc.Tanh()},
            [("first_token()", FirstToken()), "dense", "activation"],
        )
    return BertModel(modules)
