"""Padding layers: zero, constant, reflection, replication and circular, in 1, 2 and 3 dims.

``padding`` is an int or a tuple in torch's order — ``(left, right)``, then
``(top, bottom)``, then ``(front, back)`` — the last dimension first.
Negative padding crops, as torch allows, down to a size of 1 (torch returns an
empty tensor at 0; per-sample sizes are at least 1). No parameters, no MACs.

>>> ZeroPad2d((1, 1, 2, 0)).output_shape((3, 32, 32))
(3, 34, 34)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, cast

from paramcalc import _check
from paramcalc.errors import ShapeError
from paramcalc.layer import Layer
from paramcalc.layers._dims import drop_batch
from paramcalc.lifetime import NOTHING, Keeps
from paramcalc.shapes import Shape


@dataclass(frozen=True, repr=False, eq=False)
class _PadNd(Layer):
    """Shared field, checks and shape rule of every padding layer.

    ``padding`` is stored as torch normalizes it (``_pair``, ``_quadruple``,
    ``_ntuple(6)``): a tuple of ``2·dims`` ints. A tuple of another length,
    which torch would apply to a different number of dimensions, is rejected.

    ``mode`` is torch's ``F.pad`` mode: ``constant`` pads any input of rank
    ``dims`` or more (on a lower rank it would pad the batch); the others take
    ``(C, *spatial)`` or ``spatial``, ``reflect`` needs each pad smaller than
    the size, ``circular`` at most the size.
    """

    dims: ClassVar[int] = 1
    mode: ClassVar[str] = "constant"

    padding: int | tuple[int, ...]

    def __post_init__(self) -> None:
        super().__post_init__()
        n = 2 * self.dims
        name = type(self).__name__
        pads = _check.int_tuple(name, "padding", self.padding, n, minimum=-(2**63))  # crops
        object.__setattr__(self, "padding", pads)

    def pads(self) -> tuple[tuple[int, int], ...]:
        """``(before, after)`` for each padded dimension, first dimension first."""
        pads = cast(tuple[int, ...], self.padding)
        return tuple((pads[2 * i], pads[2 * i + 1]) for i in reversed(range(self.dims)))

    def infer_shape(self, shape: Shape) -> Shape:
        n = self.dims
        if self.mode == "constant":
            batched = (1, *shape)
            if len(batched) < n:
                raise ShapeError(
                    f"pads {n} dimensions but receives a per-sample input of rank "
                    f"{len(shape)}: {shape}"
                )
        elif len(shape) in (n, n + 1):
            batched = shape
        else:
            spatial = ", ".join(("L",) if n == 1 else ("H", "W") if n == 2 else ("D", "H", "W"))
            raise ShapeError(
                f"expects a per-sample input of rank {n + 1} (C, {spatial}) or {n} ({spatial}) "
                f"but receives rank {len(shape)}: {shape}"
            )
        lead, lengths = batched[:-n], batched[-n:]
        outputs = tuple(
            self._padded(length, before, after)
            for length, (before, after) in zip(lengths, self.pads(), strict=True)
        )
        out = (*lead, *outputs)
        return drop_batch(out, shape) if self.mode == "constant" else out

    def _padded(self, length: int, before: int, after: int) -> int:
        out = length + before + after
        if self.mode == "circular":
            problem = _circular_problem(length, before, after)
            if problem:
                raise ShapeError(
                    f"cannot wrap a size of {length} around by ({before}, {after}): {problem}"
                )
        if self.mode == "reflect" and max(before, after) >= length:
            raise ShapeError(
                f"needs each reflected pad smaller than the size it pads, but pads "
                f"({before}, {after}) a size of {length}"
            )
        if self.mode == "constant" and length + min(before, 0) + min(after, 0) < 0:
            raise ShapeError(f"crops a size of {length} by ({before}, {after}) below 0")
        if out < 1:  # torch: an error, or an empty tensor
            raise ShapeError(
                f"crops a size of {length} by ({before}, {after}) to {out}; sizes must be at "
                "least 1"
            )
        return out


def _slice(size: int, start: int, end: int) -> tuple[int, int]:
    """ATen's ``slice`` bounds: negative ends count from the back, then clamp."""
    start += size if start < 0 else 0
    end += size if end < 0 else 0
    start = min(max(start, 0), size)
    return start, min(max(end, start), size)


def _circular_problem(length: int, before: int, after: int) -> str:
    """Why ATen's circular pad of ``length`` by ``(before, after)`` fails ("" if it works).

    ATen copies the input into the output, then each wrapped border from the
    output itself. Mixing a crop with a pad can make a copy's source and
    target disagree in size (an error) or partly overlap: torch raises on
    that for contiguous slices and reads what it just wrote otherwise, so
    paramcalc always rejects it.
    """
    if before > length or after > length:
        return "a pad larger than the size wraps around more than once"
    out = length + before + after
    if out < 0:
        return f"the crop leaves a negative size {out}"
    left, right = max(before, 0), max(after, 0)
    copies = [
        (
            _slice(out, left, out - right),
            _slice(length, -min(before, 0), length + min(after, 0)),
            False,
        )
    ]
    if before > 0:
        copies.append(
            (_slice(out, 0, before), _slice(out, out - before - right, out - right), True)
        )
    if after > 0:
        copies.append((_slice(out, out - after, out), _slice(out, left, left + after), True))
    for target, source, aliased in copies:
        size, given = target[1] - target[0], source[1] - source[0]
        if given not in (size, 1):
            return f"a wrapped border of {size} would be copied from {given} elements"
        overlap = target[0] < source[1] and source[0] < target[1]
        if aliased and out and size and given and target != source and overlap:
            return "a wrapped border would be copied from elements it overwrites"
    return ""


