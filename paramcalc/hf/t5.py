"""T5 and mT5 (and T5 v1.1, Flan-T5): encoder-decoder models from their configs.

Tensors as ``transformers`` 5.23's ``modeling_t5.py`` allocates them: one
``shared`` table that the encoder's and decoder's ``embed_tokens`` (and the
LM head) use, relative position buckets in the first block of each stack,
RMS-style ``T5LayerNorm`` without bias, and a ReLU (``feed_forward_proj:
"relu"``) or gated (``"gated-gelu"``, v1.1 and mT5) feed-forward.

``transformers`` 5.23 ties ``lm_head`` to ``shared`` whatever
``tie_word_embeddings`` says (``T5Config`` and ``MT5Config`` force it to
true; false only turns off the decoder-output scaling). The checkpoints of
T5 v1.1, Flan-T5 and mT5 store an untied ``lm_head.weight`` that
``transformers`` 5.23 does not build: paramcalc counts what ``transformers``
builds and says so in a :class:`~paramcalc.errors.ParamcalcWarning`.

>>> from paramcalc.hf import from_hf_config
>>> t5_small = {"model_type": "t5", "vocab_size": 32128, "d_model": 512, "d_kv": 64,
...             "d_ff": 2048, "num_layers": 6, "num_heads": 8}
>>> from_hf_config(t5_small).params()
60506624
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

from paramcalc._check import shown
from paramcalc.errors import ConfigError, ParamcalcWarning, ShapeError
from paramcalc.hf.blocks import LayerStack
from paramcalc.hf.config import HFConfig
from paramcalc.hf.heads import num_labels
from paramcalc.hf.parts import Seq2SeqAttention, head, model, typed
from paramcalc.layer import Layer, Visit
from paramcalc.shapes import Shape
from paramcalc.zoo import _nn as pc
from paramcalc.zoo._common import FirstToken, Net, ResidualNet

__all__ = ["T5Attention", "T5DenseGatedActDense", "T5Network", "build_mt5", "build_t5"]

_HEADS = (
    "Model",
    "EncoderModel",
    "ForConditionalGeneration",
    "ForSequenceClassification",
    "ForTokenClassification",
    "ForQuestionAnswering",
)
_ACTIVATIONS: dict[str, Callable[[], Layer]] = {
    "relu": pc.ReLU,
    "gelu": pc.GELU,
    "gelu_new": lambda: pc.GELU(approximate="tanh"),
    "silu": pc.SiLU,
    "swish": pc.SiLU,
}


@dataclass(frozen=True, init=False, repr=False, eq=False)
class T5Attention(Seq2SeqAttention):
    """Hugging Face's ``T5Attention``: q/k/v/o without biases, relative position buckets.

    The ``relative_attention_bias`` table (first block only) is looked up by
    relative position, not applied to the hidden states.
    """

    def forward_shapes(self, visit: Visit, shape: Shape | None) -> Shape | None:
        if "relative_attention_bias" in dict(self.modules):
            visit("relative_attention_bias", self.module("relative_attention_bias"), None)
        return super().forward_shapes(visit, shape)


@dataclass(frozen=True, init=False, repr=False, eq=False)
class T5DenseGatedActDense(Net):
    """Hugging Face's ``T5DenseGatedActDense``: ``wo(act(wi_0(x)) · wi_1(x))``."""

    def forward_shapes(self, visit: Visit, shape: Shape | None) -> Shape | None:
        gate = visit("wi_0", self.module("wi_0"), shape)
        linear = visit("wi_1", self.module("wi_1"), shape)
        gate = visit("act", self.module("act"), gate)
        if gate is not None and linear is not None and gate != linear:
            raise ShapeError(f"multiplies the gate {gate} by the linear projection {linear}")
        return visit("wo", self.module("wo"), gate)


@dataclass(frozen=True, init=False, repr=False, eq=False)
class T5Network(Net):
    """A T5 model's forward: both stacks read the ids (through the tied ``shared`` table).

    The decoder's output (or the encoder's, without a decoder) goes to the head.
    """

    def forward_shapes(self, visit: Visit, shape: Shape | None) -> Shape | None:
        modules = dict(self.modules)
        visit("shared", modules["shared"], None)
        out = visit("encoder", modules["encoder"], shape)
        if "decoder" in modules:
            out = visit("decoder", modules["decoder"], shape)
        for name, layer in self.modules:
            if name not in {"shared", "encoder", "decoder"}:
                out = visit(name, layer, out)
        return out


