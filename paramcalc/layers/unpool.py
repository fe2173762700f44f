"""Max unpooling and fractional max pooling, the pools whose output size is given.

No parameters and no MACs. Re-exported by :mod:`paramcalc.layers.pooling`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from paramcalc import _check
from paramcalc.errors import ConfigError, ShapeError
from paramcalc.layer import Layer
from paramcalc.layers._pool import (
    _check_pool_rank,
    _expand,
    _tuples,
)
from paramcalc.shapes import Shape, numel

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


class MaxUnpool1d(_MaxUnpoolNd):
    """Inverse of ``MaxPool1d`` (zeros off the maxima); mirrors ``torch.nn.MaxUnpool1d``.

    >>> MaxUnpool1d(2, stride=2).output_shape((1, 4))
    (1, 8)
    """

    dims: ClassVar[int] = 1


class MaxUnpool2d(_MaxUnpoolNd):
    """Inverse of ``MaxPool2d``; mirrors ``torch.nn.MaxUnpool2d``.

    >>> MaxUnpool2d(2).output_shape((64, 14, 14))
    (64, 28, 28)
    """

    dims: ClassVar[int] = 2


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


class FractionalMaxPool2d(_FractionalMaxPoolNd):
    """Max pooling over pseudo-random regions; mirrors ``torch.nn.FractionalMaxPool2d``.

    >>> FractionalMaxPool2d(3, output_ratio=(0.5, 0.5)).output_shape((16, 50, 32))
    (16, 25, 16)
    """

    dims: ClassVar[int] = 2


class FractionalMaxPool3d(_FractionalMaxPoolNd):
    """3-d fractional max pooling; mirrors ``torch.nn.FractionalMaxPool3d``.

    >>> FractionalMaxPool3d(3, output_size=(13, 12, 11)).output_shape((16, 50, 32, 16))
    (16, 13, 12, 11)
    """

    dims: ClassVar[int] = 3
