"""Checks shared by the layers that slide a window over spatial dimensions."""

from __future__ import annotations

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


def check_window(lengths: Shape, outputs: list[int], window: str, shape: Shape) -> None:
    """Say plainly when the input is smaller than the (dilated) window."""
    for axis, (length, out) in enumerate(zip(lengths, outputs, strict=True)):
        if out < 1:
            raise ShapeError(
                f"receives an input too small for its {window}: spatial dimension {axis} "
                f"has size {length}, which gives an output of size {out} (input shape {shape})"
            )
