"""Pieces the encoder, encoder-decoder and vision builders share.

The head a config asks for (``architectures[0]``, chosen as ``AutoModel``
does), the label count of classification heads, the top-level network named
after its ``transformers`` class, and the attention of encoder-decoder
decoders with its KV-cache shapes.

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
from functools import cache

from paramcalc import _check
from paramcalc.errors import ConfigError
from paramcalc.hf.config import HFConfig
from paramcalc.layer import Layer
from paramcalc.shapes import Shape
from paramcalc.zoo._common import Net, SelfAttention, Step

__all__ = ["DecoderAttention", "HFModel", "head", "model", "num_labels"]


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
            f"from_hf_config: {config.where}: `architectures[0]`={architecture!r} is not a head "
            f"paramcalc builds for this model_type; known: "
            f"{', '.join(prefix + name for name in known)}."
        )
    return suffix


def num_labels(config: HFConfig) -> int:
    """The classifier's outputs: ``num_labels``, else the size of ``id2label``, else 2.

    >>> num_labels(HFConfig({"id2label": {"0": "NEG", "1": "NEU", "2": "POS"}}))
    3
    """
    config.ignore("label2id")
    labels = config.maybe("id2label")
    if "num_labels" in config:
        return config.size("num_labels")
    if labels is None:
        return 2
    if not isinstance(labels, Mapping) or not labels:
        raise ConfigError(
            f"from_hf_config: `id2label` in the {config.where} must be a non-empty object. "
            f"Received: id2label={labels!r}."
        )
    return len(labels)


@dataclass(frozen=True, init=False, repr=False, eq=False)
class HFModel(Net):
    """A whole network built from a config; its class is named as ``transformers``' is."""


@cache
def _model_class(name: str, base: type[HFModel]) -> type[HFModel]:
    doc = f"Hugging Face's ``{name}``, built from its config."
    return type(name, (base,), {"__doc__": doc, "__module__": __name__, "__qualname__": name})


def model(
    name: str,
    modules: Mapping[str, Layer],
    steps: Iterable[Step] | None = None,
    *,
    base: type[HFModel] = HFModel,
) -> HFModel:
    """A network of class ``name`` (``"BertForMaskedLM"``), a subclass of ``base``.

    >>> from paramcalc import Linear
    >>> type(model("BertForMaskedLM", {"fc": Linear(2, 2)})).__name__
    'BertForMaskedLM'
    """
    return _model_class(name, base)(modules, steps)


@dataclass(frozen=True, init=False, repr=False, eq=False)
class DecoderAttention(SelfAttention):
    """A decoder's self- or cross-attention (T5, Whisper), with the keys and values it caches.

    ``num_heads`` and ``head_dim`` are those of the keys and values; a
    cross-attention (``cross=True``) caches them for the encoder's
    ``encoder_tokens`` positions, a self-attention for the ``tokens`` seen,
    each per sample as ``(heads, length, head_dim)``, as ``transformers``'
    ``EncoderDecoderCache`` stores them; an encoder's (``cached=False``)
    caches nothing. (The walk treats a cross-attention's keys and values as
    projected from its own input, of the decoder's length.)

    >>> from paramcalc import Linear
    >>> attention = DecoderAttention({"q": Linear(8, 8)}, ["q"], [], num_heads=2, head_dim=4,
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
