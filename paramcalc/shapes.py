"""Per-sample shapes and the output-length arithmetic of convolution and pooling.

A shape is a plain tuple of ints without the batch dimension, channels first:
``(1, 32, 32)`` is one 32×32 grey image.

>>> conv_length(32, kernel=5)
28
>>> pool_length(5, kernel=2, stride=2, ceil_mode=True)
3
"""

from __future__ import annotations

from collections.abc import Sequence
from math import prod

from paramcalc._check import MAX_INT, shown
from paramcalc.errors import ConfigTypeError, ShapeError

Shape = tuple[int, ...]
"""A per-sample tensor shape: torch's shape with the batch dimension removed."""


def as_shape(value: object, *, name: str = "input_shape") -> Shape:
    """Check a user-given shape: an int or a sequence of positive ints.

    >>> as_shape([1, 32, 32])
    (1, 32, 32)
    >>> as_shape(400)
    (400,)
    """
    items = (value,) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(items, Sequence) or isinstance(items, str):
        raise ConfigTypeError(f"`{name}` must be a tuple of ints. Received: {name}={shown(value)}.")
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int):
            raise ConfigTypeError(
                f"`{name}` must be a tuple of ints. Received: {name}={shown(value)}."
            )
        if item > MAX_INT:
            raise ShapeError(
                f"`{name}` sizes must be at most {MAX_INT:,} (torch's sizes are int64). "
                f"Received: a size of {item.bit_length()} bits."
            )
        if item < 1:
            raise ShapeError(f"`{name}` sizes must be at least 1. Received: {name}={shown(value)}.")
    return tuple(items)


def numel(shape: Shape) -> int:
    """The number of elements of a shape (1 for ``()``).

    >>> numel((16, 5, 5)), numel(())
    (400, 1)
    """
    return prod(shape)


def conv_length(
    length: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1
) -> int:
    """Output length of a convolution, as ``torch.nn.Conv*d`` documents it.

    ``floor((L + 2·p − d·(k − 1) − 1) / s) + 1``; ``0`` or less means the input
    is smaller than the (dilated) kernel.
    """
    return (length + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def pool_length(
    length: int,
    kernel: int,
    stride: int,
    padding: int = 0,
    dilation: int = 1,
    ceil_mode: bool = False,
) -> int:
    """Output length of max/avg pooling (ATen's ``pooling_output_shape``).

    With ``ceil_mode`` the last window may start in the padding on the right
    but never past it: the window must start inside the input or left padding.
    """
    span = length + 2 * padding - dilation * (kernel - 1) - 1
    out = (span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= length + padding:
        out -= 1
    return out


def product_text(sizes: Sequence[int]) -> str:
    """``(16, 5, 5)`` → ``"16·5·5"``, the way a shape's size is written by hand."""
    return "·".join(str(size) for size in sizes)
