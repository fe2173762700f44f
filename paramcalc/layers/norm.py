"""Normalization layers, as ``torch.nn.modules.{batchnorm,instancenorm,normalization}``.

``BatchNorm1d/2d/3d``, ``SyncBatchNorm``, ``InstanceNorm1d/2d/3d``,
``LayerNorm``, ``GroupNorm``, ``RMSNorm`` and ``LocalResponseNorm``.
Norms keep the shape and count no MACs (see DESIGN.md). Running statistics
are buffers, never parameters:

>>> bn = BatchNorm2d(64)
>>> list(bn.named_parameters()), bn.params()
([('weight', (64,)), ('bias', (64,))], 128)
>>> list(bn.named_buffers())
[('running_mean', (64,)), ('running_var', (64,)), ('num_batches_tracked', ())]

A shape is valid when torch accepts it in training mode, the default, on a
batch of more than one sample: torch's checks that need more than one value
per channel depend on the batch size, which per-sample shapes leave out.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, cast

from paramcalc import _check
from paramcalc.errors import ConfigError, ConfigTypeError, ShapeError
from paramcalc.layer import Layer
from paramcalc.lifetime import Keeps
from paramcalc.shapes import Shape, numel


def _optional_real(layer: str, name: str, value: object) -> None:
    if value is not None:
        _check.real(layer, name, value)


def _rank_error(ranks: str, shape: Shape) -> ShapeError:
    return ShapeError(
        f"expects a per-sample input of rank {ranks} but receives rank {len(shape)}: {shape}"
    )


def _channel_error(expected: int, shape: Shape) -> ShapeError:
    return ShapeError(
        f"expects {expected} channels (num_features) but receives {shape[0]} (input shape {shape})",
        received=shape[0],
    )


@dataclass(frozen=True, repr=False, eq=False)
class _NormBase(Layer):
    """Fields, tensors and checks shared by batch and instance norms (torch's ``_NormBase``)."""

    ranks: ClassVar[tuple[int, ...]] = ()

    num_features: int
    eps: float = 1e-5
    momentum: float | None = 0.1
    affine: bool = True
    track_running_stats: bool = True
    bias: bool = field(default=True, kw_only=True)

    def __post_init__(self) -> None:
        super().__post_init__()
        name = type(self).__name__
        _check.positive(name, "num_features", self.num_features)
        _check.real(name, "eps", self.eps)
        _optional_real(name, "momentum", self.momentum)
        _check.boolean(name, "affine", self.affine)
        _check.boolean(name, "track_running_stats", self.track_running_stats)
        _check.boolean(name, "bias", self.bias)

    def parameter_shapes(self) -> tuple[tuple[str, Shape], ...]:
        if not self.affine:
            return ()
        weight = ("weight", (self.num_features,))
        return (weight, ("bias", (self.num_features,))) if self.bias else (weight,)

    def buffer_shapes(self) -> tuple[tuple[str, Shape], ...]:
        if not self.track_running_stats:
            return ()
        features = (self.num_features,)
        return (("running_mean", features), ("running_var", features), ("num_batches_tracked", ()))

    def buffer_dtype(self, name: str) -> str | None:
        """``num_batches_tracked`` is an int64 counter, whatever the model's dtype."""
        return "int64" if name == "num_batches_tracked" else None

    def _check_rank(self, shape: Shape) -> None:
        if len(shape) not in self.ranks:
            raise _rank_error(" or ".join(str(rank) for rank in self.ranks), shape)

    def _check_channels(self, shape: Shape) -> None:
        """Channels must match the weight or the running stats, if there are any (as torch)."""
        if (self.affine or self.track_running_stats) and shape[0] != self.num_features:
            raise _channel_error(self.num_features, shape)


class _BatchNorm(_NormBase):
    """Batch norm: ``eps`` must be positive (torch checks it in training)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.eps <= 0:
            raise ConfigError(
                f"{type(self).__name__}: `eps` must be positive. Received: eps={self.eps!r}."
            )

    def infer_shape(self, shape: Shape) -> Shape:
        self._check_rank(shape)
        self._check_channels(shape)
        return shape

    def count_elementwise(self, shape: Shape, output: Shape) -> int:
        """Inference: 2 per element with ``affine`` (scale, shift), 1 without (DeepSpeed)."""
        return numel(output) * (2 if self.affine else 1)

    def keeps(self, shape: Shape, output: Shape) -> Keeps:
        """Its input and two fp32 statistics per channel (``save_mean``, ``save_invstd``)."""
        return Keeps(per_batch=((self.num_features, "fp32"), (self.num_features, "fp32")))


class BatchNorm1d(_BatchNorm):
    """Batch normalization over ``(C,)`` or ``(C, L)``; mirrors ``torch.nn.BatchNorm1d``.

    Parameters (if ``affine``): ``weight``, ``bias`` (unless ``bias=False``), each
    ``(num_features,)``. Buffers (if ``track_running_stats``): ``running_mean``,
    ``running_var`` ``(num_features,)`` and ``num_batches_tracked`` ``()``.

    >>> BatchNorm1d(100).output_shape((100, 7)), BatchNorm1d(100).buffers()
    ((100, 7), 201)
    """

    ranks: ClassVar[tuple[int, ...]] = (1, 2)


class BatchNorm2d(_BatchNorm):
    """Batch normalization over ``(C, H, W)``; mirrors ``torch.nn.BatchNorm2d``.

    >>> BatchNorm2d(64, affine=False).params(), BatchNorm2d(64).buffers()
    (0, 129)
    """

    ranks: ClassVar[tuple[int, ...]] = (3,)


class BatchNorm3d(_BatchNorm):
    """Batch normalization over ``(C, D, H, W)``; mirrors ``torch.nn.BatchNorm3d``.

    >>> BatchNorm3d(8).output_shape((8, 4, 4, 4))
    (8, 4, 4, 4)
    """

    ranks: ClassVar[tuple[int, ...]] = (4,)


@dataclass(frozen=True, repr=False, eq=False)
class SyncBatchNorm(_BatchNorm):
    """Batch normalization synchronized across processes; mirrors ``torch.nn.SyncBatchNorm``.

    Takes any per-sample input of rank 1 or more, ``(C, *)``. ``process_group``
    is accepted and ignored, as it changes no count.

    >>> SyncBatchNorm(16).output_shape((16, 5, 5, 5, 5))
    (16, 5, 5, 5, 5)
    """

    process_group: Any = field(default=None, compare=False, repr=False)

    def _check_rank(self, shape: Shape) -> None:
        if len(shape) < 1:
            raise _rank_error("1 or more", shape)


@dataclass(frozen=True, repr=False, eq=False)
class _InstanceNorm(_NormBase):
    """Instance norm: torch's defaults are ``affine=False, track_running_stats=False``."""

    dims: ClassVar[int] = 1

    momentum: float | None = 0.1
    affine: bool = False
    track_running_stats: bool = False

    def keeps(self, shape: Shape, output: Shape) -> Keeps:
        """Its input and fp32 statistics per sample and channel (``(1, N·C, …)``)."""
        return Keeps(saved=((2 * shape[0], "fp32"),))

    def infer_shape(self, shape: Shape) -> Shape:
        if len(shape) != self.dims + 1:
            raise _rank_error(str(self.dims + 1), shape)
        # Without weight or running stats torch only warns about the channels.
        self._check_channels(shape)
        if numel(shape[1:]) == 1:
            raise ShapeError(
                f"needs more than 1 spatial element per channel (torch checks it in "
                f"training) but receives input shape {shape}"
            )
        return shape

    def count_elementwise(self, shape: Shape, output: Shape) -> int:
        """5 per element with ``affine``, 4 without (DeepSpeed's and fvcore's norms)."""
        return numel(output) * (5 if self.affine else 4)


class InstanceNorm1d(_InstanceNorm):
    """Instance normalization over ``(C, L)``; mirrors ``torch.nn.InstanceNorm1d``.

    >>> InstanceNorm1d(100).params(), InstanceNorm1d(100, affine=True).params()
    (0, 200)
    """

    dims: ClassVar[int] = 1


class InstanceNorm2d(_InstanceNorm):
    """Instance normalization over ``(C, H, W)``; mirrors ``torch.nn.InstanceNorm2d``.

    >>> InstanceNorm2d(3, track_running_stats=True).buffers()
    7
    """

    dims: ClassVar[int] = 2


class InstanceNorm3d(_InstanceNorm):
    """Instance normalization over ``(C, D, H, W)``; mirrors ``torch.nn.InstanceNorm3d``.

    >>> InstanceNorm3d(4).output_shape((4, 2, 3, 5))
    (4, 2, 3, 5)
    """

    dims: ClassVar[int] = 3


def _normalized_shape(layer: str, value: object) -> tuple[int, ...]:
    """As torch: ``(n,)`` for an int, ``tuple(value)`` for a sequence; sizes at least 1."""
    if isinstance(value, int) and not isinstance(value, bool):
        items: tuple[object, ...] = (value,)
    elif isinstance(value, Sequence) and not isinstance(value, str):
        items = tuple(value)
    else:
        raise ConfigTypeError(
            f"{layer}: `normalized_shape` must be an int or a tuple of ints. "
            f"Received: normalized_shape={value!r}."
        )
    if not items:
        raise ConfigError(
            f"{layer}: `normalized_shape` must have at least one dimension. "
            f"Received: normalized_shape={value!r}."
        )
    for item in items:
        _check.positive(layer, "normalized_shape", item)
    return cast(tuple[int, ...], items)


def _repr_normalized(layer: LayerNorm | RMSNorm) -> str:
    """``LayerNorm((4, 4))``: the shape is shown whole, never collapsed to ``4``."""
    shape = cast(tuple[int, ...], layer.normalized_shape)
    parts = [repr(shape[0] if len(shape) == 1 else shape)]
    for item in dataclasses.fields(layer):
        value = getattr(layer, item.name)
        if item.name != "normalized_shape" and value != item.default:
            parts.append(f"{item.name}={value!r}")
    return f"{type(layer).__name__}({', '.join(parts)})"


def _check_trailing(normalized: tuple[int, ...], shape: Shape) -> None:
    if len(shape) < len(normalized) or shape[len(shape) - len(normalized) :] != normalized:
        raise ShapeError(
            f"expects an input ending in normalized_shape {normalized} "
            f"but receives input shape {shape}"
        )


@dataclass(frozen=True, repr=False, eq=False)
class LayerNorm(Layer):
    """Layer normalization over the trailing dims; mirrors ``torch.nn.LayerNorm``.

    Parameters (if ``elementwise_affine``): ``weight`` and (if ``bias``)
    ``bias``, each of shape ``normalized_shape``.

    >>> ln = LayerNorm(768)
    >>> list(ln.named_parameters()), ln.output_shape((197, 768))
    ([('weight', (768,)), ('bias', (768,))], (197, 768))
    >>> LayerNorm([4, 5], bias=False).params()
    20
    """

    normalized_shape: int | Sequence[int]
    eps: float = 1e-5
    elementwise_affine: bool = True
    bias: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        name = type(self).__name__
        object.__setattr__(self, "normalized_shape", _normalized_shape(name, self.normalized_shape))
        _check.real(name, "eps", self.eps)
        _check.boolean(name, "elementwise_affine", self.elementwise_affine)
        _check.boolean(name, "bias", self.bias)

    def parameter_shapes(self) -> tuple[tuple[str, Shape], ...]:
        if not self.elementwise_affine:
            return ()
        shape = cast(tuple[int, ...], self.normalized_shape)
        return (("weight", shape), ("bias", shape)) if self.bias else (("weight", shape),)

    def count_elementwise(self, shape: Shape, output: Shape) -> int:
        """5 per element with ``elementwise_affine``, 4 without (DeepSpeed's LayerNorm)."""
        return numel(output) * (5 if self.elementwise_affine else 4)

    def keeps(self, shape: Shape, output: Shape) -> Keeps:
        """Its input, fp32 mean and inverse deviation per row; fp32 under autocast."""
        normalized = self.normalized_shape
        width = normalized if isinstance(normalized, int) else numel(tuple(normalized))
        rows = numel(shape) // max(width, 1)
        return Keeps(saved=((2 * rows, "fp32"),), autocast="fp32")

    def infer_shape(self, shape: Shape) -> Shape:
        _check_trailing(cast(tuple[int, ...], self.normalized_shape), shape)
        return shape

    def __repr__(self) -> str:
        return _repr_normalized(self)


@dataclass(frozen=True, repr=False, eq=False)
class RMSNorm(Layer):
    """Root-mean-square normalization over the trailing dims; mirrors ``torch.nn.RMSNorm``.

    Parameters (if ``elementwise_affine``): ``weight`` of shape ``normalized_shape``.

    >>> RMSNorm(4096).params(), RMSNorm([8, 8], elementwise_affine=False).params()
    (4096, 0)
    """

    normalized_shape: int | Sequence[int]
    eps: float | None = None
    elementwise_affine: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        name = type(self).__name__
        object.__setattr__(self, "normalized_shape", _normalized_shape(name, self.normalized_shape))
        _optional_real(name, "eps", self.eps)
        _check.boolean(name, "elementwise_affine", self.elementwise_affine)

    def parameter_shapes(self) -> tuple[tuple[str, Shape], ...]:
        if not self.elementwise_affine:
            return ()
        return (("weight", cast(tuple[int, ...], self.normalized_shape)),)

    def count_elementwise(self, shape: Shape, output: Shape) -> int:
        """Square, sum, scale by the reciprocal root: 3 per element, 4 with the weight."""
        return numel(output) * (4 if self.elementwise_affine else 3)

    def infer_shape(self, shape: Shape) -> Shape:
        _check_trailing(cast(tuple[int, ...], self.normalized_shape), shape)
        return shape

    def __repr__(self) -> str:
        return _repr_normalized(self)


@dataclass(frozen=True, repr=False, eq=False)
class GroupNorm(Layer):
    """Group normalization over ``(C, *)``; mirrors ``torch.nn.GroupNorm``.

    Parameters (if ``affine``): ``weight`` and (if ``bias``) ``bias``, each
    ``(num_channels,)``.

    >>> GroupNorm(32, 256).params(), GroupNorm(32, 256).output_shape((256, 7, 7))
    (512, (256, 7, 7))
    """

    num_groups: int
    num_channels: int
    eps: float = 1e-5
    affine: bool = True
    bias: bool = field(default=True, kw_only=True)

    def __post_init__(self) -> None:
        super().__post_init__()
        name = type(self).__name__
        _check.positive(name, "num_groups", self.num_groups)
        _check.positive(name, "num_channels", self.num_channels)
        _check.real(name, "eps", self.eps)
        _check.boolean(name, "affine", self.affine)
        _check.boolean(name, "bias", self.bias)
        if self.num_channels % self.num_groups:
            raise ConfigError(
                f"{name}: `num_channels` must be divisible by `num_groups`. "
                f"Received: num_channels={self.num_channels}, num_groups={self.num_groups}."
            )

    def parameter_shapes(self) -> tuple[tuple[str, Shape], ...]:
        if not self.affine:
            return ()
        weight = ("weight", (self.num_channels,))
        return (weight, ("bias", (self.num_channels,))) if self.bias else (weight,)

    def count_elementwise(self, shape: Shape, output: Shape) -> int:
        """5 per element with ``affine``, 4 without (DeepSpeed's and fvcore's norms)."""
        return numel(output) * (5 if self.affine else 4)

    def keeps(self, shape: Shape, output: Shape) -> Keeps:
        """Its input, fp32 mean and inverse deviation per group; fp32 under autocast."""
        return Keeps(saved=((2 * self.num_groups, "fp32"),), autocast="fp32")

    def infer_shape(self, shape: Shape) -> Shape:
        if not shape:
            raise _rank_error("1 or more", shape)
        if self.affine and shape[0] != self.num_channels:
            raise _channel_error(self.num_channels, shape)
        if shape[0] % self.num_groups:
            raise ShapeError(
                f"expects a number of channels divisible by num_groups={self.num_groups} "
                f"but receives {shape[0]}",
                received=shape[0],
            )
        return shape


@dataclass(frozen=True, repr=False, eq=False)
class LocalResponseNorm(Layer):
    """Normalization across nearby channels over ``(C, *)``; mirrors ``torch.nn.LocalResponseNorm``.

    No parameters; a per-sample input needs rank 2 or more (torch's 3-d or more).

    >>> LocalResponseNorm(5).output_shape((96, 55, 55))
    (96, 55, 55)
    """

    size: int
    alpha: float = 1e-4
    beta: float = 0.75
    k: float = 1.0

    def __post_init__(self) -> None:
        super().__post_init__()
        name = type(self).__name__
        _check.positive(name, "size", self.size)
        _check.real(name, "alpha", self.alpha)
        _check.real(name, "beta", self.beta)
        _check.real(name, "k", self.k)

    def infer_shape(self, shape: Shape) -> Shape:
        if len(shape) < 2:
            raise _rank_error("2 or more", shape)
        return shape

    def count_elementwise(self, shape: Shape, output: Shape) -> int:
        """``size + 4`` per element: square, ``size − 1`` adds, scale and add ``k``, power, divide.

        torch averages a zero-padded window of ``size`` channels, so every
        window is full.
        """
        return numel(output) * (self.size + 4)
