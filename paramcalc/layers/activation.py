"""Activations: no MACs; element-wise ones keep the shape (``GLU`` halves a dim).

Only ``PReLU`` has a parameter. Dims (``Softmax``, ``LogSoftmax``, ``GLU``)
are torch's, counting the batch as dim 0, as in ``Flatten``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from paramcalc import _check
from paramcalc.errors import ConfigError, ShapeError
from paramcalc.layer import Layer
from paramcalc.layers._dims import sample_dim, torch_dim
from paramcalc.lifetime import Keeps
from paramcalc.shapes import Shape, numel


class _Elementwise(Layer):
    """An element-wise activation: 1 FLOP per element (docs/flops.md)."""

    saves: ClassVar[str] = "input"
    """What its backward formula reads (``derivatives.yaml``): ``"input"`` or ``"output"``."""

    def count_elementwise(self, shape: Shape, output: Shape) -> int:
        """One per element (DeepSpeed's and ptflops' activation count)."""
        return numel(output)

    def keeps(self, shape: Shape, output: Shape) -> Keeps:
        """The input (``"input"``) or the output (``"output"``); in place, the input's storage.

        An in-place op whose formula reads its input keeps a copy of it
        (autograd's ``original_self``), unless torch writes an in-place
        formula reading the result (``inplace_saves_output``).
        """
        inplace = bool(getattr(self, "inplace", False))
        out = self.saves == "output" or (inplace and self.inplace_saves_output)
        return Keeps(
            saves_input=not out,
            saves_output=out,
            new_output=not inplace,
            clone_input=inplace and not out,
        )

    inplace_saves_output: ClassVar[bool] = False
    """``relu_``, ``hardtanh_``, ``leaky_relu_``, ``elu_``: formulas of the result."""


@dataclass(frozen=True, repr=False, eq=False)
class _Inplace(_Elementwise):
    """An element-wise activation whose only argument is ``inplace``."""

    inplace: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        _check.boolean(type(self).__name__, "inplace", self.inplace)


class ReLU(_Inplace):
    """``max(0, x)``; mirrors ``torch.nn.ReLU``.

    >>> ReLU(inplace=True).params(), ReLU().output_shape((6, 28, 28))
    (0, (6, 28, 28))
    """

    saves = "output"
    inplace_saves_output = True


class ReLU6(_Inplace):
    """``min(max(0, x), 6)``; mirrors ``torch.nn.ReLU6``.

    >>> ReLU6().output_shape((32, 112, 112))
    (32, 112, 112)
    """


class SELU(_Inplace):
    """Scaled ELU; mirrors ``torch.nn.SELU``.

    >>> SELU().output_shape((10,))
    (10,)
    """

    inplace_saves_output = True


class SiLU(_Inplace):
    """``x·σ(x)`` (swish); mirrors ``torch.nn.SiLU``.

    >>> SiLU().output_shape((10,))
    (10,)
    """


class Mish(_Inplace):
    """``x·tanh(softplus(x))``; mirrors ``torch.nn.Mish``.

    >>> Mish().output_shape((10,))
    (10,)
    """


class Hardswish(_Inplace):
    """``x·relu6(x + 3)/6``; mirrors ``torch.nn.Hardswish``.

    >>> Hardswish().output_shape((16, 7, 7))
    (16, 7, 7)
    """


class Hardsigmoid(_Inplace):
    """``relu6(x + 3)/6``; mirrors ``torch.nn.Hardsigmoid``.

    >>> Hardsigmoid().output_shape((16, 1, 1))
    (16, 1, 1)
    """


class Sigmoid(_Elementwise):
    """``1/(1 + e^−x)``; mirrors ``torch.nn.Sigmoid``.

    >>> Sigmoid().output_shape((10,))
    (10,)
    """

    saves = "output"


class Tanh(_Elementwise):
    """``tanh(x)``; mirrors ``torch.nn.Tanh``.

    >>> Tanh().output_shape((10,))
    (10,)
    """

    saves = "output"


class LogSigmoid(_Elementwise):
    """``log(1/(1 + e^−x))``; mirrors ``torch.nn.LogSigmoid``.

    >>> LogSigmoid().output_shape((10,))
    (10,)
    """


class Softsign(_Elementwise):
    """``x/(1 + |x|)``; mirrors ``torch.nn.Softsign``.

    >>> Softsign().output_shape((10,))
    (10,)
    """


class Tanhshrink(_Elementwise):
    """``x − tanh(x)``; mirrors ``torch.nn.Tanhshrink``.

    >>> Tanhshrink().output_shape((10,))
    (10,)
    """


@dataclass(frozen=True, repr=False, eq=False)
class Hardshrink(_Elementwise):
    """``x`` where ``|x| > lambd``, else 0; mirrors ``torch.nn.Hardshrink``.

    >>> Hardshrink(0.5).output_shape((10,))
    (10,)
    """

    lambd: float = 0.5

    def __post_init__(self) -> None:
        super().__post_init__()
        _check.real("Hardshrink", "lambd", self.lambd)


_FLOAT32_MAX = 3.4028234663852886e38


@dataclass(frozen=True, repr=False, eq=False)
class Softshrink(_Elementwise):
    """``x ∓ lambd`` where ``|x| > lambd``, else 0; mirrors ``torch.nn.Softshrink``.

    torch wants ``lambd`` in ``[0, float32 max]``:

    >>> Softshrink(-1.0)
    Traceback (most recent call last):
    ...
    paramcalc.errors.ConfigError: Softshrink: `lambd` must be in [0, 3.4028234663852886e+38]. ...
    """

    lambd: float = 0.5

    def __post_init__(self) -> None:
        super().__post_init__()
        _check.real("Softshrink", "lambd", self.lambd)
        if not 0 <= self.lambd <= _FLOAT32_MAX:
            raise ConfigError(
                f"Softshrink: `lambd` must be in [0, {_FLOAT32_MAX!r}]. "
                f"Received: lambd={self.lambd!r}."
            )


@dataclass(frozen=True, repr=False, eq=False)
class RReLU(_Elementwise):
    """Leaky ReLU with a random slope in ``[lower, upper]``; mirrors ``torch.nn.RReLU``.

    >>> RReLU().output_shape((10,))
    (10,)
    >>> RReLU(0.5, 0.1)
    Traceback (most recent call last):
    ...
    paramcalc.errors.ConfigError: RReLU: `lower` must be at most `upper`. ...
    """

    lower: float = 1.0 / 8
    upper: float = 1.0 / 3
    inplace: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        _check.real("RReLU", "lower", self.lower)
        _check.real("RReLU", "upper", self.upper)
        _check.boolean("RReLU", "inplace", self.inplace)
        if self.lower > self.upper:
            raise ConfigError(
                "RReLU: `lower` must be at most `upper`. "
                f"Received: lower={self.lower!r}, upper={self.upper!r}."
            )


@dataclass(frozen=True, repr=False, eq=False)
class LeakyReLU(_Elementwise):
    """``max(0, x) + negative_slope·min(0, x)``; mirrors ``torch.nn.LeakyReLU``.

    >>> LeakyReLU(0.2).output_shape((64, 16, 16))
    (64, 16, 16)
    """

    inplace_saves_output = True

    negative_slope: float = 1e-2
    inplace: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        _check.real("LeakyReLU", "negative_slope", self.negative_slope)
        _check.boolean("LeakyReLU", "inplace", self.inplace)


@dataclass(frozen=True, repr=False, eq=False)
class ELU(_Elementwise):
    """``x`` if ``x > 0`` else ``alpha·(eˣ − 1)``; mirrors ``torch.nn.ELU``.

    >>> ELU(alpha=0.5).output_shape((10,))
    (10,)
    """

    inplace_saves_output = True

    alpha: float = 1.0
    inplace: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        _check.real(type(self).__name__, "alpha", self.alpha)
        _check.boolean(type(self).__name__, "inplace", self.inplace)


class CELU(ELU):
    """``max(0, x) + min(0, alpha·(e^(x/alpha) − 1))``; mirrors ``torch.nn.CELU``.

    torch divides by ``alpha`` in every forward, so ``alpha=0`` is rejected:

    >>> CELU(0.0)
    Traceback (most recent call last):
    ...
    paramcalc.errors.ConfigError: CELU: `alpha` must not be 0 (torch divides by it). Received: ...
    """

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.alpha == 0:
            raise ConfigError(
                "CELU: `alpha` must not be 0 (torch divides by it). "
                f"Received: alpha={self.alpha!r}."
            )


@dataclass(frozen=True, repr=False, eq=False)
class GELU(_Elementwise):
    """``x·Φ(x)``, exact or with the tanh approximation; mirrors ``torch.nn.GELU``.

    >>> GELU(approximate="tanh").output_shape((197, 768))
    (197, 768)
    """

    approximate: str = "none"

    def __post_init__(self) -> None:
        super().__post_init__()
        _check.one_of("GELU", "approximate", self.approximate, ("none", "tanh"))


@dataclass(frozen=True, repr=False, eq=False)
class Hardtanh(_Elementwise):
    """``x`` clipped to ``[min_val, max_val]``; mirrors ``torch.nn.Hardtanh``.

    ``min_value``/``max_value`` are torch's deprecated spellings of
    ``min_val``/``max_val``; given, they replace them (and read back as None).

    >>> Hardtanh(-2.0, 2.0).output_shape((10,))
    (10,)
    >>> Hardtanh(1.0, 1.0)
    Traceback (most recent call last):
    ...
    paramcalc.errors.ConfigError: Hardtanh: `max_val` must be greater than `min_val`. ...
    """

    min_val: float = -1.0
    max_val: float = 1.0
    inplace: bool = False
    min_value: float | None = None
    max_value: float | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        for old, new in (("min_value", "min_val"), ("max_value", "max_val")):
            value = getattr(self, old)
            if value is not None:
                object.__setattr__(self, new, _check.real("Hardtanh", old, value))
                object.__setattr__(self, old, None)
        _check.real("Hardtanh", "min_val", self.min_val)
        _check.real("Hardtanh", "max_val", self.max_val)
        _check.boolean("Hardtanh", "inplace", self.inplace)
        if not self.max_val > self.min_val:
            raise ConfigError(
                "Hardtanh: `max_val` must be greater than `min_val`. "
                f"Received: min_val={self.min_val!r}, max_val={self.max_val!r}."
            )


@dataclass(frozen=True, repr=False, eq=False)
class Softplus(_Elementwise):
    """``log(1 + e^(beta·x))/beta``; mirrors ``torch.nn.Softplus``.

    >>> Softplus(beta=2.0).output_shape((10,))
    (10,)
    """

    beta: float = 1.0
    threshold: float = 20.0

    def __post_init__(self) -> None:
        super().__post_init__()
        _check.real("Softplus", "beta", self.beta)
        _check.real("Softplus", "threshold", self.threshold)


@dataclass(frozen=True, repr=False, eq=False)
class Threshold(_Elementwise):
    """``x`` if ``x > threshold`` else ``value``; mirrors ``torch.nn.Threshold``.

    >>> Threshold(0.1, 20.0).output_shape((10,))
    (10,)
    """

    threshold: float
    value: float
    inplace: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        _check.real("Threshold", "threshold", self.threshold)
        _check.real("Threshold", "value", self.value)
        _check.boolean("Threshold", "inplace", self.inplace)


@dataclass(frozen=True, repr=False, eq=False)
class PReLU(_Elementwise):
    """Leaky ReLU with a learned slope per channel; mirrors ``torch.nn.PReLU``.

    Parameters
    ----------
        weight: ``(num_parameters,)``

    ``num_parameters`` is 1 or the channel count: per-sample dim 0 (torch's
    dim 1) when the per-sample input has rank 1 or more.

    >>> PReLU(64).params(), PReLU(64).output_shape((64, 8, 8))
    (64, (64, 8, 8))
    >>> PReLU(3).output_shape((4, 8))
    Traceback (most recent call last):
    ...
    paramcalc.errors.ShapeError: PReLU has 3 parameters, one per channel, but receives 4 channels

    """

    num_parameters: int = 1
    init: float = 0.25

    def __post_init__(self) -> None:
        super().__post_init__()
        _check.positive("PReLU", "num_parameters", self.num_parameters)
        _check.real("PReLU", "init", self.init)

    def parameter_shapes(self) -> tuple[tuple[str, Shape], ...]:
        return (("weight", (self.num_parameters,)),)

    def infer_shape(self, shape: Shape) -> Shape:
        if self.num_parameters == 1:
            return shape
        if not shape:
            raise ShapeError(
                f"has {self.num_parameters} parameters, one per channel, but receives a "
                "per-sample scalar, whose channel dimension is the batch"
            )
        if shape[0] != self.num_parameters:
            raise ShapeError(
                f"has {self.num_parameters} parameters, one per channel, but receives "
                f"{shape[0]} channels"
            )
        return shape


@dataclass(frozen=True, repr=False, eq=False)
class _SoftmaxBase(Layer):
    """``Softmax``/``LogSoftmax``: normalize along torch's ``dim``.

    ``dim`` must lie in ``[-R, R)`` for torch's rank ``R = len(shape) + 1``.
    ``dim=0`` (or a negative dim that lands on it) is accepted as torch does:
    the shape is unchanged, though it normalizes across the batch.
    ``dim=None`` is torch's deprecated implicit choice (dim 0 for torch ranks
    0, 1 and 3, else dim 1 — so the batch for a per-sample ``(L, E)``); it
    never changes the shape, so any input fits.
    """

    dim: int | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.dim is not None:
            _check.integer(type(self).__name__, "dim", self.dim)

    def infer_shape(self, shape: Shape) -> Shape:
        if self.dim is not None:
            torch_dim(self.dim, shape)
        return shape

    def keeps(self, shape: Shape, output: Shape) -> Keeps:
        """Its output (``_softmax_backward_data(grad, result)``), in fp32 under autocast."""
        return Keeps(saves_input=False, saves_output=True, autocast="fp32")

    def count_elementwise(self, shape: Shape, output: Shape) -> int:
        """5 per element: max, subtract, exp, sum, divide (log-softmax: subtract)."""
        return 5 * numel(output)


class Softmax(_SoftmaxBase):
    """``exp(xᵢ)/Σⱼ exp(xⱼ)`` along torch's ``dim`` (batch = 0); mirrors ``torch.nn.Softmax``.

    >>> Softmax(dim=-1).output_shape((8, 197, 197))
    (8, 197, 197)
    >>> Softmax(dim=3).output_shape((10, 10))
    Traceback (most recent call last):
    ...
    paramcalc.errors.ShapeError: Softmax has dim=3, out of range [-3, 2] for a per-sample input ...
    """


class LogSoftmax(_SoftmaxBase):
    """``log(softmax(x))`` along torch's ``dim``; mirrors ``torch.nn.LogSoftmax``.

    >>> LogSoftmax(dim=1).output_shape((10,))
    (10,)
    """


class Softmin(_SoftmaxBase):
    """``softmax(−x)`` along torch's ``dim``; mirrors ``torch.nn.Softmin``.

    >>> Softmin(dim=1).output_shape((10,))
    (10,)
    """

    def count_elementwise(self, shape: Shape, output: Shape) -> int:
        """6 per element: the negation, then softmax's 5."""
        return 6 * numel(output)


