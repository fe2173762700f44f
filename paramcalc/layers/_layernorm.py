"""A private ``LayerNorm`` for the transformer layers.

The public ``LayerNorm`` belongs to the normalization family; this one holds
only what the transformer layers need (torch's constructor, tensors and
shape check) until the two are unified.

>>> norm = LayerNorm(512)
>>> list(norm.named_parameters())
[('weight', (512,)), ('bias', (512,))]
"""

from __future__ import annotations

from dataclasses import dataclass

from paramcalc import _check
from paramcalc.errors import ShapeError
from paramcalc.layer import Layer
from paramcalc.shapes import Shape


@dataclass(frozen=True, repr=False)
class LayerNorm(Layer):
    """Normalizes the last dimensions; mirrors ``torch.nn.LayerNorm``.

    ``weight`` and ``bias`` of ``normalized_shape`` if ``elementwise_affine``
    (``bias`` only if ``bias``). No MACs.

    >>> LayerNorm(8, bias=False).params(), LayerNorm((2, 3)).output_shape((5, 2, 3))
    (8, (5, 2, 3))
    """

    normalized_shape: int | tuple[int, ...]
    eps: float = 1e-5
    elementwise_affine: bool = True
    bias: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        shape = self.normalized_shape
        if isinstance(shape, (tuple, list)):
            items = tuple(_check.positive("LayerNorm", "normalized_shape", s) for s in shape)
        else:
            items = (_check.positive("LayerNorm", "normalized_shape", shape),)
        object.__setattr__(self, "normalized_shape", items)
        _check.real("LayerNorm", "eps", self.eps)
        _check.boolean("LayerNorm", "elementwise_affine", self.elementwise_affine)
        _check.boolean("LayerNorm", "bias", self.bias)

    @property
    def shape(self) -> Shape:
        """``normalized_shape`` as a tuple."""
        shape = self.normalized_shape
        return shape if isinstance(shape, tuple) else (shape,)

    def parameter_shapes(self) -> tuple[tuple[str, Shape], ...]:
        if not self.elementwise_affine:
            return ()
        weight = ("weight", self.shape)
        return (weight, ("bias", self.shape)) if self.bias else (weight,)

    def infer_shape(self, shape: Shape) -> Shape:
        tail = self.shape
        if len(shape) < len(tail) or shape[len(shape) - len(tail) :] != tail:
            raise ShapeError(
                f"expects an input ending in normalized_shape {tail} but receives shape {shape}"
            )
        return shape
