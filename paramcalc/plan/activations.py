"""The activations a training step keeps for the backward pass, from the network's walk.

Autograd keeps, for each op on a tensor that needs a gradient, the tensors
its backward formula reads. :func:`saved_activations` walks a network as
the report does and adds, per layer, what PyTorch and ``transformers``
keep (``docs/fine-tuning.md`` lists the rules and their sources):

- ``Linear``/``Conv1D``: the input, when the weight is trained (a frozen
  weight's input gradient needs only the weight); an input shared by
  several layers (q, k and v; gate and up) is kept once;
- ``RMSNorm`` (``transformers``' ``LlamaRMSNorm``): the fp32 upcast of the
  input and the normalised input in the compute dtype; ``LayerNorm``: the
  input and two fp32 statistics per row;
- activation functions: their input; ``Dropout`` (p > 0): a 1-byte mask;
- attention (a parameter-free layer with MACs inside a block that names its
  ``inputs``: ``scaled_dot_product_attention`` as flash attention): the
  projected queries, keys and values, the output and an fp32 log-sum-exp
  per head and position; no ``L×L`` score tensor exists;
- a gated MLP's product ``act(gate)·up``: both factors;
- ``Embedding``: the int64 indices.

A repeated block is walked once and multiplied, as :class:`~paramcalc.Repeat` does.

>>> from paramcalc.zoo.language import llama
>>> net = llama(vocab_size=128256, hidden_size=2048, intermediate_size=8192,
...             num_hidden_layers=16, num_attention_heads=32, num_key_value_heads=8,
...             head_dim=64, tie_word_embeddings=True)     # Llama-3.2-1B
>>> saved = saved_activations(net, (2048,), bytes_per_element=2)
>>> saved.blocks, saved.per_block // 2048          # bytes per token in each decoder layer
(16, 112776)
"""

from __future__ import annotations

from dataclasses import dataclass

from paramcalc.errors import ShapeError
from paramcalc.graph import Repeat, Tied
from paramcalc.layer import Composite, Layer
from paramcalc.layers.activation import GELU, ReLU, SiLU, Tanh
from paramcalc.layers.embedding import Embedding
from paramcalc.layers.linear import Linear
from paramcalc.layers.norm import LayerNorm, RMSNorm
from paramcalc.plan.adapters import PartlyTrainable
from paramcalc.shapes import Shape, numel
from paramcalc.zoo._common import Conv1D, GatedMLP

__all__ = ["SavedActivations", "saved_activations"]

_REGULAR = (Linear, Conv1D)


@dataclass(frozen=True)
class SavedActivations:
    """Bytes of one sample's saved activations, split by where they live.

    ``total`` is every byte kept at the end of the forward pass; ``blocks``
    repeated blocks (decoder layers) keep ``per_block`` each and take
    ``block_input`` bytes of input each (what full checkpointing keeps);
    ``attention`` is what attention keeps beyond its inputs (flash attention:
    its output and log-sum-exp; q, k and v are counted in ``total`` as the
    inputs a recompute needs); ``output`` is the shape of the network's output.
    """

    total: int
    blocks: int
    per_block: int
    block_input: int
    attention: int
    output: Shape
    heads: int = 0
    """Query heads of the first attention met (0 without attention)."""


def _attends(layer: Layer, shape: Shape) -> bool:
    """A parameter-free leaf with MACs: attention's two products (both operands activations)."""
    if isinstance(layer, Composite) or layer.params() or layer.ties():
        return False
    return layer.count_macs(shape, layer.infer_shape(shape)) > 0


def _inner(layer: Layer) -> Layer:
    while isinstance(layer, PartlyTrainable):
        layer = layer.layer
    return layer.layer if isinstance(layer, Tied) else layer


def _weight_trained(layer: Layer) -> bool:
    if isinstance(layer, PartlyTrainable):
        return "weight" in layer.trained
    if isinstance(layer, Tied):  # the tied weight is trained with its owner
        return layer.trainable
    return layer.trainable and layer.trainable_params() > 0


