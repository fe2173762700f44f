"""Tied weights of printed Hugging Face models, as transformers ties them.

``print(model)`` shows GPT-2's ``lm_head`` and ``transformer.wte`` as two
layers, but they hold one tensor: transformers ties an output head to the input
embedding when the config's ``tie_word_embeddings`` is true, and an
encoder-decoder's ``encoder.embed_tokens`` and ``decoder.embed_tokens`` to its
``shared`` embedding. The printed top-level class decides: the classes whose
default ties (:data:`~paramcalc.printed_names.TIED`) are tied, those whose
default does not (:data:`~paramcalc.printed_names.UNTIED`) are not; where
checkpoints of one class go both ways (Llama 3.2 1B ties, Llama 3 8B does
not) a warning names both tensors and the option that settles it.

>>> from paramcalc.printed import read_printed
>>> text = '''GPT2LMHeadModel(
...   (transformer): GPT2Model(
...     (wte): Embedding(50257, 768)
...   )
...   (lm_head): Linear(in_features=768, out_features=50257, bias=False)
... )'''
>>> net, warnings = read_printed(text)
>>> net.params(), warnings
(38597376, ())
"""

from __future__ import annotations

from collections.abc import Iterator

from paramcalc.containers import Module
from paramcalc.graph import Repeat, Tied
from paramcalc.layer import Composite, Layer
from paramcalc.params import Parameter
from paramcalc.printed_names import EITHER, TIED, UNTIED
from paramcalc.serial import add_child

__all__ = ["tie_printed"]

_HEADS = (
    "lm_head", "decoder", "vocab_projector", "proj_out", "embed_out", "generator_lm_head",
    "output_projection", "lm_loss",
)  # fmt: skip
_SHARED = ("shared", "word_embeddings")
_INPUTS = ("embed_tokens", "word_embeddings")
_SUFFIXES = (
    "ForCausalLM", "LMHeadModel", "ForMaskedLM", "ForConditionalGeneration", "MTModel",
    "WithLMHead", "ForPreTraining", "ForSpeechSeq2Seq", "ForTextToText",
)  # fmt: skip


def _leaves(
    layer: Layer, path: str, parent: Layer | None
) -> Iterator[tuple[str, Layer, Layer | None]]:
    if isinstance(layer, Repeat):
        return
    if isinstance(layer, Composite):
        for name, child in layer.children():
            yield from _leaves(child, f"{path}.{name}" if path else name, layer)
    else:
        yield path, layer, parent


def _weight(layer: Layer) -> tuple[int, ...] | None:
    shapes = dict(layer.parameter_shapes())
    weight = shapes.get("weight")
    return tuple(weight) if weight is not None else None


def _tie(parent: Layer | None, path: str, layer: Layer, target: str, bias: str = "") -> bool:
    if not isinstance(parent, Module) or isinstance(layer, Tied):
        return False
    targets = {"weight": target, **({"bias": bias} if bias else {})}
    add_child(parent, path.rpartition(".")[2], Tied(layer, targets))
    return True


def _head_bias(parent: Layer | None, path: str, layer: Layer) -> str:
    """The path of the ``bias`` a masked-LM head holds beside its decoder, if it ties one.

    BERT's ``cls.predictions`` holds ``bias`` (vocab,); transformers ties
    ``cls.predictions.decoder.bias`` to it whenever it ties the decoder's weight.
    """
    own = dict(parent.children()) if isinstance(parent, Module) else {}
    held = own.get("bias")
    shape = dict(layer.parameter_shapes()).get("bias")
    if isinstance(held, Parameter) and shape is not None and held.shape == tuple(shape):
        return f"{path.rpartition('.')[0]}.bias" if "." in path else "bias"
    return ""


def tie_printed(network: Layer, root: str, tied: bool | None) -> tuple[Layer, tuple[str, ...]]:
    """``network`` with the ties of its printed class ``root``, and a warning where unsure."""
    leaves = list(_leaves(network, "", None))
    embeddings = [
        (path, _weight(layer)) for path, layer, _ in leaves if type(layer).__name__ == "Embedding"
    ]
    if not embeddings:
        return network, ()
    notes: list[str] = []
    sizes = dict(embeddings)
    shared = next(
        (
            path
            for path, size in embeddings
            if path.rpartition(".")[2] in _SHARED
            and path.count(".") <= 1
            and any(
                other.count(".") > path.count(".") and other.rpartition(".")[2] in _INPUTS
                for other, other_size in embeddings
                if other_size == size
            )
        ),
        None,
    )
    if shared is not None:  # an encoder-decoder's input embeddings are its shared embedding
        size = sizes[shared]
        for path, layer, parent in leaves:
            name = path.rpartition(".")[2]
            if name in _INPUTS and path != shared and _weight(layer) == size:
                _tie(parent, path, layer, f"{shared}.weight")
    heads = [
        (path, layer, parent)
        for path, layer, parent in leaves
        if path.rpartition(".")[2] in _HEADS and type(layer).__name__ in ("Linear", "Conv1D")
    ]
    if not heads or not root.endswith(_SUFFIXES):
        return network, tuple(notes)
    path, layer, parent = heads[-1]
    size = _weight(layer)
    target = shared or next((name for name, weight in embeddings if weight == size), None)
    if target is None or size is None:
        return network, tuple(notes)
    bias = _head_bias(parent, path, layer)
    if tied is None:
        default = root in TIED or (root not in UNTIED and root not in EITHER)
        if root in EITHER or (root not in TIED and root not in UNTIED):
            saving = size[0] * size[1] + (size[0] if bias else 0)
            why = "as PretrainedConfig's default" if default else "as its config's default"
            notes.append(
                f"{root}: {path}.weight may be tied to {target}.weight (tie_word_embeddings "
                f"in its config; checkpoints differ): read as {'tied' if default else 'not tied'}"
                f" {why}; pass tied={not default} (--{'untied' if default else 'tied'}) if not, "
                f"which {'adds' if default else 'removes'} {saving:,} parameters"
            )
        tied = default
    if tied:
        _tie(parent, path, layer, f"{target}.weight", bias)
    return network, tuple(notes)
