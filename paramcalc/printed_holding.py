"""A printed layer together with the tensors its ``print(model)`` line does not show.

timm's ``ScaledStdConv2d(3, 16, kernel_size=(3, 3), ...)`` prints as a
convolution but also holds a ``gain`` of shape ``(16, 1, 1, 1)``; Hugging Face's
``T5LayerNorm()`` prints nothing at all but holds a ``weight``. The reader of
``print(model)`` text builds such a class as a :class:`Holding`: the layer its
line describes (or none) plus the named tensors the text leaves out, under the
printed class name.

>>> from paramcalc import Conv2d
>>> conv = holding("ScaledStdConv2d", Conv2d(3, 16, 3), (("gain", (16, 1, 1, 1)),))
>>> type(conv).__name__, [name for name, _ in conv.named_parameters()], conv.params()
('ScaledStdConv2d', ['weight', 'bias', 'gain'], 464)
>>> conv.output_shape((3, 32, 32))
(16, 30, 30)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import islice
from typing import cast

from paramcalc.layer import Composite, Layer
from paramcalc.shapes import Shape

__all__ = ["Holding", "holding", "in_width", "out_width"]


@dataclass(frozen=True, init=False, repr=False, eq=False)
class Holding(Layer):
    """``layer`` (shapes and MACs pass through it) plus the tensors ``extra``."""

    layer: Layer | None = None
    extra: tuple[tuple[str, Shape], ...] = field(default=())

    def __init__(
        self, layer: Layer | None, extra: tuple[tuple[str, Shape], ...], *, trainable: bool = True
    ) -> None:
        object.__setattr__(self, "layer", layer)
        object.__setattr__(self, "extra", tuple(extra))
        object.__setattr__(self, "trainable", trainable)
        self.__post_init__()

    def parameter_shapes(self) -> tuple[tuple[str, Shape], ...]:
        own = self.layer.parameter_shapes() if self.layer is not None else ()
        return (*own, *self.extra)

    def buffer_shapes(self) -> tuple[tuple[str, Shape], ...]:
        return self.layer.buffer_shapes() if self.layer is not None else ()

    def infer_shape(self, shape: Shape) -> Shape:
        return self.layer.infer_shape(shape) if self.layer is not None else shape

    def count_macs(self, shape: Shape, output: Shape) -> int:
        return self.layer.count_macs(shape, output) if self.layer is not None else 0

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.layer!r}, {dict(self.extra)!r})"


_CLASSES: dict[str, type[Holding]] = {}


def holding(kind: str, layer: Layer | None, extra: tuple[tuple[str, Shape], ...]) -> Holding:
    """A :class:`Holding` whose type is named ``kind`` (one class per name)."""
    if kind not in _CLASSES:
        doc = f"``{kind}`` read from print(model): a printed layer and the tensors it holds."
        _CLASSES[kind] = cast("type[Holding]", type(kind, (Holding,), {"__doc__": doc}))
    return _CLASSES[kind](layer, extra)


_OUT = ("out_features", "out_channels", "embedding_dim", "num_features", "num_channels", "nf")
_IN = ("in_features", "in_channels", "num_features", "num_channels", "nx")


def _width(layer: Layer, names: tuple[str, ...], last: bool) -> int | None:
    if isinstance(layer, Holding):
        return None if layer.layer is None else _width(layer.layer, names, last)
    block = getattr(layer, "block", None)
    if isinstance(layer, Composite) and isinstance(block, Layer):  # a Repeat
        return _width(block, names, last)
    if isinstance(layer, Composite):
        children = [child for _, child in islice(layer.children(), 1000)]
        for child in reversed(children) if last else children:
            if last and type(child).__name__ == "Embedding":
                continue  # a position table inside a block is not its output
            found = _width(child, names, last)
            if found is not None:
                return found
        return None
    for name in names:
        value = getattr(layer, name, None)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    shape = getattr(layer, "normalized_shape", None)
    if isinstance(shape, int) and not isinstance(shape, bool):
        return shape
    if isinstance(shape, tuple) and shape and isinstance(shape[-1], int):
        return int(shape[-1])
    return None


def out_width(layer: Layer) -> int | None:
    """The feature width ``layer`` produces, where its arguments say it.

    >>> from paramcalc import Linear, Sequential, ReLU
    >>> out_width(Sequential(Linear(4, 8), ReLU())), in_width(Sequential(Linear(4, 8)))
    (8, 4)
    """
    return _width(layer, _OUT, last=True)


def in_width(layer: Layer) -> int | None:
    """The feature width ``layer`` takes, where its arguments say it."""
    return _width(layer, _IN, last=False)
