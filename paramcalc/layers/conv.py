"""Convolutions, as ``torch.nn.modules.conv``.

``Conv1d/2d/3d`` and the transposed ``ConvTranspose1d/2d/3d``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, cast

from paramcalc import _check
from paramcalc.errors import ConfigError, ConfigTypeError, ShapeError
from paramcalc.layer import Layer
from paramcalc.layers._spatial import (
    check_channels,
    check_padding_mode,
    check_rank,
    check_window,
)
from paramcalc.lifetime import Keeps
from paramcalc.shapes import Shape, as_shape, conv_length, numel

if TYPE_CHECKING:
    from paramcalc.formula import Expr, Formula

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
_KERNEL_SYMBOLS = {1: ("K",), 2: ("K", "K"), 3: ("K", "K", "K")}


@dataclass(frozen=True, repr=False, eq=False)
class _ConvNd(Layer):
    """Shared fields and checks of ``Conv1d/2d/3d`` (torch's ``_ConvNd``)."""

    dims: ClassVar[int] = 2

    in_channels: int
    out_channels: int
    kernel_size: int | tuple[int, ...]
    stride: int | tuple[int, ...] = 1
    padding: str | int | tuple[int, ...] = 0
    dilation: int | tuple[int, ...] = 1
    groups: int = 1
    bias: bool = True
    padding_mode: str = "zeros"

    def __post_init__(self) -> None:
        super().__post_init__()
        name, n = type(self).__name__, self.dims
        _check.positive(name, "in_channels", self.in_channels)
        _check.positive(name, "out_channels", self.out_channels)
        set_ = object.__setattr__
        set_(
            self,
            "kernel_size",
            _check.int_tuple(name, "kernel_size", self.kernel_size, n, minimum=1),
        )
        set_(self, "stride", _check.int_tuple(name, "stride", self.stride, n, minimum=1))
        set_(self, "dilation", _check.int_tuple(name, "dilation", self.dilation, n, minimum=1))
        _check.positive(name, "groups", self.groups)
        _check.boolean(name, "bias", self.bias)
        _check.one_of(name, "padding_mode", self.padding_mode, PADDING_MODES)
        if isinstance(self.padding, str):
            _check.one_of(name, "padding", self.padding, ("same", "valid"))
            if self.padding == "same" and any(s != 1 for s in self.strides):
                raise ConfigError(
                    f"{name}: `padding='same'` is not supported for strided convolutions. "
                    f"Received: padding='same', stride={self.stride}."
                )
        else:
            set_(self, "padding", _check.int_tuple(name, "padding", self.padding, n, minimum=0))
        for channels in ("in_channels", "out_channels"):
            if getattr(self, channels) % self.groups:
                raise ConfigError(
                    f"{name}: `{channels}` must be divisible by `groups`. "
                    f"Received: {channels}={getattr(self, channels)}, groups={self.groups}."
                )

    @property
    def kernel(self) -> tuple[int, ...]:
        """The kernel size as a tuple."""
        return cast(tuple[int, ...], self.kernel_size)

    @property
    def strides(self) -> tuple[int, ...]:
        """The stride as a tuple."""
        return cast(tuple[int, ...], self.stride)

    @property
    def dilations(self) -> tuple[int, ...]:
        """The dilation as a tuple."""
        return cast(tuple[int, ...], self.dilation)

    def paddings(self, lengths: Shape) -> tuple[int, ...] | None:
        """Padding per side, or None for ``"same"`` (output length = input length)."""
        if self.padding == "same":
            return None
        if self.padding == "valid":
            return (0,) * self.dims
        return cast(tuple[int, ...], self.padding)

    def parameter_shapes(self) -> tuple[tuple[str, Shape], ...]:
        weight = ("weight", (self.out_channels, self.in_channels // self.groups, *self.kernel))
        return (weight, ("bias", (self.out_channels,))) if self.bias else (weight,)

    def keeps(self, shape: Shape, output: Shape) -> Keeps:
        """Its input (the weight's gradient reads it); 16-bit under autocast."""
        return Keeps(autocast="low")

    def infer_shape(self, shape: Shape) -> Shape:
        check_rank(shape, self.dims)
        check_channels(self.in_channels, shape)
        lengths = shape[1:]
        pads = self.paddings(lengths)
        spans = [d * (k - 1) + 1 for k, d in zip(self.kernel, self.dilations, strict=True)]
        if pads is None:
            # torch pads ``same`` by (span - 1) in all, the larger half on the right
            check_padding_mode(
                self.padding_mode, lengths, [s - 1 - (s - 1) // 2 for s in spans], shape
            )
            return (self.out_channels, *lengths)
        if self.padding_mode != "zeros":
            check_padding_mode(self.padding_mode, lengths, pads, shape)
        outputs = [
            conv_length(length, k, s, p, d)
            for length, k, s, p, d in zip(
                lengths, self.kernel, self.strides, pads, self.dilations, strict=True
            )
        ]
        check_window(
            lengths,
            outputs,
            f"kernel_size={self.kernel_size}",
            shape,
            spans=spans,
            paddings=pads,
        )
        return (self.out_channels, *outputs)

    def count_macs(self, shape: Shape, output: Shape) -> int:
        return numel(output) * (self.in_channels // self.groups) * numel(self.kernel)

    def count_elementwise(self, shape: Shape, output: Shape) -> int:
        """The bias add: 1 FLOP per output element (DeepSpeed's and ptflops' conv count)."""
        return numel(output) if self.bias else 0

    def formula(self) -> Formula:
        """``(K·K·C_in + 1)·C_out``; with groups, ``C_in/g``."""
        from paramcalc.formula import Formula, num, product, quotient, total

        kernel = [
            num(k, symbol)
            for k, symbol in zip(self.kernel, _KERNEL_SYMBOLS[self.dims], strict=True)
        ]
        fan_in: Expr = num(self.in_channels, "C_in")
        if self.groups > 1:
            fan_in = quotient(fan_in, num(self.groups, "g"))
        weights = product(*kernel, fan_in)
        out = num(self.out_channels, "C_out")
        if self.bias:
            return Formula(product(total(weights, num(1)), out))
        return Formula(product(weights, out))


class Conv1d(_ConvNd):
    """1-d convolution over ``(C_in, L)``; mirrors ``torch.nn.Conv1d``.

    Parameters
    ----------
        weight: ``(out_channels, in_channels / groups, kernel_size)``
        bias:   ``(out_channels,)`` if ``bias``

    >>> Conv1d(16, 33, 3, stride=2).output_shape((16, 50))
    (33, 24)

    """

    dims: ClassVar[int] = 1


class Conv2d(_ConvNd):
    """2-d convolution over ``(C_in, H, W)``; mirrors ``torch.nn.Conv2d``.

    Parameters
    ----------
        weight: ``(out_channels, in_channels / groups, kH, kW)``
        bias:   ``(out_channels,)`` if ``bias``

    >>> conv = Conv2d(1, 6, 5)
    >>> conv.params(), conv.output_shape((1, 32, 32))
    (156, (6, 28, 28))
    >>> str(conv.explain())
    '(5·5·1 + 1)·6 = 156'

    """

    dims: ClassVar[int] = 2


class Conv3d(_ConvNd):
    """3-d convolution over ``(C_in, D, H, W)``; mirrors ``torch.nn.Conv3d``.

    Parameters
    ----------
        weight: ``(out_channels, in_channels / groups, kD, kH, kW)``
        bias:   ``(out_channels,)`` if ``bias``

    >>> Conv3d(16, 33, 3, stride=2).output_shape((16, 10, 50, 100))
    (33, 4, 24, 49)

    """

    dims: ClassVar[int] = 3


@dataclass(frozen=True, repr=False, eq=False)
class _ConvTransposeNd(Layer):
    """Shared fields and checks of ``ConvTranspose1d/2d/3d`` (torch's ``_ConvTransposeNd``).

    The positional order is torch's, which differs from ``Conv``'s:
    ``output_padding`` and ``groups`` come before ``bias`` and ``dilation``.
    """

    dims: ClassVar[int] = 2

    in_channels: int
    out_channels: int
    kernel_size: int | tuple[int, ...]
    stride: int | tuple[int, ...] = 1
    padding: int | tuple[int, ...] = 0
    output_padding: int | tuple[int, ...] = 0
    groups: int = 1
    bias: bool = True
    dilation: int | tuple[int, ...] = 1
    padding_mode: str = "zeros"

    def __post_init__(self) -> None:
        super().__post_init__()
        name, n = type(self).__name__, self.dims
        _check.positive(name, "in_channels", self.in_channels)
        _check.positive(name, "out_channels", self.out_channels)
        set_ = object.__setattr__
        for arg, minimum in (
            ("kernel_size", 1),
            ("stride", 1),
            ("padding", 0),
            ("output_padding", 0),
            ("dilation", 1),
        ):
            set_(self, arg, _check.int_tuple(name, arg, getattr(self, arg), n, minimum=minimum))
        _check.positive(name, "groups", self.groups)
        _check.boolean(name, "bias", self.bias)
        _check.one_of(name, "padding_mode", self.padding_mode, PADDING_MODES)
        if self.padding_mode != "zeros":
            raise ConfigError(
                f"{name}: only padding_mode='zeros' is supported for transposed convolutions. "
                f"Received: padding_mode={self.padding_mode!r}."
            )
        for channels in ("in_channels", "out_channels"):
            if getattr(self, channels) % self.groups:
                raise ConfigError(
                    f"{name}: `{channels}` must be divisible by `groups`. "
                    f"Received: {channels}={getattr(self, channels)}, groups={self.groups}."
                )
        for extra, s, d in zip(
            self._t("output_padding"), self._t("stride"), self._t("dilation"), strict=True
        ):
            if extra >= max(s, d):
                raise ConfigError(
                    f"{name}: `output_padding` must be smaller than either `stride` or "
                    f"`dilation`. Received: output_padding={self.output_padding}, "
                    f"stride={self.stride}, dilation={self.dilation}."
                )

    def _t(self, arg: str) -> tuple[int, ...]:
        return cast(tuple[int, ...], getattr(self, arg))

    def parameter_shapes(self) -> tuple[tuple[str, Shape], ...]:
        kernel = self._t("kernel_size")
        weight = ("weight", (self.in_channels, self.out_channels // self.groups, *kernel))
        return (weight, ("bias", (self.out_channels,))) if self.bias else (weight,)

    def _smallest(self, lengths: Shape) -> list[int]:
        """``(L − 1)·s − 2·p + d·(k − 1) + 1``: the output length without output padding."""
        return [
            (length - 1) * s - 2 * p + d * (k - 1) + 1
            for length, k, s, p, d in zip(
                lengths,
                self._t("kernel_size"),
                self._t("stride"),
                self._t("padding"),
                self._t("dilation"),
                strict=True,
            )
        ]

    def _finish(self, shape: Shape, outputs: list[int]) -> Shape:
        for axis, (out, pad) in enumerate(zip(outputs, self._t("padding"), strict=True)):
            if out < 1:
                raise ShapeError(
                    f"has padding={self.padding}, which crops spatial dimension {axis} away: "
                    f"an input of size {shape[axis + 1]} gives {out + 2 * pad} output "
                    f"positions before the padding removes {2 * pad} (input shape {shape})"
                )
        return (self.out_channels, *outputs)

    def keeps(self, shape: Shape, output: Shape) -> Keeps:
        """Its input (the weight's gradient reads it); 16-bit under autocast."""
        return Keeps(autocast="low")

    def infer_shape(self, shape: Shape) -> Shape:
        check_rank(shape, self.dims)
        check_channels(self.in_channels, shape)
        smallest = self._smallest(shape[1:])
        extra = self._t("output_padding")
        return self._finish(shape, [m + e for m, e in zip(smallest, extra, strict=True)])

    def output_shape_for(self, shape: Shape | list[int] | int, output_size: object) -> Shape:
        """The output shape of ``forward(input, output_size)``, checked like torch.

        ``output_size`` holds the spatial sizes, or torch's whole output size
        ``(N, C, *spatial)`` (whose first two entries torch ignores). Each size
        must lie in ``[m, m + stride − 1]``, ``m`` being the output length
        without ``output_padding``; the layer's own ``output_padding`` is then
        unused, as in torch's ``_output_padding``.

        >>> up = ConvTranspose2d(16, 8, 3, stride=2, padding=1)
        >>> up.output_shape((16, 12, 12)), up.output_shape_for((16, 12, 12), (24, 24))
        ((8, 23, 23), (8, 24, 24))
        """
        given = as_shape(shape)
        name = type(self).__name__
        if not isinstance(output_size, (tuple, list)) or any(
            isinstance(size, bool) or not isinstance(size, int) for size in output_size
        ):
            raise ConfigTypeError(
                f"{name}: `output_size` must be a tuple of ints. "
                f"Received: output_size={output_size!r}."
            )
        try:
            return self._sized(given, tuple(output_size))
        except ShapeError as error:
            raise ShapeError(error.detail, kind=name, received=error.received) from None

    def _sized(self, shape: Shape, output_size: tuple[int, ...]) -> Shape:
        check_rank(shape, self.dims)
        check_channels(self.in_channels, shape)
        sizes = output_size[2:] if len(output_size) == self.dims + 2 else output_size
        if len(sizes) != self.dims:
            raise ShapeError(
                f"expects an output_size of {self.dims} or {self.dims + 2} elements "
                f"but receives {len(output_size)}: {output_size}"
            )
        if any(size < 1 for size in sizes):
            raise ShapeError(f"cannot produce an output of size {sizes}: sizes are at least 1")
        smallest = self._smallest(shape[1:])
        largest = [m + s - 1 for m, s in zip(smallest, self._t("stride"), strict=True)]
        for size, low, high in zip(sizes, smallest, largest, strict=True):
            if not low <= size <= high:
                raise ShapeError(
                    f"cannot produce an output of size {sizes} from input shape {shape}: "
                    f"valid sizes range from {tuple(smallest)} to {tuple(largest)}"
                )
        return self._finish(shape, list(sizes))

    def count_macs(self, shape: Shape, output: Shape) -> int:
        """Over input positions: ``numel(input) · (C_out/g) · prod(kernel)``."""
        return numel(shape) * (self.out_channels // self.groups) * numel(self._t("kernel_size"))

    def count_elementwise(self, shape: Shape, output: Shape) -> int:
        """The bias add: 1 FLOP per output element."""
        return numel(output) if self.bias else 0

    def formula(self) -> Formula:
        """``K·K·C_in·(C_out/g) + C_out``."""
        from paramcalc.formula import Formula, num, product, quotient, total

        kernel = [
            num(k, symbol)
            for k, symbol in zip(self._t("kernel_size"), _KERNEL_SYMBOLS[self.dims], strict=True)
        ]
        fan_out: Expr = num(self.out_channels, "C_out")
        if self.groups > 1:
            fan_out = quotient(fan_out, num(self.groups, "g"))
        weights = product(*kernel, num(self.in_channels, "C_in"), fan_out)
        if self.bias:
            return Formula(total(weights, num(self.out_channels, "C_out")))
        return Formula(weights)


class ConvTranspose1d(_ConvTransposeNd):
    """1-d transposed convolution over ``(C_in, L)``; mirrors ``torch.nn.ConvTranspose1d``.

    Output length ``(L − 1)·s − 2·p + d·(k − 1) + output_padding + 1``.

    Parameters
    ----------
        weight: ``(in_channels, out_channels / groups, kernel_size)``
        bias:   ``(out_channels,)`` if ``bias``

    >>> ConvTranspose1d(16, 33, 3, stride=2).output_shape((16, 50))
    (33, 101)

    """

    dims: ClassVar[int] = 1


class ConvTranspose2d(_ConvTransposeNd):
    """2-d transposed convolution over ``(C_in, H, W)``; mirrors ``torch.nn.ConvTranspose2d``.

    Parameters
    ----------
        weight: ``(in_channels, out_channels / groups, kH, kW)``
        bias:   ``(out_channels,)`` if ``bias``

    >>> up = ConvTranspose2d(16, 33, (3, 5), stride=2, padding=(4, 2))
    >>> up.output_shape((16, 50, 100)), up.params()
    ((33, 93, 199), 7953)
    >>> str(up.explain())
    '3·5·16·33 + 33 = 7,953'

    """

    dims: ClassVar[int] = 2


class ConvTranspose3d(_ConvTransposeNd):
    """3-d transposed convolution over ``(C_in, D, H, W)``; mirrors ``torch.nn.ConvTranspose3d``.

    Parameters
    ----------
        weight: ``(in_channels, out_channels / groups, kD, kH, kW)``
        bias:   ``(out_channels,)`` if ``bias``

    >>> ConvTranspose3d(16, 33, 3, stride=2).output_shape((16, 10, 50, 100))
    (33, 21, 101, 201)

    """

    dims: ClassVar[int] = 3
