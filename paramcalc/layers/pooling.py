"""Pooling: max, average, power-average and adaptive, in 1, 2 and 3 dims.

Pooling has no parameters and no MACs; it only changes the shape. Like torch,
every pool also takes the unbatched form: per-sample ``spatial`` without a
channel dimension (a batch of one ``(H, W)`` is torch's ``(C, H, W)``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from paramcalc import _check
from paramcalc.errors import ConfigError, ConfigTypeError, ShapeError
from paramcalc.layer import Layer
from paramcalc.layers._spatial import check_window
from paramcalc.shapes import Shape, numel, pool_length

__all__ = [
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
    "AdaptiveAvgPool3d",
    "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d",
    "AdaptiveMaxPool3d",
    "AvgPool1d",
    "AvgPool2d",
    "AvgPool3d",
    "FractionalMaxPool2d",
    "FractionalMaxPool3d",
    "LPPool1d",
    "LPPool2d",
    "LPPool3d",
    "MaxPool",
    "MaxPool1d",
    "MaxPool2d",
    "MaxPool3d",
    "MaxUnpool1d",
    "MaxUnpool2d",
    "MaxUnpool3d",
]

_SPATIAL = {1: "L", 2: "H, W", 3: "D, H, W"}


def _window(
    layer: str, name: str, value: object, n: int, *, minimum: int, short: bool = False
) -> tuple[int, ...]:
    """An int, or a tuple of ``n`` ints (or of 1 when ``short``: ATen broadcasts it)."""
    if short and isinstance(value, (tuple, list)) and len(value) == 1:
        return _check.int_tuple(layer, name, value, 1, minimum=minimum) * n
    return _check.int_tuple(layer, name, value, n, minimum=minimum)


def _expand(value: int | tuple[int, ...] | None, n: int) -> tuple[int, ...]:
    """A validated int or tuple as ``n`` sizes (a 1-tuple broadcasts, as in ATen)."""
    if isinstance(value, tuple):
        return value * n if len(value) == 1 else value
    return (int(value or 0),) * n


def _tuples(layer: Layer, *names: str) -> None:
    """Store list arguments as tuples, so the layer stays hashable."""
    for name in names:
        value = getattr(layer, name)
        if isinstance(value, list):
            object.__setattr__(layer, name, tuple(value))


def _check_pool_rank(shape: Shape, dims: int) -> None:
    """Require ``(C, *spatial)`` or torch's unbatched form, ``spatial`` alone."""
    if len(shape) not in (dims, dims + 1):
        raise ShapeError(
            f"expects a per-sample input of rank {dims + 1} (C, {_SPATIAL[dims]}) or {dims} "
            f"({_SPATIAL[dims]}) but receives rank {len(shape)}: {shape}"
        )


def _pooled(
    shape: Shape,
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    padding: tuple[int, ...],
    dilation: tuple[int, ...],
    ceil_mode: bool,
    shown: object,
) -> Shape:
    """The shape after a sliding-window pool (ATen's ``pooling_output_shape``)."""
    dims = len(kernel)
    _check_pool_rank(shape, dims)
    lengths = shape[-dims:]
    outputs = [
        pool_length(length, k, s, p, d, ceil_mode)
        for length, k, s, p, d in zip(lengths, kernel, stride, padding, dilation, strict=True)
    ]
    check_window(
        lengths,
        outputs,
        f"kernel_size={shown}",
        shape,
        spans=[d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True)],
        paddings=padding,
    )
    return (*shape[:-dims], *outputs)


def _check_kernel_fits(shape: Shape, kernel: tuple[int, ...]) -> None:
    """ATen's ``avg_pool3d`` also wants the unpadded input at least as large as the kernel."""
    _check_pool_rank(shape, len(kernel))
    lengths = shape[-len(kernel) :]
    if any(n < k for n, k in zip(lengths, kernel, strict=True)):
        raise ShapeError(
            f"needs each spatial size at least the kernel size {kernel}, padding aside "
            f"(ATen's avg_pool3d), but receives {lengths} (input shape {shape})"
        )


