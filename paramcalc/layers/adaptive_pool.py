"""Adaptive pooling: average or max down to a fixed ``output_size``, in 1, 2 and 3 dims.

No parameters and no MACs; the output size is given, not computed from a window.
Re-exported by :mod:`paramcalc.layers.pooling`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from paramcalc import _check
from paramcalc.errors import ConfigError
from paramcalc.layer import Layer
from paramcalc.layers._pool import (
    _check_pool_rank,
    _tuples,
)
from paramcalc.lifetime import NOTHING, SAVES_INPUT, Keeps
from paramcalc.shapes import Shape, numel


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

    def keeps(self, shape: Shape, output: Shape) -> Keeps:
        """Max: the input and int64 indices; a mean to ones keeps nothing; else the input."""
        if self.maximum:
            return Keeps(saved=((numel(output), "int64"),))
        if self.mean_shortcut and all(size == 1 for size in output[-self.dims :]):
            return NOTHING
        return SAVES_INPUT

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


class AdaptiveAvgPool1d(_AdaptivePoolNd):
    """1-d adaptive average pooling to ``output_size``; mirrors ``torch.nn.AdaptiveAvgPool1d``.

    >>> AdaptiveAvgPool1d(5).output_shape((64, 8))
    (64, 5)
    """

    dims: ClassVar[int] = 1


class AdaptiveAvgPool2d(_AdaptivePoolNd):
    """2-d adaptive average pooling; mirrors ``torch.nn.AdaptiveAvgPool2d``.

    >>> AdaptiveAvgPool2d((1, 1)).output_shape((2048, 7, 7))
    (2048, 1, 1)
    >>> AdaptiveAvgPool2d((None, 7)).output_shape((64, 10, 9))
    (64, 10, 7)
    """

    dims: ClassVar[int] = 2
    mean_shortcut: ClassVar[bool] = True


class AdaptiveAvgPool3d(_AdaptivePoolNd):
    """3-d adaptive average pooling; mirrors ``torch.nn.AdaptiveAvgPool3d``.

    >>> AdaptiveAvgPool3d((5, None, 7)).output_shape((64, 8, 9, 10))
    (64, 5, 9, 7)
    """

    dims: ClassVar[int] = 3
    mean_shortcut: ClassVar[bool] = True


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """1-d adaptive max pooling; mirrors ``torch.nn.AdaptiveMaxPool1d``.

    >>> AdaptiveMaxPool1d(5).output_shape((64, 8))
    (64, 5)
    """

    dims: ClassVar[int] = 1


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """2-d adaptive max pooling; mirrors ``torch.nn.AdaptiveMaxPool2d``.

    >>> AdaptiveMaxPool2d((None, 7)).output_shape((64, 10, 9))
    (64, 10, 7)
    """

    dims: ClassVar[int] = 2


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    """3-d adaptive max pooling; mirrors ``torch.nn.AdaptiveMaxPool3d``.

    >>> AdaptiveMaxPool3d((5, None, 7)).output_shape((64, 8, 9, 10))
    (64, 5, 9, 7)
    """

    dims: ClassVar[int] = 3