@dataclass(frozen=True, repr=False, eq=False)
class _ConstantPadNd(_PadNd):
    """Constant padding with ``value`` (torch's ``_ConstantPadNd``)."""

    def keeps(self, shape: Shape, output: Shape) -> Keeps:
        """A new output; ``constant_pad_nd``'s backward reads no tensor."""
        return NOTHING

    value: float

    def __post_init__(self) -> None:
        super().__post_init__()
        _check.real(type(self).__name__, "value", self.value)


class _Dims2:
    """Pads the last two dimensions."""

    dims: ClassVar[int] = 2


class _Dims3:
    """Pads the last three dimensions."""

    dims: ClassVar[int] = 3


class _ReflectionPadNd(_PadNd):
    """Pads with the input's reflection (``F.pad`` mode ``reflect``)."""

    mode: ClassVar[str] = "reflect"


class _ReplicationPadNd(_PadNd):
    """Pads by repeating the edge (``F.pad`` mode ``replicate``)."""

    mode: ClassVar[str] = "replicate"


class _CircularPadNd(_PadNd):
    """Pads by wrapping around (``F.pad`` mode ``circular``)."""

    mode: ClassVar[str] = "circular"


class ZeroPad1d(_PadNd):
    """Pads the last dimension with zeros; mirrors ``torch.nn.ZeroPad1d``.

    >>> ZeroPad1d((1, 2)).output_shape((4, 10))
    (4, 13)
    """


class ZeroPad2d(_Dims2, _PadNd):
    """Pads the last two dimensions with zeros; mirrors ``torch.nn.ZeroPad2d``.

    >>> ZeroPad2d(1).output_shape((3, 32, 32))
    (3, 34, 34)
    """


class ZeroPad3d(_Dims3, _PadNd):
    """Pads the last three dimensions with zeros; mirrors ``torch.nn.ZeroPad3d``.

    >>> ZeroPad3d((1, 1, 0, 0, -1, 0)).output_shape((3, 4, 8, 8))
    (3, 3, 8, 10)
    """


class ConstantPad1d(_ConstantPadNd):
    """Pads the last dimension with ``value``; mirrors ``torch.nn.ConstantPad1d``.

    >>> ConstantPad1d(2, 3.5).output_shape((4, 10))
    (4, 14)
    """


class ConstantPad2d(_Dims2, _ConstantPadNd):
    """Pads the last two dimensions with ``value``; mirrors ``torch.nn.ConstantPad2d``.

    >>> ConstantPad2d((3, 0, 2, 1), 3.5).output_shape((1, 2, 2))
    (1, 5, 5)
    """


class ConstantPad3d(_Dims3, _ConstantPadNd):
    """Pads the last three dimensions with ``value``; mirrors ``torch.nn.ConstantPad3d``.

    >>> ConstantPad3d(1, 0.0).output_shape((16, 3, 5, 5))
    (16, 5, 7, 7)
    """


class ReflectionPad1d(_ReflectionPadNd):
    """Pads ``(C, L)`` with its reflection; mirrors ``torch.nn.ReflectionPad1d``.

    >>> ReflectionPad1d((3, 1)).output_shape((2, 4))
    (2, 8)
    >>> ReflectionPad1d(4).output_shape((2, 4))
    Traceback (most recent call last):
    ...
    paramcalc.errors.ShapeError: ReflectionPad1d needs each reflected pad smaller than the size ...
    """


class ReflectionPad2d(_Dims2, _ReflectionPadNd):
    """Pads ``(C, H, W)`` with its reflection; mirrors ``torch.nn.ReflectionPad2d``.

    >>> ReflectionPad2d(2).output_shape((1, 3, 3))
    (1, 7, 7)
    """


class ReflectionPad3d(_Dims3, _ReflectionPadNd):
    """Pads ``(C, D, H, W)`` with its reflection; mirrors ``torch.nn.ReflectionPad3d``.

    >>> ReflectionPad3d(1).output_shape((1, 2, 2, 2))
    (1, 4, 4, 4)
    """


class ReplicationPad1d(_ReplicationPadNd):
    """Pads ``(C, L)`` by repeating the edge; mirrors ``torch.nn.ReplicationPad1d``.

    >>> ReplicationPad1d((3, 1)).output_shape((2, 4))
    (2, 8)
    """


class ReplicationPad2d(_Dims2, _ReplicationPadNd):
    """Pads ``(C, H, W)`` by repeating the edge; mirrors ``torch.nn.ReplicationPad2d``.

    >>> ReplicationPad2d((1, 1, 2, 0)).output_shape((1, 3, 3))
    (1, 5, 5)
    """


class ReplicationPad3d(_Dims3, _ReplicationPadNd):
    """Pads ``(C, D, H, W)`` by repeating the edge; mirrors ``torch.nn.ReplicationPad3d``.

    >>> ReplicationPad3d(3).output_shape((16, 3, 8, 4))
    (16, 9, 14, 10)
    """


class CircularPad1d(_CircularPadNd):
    """Pads ``(C, L)`` by wrapping around; mirrors ``torch.nn.CircularPad1d``.

    >>> CircularPad1d((3, 1)).output_shape((2, 4))
    (2, 8)
    """


class CircularPad2d(_Dims2, _CircularPadNd):
    """Pads ``(C, H, W)`` by wrapping around; mirrors ``torch.nn.CircularPad2d``.

    >>> CircularPad2d((1, 1, 2, 0)).output_shape((1, 3, 3))
    (1, 5, 5)
    """


class CircularPad3d(_Dims3, _CircularPadNd):
    """Pads ``(C, D, H, W)`` by wrapping around; mirrors ``torch.nn.CircularPad3d``.

    >>> CircularPad3d(3).output_shape((16, 3, 8, 4))
    (16, 9, 14, 10)
    """
