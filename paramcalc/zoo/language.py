"""Language models, named as Hugging Face ``transformers`` names them.

The input is a sequence of token ids: a per-sample shape ``(L,)``. One
function sizes a family; the counts match the published totals:

>>> from paramcalc.zoo.language import gpt2, llama
>>> gpt2().params(), gpt2(tie_word_embeddings=False).params()
(124439808, 163037184)
>>> llama().params()  # Llama-2-7B
6738415616

Buffers (attention masks, rotary frequencies, position ids) are not listed:
they are not parameters and vary between ``transformers`` versions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import paramcalc as pc
from paramcalc import _check
from paramcalc.errors import ConfigError, ShapeError
from paramcalc.graph import Repeat
from paramcalc.layer import Layer, Visit
from paramcalc.shapes import Shape
from paramcalc.zoo._common import (
    Conv1D,
    FirstToken,
    GatedMLP,
    Net,
    ResidualNet,
    SelfAttention,
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


@dataclass(frozen=True, init=False, repr=False, eq=False)
class SummedEmbeddings(Net):
    """Token, position (and token-type) embeddings of the same ids, added up, then the rest.

    ``embeddings`` name the tables looked up with the input's ids (shape
    ``(L,)``); ``positions`` those indexed by position, whose size bounds ``L``.
    """

    embeddings: tuple[str, ...] = field(default=())
    positions: tuple[str, ...] = field(default=())

    def __init__(
        self,
        modules: Mapping[str, Layer],
        embeddings: Iterable[str],
        positions: Iterable[str] = (),
    ) -> None:
        tables = tuple(embeddings)
        super().__init__(modules, [name for name in modules if name not in tables])
        object.__setattr__(self, "embeddings", tables)
        object.__setattr__(self, "positions", tuple(positions))

    def forward_shapes(self, visit: Visit, shape: Shape | None) -> Shape | None:
        out: Shape | None = None
        for name in self.embeddings:
            table = self.module(name)
            if name in self.positions and shape is not None:
                limit = getattr(table, "num_embeddings", None)
                if isinstance(limit, int) and shape[0] > limit:
                    raise ShapeError(
                        f"has {limit} positions in `{name}` but receives a sequence of {shape[0]}",
                        received=shape[0],
                    )
            given = visit(name, table, shape)
            if out is not None and given is not None and given != out:
                raise ShapeError(f"adds embeddings of shapes {out} and {given}")
            out = given
        for step in self.steps:
            out = self._step(visit, step, out)
        return out


class GPT2Model(SummedEmbeddings):
    """Hugging Face's ``GPT2Model``: embeddings, blocks, final LayerNorm."""


class GPT2Block(ResidualNet):
    """Hugging Face's ``GPT2Block``: pre-norm attention and MLP, each with a shortcut."""


class GPT2Attention(SelfAttention):
    """Hugging Face's ``GPT2Attention``: packed ``c_attn``, attention, ``c_proj``."""


class GPT2MLP(Net):
    """Hugging Face's ``GPT2MLP``: ``c_fc``, GELU, ``c_proj``."""


class LlamaModel(Net):
    """Hugging Face's ``LlamaModel``: token table, decoder layers, final RMSNorm."""


class LlamaDecoderLayer(ResidualNet):
    """Hugging Face's ``LlamaDecoderLayer``: pre-norm attention and MLP with shortcuts."""


class LlamaAttention(SelfAttention):
    """Hugging Face's ``LlamaAttention``: q/k/v/o projections, grouped-query attention."""


class LlamaMLP(GatedMLP):
    """Hugging Face's ``LlamaMLP``: ``down(silu(gate(x)) · up(x))``."""


class BertEmbeddings(SummedEmbeddings):
    """Hugging Face's ``BertEmbeddings``: word, position and token-type tables summed."""


class BertLayer(Net):
    """Hugging Face's ``BertLayer``: attention, intermediate, output (post-norm)."""


class BertSelfAttention(SelfAttention):
    """Hugging Face's ``BertSelfAttention``: query, key, value and attention."""


class GPT2LMHeadModel(Net):
    """Hugging Face's ``GPT2LMHeadModel``."""