class T5Block(Net):
    """Hugging Face's ``T5Block``: ``layer`` holds self-attention, cross-attention, feed-forward."""


class T5Stack(Net):
    """Hugging Face's ``T5Stack``: tied ``embed_tokens``, blocks, final norm."""


@dataclass(frozen=True)
class _Sizes:
    vocab: int
    width: int
    head_dim: int
    inner: int
    heads: int
    buckets: int
    eps: float
    gated: bool
    act: str


def _attention(sizes: _Sizes, relative: bool, decoder: bool, cross: bool) -> T5Attention:
    inner = sizes.heads * sizes.head_dim
    modules: dict[str, Layer] = {
        "q": pc.Linear(sizes.width, inner, bias=False),
        "k": pc.Linear(sizes.width, inner, bias=False),
        "v": pc.Linear(sizes.width, inner, bias=False),
        "o": pc.Linear(inner, sizes.width, bias=False),
    }
    if relative:
        modules["relative_attention_bias"] = pc.Embedding(sizes.buckets, sizes.heads)
    return T5Attention(
        modules,
        ["q", "k", "v"],
        ["o"],
        num_heads=sizes.heads,
        head_dim=sizes.head_dim,
        cross=cross,
        cached=decoder,
    )


def _feed_forward(sizes: _Sizes) -> Net:
    act = _ACTIVATIONS[sizes.act]()
    if sizes.gated:
        return T5DenseGatedActDense(
            {
                "wi_0": pc.Linear(sizes.width, sizes.inner, bias=False),
                "wi_1": pc.Linear(sizes.width, sizes.inner, bias=False),
                "wo": pc.Linear(sizes.inner, sizes.width, bias=False),
                "act": act,
            }
        )
    return model(
        "T5DenseActDense",
        {
            "wi": pc.Linear(sizes.width, sizes.inner, bias=False),
            "wo": pc.Linear(sizes.inner, sizes.width, bias=False),
            "act": act,
        },
        ["wi", "act", "wo"],
    )


def _block(family: str, sizes: _Sizes, relative: bool, decoder: bool) -> T5Block:
    def norm() -> pc.RMSNorm:
        return pc.RMSNorm(sizes.width, eps=sizes.eps)

    layers: dict[str, Layer] = {
        "0": typed(f"{family}LayerSelfAttention", ResidualNet)(
            {"SelfAttention": _attention(sizes, relative, decoder, False), "layer_norm": norm()},
            [["layer_norm", "SelfAttention"]],
        )
    }
    if decoder:
        layers["1"] = typed(f"{family}LayerCrossAttention", ResidualNet)(
            {"EncDecAttention": _attention(sizes, False, True, True), "layer_norm": norm()},
            [["layer_norm", "EncDecAttention"]],
        )
    layers[str(len(layers))] = typed(f"{family}LayerFF", ResidualNet)(
        {"DenseReluDense": _feed_forward(sizes), "layer_norm": norm()},
        [["layer_norm", "DenseReluDense"]],
    )
    return typed(f"{family}Block", T5Block)({"layer": model("ModuleList", layers)})


def _stack(family: str, sizes: _Sizes, blocks: int, decoder: bool, shared: str) -> T5Stack:
    runs = [(_block(family, sizes, True, decoder), 1)]  # only the first holds the position buckets
    if blocks > 1:
        runs.append((_block(family, sizes, False, decoder), blocks - 1))
    return typed(f"{family}Stack", T5Stack)(
        {
            "embed_tokens": pc.Embedding(sizes.vocab, sizes.width).tied_to(shared),
            "block": LayerStack(runs),
            "final_layer_norm": pc.RMSNorm(sizes.width, eps=sizes.eps),
        }
    )


