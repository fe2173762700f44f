"""``Linear``, ``Bilinear`` and ``Identity``, as ``torch.nn.modules.linear``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from paramcalc import _check
from paramcalc.errors import ShapeError
from paramcalc.layer import Layer
from paramcalc.lifetime import VIEW, Keeps
from paramcalc.shapes import Shape, numel

if TYPE_CHECKING:
    from paramcalc.formula import Formula


@dataclass(frozen=True, repr=False, eq=False)
class Linear(Layer):
    """Applies ``y = x Aᵀ + b`` to the last dimension; mirrors ``torch.nn.Linear``.

    Parameters
    ----------
        weight: ``(out_features, in_features)``
        bias:   ``(out_features,)`` if ``bias``

    >>> fc = Linear(400, 120)
    >>> fc.params(), str(fc.explain())
    (48120, '400·120 + 120 = 48,120')
    >>> fc.output_shape((10, 400))
    (10, 120)

    """

    in_features: int
    out_features: int
    bias: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        _check.positive("Linear", "in_features", self.in_features)
        _check.positive("Linear", "out_features", self.out_features)
        _check.boolean("Linear", "bias", self.bias)

    def parameter_shapes(self) -> tuple[tuple[str, Shape], ...]:
        weight = ("weight", (self.out_features, self.in_features))
        return (weight, ("bias", (self.out_features,))) if self.bias else (weight,)

    def keeps(self, shape: Shape, output: Shape) -> Keeps:
        """Its input (the weight's gradient reads it); 16-bit under autocast."""
        return Keeps(autocast="low")

    def infer_shape(self, shape: Shape) -> Shape:
        if not shape:
            raise ShapeError(
                f"expects a per-sample input of rank at least 1 (..., {self.in_features}) "
                "but receives rank 0: ()"
            )
        if shape[-1] != self.in_features:
            raise ShapeError(
                f"expects {self.in_features} input features but receives {shape[-1]}",
                received=shape[-1],
            )
        return (*shape[:-1], self.out_features)

    def count_macs(self, shape: Shape, output: Shape) -> int:
        return numel(shape) * self.out_features

    def count_elementwise(self, shape: Shape, output: Shape) -> int:
        """The bias add: 1 FLOP per output element."""
        return numel(output) if self.bias else 0

    def formula(self) -> Formula:
        """``C_in·C_out + C_out``."""
        from paramcalc.formula import Formula, num, product, total

        out = num(self.out_features, "C_out")
        weights = product(num(self.in_features, "C_in"), out)
        return Formula(total(weights, out) if self.bias else weights)


@dataclass(frozen=True, repr=False, eq=False)
class Bilinear(Layer):
    """Applies ``y_k = x1ᵀ·A_k·x2 + b_k``; mirrors ``torch.nn.Bilinear``.

    Parameters
    ----------
        weight: ``(out_features, in1_features, in2_features)``
        bias:   ``(out_features,)`` if ``bias``

    paramcalc shapes have one input: the per-sample shape is the first
    input's, ``(*, in1_features)``; the second input is taken to be
    ``(*, in2_features)`` with the same leading dimensions, as torch requires.

    MACs: each output element is the bilinear form ``x1ᵀ·A_k·x2``, counted as
    ``in1·in2`` multiply-adds, so ``leading·in1·in2·out`` in all. torch's
    ``FlopCounterMode`` has no formula for ``aten::_trilinear`` and counts 0.

    >>> bl = Bilinear(20, 30, 40)
    >>> bl.params(), bl.output_shape((128, 20)), bl.macs((128, 20))
    (24040, (128, 40), 3072000)
    >>> str(bl.explain())
    '20·30·40 + 40 = 24,040'

    """

    in1_features: int
    in2_features: int
    out_features: int
    bias: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("in1_features", "in2_features", "out_features"):
            _check.positive("Bilinear", name, getattr(self, name))
        _check.boolean("Bilinear", "bias", self.bias)

    def parameter_shapes(self) -> tuple[tuple[str, Shape], ...]:
        weight = ("weight", (self.out_features, self.in1_features, self.in2_features))
        return (weight, ("bias", (self.out_features,))) if self.bias else (weight,)

    def keeps(self, shape: Shape, output: Shape) -> Keeps:
        """Its input (the weight's gradient reads it); 16-bit under autocast."""
        return Keeps(autocast="low")

    def infer_shape(self, shape: Shape) -> Shape:
        if not shape or shape[-1] != self.in1_features:
            raise ShapeError(
                f"expects {self.in1_features} features in its first input "
                f"but receives {shape[-1] if shape else 'a scalar'}",
                received=shape[-1] if shape else None,
            )
        return (*shape[:-1], self.out_features)

    def count_macs(self, shape: Shape, output: Shape) -> int:
        """``leading·in1·in2·out``: ``in1·in2`` multiply-adds per output element."""
        return numel(shape) * self.in2_features * self.out_features

    def count_elementwise(self, shape: Shape, output: Shape) -> int:
        """The bias add: 1 FLOP per output element."""
        return numel(output) if self.bias else 0

    def formula(self) -> Formula:
        """``C_in1·C_in2·C_out + C_out``."""
        from paramcalc.formula import Formula, num, product, total

        out = num(self.out_features, "C_out")
        weights = product(num(self.in1_features, "C_in1"), num(self.in2_features, "C_in2"), out)
        return Formula(total(weights, out) if self.bias else weights)


class Identity(Layer):
    """Returns its input; mirrors ``torch.nn.Identity`` (whose arguments it ignores too).

    >>> Identity().output_shape((3, 4))
    (3, 4)
    """

    def keeps(self, shape: Shape, output: Shape) -> Keeps:
        """The input itself: nothing allocated, nothing kept."""
        return VIEW