def _check_half_kernel(name: str, padding: tuple[int, ...], kernel: tuple[int, ...]) -> None:
    if any(p > k // 2 for p, k in zip(padding, kernel, strict=True)):
        raise ConfigError(
            f"{name}: `padding` must be at most half of `kernel_size`. "
            f"Received: padding={_collapse(padding)}, kernel_size={_collapse(kernel)}."
        )


def _collapse(values: tuple[int, ...]) -> int | tuple[int, ...]:
    return values[0] if len(set(values)) == 1 else values


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


@dataclass(frozen=True, repr=False, eq=False)
class MaxPool1d(_MaxPoolNd):
    """1-d max pooling over ``(C, L)``; mirrors ``torch.nn.MaxPool1d``.

    >>> MaxPool1d(3, stride=2).output_shape((16, 50))
    (16, 24)
    """

    dims: ClassVar[int] = 1


@dataclass(frozen=True, repr=False, eq=False)
class MaxPool2d(_MaxPoolNd):
    """2-d max pooling over ``(C, H, W)``; mirrors ``torch.nn.MaxPool2d``.

    ``stride`` defaults to ``kernel_size``:

    >>> MaxPool2d(2).output_shape((6, 28, 28))
    (6, 14, 14)
    >>> MaxPool2d(2).params()
    0
    """

    dims: ClassVar[int] = 2


@dataclass(frozen=True, repr=False, eq=False)
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


@dataclass(frozen=True, repr=False, eq=False)
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


@dataclass(frozen=True, repr=False, eq=False)
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


@dataclass(frozen=True, repr=False, eq=False)
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


@dataclass(frozen=True, repr=False, eq=False)
class LPPool1d(_LPPoolNd):
    """1-d power-average pooling over ``(C, L)``; mirrors ``torch.nn.LPPool1d``.

    >>> LPPool1d(2, 3, stride=2).output_shape((16, 50))
    (16, 24)
    """

    dims: ClassVar[int] = 1


@dataclass(frozen=True, repr=False, eq=False)
class LPPool2d(_LPPoolNd):
    """2-d power-average pooling over ``(C, H, W)``; mirrors ``torch.nn.LPPool2d``.

    >>> LPPool2d(1.2, (3, 2), stride=(2, 1)).output_shape((16, 50, 32))
    (16, 24, 31)
    """

    dims: ClassVar[int] = 2


@dataclass(frozen=True, repr=False, eq=False)
class LPPool3d(_LPPoolNd):
    """3-d power-average pooling over ``(C, D, H, W)``; mirrors ``torch.nn.LPPool3d``.

    >>> LPPool3d(1.2, (3, 2, 2), stride=(2, 1, 2)).output_shape((16, 50, 44, 31))
    (16, 24, 43, 15)
    """

    dims: ClassVar[int] = 3


@dataclass(frozen=True, repr=False, eq=False)
class _AdaptivePoolNd(Layer):
    """Pools to a fixed ``output_size`` whatever the input size.

    ``output_size`` is an int or a tuple of ``dims`` sizes; in 2-d and 3-d an
    entry may be None, meaning "keep the input's size". A size of 0, for
    which torch returns an empty tensor, is rejected: per-sample sizes are at
    least 1 (docs/conventions.md). With ``mean_shortcut``
    (``AdaptiveAvgPool2d/3d``) an output of all ones is ATen's mean over the
    last dims, which takes inputs of any rank of at least ``dims``.
    """

    dims: ClassVar[int] = 2
    mean_shortcut: ClassVar[bool] = False
    maximum: ClassVar[bool] = False

    output_size: int | tuple[int | None, ...] | None

    def __post_init__(self) -> None:
        super().__post_init__()
        _tuples(self, "output_size")
        self.sizes()

    def sizes(self) -> tuple[int | None, ...]:
        """``output_size`` as a tuple of ``dims`` entries, None meaning "keep"."""
        name, n, value = type(self).__name__, self.dims, self.output_size
        items = tuple(value) if isinstance(value, (tuple, list)) else (value,) * n
        if len(items) != n:
            raise ConfigError(
                f"{name}: `output_size` must be an int or a tuple of {n} sizes. "
                f"Received: output_size={value!r}."
            )
        for item in items:
            if item is None and n > 1 and isinstance(value, (tuple, list)):
                continue
            _check.integer(name, "output_size", item, minimum=1)
        return items

    def infer_shape(self, shape: Shape) -> Shape:
        n = self.dims
        if len(shape) >= n:
            lengths = shape[-n:]
            outputs = tuple(
                length if size is None else size
                for length, size in zip(lengths, self.sizes(), strict=True)
            )
            if self.mean_shortcut and set(outputs) == {1}:
                # ATen takes the mean over the last dims, whatever the rank
                return (*shape[:-n], *outputs)
        _check_pool_rank(shape, n)
        return (*shape[:-n], *outputs)

    def count_elementwise(self, shape: Shape, output: Shape) -> int:
        """Each output element over its own window (docs/flops.md): ``k``, or ``k − 1`` for max.

        ATen's window ``i`` of ``out`` over ``L`` runs from ``⌊i·L/out⌋`` to
        ``⌈(i+1)·L/out⌉``; window sizes multiply across dimensions, so their
        total is the product of the per-dimension totals. The windows of one
        dimension add up to ``L + out − gcd(L, out)`` (the ceilings exceed the
        floors wherever ``out`` does not divide ``i·L``), a cost independent of the sizes.
        """
        n = self.dims
        total = numel(output[:-n])
        for length, out in zip(shape[-n:], output[-n:], strict=True):
            total *= length + out - math.gcd(length, out)
        return total - (numel(output) if self.maximum else 0)


@dataclass(frozen=True, repr=False, eq=False)
class _AdaptiveMaxPoolNd(_AdaptivePoolNd):
    """Adaptive max pooling: ``output_size`` and ``return_indices``."""

    maximum: ClassVar[bool] = True

    return_indices: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        _check.boolean(type(self).__name__, "return_indices", self.return_indices)


@dataclass(frozen=True, repr=False, eq=False)
class AdaptiveAvgPool1d(_AdaptivePoolNd):
    """1-d adaptive average pooling to ``output_size``; mirrors ``torch.nn.AdaptiveAvgPool1d``.

    >>> AdaptiveAvgPool1d(5).output_shape((64, 8))
    (64, 5)
    """

    dims: ClassVar[int] = 1


@dataclass(frozen=True, repr=False, eq=False)
class AdaptiveAvgPool2d(_AdaptivePoolNd):
    """2-d adaptive average pooling; mirrors ``torch.nn.AdaptiveAvgPool2d``.

    >>> AdaptiveAvgPool2d((1, 1)).output_shape((2048, 7, 7))
    (2048, 1, 1)
    >>> AdaptiveAvgPool2d((None, 7)).output_shape((64, 10, 9))
    (64, 10, 7)
    """

    dims: ClassVar[int] = 2
    mean_shortcut: ClassVar[bool] = True


@dataclass(frozen=True, repr=False, eq=False)
class AdaptiveAvgPool3d(_AdaptivePoolNd):
    """3-d adaptive average pooling; mirrors ``torch.nn.AdaptiveAvgPool3d``.

    >>> AdaptiveAvgPool3d((5, None, 7)).output_shape((64, 8, 9, 10))
    (64, 5, 9, 7)
    """

    dims: ClassVar[int] = 3
    mean_shortcut: ClassVar[bool] = True


@dataclass(frozen=True, repr=False, eq=False)
class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """1-d adaptive max pooling; mirrors ``torch.nn.AdaptiveMaxPool1d``.

    >>> AdaptiveMaxPool1d(5).output_shape((64, 8))
    (64, 5)
    """

    dims: ClassVar[int] = 1


@dataclass(frozen=True, repr=False, eq=False)
class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """2-d adaptive max pooling; mirrors ``torch.nn.AdaptiveMaxPool2d``.

    >>> AdaptiveMaxPool2d((None, 7)).output_shape((64, 10, 9))
    (64, 10, 7)
    """

    dims: ClassVar[int] = 2


@dataclass(frozen=True, repr=False, eq=False)
class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    """3-d adaptive max pooling; mirrors ``torch.nn.AdaptiveMaxPool3d``.

    >>> AdaptiveMaxPool3d((5, None, 7)).output_shape((64, 8, 9, 10))
    (64, 5, 9, 7)
    """

    dims: ClassVar[int] = 3


_ANY = -(2**63)  # torch checks these sizes only through the output they give


@dataclass(frozen=True, repr=False, eq=False)
class _MaxUnpoolNd(Layer):
    """Shared fields of ``MaxUnpool1d/2d/3d`` (torch's ``_MaxUnpoolNd``).

    The layer's second input, the indices from ``MaxPool(return_indices=True)``,
    has the input's shape; the output is torch's default
    ``(L − 1)·stride − 2·padding + kernel_size`` (a ``forward(output_size=…)``
    override is not modelled). torch checks no argument, only that the output
    is not negative (``MaxUnpool3d`` also wants positive strides). As torch
    does, ``stride=None`` is stored as ``kernel_size`` and ints as tuples.
    """

    dims: ClassVar[int] = 2

    kernel_size: int | tuple[int, ...]
    stride: int | tuple[int, ...] | None = None
    padding: int | tuple[int, ...] = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        name, n = type(self).__name__, self.dims
        if self.stride is None:
            object.__setattr__(self, "stride", self.kernel_size)
        for arg in ("kernel_size", "stride", "padding"):
            least = 1 if arg == "stride" and n == 3 else _ANY  # only 3-d checks its strides
            value = _check.int_tuple(name, arg, getattr(self, arg), n, minimum=least)
            object.__setattr__(self, arg, value)

    def infer_shape(self, shape: Shape) -> Shape:
        n = self.dims
        _check_pool_rank(shape, n)
        kernel, stride, padding = (
            _expand(self.kernel_size, n),
            _expand(self.stride, n),
            _expand(self.padding, n),
        )
        outputs = tuple(
            (length - 1) * s - 2 * p + k
            for length, k, s, p in zip(shape[-n:], kernel, stride, padding, strict=True)
        )
        if min(outputs) < 1:  # torch: an error below 0, an empty tensor at 0
            raise ShapeError(
                f"gives output size {outputs} for input shape {shape} "
                "((L − 1)·stride − 2·padding + kernel_size); sizes must be at least 1"
            )
        return (*shape[:-n], *outputs)


@dataclass(frozen=True, repr=False, eq=False)
class MaxUnpool1d(_MaxUnpoolNd):
    """Inverse of ``MaxPool1d`` (zeros off the maxima); mirrors ``torch.nn.MaxUnpool1d``.

    >>> MaxUnpool1d(2, stride=2).output_shape((1, 4))
    (1, 8)
    """

    dims: ClassVar[int] = 1


@dataclass(frozen=True, repr=False, eq=False)
class MaxUnpool2d(_MaxUnpoolNd):
    """Inverse of ``MaxPool2d``; mirrors ``torch.nn.MaxUnpool2d``.

    >>> MaxUnpool2d(2).output_shape((64, 14, 14))
    (64, 28, 28)
    """

    dims: ClassVar[int] = 2


@dataclass(frozen=True, repr=False, eq=False)
class MaxUnpool3d(_MaxUnpoolNd):
    """Inverse of ``MaxPool3d``; mirrors ``torch.nn.MaxUnpool3d``.

    >>> MaxUnpool3d(3, stride=2).output_shape((16, 25, 15, 10))
    (16, 51, 31, 21)
    """

    dims: ClassVar[int] = 3


@dataclass(frozen=True, repr=False, eq=False)
class _FractionalMaxPoolNd(Layer):
    """Shared fields and checks of ``FractionalMaxPool2d/3d``.

    Exactly one of ``output_size`` and ``output_ratio`` (each in ``(0, 1)``;
    the output is ``⌊L·ratio⌋``); sizes of 0, empty in torch, are rejected
    (per-sample sizes are at least 1). ATen then wants the
    pooling regions to fit: ``out + kernel − 1 ≤ L`` in 2-d, ``< L`` in 3-d.
    torch's ``_random_samples`` (a tensor) is not modelled.
    """

    dims: ClassVar[int] = 2

    kernel_size: int | tuple[int, ...]
    output_size: int | tuple[int, ...] | None = None
    output_ratio: float | tuple[float, ...] | None = None
    return_indices: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        name, n = type(self).__name__, self.dims
        _tuples(self, "kernel_size", "output_size", "output_ratio")
        _check.int_tuple(name, "kernel_size", self.kernel_size, n, minimum=_ANY)
        _check.boolean(name, "return_indices", self.return_indices)
        if (self.output_size is None) == (self.output_ratio is None):
            raise ConfigError(
                f"{name}: give exactly one of `output_size` and `output_ratio`. "
                f"Received: output_size={self.output_size!r}, "
                f"output_ratio={self.output_ratio!r}."
            )
        if self.output_size is not None:
            _check.int_tuple(name, "output_size", self.output_size, n, minimum=1)
        else:
            ratio = self.output_ratio
            ratios = ratio if isinstance(ratio, tuple) else (ratio,) * n
            if len(ratios) != n:
                raise ConfigError(
                    f"{name}: `output_ratio` must be a number or a tuple of {n}. "
                    f"Received: output_ratio={ratio!r}."
                )
            for item in ratios:
                if not 0 < _check.real(name, "output_ratio", item) < 1:
                    raise ConfigError(
                        f"{name}: `output_ratio` must be between 0 and 1 (exclusive). "
                        f"Received: output_ratio={ratio!r}."
                    )

    def infer_shape(self, shape: Shape) -> Shape:
        n = self.dims
        _check_pool_rank(shape, n)
        lengths = shape[-n:]
        kernel = _expand(self.kernel_size, n)
        if self.output_size is not None:
            outputs = _expand(self.output_size, n)
        else:
            ratio = self.output_ratio
            ratios = ratio if isinstance(ratio, tuple) else (float(ratio or 0),) * n
            outputs = tuple(int(length * r) for length, r in zip(lengths, ratios, strict=True))
        if min(outputs) < 1:  # torch would return an empty tensor
            raise ShapeError(
                f"gives output size {outputs} for spatial size {lengths} "
                f"(output_ratio={self.output_ratio!r}); sizes must be at least 1"
            )
        slack = 0 if n == 2 else 1  # ATen: ``out + k − 1 <= L`` in 2-d, ``< L`` in 3-d
        for length, k, out in zip(lengths, kernel, outputs, strict=True):
            if out + k - 1 + slack > length:
                raise ShapeError(
                    f"cannot fit {out} pooling regions of size {k} into a size of {length} "
                    f"(input shape {shape})"
                )
        return (*shape[:-n], *outputs)

    def count_elementwise(self, shape: Shape, output: Shape) -> int:
        """``k − 1`` comparisons per output element, as max pooling."""
        return numel(output) * (numel(_expand(self.kernel_size, self.dims)) - 1)


@dataclass(frozen=True, repr=False, eq=False)
class FractionalMaxPool2d(_FractionalMaxPoolNd):
    """Max pooling over pseudo-random regions; mirrors ``torch.nn.FractionalMaxPool2d``.

    >>> FractionalMaxPool2d(3, output_ratio=(0.5, 0.5)).output_shape((16, 50, 32))
    (16, 25, 16)
    """

    dims: ClassVar[int] = 2


@dataclass(frozen=True, repr=False, eq=False)
class FractionalMaxPool3d(_FractionalMaxPoolNd):
    """3-d fractional max pooling; mirrors ``torch.nn.FractionalMaxPool3d``.

    >>> FractionalMaxPool3d(3, output_size=(13, 12, 11)).output_shape((16, 50, 32, 16))
    (16, 13, 12, 11)
    """

    dims: ClassVar[int] = 3
