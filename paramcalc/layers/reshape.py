"""Layers that only move elements around or drop some.

``Flatten``/``Unflatten``, the dropouts, ``Upsample``, pixel and channel
shuffles, ``Fold``/``Unfold``: no parameters and no MACs (DESIGN.md counts
only dot-product work). Dims are torch's, counting the batch as dim 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from paramcalc import _check
from paramcalc.errors import ConfigError, ConfigTypeError, ShapeError
from paramcalc.layer import Layer
from paramcalc.layers._dims import drop_batch, sample_dim
from paramcalc.lifetime import VIEW, Keeps
from paramcalc.shapes import Shape, conv_length, numel


@dataclass(frozen=True, repr=False, eq=False)
class Flatten(Layer):
    """Flattens dimensions ``start_dim..end_dim``; mirrors ``torch.nn.Flatten``.

    The dims are torch's, counting the batch as dim 0, so the default
    ``start_dim=1`` flattens a whole sample:

    >>> Flatten().output_shape((16, 5, 5))
    (400,)
    >>> Flatten(2).output_shape((16, 5, 5))
    (16, 25)
    """

    start_dim: int = 1
    end_dim: int = -1

    def __post_init__(self) -> None:
        super().__post_init__()
        _check.integer("Flatten", "start_dim", self.start_dim)
        _check.integer("Flatten", "end_dim", self.end_dim)
        if self.start_dim == 0 or self.end_dim == 0:
            raise ConfigError(
                "Flatten: dim 0 is the batch dimension, which per-sample shapes leave out; "
                "use start_dim >= 1. "
                f"Received: start_dim={self.start_dim}, end_dim={self.end_dim}."
            )

    def keeps(self, shape: Shape, output: Shape) -> Keeps:
        """A view of the input."""
        return VIEW

    def infer_shape(self, shape: Shape) -> Shape:
        rank = len(shape) + 1  # torch's rank, with the batch dimension
        start = self.start_dim + rank if self.start_dim < 0 else self.start_dim
        end = self.end_dim + rank if self.end_dim < 0 else self.end_dim
        if not 1 <= start < rank or not 1 <= end < rank:
            raise ShapeError(
                f"has start_dim={self.start_dim}, end_dim={self.end_dim}, out of range for "
                f"a per-sample input of rank {len(shape)}: {shape}"
            )
        if start > end:
            raise ShapeError(
                f"has start_dim={self.start_dim} after end_dim={self.end_dim} "
                f"for input shape {shape}"
            )
        return (*shape[: start - 1], numel(shape[start - 1 : end]), *shape[end:])


@dataclass(frozen=True, repr=False, eq=False)
class Unflatten(Layer):
    """Splits torch's ``dim`` into ``unflattened_size``; mirrors ``torch.nn.Unflatten``.

    ``dim`` counts the batch as 0 (so 0 is rejected); one size may be ``-1``,
    inferred from the others. A list is stored as a tuple.

    >>> Unflatten(1, (16, 5, 5)).output_shape((400,))
    (16, 5, 5)
    >>> Unflatten(-1, (2, -1)).output_shape((3, 8))
    (3, 2, 4)
    """

    dim: int
    unflattened_size: tuple[int, ...]

    def __post_init__(self) -> None:
        super().__post_init__()
        _check.integer("Unflatten", "dim", self.dim)
        if self.dim == 0:
            raise ConfigError(
                "Unflatten: dim 0 is the batch dimension, which per-sample shapes leave out. "
                "Received: dim=0."
            )
        value: object = self.unflattened_size
        if not isinstance(value, (tuple, list)):
            raise ConfigTypeError(
                "Unflatten: `unflattened_size` must be a tuple of ints. "
                f"Received: unflattened_size={value!r}."
            )
        sizes = tuple(_check.integer("Unflatten", "unflattened_size", item) for item in value)
        object.__setattr__(self, "unflattened_size", sizes)
        if not sizes or sizes.count(-1) > 1 or any(size < 1 and size != -1 for size in sizes):
            raise ConfigError(
                "Unflatten: `unflattened_size` must be a non-empty tuple of positive sizes, "
                f"at most one of them -1. Received: unflattened_size={sizes!r}."
            )

    def keeps(self, shape: Shape, output: Shape) -> Keeps:
        """A view of the input."""
        return VIEW

    def infer_shape(self, shape: Shape) -> Shape:
        axis = sample_dim(self.dim, shape, "Unflatten")
        size, sizes = shape[axis], self.unflattened_size
        known = numel(tuple(item for item in sizes if item != -1))
        fits = size % known == 0 if -1 in sizes else size == known
        if not fits:
            raise ShapeError(
                f"cannot split dim={self.dim} into {sizes}: the sizes do not multiply up to "
                f"its size {size}",
                received=size,
            )
        sizes = tuple(size // known if item == -1 else item for item in sizes)
        return (*shape[:axis], *sizes, *shape[axis + 1 :])


@dataclass(frozen=True, repr=False, eq=False)
class _DropoutNd(Layer):
    """Shared fields of the dropouts (torch's ``_DropoutNd``): ``p`` in [0, 1], ``inplace``.

    ``ranks`` are the per-sample ranks torch's training-mode forward accepts;
    with ``feature``, ATen checks them only when ``0 < p < 1`` (with ``p`` 0 or
    1 it returns before looking at the input).
    """

    ranks: ClassVar[tuple[int, int | None]] = (0, None)
    feature: ClassVar[bool] = False

    p: float = 0.5
    inplace: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        name = type(self).__name__
        _check.real(name, "p", self.p)
        if not 0 <= self.p <= 1:
            raise ConfigError(f"{name}: `p` must be between 0 and 1. Received: p={self.p!r}.")
        _check.boolean(name, "inplace", self.inplace)

    def keeps(self, shape: Shape, output: Shape) -> Keeps:
        """In training, its mask; with p = 0 or in eval, the input itself.

        The mask is bool (CUDA's fused ``native_dropout``), or in place in the
        compute dtype (``dropout_``: ``input.mul_(noise)``).
        """
        if not self.p:
            return VIEW
        if self.inplace:
            return Keeps(
                saves_input=False, new_output=False, saved=((numel(shape), "like"),), eval_view=True
            )
        return Keeps(saves_input=False, saved=((numel(shape), "int8"),), eval_view=True)

    def infer_shape(self, shape: Shape) -> Shape:
        low, high = self.ranks
        if self.feature and self.p in (0, 1):
            return shape
        if len(shape) < low or (high is not None and len(shape) > high):
            wanted = f"{low} or {high}" if high is not None else f"at least {low}"
            raise ShapeError(
                f"expects a per-sample input of rank {wanted} (channels first) "
                f"but receives rank {len(shape)}: {shape}"
            )
        return shape


class Dropout(_DropoutNd):
    """Zeroes elements with probability ``p`` in training; mirrors ``torch.nn.Dropout``.

    >>> Dropout(0.5).output_shape((120,))
    (120,)
    """


class Dropout1d(_DropoutNd):
    """Zeroes whole channels of ``(C, L)`` (or ``(L,)``); mirrors ``torch.nn.Dropout1d``.

    >>> Dropout1d(0.2).output_shape((16, 50))
    (16, 50)
    """

    ranks: ClassVar[tuple[int, int | None]] = (1, 2)


class Dropout2d(_DropoutNd):
    """Zeroes whole channels of ``(C, H, W)``; mirrors ``torch.nn.Dropout2d``.

    torch accepts any per-sample rank of at least 1 (with a warning off 2-d),
    and any rank at all when ``p`` is 0 or 1.

    >>> Dropout2d().output_shape((16, 32, 32))
    (16, 32, 32)
    """

    ranks: ClassVar[tuple[int, int | None]] = (1, None)
    feature: ClassVar[bool] = True


class Dropout3d(_DropoutNd):
    """Zeroes whole channels of ``(C, D, H, W)``; mirrors ``torch.nn.Dropout3d``.

    >>> Dropout3d().output_shape((16, 4, 32, 32))
    (16, 4, 32, 32)
    """


class AlphaDropout(_DropoutNd):
    """Dropout that keeps SELU's self-normalization; mirrors ``torch.nn.AlphaDropout``.

    >>> AlphaDropout(0.2).output_shape((10,))
    (10,)
    """


class FeatureAlphaDropout(_DropoutNd):
    """Alpha dropout of whole channels; mirrors ``torch.nn.FeatureAlphaDropout``.

    >>> FeatureAlphaDropout(0.2).output_shape((16, 32, 32))
    (16, 32, 32)
    """

    ranks: ClassVar[tuple[int, int | None]] = (1, None)
    feature: ClassVar[bool] = True


@dataclass(frozen=True, repr=False, eq=False)
class PixelShuffle(Layer):
    """``(*, C·r², H, W)`` → ``(*, C, H·r, W·r)``; mirrors ``torch.nn.PixelShuffle``.

    >>> PixelShuffle(3).output_shape((9, 4, 4))
    (1, 12, 12)
    """

    upscale_factor: int

    def __post_init__(self) -> None:
        super().__post_init__()
        _check.positive("PixelShuffle", "upscale_factor", self.upscale_factor)

    def infer_shape(self, shape: Shape) -> Shape:
        batched, r = (1, *shape), self.upscale_factor
        if len(batched) < 3:
            raise ShapeError(f"expects a per-sample input of rank at least 2 but receives {shape}")
        *lead, channels, height, width = batched
        if channels % (r * r):
            raise ShapeError(
                f"needs channels divisible by upscale_factor² = {r * r} but receives {channels}",
                received=channels,
            )
        return drop_batch((*lead, channels // (r * r), height * r, width * r), shape)


@dataclass(frozen=True, repr=False, eq=False)
class PixelUnshuffle(Layer):
    """``(*, C, H·r, W·r)`` → ``(*, C·r², H, W)``; mirrors ``torch.nn.PixelUnshuffle``.

    >>> PixelUnshuffle(3).output_shape((1, 12, 12))
    (9, 4, 4)
    """

    downscale_factor: int

    def __post_init__(self) -> None:
        super().__post_init__()
        _check.positive("PixelUnshuffle", "downscale_factor", self.downscale_factor)

    def infer_shape(self, shape: Shape) -> Shape:
        batched, r = (1, *shape), self.downscale_factor
        if len(batched) < 3:
            raise ShapeError(f"expects a per-sample input of rank at least 2 but receives {shape}")
        *lead, channels, height, width = batched
        if height % r or width % r:
            raise ShapeError(
                f"needs height and width divisible by downscale_factor={r} "
                f"but receives {height}×{width}"
            )
        return drop_batch((*lead, channels * r * r, height // r, width // r), shape)


@dataclass(frozen=True, repr=False, eq=False)
class ChannelShuffle(Layer):
    """Interleaves ``groups`` channel groups of ``(C, *)``; mirrors ``torch.nn.ChannelShuffle``.

    >>> ChannelShuffle(2).output_shape((4, 3, 3))
    (4, 3, 3)
    """

    groups: int

    def __post_init__(self) -> None:
        super().__post_init__()
        _check.positive("ChannelShuffle", "groups", self.groups)

    def infer_shape(self, shape: Shape) -> Shape:
        if len(shape) < 2:
            raise ShapeError(f"expects a per-sample input of rank at least 2 but receives {shape}")
        if shape[0] % self.groups:
            raise ShapeError(
                f"needs channels divisible by groups={self.groups} but receives {shape[0]}",
                received=shape[0],
            )
        return shape


def _pairs(layer: Layer, minimums: dict[str, int]) -> None:
    """Check torch's ``_pair`` arguments of ``Fold``/``Unfold``; store lists as tuples."""
    name = type(layer).__name__
    for arg, minimum in minimums.items():
        value = getattr(layer, arg)
        _check.int_tuple(name, arg, value, 2, minimum=minimum)
        if isinstance(value, list):
            object.__setattr__(layer, arg, tuple(value))


def _pair(value: int | tuple[int, ...]) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (value[0], value[1])


@dataclass(frozen=True, repr=False, eq=False)
class Fold(Layer):
    """Sums sliding blocks ``(C·kH·kW, L)`` into ``(C, *output_size)``; mirrors ``torch.nn.Fold``.

    ``L`` must be the number of blocks that fit ``output_size``:

    >>> Fold((4, 5), (2, 2)).output_shape((12, 12))
    (3, 4, 5)
    """

    output_size: int | tuple[int, int]
    kernel_size: int | tuple[int, int]
    dilation: int | tuple[int, int] = 1
    padding: int | tuple[int, int] = 0
    stride: int | tuple[int, int] = 1

    def __post_init__(self) -> None:
        super().__post_init__()
        _pairs(self, {"output_size": 1, "kernel_size": 1, "dilation": 1, "padding": 0, "stride": 1})
        if min(self.blocks()) < 1:
            raise ConfigError(
                f"Fold: no {_pair(self.kernel_size)} block fits `output_size`="
                f"{self.output_size!r} (padding={self.padding!r}, dilation={self.dilation!r}, "
                f"stride={self.stride!r})."
            )

    def blocks(self) -> tuple[int, int]:
        """Sliding blocks along height and width (torch's ``col2im`` count)."""
        out, kernel = _pair(self.output_size), _pair(self.kernel_size)
        dilation, padding, stride = _pair(self.dilation), _pair(self.padding), _pair(self.stride)
        h, w = (conv_length(out[i], kernel[i], stride[i], padding[i], dilation[i]) for i in (0, 1))
        return h, w

    def infer_shape(self, shape: Shape) -> Shape:
        batched = (1, *shape)
        if len(batched) not in (2, 3):
            raise ShapeError(f"expects a per-sample input (C·kH·kW, L) but receives {shape}")
        *lead, channels, length = batched
        kernel = numel(_pair(self.kernel_size))
        if channels % kernel:
            raise ShapeError(
                f"needs dim 1 divisible by kH·kW = {kernel} but receives {channels}",
                received=channels,
            )
        blocks = self.blocks()
        if length != blocks[0] * blocks[1]:
            raise ShapeError(
                f"expects {blocks[0]}·{blocks[1]} = {blocks[0] * blocks[1]} blocks "
                f"(dim 2) but receives {length}",
                received=length,
            )
        return drop_batch((*lead, channels // kernel, *_pair(self.output_size)), shape)


@dataclass(frozen=True, repr=False, eq=False)
class Unfold(Layer):
    """Extracts sliding blocks: ``(C, H, W)`` → ``(C·kH·kW, L)``; mirrors ``torch.nn.Unfold``.

    >>> Unfold(kernel_size=(2, 3)).output_shape((5, 3, 4))
    (30, 4)
    """

    kernel_size: int | tuple[int, int]
    dilation: int | tuple[int, int] = 1
    padding: int | tuple[int, int] = 0
    stride: int | tuple[int, int] = 1

    def __post_init__(self) -> None:
        super().__post_init__()
        _pairs(self, {"kernel_size": 1, "dilation": 1, "padding": 0, "stride": 1})

    def infer_shape(self, shape: Shape) -> Shape:
        batched = (1, *shape)
        if len(batched) not in (3, 4):
            raise ShapeError(f"expects a per-sample input (C, H, W) but receives {shape}")
        *lead, channels, height, width = batched
        kernel, stride = _pair(self.kernel_size), _pair(self.stride)
        padding, dilation = _pair(self.padding), _pair(self.dilation)
        blocks = [
            conv_length(size, kernel[i], stride[i], padding[i], dilation[i])
            for i, size in enumerate((height, width))
        ]
        if min(blocks) < 1:
            raise ShapeError(
                f"fits no {kernel} block into {height}×{width}: the blocks would number "
                f"{blocks[0]}×{blocks[1]}"
            )
        return drop_batch((*lead, channels * numel(kernel), blocks[0] * blocks[1]), shape)


_MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact")
_MODE_RANK = {"linear": 2, "bilinear": 3, "bicubic": 3, "trilinear": 4}
"""Per-sample ranks the interpolating modes need (torch's 3-d, 4-d, 5-d)."""


@dataclass(frozen=True, repr=False, eq=False)
class _Interpolate(Layer):
    """``size`` or ``scale_factor`` of torch's ``Upsample`` and its 2-d subclasses.

    As torch's constructor does, ``scale_factor`` is stored as a float (or a
    tuple of floats) and a zero ``scale_factor`` as None.
    """

    size: int | tuple[int, ...] | None = None
    scale_factor: float | tuple[float, ...] | None = None

    def settings(self) -> tuple[str, bool | None, bool | None]:
        """``(mode, align_corners, recompute_scale_factor)``."""
        return "nearest", None, None

    def __post_init__(self) -> None:
        super().__post_init__()
        name = type(self).__name__
        mode, align_corners, recompute = self.settings()
        size: object = self.size
        if size is not None:
            many = isinstance(size, (tuple, list))
            items = tuple(size) if isinstance(size, (tuple, list)) else (size,)
            sizes = tuple(_check.integer(name, "size", item) for item in items)
            if many:
                object.__setattr__(self, "size", sizes)
            if any(item < 1 for item in sizes):  # an error, or (area) an empty tensor
                raise ConfigError(
                    f"{name}: `size` must be at least 1. Received: size={self.size!r}."
                )
        scale: object = self.scale_factor
        if isinstance(scale, list):  # torch's constructor calls float() on it
            raise ConfigTypeError(
                f"{name}: `scale_factor` must be a number or a tuple. "
                f"Received: scale_factor={scale!r}."
            )
        if isinstance(scale, tuple):
            scales = (float(_check.real(name, "scale_factor", item, finite=True)) for item in scale)
            object.__setattr__(self, "scale_factor", tuple(scales))
        elif scale is not None:
            value = _check.real(name, "scale_factor", scale, finite=True)
            object.__setattr__(self, "scale_factor", float(value) if value else None)
        if (self.size is None) == (self.scale_factor is None):
            raise ConfigError(
                f"{name}: give exactly one of `size` and `scale_factor` (a zero scale_factor "
                f"counts as none). Received: size={self.size!r}, "
                f"scale_factor={self.scale_factor!r}."
            )
        if recompute and self.size is not None:
            raise ConfigError(
                f"{name}: `recompute_scale_factor` is not meaningful with an explicit `size`. "
                f"Received: size={self.size!r}, recompute_scale_factor=True."
            )
        if align_corners is not None and mode in ("nearest", "area", "nearest-exact"):
            raise ConfigError(
                f"{name}: `align_corners` can only be set with the interpolating modes "
                f"linear, bilinear, bicubic, trilinear. Received: mode={mode!r}, "
                f"align_corners={align_corners!r}."
            )

    def keeps(self, shape: Shape, output: Shape) -> Keeps:
        """A new output; the backward reads only sizes; fp32 under autocast."""
        return Keeps(saves_input=False, autocast="fp32")

    def infer_shape(self, shape: Shape) -> Shape:
        mode = self.settings()[0]
        if not 2 <= len(shape) <= 4 or len(shape) != _MODE_RANK.get(mode, len(shape)):
            ranks = _MODE_RANK.get(mode)
            wanted = "2, 3 or 4" if ranks is None else str(ranks)
            raise ShapeError(
                f"with mode={mode!r} expects a per-sample input of rank {wanted}, channels first, "
                f"but receives rank {len(shape)}: {shape}"
            )
        lengths = shape[1:]
        n = len(lengths)
        given = self.size if self.size is not None else self.scale_factor
        what = "size" if self.size is not None else "scale_factor"
        if isinstance(given, tuple) and len(given) != n:
            raise ShapeError(
                f"has {what}={given!r} but the input has {n} spatial dimension(s): {shape}"
            )
        if isinstance(self.size, tuple):
            outputs = self.size
        elif self.size is not None:
            outputs = (self.size,) * n
        else:
            scale = self.scale_factor
            scales = scale if isinstance(scale, tuple) else (float(scale or 0),) * n
            sizes = [length * s for length, s in zip(lengths, scales, strict=True)]
            if not all(math.isfinite(size) for size in sizes):
                raise ShapeError(
                    f"gives output sizes beyond the floating-point range for spatial size "
                    f"{lengths} and scale_factor={scale!r}"
                )
            outputs = tuple(int(size) for size in sizes)
        if min(outputs) < 1:  # an error, or (area) an empty tensor
            raise ShapeError(
                f"gives output size {outputs} for spatial size {lengths}; sizes must be at least 1"
            )
        return (shape[0], *outputs)


@dataclass(frozen=True, repr=False, eq=False)
class Upsample(_Interpolate):
    """Resizes ``(C, *spatial)`` to ``size`` or ``⌊L·scale_factor⌋``; mirrors ``torch.nn.Upsample``.

    Modes need the ranks torch's ``interpolate`` does: ``linear`` ``(C, L)``,
    ``bilinear``/``bicubic`` ``(C, H, W)``, ``trilinear`` ``(C, D, H, W)``;
    ``nearest``, ``nearest-exact`` and ``area`` take any of the three.
    (``lanczos`` needs ``antialias``, which ``Upsample`` cannot pass.)

    >>> Upsample(scale_factor=2, mode="bilinear").output_shape((64, 16, 16))
    (64, 32, 32)
    >>> Upsample(scale_factor=1.5).output_shape((3, 5))
    (3, 7)
    >>> Upsample(size=(4, 5), mode="linear").output_shape((3, 8, 8))
    Traceback (most recent call last):
    ...
    paramcalc.errors.ShapeError: Upsample with mode='linear' expects a per-sample input of rank 2...
    """

    mode: str = "nearest"
    align_corners: bool | None = None
    recompute_scale_factor: bool | None = None

    def settings(self) -> tuple[str, bool | None, bool | None]:
        return self.mode, self.align_corners, self.recompute_scale_factor

    def __post_init__(self) -> None:
        _check.one_of("Upsample", "mode", self.mode, _MODES)
        for name in ("align_corners", "recompute_scale_factor"):
            if getattr(self, name) is not None:
                _check.boolean("Upsample", name, getattr(self, name))
        super().__post_init__()


class UpsamplingNearest2d(_Interpolate):
    """Nearest-neighbour upsampling; mirrors ``torch.nn.UpsamplingNearest2d``.

    >>> UpsamplingNearest2d(scale_factor=2).output_shape((1, 2, 2))
    (1, 4, 4)
    """


class UpsamplingBilinear2d(_Interpolate):
    """Bilinear upsampling with ``align_corners=True``; mirrors ``torch.nn.UpsamplingBilinear2d``.

    >>> UpsamplingBilinear2d(size=(3, 5)).output_shape((1, 2, 2))
    (1, 3, 5)
    """

    def settings(self) -> tuple[str, bool | None, bool | None]:
        return "bilinear", True, None
