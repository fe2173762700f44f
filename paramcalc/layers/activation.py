"""Element-wise activations: no parameters, no MACs, the shape unchanged."""

from __future__ import annotations

from dataclasses import dataclass

from paramcalc import _check
from paramcalc.layer import Layer
from paramcalc.shapes import Shape, numel

__all__ = ["ReLU"]


@dataclass(frozen=True, repr=False)
class ReLU(Layer):
    """``max(0, x)``; mirrors ``torch.nn.ReLU``.

    >>> ReLU(inplace=True).params(), ReLU().output_shape((6, 28, 28))
    (0, (6, 28, 28))
    """

    inplace: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        _check.boolean("ReLU", "inplace", self.inplace)

    def count_elementwise(self, shape: Shape, output: Shape) -> int:
        """One comparison per element (DeepSpeed's and ptflops' ReLU count)."""
        return numel(output)