class Softmax2d(Layer):
    """Softmax over the channels of ``(C, H, W)``; mirrors ``torch.nn.Softmax2d``.

    torch wants a 3-d or 4-d tensor; on a batch of one ``(H, W)`` is its
    unbatched form (the batch then plays the channels: the shape is kept).

    >>> Softmax2d().output_shape((3, 8, 8))
    (3, 8, 8)
    """

    def infer_shape(self, shape: Shape) -> Shape:
        if len(shape) not in (2, 3):
            raise ShapeError(
                f"expects a per-sample input of rank 3 (C, H, W) or 2 (H, W) but receives "
                f"rank {len(shape)}: {shape}"
            )
        return shape

    def count_elementwise(self, shape: Shape, output: Shape) -> int:
        """5 per element, as softmax."""
        return 5 * numel(output)


@dataclass(frozen=True, repr=False, eq=False)
class GLU(Layer):
    """``a·σ(b)`` for the two halves of torch's ``dim``; mirrors ``torch.nn.GLU``.

    ``dim`` counts the batch as 0 (which per-sample shapes leave out, so
    ``dim=0`` is rejected); the default ``-1`` halves the last dimension:

    >>> GLU().output_shape((10, 8))
    (10, 4)
    >>> GLU().output_shape((10, 7))
    Traceback (most recent call last):
    ...
    paramcalc.errors.ShapeError: GLU halves dim=-1, which must have an even size, but receives 7
    """

    dim: int = -1

    def __post_init__(self) -> None:
        super().__post_init__()
        _check.integer("GLU", "dim", self.dim)
        if self.dim == 0:
            raise ConfigError(
                "GLU: dim 0 is the batch dimension, which per-sample shapes leave out. "
                "Received: dim=0."
            )

    def infer_shape(self, shape: Shape) -> Shape:
        axis = sample_dim(self.dim, shape, "GLU")
        if shape[axis] % 2:
            raise ShapeError(
                f"halves dim={self.dim}, which must have an even size, but receives {shape[axis]}"
            )
        return (*shape[:axis], shape[axis] // 2, *shape[axis + 1 :])

    def count_elementwise(self, shape: Shape, output: Shape) -> int:
        """2 per output element: the sigmoid of one half and the product."""
        return 2 * numel(output)