class _Saver:
    def __init__(self, width: int) -> None:
        self.width = width
        self.total = 0
        self.attention = 0
        self.heads = 0
        self.kept: dict[int, Shape] = {}  # shapes already saved, by identity
        self.blocks = 0
        self.per_block = 0
        self.block_input = 0

    def keep(self, shape: Shape, width: int) -> None:
        if id(shape) not in self.kept:
            self.kept[id(shape)] = shape
            self.total += numel(shape) * width

    def leaf(self, layer: Layer, shape: Shape) -> Shape:
        inner = _inner(layer)
        out = (*layer.infer_shape(shape),)  # a new object: a new tensor
        w = self.width
        if isinstance(inner, _REGULAR):
            if _weight_trained(layer):
                self.keep(shape, w)
        elif isinstance(inner, Embedding):
            self.keep(shape, 8)
        elif isinstance(inner, RMSNorm):
            rows = numel(shape) // shape[-1]
            self.total += numel(shape) * (4 + w) + 4 * rows
        elif isinstance(inner, LayerNorm):
            rows = numel(shape) // shape[-1]
            self.keep(shape, w)
            self.total += 8 * rows
        elif isinstance(inner, (SiLU, GELU, ReLU, Tanh)):
            self.keep(shape, w)
        elif type(inner).__name__.startswith("Dropout") and getattr(inner, "p", 0) > 0:
            self.total += numel(shape)
        return out

    def run(self, layer: Layer, shape: Shape) -> Shape:
        if not isinstance(layer, Composite):
            return self.leaf(layer, shape)
        outputs: dict[str, Shape] = {}

        def visit(
            name: str,
            child: Layer,
            given: Shape | None,
            *,
            copies: int | None = None,
            first: int = 0,
        ) -> Shape | None:
            if given is None:
                return None
            if copies is not None:
                return self.repeat(child, given, copies)
            projections = getattr(layer, "inputs", None)
            if isinstance(projections, tuple) and _attends(child, given):
                out = (*child.infer_shape(given),)
                for projection in projections:  # q, k, v as attention receives them
                    if projection in outputs:
                        self.total += numel(outputs[projection]) * self.width
                heads = int(getattr(child, "num_heads", 0) or getattr(child, "heads", 1))
                self.heads = self.heads or heads
                own = numel(out) * self.width + 4 * heads * given[0]  # output, log-sum-exp
                self.total += own
                self.attention += own
                return out
            out = self.run(child, given)
            outputs[name] = out
            return out

        out = layer.forward_shapes(visit, shape)
        if out is None:  # pragma: no cover - a composite given a shape returns one
            raise ShapeError("gave no output shape")
        if isinstance(layer, GatedMLP) and "up_proj" in outputs:  # act(gate)·up keeps both
            self.total += 2 * numel(outputs["up_proj"]) * self.width
        elif "gate_up_proj" in outputs and type(layer).__name__.endswith("GatedMLP"):
            self.total += numel(outputs["gate_up_proj"]) * self.width  # two halves, packed
        return out

    def repeat(self, block: Layer, shape: Shape, copies: int) -> Shape:
        before = self.total
        attention = self.attention
        out = self.run(block, shape)
        step = self.total - before
        self.total += step * (copies - 1)
        self.attention += (self.attention - attention) * (copies - 1)
        if out != shape:
            raise ShapeError(f"repeats a block that maps {shape} to {out}")
        if copies > 1 or isinstance(block, Composite):
            self.blocks += copies
            self.per_block = max(self.per_block, step)
            self.block_input = numel(shape) * self.width
        return out


def saved_activations(
    net: Layer, input_shape: Shape, *, bytes_per_element: int
) -> SavedActivations:
    """The bytes one sample's forward pass keeps for backward (see the module's rules).

    ``bytes_per_element`` is the compute dtype's width (2 for bf16/fp16, 4 for fp32).
    """
    saver = _Saver(bytes_per_element)
    out = saver.run(net, input_shape)
    if isinstance(net, Repeat):  # pragma: no cover - a bare Repeat is walked above
        pass
    return SavedActivations(
        total=saver.total,
        blocks=saver.blocks,
        per_block=saver.per_block,
        block_input=saver.block_input,
        attention=saver.attention,
        heads=saver.heads,
        output=out,
    )