def _sizes(config: HFConfig, mt5: bool) -> tuple[_Sizes, int, int]:
    width = config.size("d_model")
    projection = config.option("feed_forward_proj", "gated-gelu" if mt5 else "relu")
    parts = projection.split("-")
    gated = parts[0] == "gated" and len(parts) == 2
    act = "gelu_new" if projection == "gated-gelu" else parts[-1]  # as T5Config maps it
    if (len(parts) > 1 and not gated) or act not in _ACTIVATIONS:
        raise ConfigError(
            f"from_hf_config: `feed_forward_proj`={shown(projection)} in the {config.where} is not "
            f"built by paramcalc; supported: an activation of {', '.join(_ACTIVATIONS)}, "
            "or 'gated-' and one of them."
        )
    # stored `is_gated_act`/`dense_act_fn` (T5 v1.1 and Flan configs) override the derived
    # values: T5Config sets them after deriving them from feed_forward_proj
    gated = config.option("is_gated_act", gated)
    act = config.choice("dense_act_fn", act, _ACTIVATIONS)
    layers = config.size("num_layers")
    decoder_layers = config.size("num_decoder_layers", layers)
    config.ignore(
        "dropout_rate",
        "scale_decoder_outputs",  # scales the logits by d_model ** -0.5: no tensor
        "relative_attention_max_distance",
        "classifier_dropout",
        "is_decoder",
        "use_cache",
        "n_positions",
        "output_past",
    )
    sizes = _Sizes(
        vocab=config.size("vocab_size"),
        width=width,
        head_dim=config.size("d_kv"),
        inner=config.size("d_ff"),
        heads=config.size("num_heads"),
        buckets=config.size("relative_attention_num_buckets", 32),
        eps=config.option("layer_norm_epsilon", 1e-6),
        gated=gated,
        act=act,
    )
    return sizes, layers, decoder_layers


def _t5(config: HFConfig, family: str) -> Layer:
    suffix = head(config, family, _HEADS)
    sizes, layers, decoder_layers = _sizes(config, family == "MT5")
    if config.option("tie_word_embeddings", True) is False and suffix in {
        "ForConditionalGeneration"
    }:
        warnings.warn(
            ParamcalcWarning(
                f"from_hf_config: the {config.where} says tie_word_embeddings=false, but "
                f"transformers 5.23 ties {family}ForConditionalGeneration's lm_head to `shared` "
                "anyway (T5Config forces it); the checkpoint also stores an untied lm_head.weight "
                f"of {sizes.vocab * sizes.width:,} parameters, not counted here."
            ),
            stacklevel=4,
        )
    name = family + suffix
    # T5EncoderModel (and the token classifier holding one) builds its stack from the config
    # itself: `is_decoder: true` gives its encoder blocks cross-attention, as transformers does
    alone = config.option("is_decoder", False)

    def body(prefix: str, decoder: bool) -> dict[str, Layer]:
        shared = f"{prefix}shared.weight"
        modules: dict[str, Layer] = {
            "shared": pc.Embedding(sizes.vocab, sizes.width),
            "encoder": _stack(family, sizes, layers, alone and not decoder, shared),
        }
        if decoder:
            modules["decoder"] = _stack(family, sizes, decoder_layers, True, shared)
        return modules

    if suffix in {"Model", "EncoderModel"}:
        return model(name, body("", suffix == "Model"), base=T5Network)
    if suffix == "ForConditionalGeneration":
        modules = body("", True)
        modules["lm_head"] = pc.Linear(sizes.width, sizes.vocab, bias=False).tied_to(
            "shared.weight"
        )
        return model(name, modules, base=T5Network)
    labels = num_labels(config)
    if suffix == "ForSequenceClassification":
        transformer = model(f"{family}Model", body("transformer.", True), base=T5Network)
        classifier = model(
            f"{family}ClassificationHead",
            {
                "dense": pc.Linear(sizes.width, sizes.width),
                "out_proj": pc.Linear(sizes.width, labels),
            },
            [("eos_token()", FirstToken()), "dense", ("tanh()", pc.Tanh()), "out_proj"],
        )
        return model(name, {"transformer": transformer, "classification_head": classifier})
    if suffix == "ForTokenClassification":
        encoder = model(f"{family}EncoderModel", body("transformer.", False), base=T5Network)
        return model(name, {"transformer": encoder, "classifier": pc.Linear(sizes.width, labels)})
    modules = body("", True)
    modules["qa_outputs"] = pc.Linear(sizes.width, labels)
    return model(name, modules, base=T5Network)


def build_t5(config: HFConfig) -> Layer:
    """``T5Model`` or the head ``architectures[0]`` names (T5, T5 v1.1, Flan-T5)."""
    return _t5(config, "T5")


def build_mt5(config: HFConfig) -> Layer:
    """``MT5Model`` or the head ``architectures[0]`` names."""
    return _t5(config, "MT5")