class LlamaForCausalLM(Net):
    """Hugging Face's ``LlamaForCausalLM`` (also Mistral's and Qwen2's layout)."""


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
) -> GPT2LMHeadModel:
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
    head_dim = _heads("gpt2", width, heads, heads, None)
    attention = GPT2Attention(
        {
            "c_attn": Conv1D(3 * width, width),
            "c_proj": Conv1D(width, width),
            "attn_dropout": pc.Dropout(0.1),
            "resid_dropout": pc.Dropout(0.1),
        },
        ["c_attn"],
        ["attn_dropout", "c_proj", "resid_dropout"],
        num_heads=heads,
        head_dim=head_dim,
        kv_cache=True,
    )
    mlp = GPT2MLP(
        {
            "c_fc": Conv1D(inner, width),
            "c_proj": Conv1D(width, inner),
            "act": pc.GELU(approximate="tanh"),
            "dropout": pc.Dropout(0.1),
        },
        ["c_fc", "act", "c_proj", "dropout"],
    )
    block = GPT2Block(
        {
            "ln_1": pc.LayerNorm(width, eps=layer_norm_epsilon),
            "attn": attention,
            "ln_2": pc.LayerNorm(width, eps=layer_norm_epsilon),
            "mlp": mlp,
        },
        [["ln_1", "attn"], ["ln_2", "mlp"]],
    )
    transformer = GPT2Model(
        {
            "wte": pc.Embedding(vocab_size, width),
            "wpe": pc.Embedding(n_positions, width),
            "drop": pc.Dropout(0.1),
            "h": Repeat(block, layers),
            "ln_f": pc.LayerNorm(width, eps=layer_norm_epsilon),
        },
        ["wte", "wpe"],
        ["wpe"],
    )
    head: Layer = pc.Linear(width, vocab_size, bias=False)
    if tie_word_embeddings:
        head = head.tied_to("transformer.wte.weight")
    return GPT2LMHeadModel({"transformer": transformer, "lm_head": head})


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
    sliding_window: int | None = None,
) -> LlamaForCausalLM:
    """A Llama-style decoder (``LlamaForCausalLM``); the defaults are Llama-2-7B's.

    ``qkv_bias`` (default: ``attention_bias``) gives Qwen2's biased q/k/v
    projections with an unbiased output projection. ``sliding_window`` sets
    the window of every layer's key-value cache (Mistral's).

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
    attention = LlamaAttention(
        {
            "q_proj": pc.Linear(hidden_size, num_attention_heads * dim, bias=qkv),
            "k_proj": pc.Linear(hidden_size, kv_heads * dim, bias=qkv),
            "v_proj": pc.Linear(hidden_size, kv_heads * dim, bias=qkv),
            "o_proj": pc.Linear(num_attention_heads * dim, hidden_size, bias=attention_bias),
        },
        ["q_proj", "k_proj", "v_proj"],
        ["o_proj"],
        num_heads=num_attention_heads,
        head_dim=dim,
        num_key_value_heads=kv_heads,
        kv_cache=True,
        sliding_window=sliding_window,
    )
    mlp = LlamaMLP(
        {
            "gate_proj": pc.Linear(hidden_size, intermediate_size, bias=mlp_bias),
            "up_proj": pc.Linear(hidden_size, intermediate_size, bias=mlp_bias),
            "down_proj": pc.Linear(intermediate_size, hidden_size, bias=mlp_bias),
            "act_fn": pc.SiLU(),
        }
    )
    layer = LlamaDecoderLayer(
        {
            "self_attn": attention,
            "mlp": mlp,
            "input_layernorm": pc.RMSNorm(hidden_size, eps=rms_norm_eps),
            "post_attention_layernorm": pc.RMSNorm(hidden_size, eps=rms_norm_eps),
        },
        [["input_layernorm", "self_attn"], ["post_attention_layernorm", "mlp"]],
    )
    model = LlamaModel(
        {
            "embed_tokens": pc.Embedding(vocab_size, hidden_size),
            "layers": Repeat(layer, num_hidden_layers),
            "norm": pc.RMSNorm(hidden_size, eps=rms_norm_eps),
        }
    )
    head: Layer = pc.Linear(hidden_size, vocab_size, bias=False)
    if tie_word_embeddings:
        head = head.tied_to("model.embed_tokens.weight")
    return LlamaForCausalLM({"model": model, "lm_head": head})


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
) -> LlamaForCausalLM:
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
        sliding_window=sliding_window,
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
) -> LlamaForCausalLM:
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
