"""Pooling: max, average, power-average and adaptive, in 1, 2 and 3 dims.

Pooling has no parameters and no MACs; it only changes the shape. Like torch,
every pool also takes the unbatched form: per-sample ``spatial`` without a
channel dimension (a batch of one ``(H, W)`` is torch's ``(C, H, W)``).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, ClassVar

from paramcalc import _check
from paramcalc.errors import ConfigError, ConfigTypeError
from paramcalc.layer import Layer
from paramcalc.layers._pool import (
    _check_half_kernel,
    _check_kernel_fits,
    _expand,
    _pooled,
    _tuples,
    _window,
)
from paramcalc.lifetime import Keeps
from paramcalc.shapes import Shape, numel


@dataclass(frozen=True, repr=False, eq=False)
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
        short = n > 1  # ATen's 2-d and 3-d pools broadcast one-element tuples
        _tuples(self, "kernel_size", "stride", "padding", "dilation")
        kernel = _window(name, "kernel_size", self.kernel_size, n, minimum=1, short=short)
        if self.stride is not None and self.stride != ():
            _window(name, "stride", self.stride, n, minimum=1, short=short)
        padding = _window(name, "padding", self.padding, n, minimum=0, short=short)
        _window(name, "dilation", self.dilation, n, minimum=1, short=short)
        _check.boolean(name, "return_indices", self.return_indices)
        _check.boolean(name, "ceil_mode", self.ceil_mode)
        _check_half_kernel(name, padding, kernel)

    def keeps(self, shape: Shape, output: Shape) -> Keeps:
        """Its input and the int64 argmax of each output (``max_pool2d_with_indices``)."""
        return Keeps(saved=((numel(output), "int64"),))

    def infer_shape(self, shape: Shape) -> Shape:
        n = self.dims
        kernel = _expand(self.kernel_size, n)
        stride = kernel if self.stride is None or self.stride == () else _expand(self.stride, n)
        return _pooled(
            shape,
            kernel,
            stride,
            _expand(self.padding, n),
            _expand(self.dilation, n),
            self.ceil_mode,
            self.kernel_size,
        )

    def count_elementwise(self, shape: Shape, output: Shape) -> int:
        """``k − 1`` comparisons per output element, ``k`` the elements of the window."""
        return numel(output) * (numel(_expand(self.kernel_size, self.dims)) - 1)


class MaxPool1d(_MaxPoolNd):
    """1-d max pooling over ``(C, L)``; mirrors ``torch.nn.MaxPool1d``.

    >>> MaxPool1d(3, stride=2).output_shape((16, 50))
    (16, 24)
    """

    dims: ClassVar[int] = 1


class MaxPool2d(_MaxPoolNd):
    """2-d max pooling over ``(C, H, W)``; mirrors ``torch.nn.MaxPool2d``.

    ``stride`` defaults to ``kernel_size``:

    >>> MaxPool2d(2).output_shape((6, 28, 28))
    (6, 14, 14)
    >>> MaxPool2d(2).params()
    0
    """

    dims: ClassVar[int] = 2


class MaxPool3d(_MaxPoolNd):
    """3-d max pooling over ``(C, D, H, W)``; mirrors ``torch.nn.MaxPool3d``.

    >>> MaxPool3d(2).output_shape((4, 8, 8, 8))
    (4, 4, 4, 4)
    """

    dims: ClassVar[int] = 3


MaxPool = MaxPool2d
"""``MaxPool`` is the 2-d one, as in the seed post."""


@dataclass(frozen=True, repr=False, eq=False)
class _AvgPoolNd(Layer):
    """Shared fields and checks of ``AvgPool1d/2d/3d`` (torch's ``_AvgPoolNd``).

    As in torch, ``stride=None`` is stored as ``kernel_size``. ATen also
    takes one-element tuples for 2-d and 3-d pools (and ``()`` for stride).
    """

    dims: ClassVar[int] = 2

    kernel_size: int | tuple[int, ...]
    stride: int | tuple[int, ...] | None = None
    padding: int | tuple[int, ...] = 0
    ceil_mode: bool = False
    count_include_pad: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        name, n = type(self).__name__, self.dims
        short = n > 1
        _tuples(self, "kernel_size", "stride", "padding")
        if self.stride is None:
            object.__setattr__(self, "stride", self.kernel_size)
        kernel = _window(name, "kernel_size", self.kernel_size, n, minimum=1, short=short)
        if self.stride != ():
            _window(name, "stride", self.stride, n, minimum=1, short=short)
        padding = _window(name, "padding", self.padding, n, minimum=0, short=short)
        _check.boolean(name, "ceil_mode", self.ceil_mode)
        _check.boolean(name, "count_include_pad", self.count_include_pad)
        _check_half_kernel(name, padding, kernel)

    def infer_shape(self, shape: Shape) -> Shape:
        n = self.dims
        kernel = _expand(self.kernel_size, n)
        stride = kernel if self.stride == () else _expand(self.stride, n)
        padding = _expand(self.padding, n)
        if n == 3:
            _check_kernel_fits(shape, kernel)
        return _pooled(shape, kernel, stride, padding, (1,) * n, self.ceil_mode, self.kernel_size)

    def count_elementwise(self, shape: Shape, output: Shape) -> int:
        """``k`` per output element: ``k − 1`` adds and a divide (docs/flops.md)."""
        return numel(output) * numel(_expand(self.kernel_size, self.dims))


@dataclass(frozen=True, repr=False, eq=False)
class _AvgPoolDivNd(_AvgPoolNd):
    """``AvgPool2d/3d``: ``divisor_override``, a non-zero int, replaces the window size."""

    divisor_override: int | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.divisor_override is not None:
            _check.integer(type(self).__name__, "divisor_override", self.divisor_override)
            if self.divisor_override == 0:
                raise ConfigError(
                    f"{type(self).__name__}: `divisor_override` must not be 0. "
                    "Received: divisor_override=0."
                )


class AvgPool1d(_AvgPoolNd):
    """1-d average pooling over ``(C, L)``; mirrors ``torch.nn.AvgPool1d``.

    Like torch, the sizes are stored as 1-tuples:

    >>> pool = AvgPool1d(3, stride=2, padding=1)
    >>> pool.kernel_size, pool.output_shape((16, 50))
    ((3,), (16, 25))
    """

    dims: ClassVar[int] = 1

    def __post_init__(self) -> None:
        for name in ("kernel_size", "stride", "padding"):
            value = getattr(self, name)
            if isinstance(value, int) and not isinstance(value, bool):
                object.__setattr__(self, name, (value,))  # torch's _single
        super().__post_init__()


class AvgPool2d(_AvgPoolDivNd):
    """2-d average pooling over ``(C, H, W)``; mirrors ``torch.nn.AvgPool2d``.

    >>> AvgPool2d(2).output_shape((6, 28, 28))
    (6, 14, 14)
    >>> AvgPool2d(3, padding=2)
    Traceback (most recent call last):
    ...
    paramcalc.errors.ConfigError: AvgPool2d: `padding` must be at most half of `kernel_size`. ...
    """

    dims: ClassVar[int] = 2


class AvgPool3d(_AvgPoolDivNd):
    """3-d average pooling over ``(C, D, H, W)``; mirrors ``torch.nn.AvgPool3d``.

    >>> AvgPool3d((1, 2, 2)).output_shape((64, 8, 56, 56))
    (64, 8, 28, 28)
    """

    dims: ClassVar[int] = 3


@dataclass(frozen=True, repr=False, eq=False)
class _LPPoolNd(Layer):
    """Shared fields of ``LPPool1d/2d/3d`` (torch's ``_LPPoolNd``).

    torch pools ``xᵖ`` with ``avg_pool`` (no padding) or, for ``p = ±inf``,
    with ``max_pool``: the same output lengths. ``norm_type=0`` divides by
    zero in every forward and is rejected.
    """

    dims: ClassVar[int] = 2

    norm_type: float
    kernel_size: int | tuple[int, ...]
    stride: int | tuple[int, ...] | None = None
    ceil_mode: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        name, n = type(self).__name__, self.dims
        _tuples(self, "kernel_size", "stride")
        _check.real(name, "norm_type", self.norm_type)
        if self.norm_type == 0:
            raise ConfigError(
                f"{name}: `norm_type` must not be 0 (torch takes the 1/norm_type power). "
                f"Received: norm_type={self.norm_type!r}."
            )
        if n == 1 and not isinstance(self.kernel_size, int):
            raise ConfigTypeError(  # lp_pool1d multiplies by kernel_size
                f"{name}: `kernel_size` must be an int. Received: kernel_size={self.kernel_size!r}."
            )
        _check.int_tuple(name, "kernel_size", self.kernel_size, n, minimum=1)
        if self.stride is not None and self.stride != ():
            _window(name, "stride", self.stride, n, minimum=1, short=True)
        _check.boolean(name, "ceil_mode", self.ceil_mode)

    def infer_shape(self, shape: Shape) -> Shape:
        n = self.dims
        kernel = _expand(self.kernel_size, n)
        stride = kernel if self.stride is None or self.stride == () else _expand(self.stride, n)
        if n == 3 and abs(self.norm_type) != float("inf"):  # avg_pool3d; ±inf is max_pool3d
            _check_kernel_fits(shape, kernel)
        return _pooled(shape, kernel, stride, (0,) * n, (1,) * n, self.ceil_mode, self.kernel_size)

    def count_elementwise(self, shape: Shape, output: Shape) -> int:
        """``xᵖ`` per input element, then ``k + 2`` per output element.

        As torch computes it: ``avg_pool(xᵖ)`` (``k − 1`` adds and a divide),
        times ``k``, then the ``1/p`` root. For ``p = ±inf`` it is max pooling
        of ``|x|``: 1 per input element and ``k − 1`` per output element.
        """
        k = numel(_expand(self.kernel_size, self.dims))
        if abs(self.norm_type) == float("inf"):
            return numel(shape) + numel(output) * (k - 1)
        return numel(shape) + numel(output) * (k + 2)


class LPPool1d(_LPPoolNd):
    """1-d power-average pooling over ``(C, L)``; mirrors ``torch.nn.LPPool1d``.

    >>> LPPool1d(2, 3, stride=2).output_shape((16, 50))
    (16, 24)
    """

    dims: ClassVar[int] = 1


class LPPool2d(_LPPoolNd):
    """2-d power-average pooling over ``(C, H, W)``; mirrors ``torch.nn.LPPool2d``.

    >>> LPPool2d(1.2, (3, 2), stride=(2, 1)).output_shape((16, 50, 32))
    (16, 24, 31)
    """

    dims: ClassVar[int] = 2


class LPPool3d(_LPPoolNd):
    """3-d power-average pooling over ``(C, D, H, W)``; mirrors ``torch.nn.LPPool3d``.

    >>> LPPool3d(1.2, (3, 2, 2), stride=(2, 1, 2)).output_shape((16, 50, 44, 31))
    (16, 24, 43, 15)
    """

    dims: ClassVar[int] = 3


# The adaptive pools and the unpools live in their own modules (the lazy table
# of ``paramcalc`` names those); their old import path here loads them on first use,
# so a network of max pools does not pay for eleven more classes.
_ELSEWHERE = ("paramcalc.layers.adaptive_pool", "paramcalc.layers.unpool")


def __getattr__(name: str) -> Any:
    """``paramcalc.layers.pooling.AdaptiveAvgPool2d`` and the like, loaded on first use."""
    if not name.startswith("_"):
        for module in _ELSEWHERE:
            value = getattr(importlib.import_module(module), name, None)
            if isinstance(value, type):
                globals()[name] = value
                return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
