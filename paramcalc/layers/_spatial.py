"""Checks shared by the layers that slide a window over spatial dimensions."""

from __future__ import annotations

from collections.abc import Sequence

from paramcalc.errors import ShapeError
from paramcalc.shapes import Shape


def check_rank(shape: Shape, dims: int, what: str = "(C, ...)") -> None:
    """Require ``dims`` spatial dimensions after one channel dimension."""
    if len(shape) != dims + 1:
        spatial = ", ".join(("L",) if dims == 1 else ("H", "W") if dims == 2 else ("D", "H", "W"))
        raise ShapeError(
            f"expects a per-sample input of rank {dims + 1} (C, {spatial}) "
            f"but receives rank {len(shape)}: {shape}"
        )


def check_channels(expected: int, shape: Shape) -> None:
    """Require ``expected`` input channels (the first per-sample dimension)."""
    if shape[0] != expected:
        raise ShapeError(
            f"expects {expected} input channels but receives {shape[0]} (input shape {shape})"
        )


def check_window(
    lengths: Shape,
    outputs: list[int],
    window: str,
    shape: Shape,
    *,
    spans: Sequence[int] | None = None,
    paddings: Sequence[int] | None = None,
) -> None:
    """Say plainly when the input is smaller than the (dilated) window.

    With ``spans`` (the dilated window, ``d·(k − 1) + 1``) and ``paddings``
    (per side) the message gives the sizes to compare instead of the
    output size, which would be zero or negative.
    """
    for axis, (length, out) in enumerate(zip(lengths, outputs, strict=True)):
        if out >= 1:
            continue
        if spans is None or paddings is None:
            raise ShapeError(
                f"receives an input too small for its {window}: spatial dimension {axis} "
                f"has size {length}, which gives an output of size {out} (input shape {shape})"
            )
        padded = length + 2 * paddings[axis]
        with_padding = f" ({padded} with padding)" if paddings[axis] else ""
        raise ShapeError(
            f"receives an input too small for its {window}: spatial dimension {axis} "
            f"has size {length}{with_padding} but the window spans {spans[axis]} "
            f"(input shape {shape})"
        )


def check_padding_mode(mode: str, lengths: Shape, pads: Sequence[int], shape: Shape) -> None:
    """Torch's limits on non-zero padding: reflect needs ``pad < size``, circular ``pad <= size``.

    ``pads`` is the largest padding on either side of each spatial dimension.
    """
    for axis, (length, pad) in enumerate(zip(lengths, pads, strict=True)):
        if (mode == "reflect" and pad >= length) or (mode == "circular" and pad > length):
            rule = "smaller than" if mode == "reflect" else "at most"
            raise ShapeError(
                f"with padding_mode={mode!r} needs a padding {rule} the input size: spatial "
                f"dimension {axis} has size {length} but padding {pad} (input shape {shape})"
            )
