"""Max pooling: ``MaxPool1d``, ``MaxPool2d`` (also ``MaxPool``), ``MaxPool3d``.

Pooling has no parameters and no MACs; it only changes the shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from paramcalc import _check
from paramcalc.errors import ConfigError
from paramcalc.layer import Layer
from paramcalc.layers._spatial import check_rank, check_window
from paramcalc.shapes import Shape, numel, pool_length

__all__ = ["MaxPool", "MaxPool1d", "MaxPool2d", "MaxPool3d"]


@dataclass(frozen=True, repr=False)
class _MaxPoolNd(Layer):
    """Shared fields and checks of ``MaxPool1d/2d/3d`` (torch's ``_MaxPoolNd``)."""

    dims: ClassVar[int] = 2

    kernel_size: int | tuple[int, ...]
    stride: int | tuple[int, ...] | None = None
    padding: int | tuple[int, ...] = 0
    dilation: int | tuple[int, ...] = 1
    return_indices: bool = False
    ceil_mode: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        name, n = type(self).__name__, self.dims
        kernel = _check.int_tuple(name, "kernel_size", self.kernel_size, n, minimum=1)
        if self.stride is not None:
            _check.int_tuple(name, "stride", self.stride, n, minimum=1)
        padding = _check.int_tuple(name, "padding", self.padding, n, minimum=0)
        _check.int_tuple(name, "dilation", self.dilation, n, minimum=1)
        _check.boolean(name, "return_indices", self.return_indices)
        _check.boolean(name, "ceil_mode", self.ceil_mode)
        if any(p > k // 2 for p, k in zip(padding, kernel, strict=True)):
            raise ConfigError(
                f"{name}: `padding` must be at most half of `kernel_size`. "
                f"Received: padding={self.padding}, kernel_size={self.kernel_size}."
            )

    def _tuple(self, value: int | tuple[int, ...]) -> tuple[int, ...]:
        return value if isinstance(value, tuple) else (value,) * self.dims

    def infer_shape(self, shape: Shape) -> Shape:
        check_rank(shape, self.dims)
        kernel = self._tuple(self.kernel_size)
        stride = kernel if self.stride is None else self._tuple(self.stride)
        lengths = shape[1:]
        outputs = [
            pool_length(length, k, s, p, d, self.ceil_mode)
            for length, k, s, p, d in zip(
                lengths,
                kernel,
                stride,
                self._tuple(self.padding),
                self._tuple(self.dilation),
                strict=True,
            )
        ]
        dilation = self._tuple(self.dilation)
        check_window(
            lengths,
            outputs,
            f"kernel_size={self.kernel_size}",
            shape,
            spans=[d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True)],
            paddings=self._tuple(self.padding),
        )
        return (shape[0], *outputs)

    def count_elementwise(self, shape: Shape, output: Shape) -> int:
        """``k − 1`` comparisons per output element, ``k`` the elements of the window."""
        return numel(output) * (numel(self._tuple(self.kernel_size)) - 1)


@dataclass(frozen=True, repr=False)
class MaxPool1d(_MaxPoolNd):
    """1-d max pooling over ``(C, L)``; mirrors ``torch.nn.MaxPool1d``.

    >>> MaxPool1d(3, stride=2).output_shape((16, 50))
    (16, 24)
    """

    dims: ClassVar[int] = 1


@dataclass(frozen=True, repr=False)
class MaxPool2d(_MaxPoolNd):
    """2-d max pooling over ``(C, H, W)``; mirrors ``torch.nn.MaxPool2d``.

    ``stride`` defaults to ``kernel_size``:

    >>> MaxPool2d(2).output_shape((6, 28, 28))
    (6, 14, 14)
    >>> MaxPool2d(2).params()
    0
    """

    dims: ClassVar[int] = 2


@dataclass(frozen=True, repr=False)
class MaxPool3d(_MaxPoolNd):
    """3-d max pooling over ``(C, D, H, W)``; mirrors ``torch.nn.MaxPool3d``.

    >>> MaxPool3d(2).output_shape((4, 8, 8, 8))
    (4, 4, 4, 4)
    """

    dims: ClassVar[int] = 3


MaxPool = MaxPool2d
"""``MaxPool`` is the 2-d one, as in the seed post."""
