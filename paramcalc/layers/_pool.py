"""What the pooling layers share: window arguments, ranks and output lengths."""

from __future__ import annotations

from paramcalc import _check
from paramcalc.errors import ConfigError, ShapeError
from paramcalc.layer import Layer
from paramcalc.layers._spatial import check_window
from paramcalc.shapes import Shape, pool_length

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
