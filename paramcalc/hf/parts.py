"""Pieces the encoder, encoder-decoder and vision builders share.

The head a config asks for (``architectures[0]``, chosen as ``AutoModel``
does, by class-name suffix), the top-level network named after its
``transformers`` class, the attention of encoder-decoder decoders with its
KV-cache shapes, pre-norm attention and MLP blocks, and tables read by index.

>>> config = HFConfig({"architectures": ["BertForMaskedLM"]}, "bert config")
>>> head(config, "Bert", ("Model", "ForMaskedLM"))
'ForMaskedLM'
>>> head(HFConfig({"architectures": ["BertForPreTraining"]}, "bert"), "Bert", ("Model",))
Traceback (most recent call last):
...
paramcalc.errors.ConfigError: from_hf_config: bert: `architectures[0]`='BertForPreTraining' is ...
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar, cast

from paramcalc import _check
from paramcalc._check import shown
from paramcalc.errors import ConfigError
from paramcalc.hf.blocks import named
from paramcalc.hf.config import HFConfig
from paramcalc.layer import Layer, Visit
from paramcalc.shapes import Shape
from paramcalc.zoo import _nn as pc
from paramcalc.zoo._common import Net, SelfAttention, Step

__all__ = [
    "Seq2SeqAttention",
    "WithTables",
    "attention",
    "head",
    "mlp",
    "model",
    "typed",
]


def head(config: HFConfig, prefix: str, known: Iterable[str], default: str = "Model") -> str:
    """The head suffix ``architectures[0]`` names (``"ForMaskedLM"``), or ``default``.

    ``prefix`` is the family's class prefix (``"Bert"``); a class outside
    ``known`` is refused with the list of the known ones, never replaced.
    """
    known = tuple(known)
    config.ignore("id2label", "label2id", "num_labels")  # read again by the heads using them
    architecture = config.architecture
    if architecture is None:
        return default
    suffix = architecture[len(prefix) :] if architecture.startswith(prefix) else None
    if suffix not in known:
        raise ConfigError(
            f"from_hf_config: {config.where}: `architectures[0]`={shown(architecture)} is not "
            f"a head paramcalc builds for this model_type; known: "
            f"{', '.join(prefix + name for name in known)}."
        )
    return suffix


N = TypeVar("N", bound=Net)


def typed(name: str, base: type[N]) -> type[N]:
    """A subclass of ``base`` named ``name`` (``"BertSelfAttention"``), for reports.

    >>> typed("BertSelfAttention", SelfAttention).__mro__[1].__name__
    'SelfAttention'
    """
    return cast(type[N], named(name, base))


def model(
    name: str,
    modules: Mapping[str, Layer],
    steps: Iterable[Step] | None = None,
    *,
    base: type[Net] = Net,
    output: str | None = None,
) -> Net:
    """A network of class ``name`` (``"BertForMaskedLM"``), a subclass of ``base``.

    ``output`` is the path of its output embeddings (see :meth:`Net.output_embeddings`).

    >>> from paramcalc import Linear
    >>> type(model("BertForMaskedLM", {"fc": Linear(2, 2)})).__name__
    'BertForMaskedLM'
    """
    return named(name, base)(modules, steps, output=output)


@dataclass(frozen=True, init=False, repr=False, eq=False)
class Seq2SeqAttention(SelfAttention):
    """A decoder's self- or cross-attention (T5, Whisper), with the keys and values it caches.

    ``num_heads`` and ``head_dim`` are those of the keys and values; a
    cross-attention (``cross=True``) caches them for the encoder's
    ``encoder_tokens`` positions, a self-attention for the ``tokens`` seen,
    each per sample as ``(heads, length, head_dim)``, as ``transformers``'
    ``EncoderDecoderCache`` stores them; an encoder's (``cached=False``)
    caches nothing. (The walk treats a cross-attention's keys and values as
    projected from its own input, of the decoder's length.)

    >>> from paramcalc import Linear
    >>> attention = Seq2SeqAttention({"q": Linear(8, 8)}, ["q"], [], num_heads=2, head_dim=4,
    ...                              cross=True)
    >>> attention.cache_shapes(10, encoder_tokens=1500)
    (('key', (2, 1500, 4)), ('value', (2, 1500, 4)))
    """

    cross: bool = field(default=False)
    cached: bool = field(default=True)

    def __init__(
        self,
        modules: Mapping[str, Layer],
        inputs: Iterable[str],
        outputs: Iterable[Step],
        *,
        num_heads: int,
        head_dim: int,
        cross: bool = False,
        cached: bool = True,
    ) -> None:
        _check.positive(type(self).__name__, "num_heads", num_heads)
        _check.positive(type(self).__name__, "head_dim", head_dim)
        super().__init__(modules, inputs, outputs, num_heads=num_heads, head_dim=head_dim)
        object.__setattr__(self, "cross", _check.boolean(type(self).__name__, "cross", cross))
        object.__setattr__(self, "cached", _check.boolean(type(self).__name__, "cached", cached))

    def cache_shapes(self, tokens: int, encoder_tokens: int = 0) -> tuple[tuple[str, Shape], ...]:
        _check.integer(type(self).__name__, "tokens", tokens, minimum=0)
        _check.integer(type(self).__name__, "encoder_tokens", encoder_tokens, minimum=0)
        if not self.cached:
            return ()
        length = encoder_tokens if self.cross else tokens
        shape = (self.num_heads, length, self.head_dim)
        return (("key", shape), ("value", shape))


@dataclass(frozen=True, init=False, repr=False, eq=False)
class WithTables(Net):
    """A network whose modules outside its steps are tables read by index, not applied.

    Position tables, class tokens: each is visited without a shape (its row
    in a report, no MACs), then the steps run.

    >>> from paramcalc import Embedding, Linear
    >>> net = WithTables({"position": Embedding(16, 4), "fc": Linear(4, 2)}, ["fc"])
    >>> net.output_shape((16, 4)), net.params()
    ((16, 2), 74)
    """

    def forward_shapes(self, visit: Visit, shape: Shape | None) -> Shape | None:
        stepped = {step for step in self.steps if isinstance(step, str)}
        for name, layer in self.modules:
            if name not in stepped:
                visit(name, layer, None)
        for step in self.steps:
            shape = self._step(visit, step, shape)
        return shape


def attention(
    order: str,
    width: int,
    heads: int,
    *,
    names: tuple[str, str, str, str] = ("q_proj", "k_proj", "v_proj", "out_proj"),
    biases: str = "qkvo",
    kind: type[SelfAttention] = SelfAttention,
    **options: bool,
) -> SelfAttention:
    """Query, key, value and output projections of ``width``, registered in ``order``.

    ``order`` and ``biases`` are letters of ``q``, ``k``, ``v``, ``o``:
    CLIP registers ``"kvqo"``, Whisper's key has no bias (``biases="qvo"``).

    >>> [name for name, _ in attention("kvqo", 8, 2, biases="qvo").named_parameters()][:3]
    ['k_proj.weight', 'v_proj.weight', 'v_proj.bias']
    """
    if width % heads:
        raise ConfigError(
            f"from_hf_config: the hidden size must be divisible by the number of attention "
            f"heads. Received: hidden_size={width}, num_attention_heads={heads}."
        )
    named = dict(zip("qkvo", names, strict=True))
    modules = {named[letter]: pc.Linear(width, width, bias=letter in biases) for letter in order}
    return kind(
        modules,
        [named["q"], named["k"], named["v"]],
        [named["o"]],
        num_heads=heads,
        head_dim=width // heads,
        **options,
    )


def mlp(width: int, inner: int, act: Layer | None = None, name: str = "MLP") -> Net:
    """``fc2(act(fc1(x)))``: the feed-forward of CLIP, SigLIP and ViT layers (class ``name``)."""
    return model(
        name,
        {"fc1": pc.Linear(width, inner), "fc2": pc.Linear(inner, width)},
        ["fc1", ("activation_fn()", act or pc.GELU()), "fc2"],
    )
