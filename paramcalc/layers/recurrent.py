r"""Recurrent layers: ``RNN``, ``LSTM``, ``GRU`` and their cells, as ``torch.nn.modules.rnn``.

Parameter names, shapes and order are those of ``RNNBase.__init__`` and
``RNNCellBase.__init__``: for each layer ``k`` and direction (``""`` or
``"_reverse"``) ``weight_ih_l{k}``, ``weight_hh_l{k}``, then ``bias_ih_l{k}``,
``bias_hh_l{k}`` (if ``bias``) and ``weight_hr_l{k}`` (LSTM with ``proj_size``).

>>> lstm = LSTM(10, 20, num_layers=2)
>>> [name for name, _ in lstm.named_parameters()][:4]
['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0']
>>> lstm.params(), lstm.output_shape((35, 10))
(5920, (35, 20))

**Shapes.** A per-sample input is ``(L, H_in)``: a sequence of ``L`` steps,
torch's ``(L, N, H_in)`` (or ``(N, L, H_in)`` with ``batch_first``) without
the batch. ``batch_first`` only moves torch's batch dimension, so the
per-sample shape is the same either way. A lone vector ``(H_in,)`` is
rejected: it is a cell's input, and torch would read a batch of such vectors
as one unbatched sequence. The output is torch's ``output`` (not ``h_n``):
``(L, D·H_out)`` with ``D = 2`` if ``bidirectional`` and ``H_out =
proj_size`` if it is set, else ``hidden_size``. A cell maps ``(H_in,)`` to
``(H,)`` (``LSTMCell``: the shape of ``h'``; ``c'`` has the same shape).

**MACs** ("recurrent gates" in DESIGN.md), from the equations in torch's
documentation: every gate of every step is one affine map of the input
``x_t`` and one of the previous hidden state ``h_{t−1}``,

    RNN   h_t = tanh(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh)          1 gate
    LSTM  i, f, g, o = σ/tanh(W_i· x_t + b_i· + W_h· h_{t−1} + b_h·)  4 gates
          h_t = W_hr (o ⊙ tanh(c_t))      only with proj_size
    GRU   r, z, n (n = tanh(W_in x_t + b_in + r ⊙ (W_hn h_{t−1} + b_hn)))  3 gates

so one step of one direction of one layer costs ``G·H·(H_in + H_out)``
multiply-accumulates (``H_in`` is that layer's input size: ``input_size``
for layer 0, ``D·H_out`` above it), plus ``P·H`` for the LSTM projection;
a sequence costs ``L`` steps of each direction of each layer. The matrix
products on ``h_0 = 0`` are counted, as torch performs them. Bias adds and
the element-wise gate arithmetic (σ, tanh, ⊙) are not MACs.
``FlopCounterMode`` / 2 on torch's modules agrees: it sees RNN's and GRU's
CPU kernels as ``addmm``/``mm`` calls; LSTM's oneDNN kernel is invisible to
it, and with ``torch.backends.mkldnn.flags(enabled=False)`` it agrees too.

>>> RNN(3, 4).macs((5, 3))  # 5 steps of 4·(3 + 4)
140
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from paramcalc import _check
from paramcalc.errors import ConfigError, ShapeError
from paramcalc.formula import Expr, Formula, num, product, total
from paramcalc.layer import Layer
from paramcalc.shapes import Shape

NONLINEARITIES = ("tanh", "relu")


def _check_dropout(layer: str, dropout: object) -> float:
    """Torch's ``RNNBase`` check: a number (not a bool) in ``[0, 1]``; stored as float."""
    value = _check.real(layer, "dropout", dropout)
    if not 0 <= value <= 1:
        raise ConfigError(
            f"{layer}: `dropout` must be a probability between 0 and 1. "
            f"Received: dropout={dropout!r}."
        )
    return float(value)


STEP_ELEMENTWISE = {"RNN": (4, 2), "LSTM": (21, 13), "GRU": (17, 11)}
"""Element-wise FLOPs per hidden unit per step, (with bias, without): each gate's
``W_i·x + W_h·h`` sum 1, its two biases 2, its activation 1; LSTM adds
``c = f·c + i·g`` (3) and ``h = o·tanh(c)`` (2); GRU's ``n`` gate adds the
product ``r·(W_hn·h + b_hn)`` (1), and ``h = (1 − z)·n + z·h`` costs 4."""


class _Recurrent(Layer):
    """What ``RNN``, ``LSTM`` and ``GRU`` share (torch's ``RNNBase``)."""

    gates: ClassVar[int]

    input_size: int
    hidden_size: int
    num_layers: int
    bias: bool
    batch_first: bool
    dropout: float
    bidirectional: bool

    @property
    def projection(self) -> int:
        """``proj_size`` (LSTM only; 0 means no projection)."""
        return 0

    @property
    def directions(self) -> int:
        """``D``: 2 if ``bidirectional``, else 1."""
        return 2 if self.bidirectional else 1

    @property
    def output_size(self) -> int:
        """``H_out``: ``proj_size`` if set, else ``hidden_size``."""
        return self.projection or self.hidden_size

    def _validate(self) -> None:
        """The checks of ``RNNBase.__init__``, in its order."""
        name = type(self).__name__
        object.__setattr__(self, "dropout", _check_dropout(name, self.dropout))
        _check.boolean(name, "bias", self.bias)
        _check.boolean(name, "batch_first", self.batch_first)
        _check.positive(name, "input_size", self.input_size)
        _check.positive(name, "hidden_size", self.hidden_size)
        _check.layer_count(name, "num_layers", self.num_layers)
        _check.boolean(name, "bidirectional", self.bidirectional)

    def layer_input_size(self, layer: int) -> int:
        """The input size of layer ``layer``: ``input_size``, then ``D·H_out``."""
        return self.input_size if layer == 0 else self.output_size * self.directions

    def parameter_shapes(self) -> tuple[tuple[str, Shape], ...]:
        gate_size = self.gates * self.hidden_size
        shapes: list[tuple[str, Shape]] = []
        for layer in range(self.num_layers):
            for direction in range(self.directions):
                suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                shapes.append((f"weight_ih{suffix}", (gate_size, self.layer_input_size(layer))))
                shapes.append((f"weight_hh{suffix}", (gate_size, self.output_size)))
                if self.bias:
                    shapes.append((f"bias_ih{suffix}", (gate_size,)))
                    shapes.append((f"bias_hh{suffix}", (gate_size,)))
                if self.projection:
                    shapes.append((f"weight_hr{suffix}", (self.projection, self.hidden_size)))
        return tuple(shapes)

    def infer_shape(self, shape: Shape) -> Shape:
        if len(shape) != 2:
            raise ShapeError(
                f"expects a per-sample input (L, H_in), a sequence of L steps, "
                f"but receives shape {shape}"
            )
        if shape[-1] != self.input_size:
            raise ShapeError(
                f"expects {self.input_size} input features but receives {shape[-1]}",
                received=shape[-1],
            )
        return (shape[0], self.directions * self.output_size)

    def formula(self) -> Formula:
        """Per layer: ``D·(G·H·(H_in + H_out + 2) + P·H)`` (``+ 2`` with bias, ``P·H`` with proj).

        >>> str(LSTM(10, 20, 2).explain())
        '4·20·(10 + 20 + 2) + 4·20·(20 + 20 + 2) = 5,920'
        """
        hidden = num(self.hidden_size, "H")
        terms: list[Expr] = []
        for layer in range(self.num_layers):
            out = "H_out" if self.projection else "H"
            # layer 0 reads the input; each later layer reads the D·H_out outputs below it
            below = out if self.directions == 1 else f"D·{out}"
            inputs: list[Expr] = [
                num(self.layer_input_size(layer), "H_in" if layer == 0 else below),
                num(self.output_size, out),
            ]
            if self.bias:
                inputs.append(num(2))
            per_direction = product(num(self.gates), hidden, total(*inputs))
            if self.projection:
                per_direction = total(per_direction, product(num(self.projection, "P"), hidden))
            terms.append(
                product(num(self.directions, "D"), per_direction)
                if self.directions > 1
                else per_direction
            )
        return Formula(total(*terms))

    def step_macs(self) -> int:
        """MACs of one time step over all layers and directions (see the module doc)."""
        per_layer = (
            self.gates * self.hidden_size * (self.layer_input_size(layer) + self.output_size)
            + self.projection * self.hidden_size
            for layer in range(self.num_layers)
        )
        return self.directions * sum(per_layer)

    def count_macs(self, shape: Shape, output: Shape) -> int:
        return shape[0] * self.step_macs()

    def count_elementwise(self, shape: Shape, output: Shape) -> int:
        """Gate sums, biases, activations and state updates: see ``docs/flops.md``.

        >>> LSTM(10, 20).elementwise_flops((5, 10))  # 5 steps · 20 · 21
        2100
        """
        per_unit = STEP_ELEMENTWISE[type(self).__name__.removesuffix("Cell")][not self.bias]
        return shape[0] * self.num_layers * self.directions * self.hidden_size * per_unit


@dataclass(frozen=True, repr=False, eq=False)
class RNN(_Recurrent):
    """An Elman RNN with tanh or ReLU; mirrors ``torch.nn.RNN``.

    Per layer and direction: ``weight_ih_l{k}`` ``(H, H_in)``, ``weight_hh_l{k}``
    ``(H, H)``, ``bias_ih_l{k}`` and ``bias_hh_l{k}`` ``(H,)`` if ``bias``;
    ``_reverse`` for the backward direction. MACs per step: ``H·(H_in + H)``.

    >>> rnn = RNN(10, 20, 2, bidirectional=True)
    >>> rnn.params(), rnn.output_shape((5, 10)), rnn.macs((5, 10))
    (3760, (5, 40), 18000)
    """

    gates: ClassVar[int] = 1

    input_size: int
    hidden_size: int
    num_layers: int = 1
    nonlinearity: str = "tanh"
    bias: bool = True
    batch_first: bool = False
    dropout: float = 0.0
    bidirectional: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        _check.one_of("RNN", "nonlinearity", self.nonlinearity, NONLINEARITIES)
        self._validate()


@dataclass(frozen=True, repr=False, eq=False)
class LSTM(_Recurrent):
    """A long short-term memory RNN; mirrors ``torch.nn.LSTM``.

    Per layer and direction: ``weight_ih_l{k}`` ``(4H, H_in)``, ``weight_hh_l{k}``
    ``(4H, H_out)``, ``bias_ih_l{k}`` and ``bias_hh_l{k}`` ``(4H,)`` if ``bias``,
    ``weight_hr_l{k}`` ``(P, H)`` if ``proj_size`` ``P > 0`` (then ``H_out = P``).
    MACs per step: ``4H·(H_in + H_out) + P·H``.

    >>> lstm = LSTM(10, 20, proj_size=5)
    >>> list(lstm.named_parameters())[-1], lstm.output_shape((7, 10))
    (('weight_hr_l0', (5, 20)), (7, 5))
    >>> lstm.macs((7, 10))  # 7 steps of 80·(10 + 5) + 5·20
    9100
    """

    gates: ClassVar[int] = 4

    input_size: int
    hidden_size: int
    num_layers: int = 1
    bias: bool = True
    batch_first: bool = False
    dropout: float = 0.0
    bidirectional: bool = False
    proj_size: int = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        self._validate()
        _check.non_negative("LSTM", "proj_size", self.proj_size)
        if self.proj_size >= self.hidden_size:
            raise ConfigError(
                "LSTM: `proj_size` must be smaller than `hidden_size`. "
                f"Received: proj_size={self.proj_size}, hidden_size={self.hidden_size}."
            )

    @property
    def projection(self) -> int:
        """``proj_size`` (0 means no projection)."""
        return self.proj_size


@dataclass(frozen=True, repr=False, eq=False)
class GRU(_Recurrent):
    """A gated recurrent unit RNN; mirrors ``torch.nn.GRU``.

    Per layer and direction: ``weight_ih_l{k}`` ``(3H, H_in)``, ``weight_hh_l{k}``
    ``(3H, H)``, ``bias_ih_l{k}`` and ``bias_hh_l{k}`` ``(3H,)`` if ``bias``.
    MACs per step: ``3H·(H_in + H)``.

    >>> gru = GRU(10, 20)
    >>> gru.params(), gru.macs((5, 10))
    (1920, 9000)
    """

    gates: ClassVar[int] = 3

    input_size: int
    hidden_size: int
    num_layers: int = 1
    bias: bool = True
    batch_first: bool = False
    dropout: float = 0.0
    bidirectional: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        self._validate()


class _Cell(Layer):
    """What the cells share (torch's ``RNNCellBase``): one step, no sequence."""

    gates: ClassVar[int]

    input_size: int
    hidden_size: int
    bias: bool

    def _validate(self) -> None:
        name = type(self).__name__
        _check.positive(name, "input_size", self.input_size)
        _check.positive(name, "hidden_size", self.hidden_size)
        _check.boolean(name, "bias", self.bias)

    def parameter_shapes(self) -> tuple[tuple[str, Shape], ...]:
        gate_size = self.gates * self.hidden_size
        shapes: tuple[tuple[str, Shape], ...] = (
            ("weight_ih", (gate_size, self.input_size)),
            ("weight_hh", (gate_size, self.hidden_size)),
        )
        if self.bias:
            shapes += (("bias_ih", (gate_size,)), ("bias_hh", (gate_size,)))
        return shapes

    def infer_shape(self, shape: Shape) -> Shape:
        if len(shape) != 1:
            raise ShapeError(f"expects a per-sample input (H_in,) but receives shape {shape}")
        if shape[0] != self.input_size:
            raise ShapeError(
                f"expects {self.input_size} input features but receives {shape[0]}",
                received=shape[0],
            )
        return (self.hidden_size,)

    def count_macs(self, shape: Shape, output: Shape) -> int:
        return self.gates * self.hidden_size * (self.input_size + self.hidden_size)

    def count_elementwise(self, shape: Shape, output: Shape) -> int:
        """One step of its recurrent layer's element-wise work (``docs/flops.md``).

        >>> GRUCell(10, 20, bias=False).elementwise_flops((10,))  # 20 · 11
        220
        """
        per_unit = STEP_ELEMENTWISE[type(self).__name__.removesuffix("Cell")][not self.bias]
        return self.hidden_size * per_unit

    def formula(self) -> Formula:
        """``G·H·(H_in + H + 2)``, without ``+ 2`` if not ``bias``.

        >>> str(GRUCell(10, 20).explain())
        '3·20·(10 + 20 + 2) = 1,920'
        """
        hidden = num(self.hidden_size, "H")
        inputs: list[Expr] = [num(self.input_size, "H_in"), hidden]
        if self.bias:
            inputs.append(num(2))
        return Formula(product(num(self.gates), hidden, total(*inputs)))


@dataclass(frozen=True, repr=False, eq=False)
class RNNCell(_Cell):
    """One step of an Elman RNN; mirrors ``torch.nn.RNNCell``.

    ``weight_ih`` ``(H, H_in)``, ``weight_hh`` ``(H, H)``, ``bias_ih`` and
    ``bias_hh`` ``(H,)`` if ``bias``. MACs: ``H·(H_in + H)``.

    >>> cell = RNNCell(10, 20)
    >>> cell.params(), cell.output_shape((10,)), cell.macs((10,))
    (640, (20,), 600)
    """

    gates: ClassVar[int] = 1

    input_size: int
    hidden_size: int
    bias: bool = True
    nonlinearity: str = "tanh"

    def __post_init__(self) -> None:
        super().__post_init__()
        self._validate()
        _check.one_of("RNNCell", "nonlinearity", self.nonlinearity, NONLINEARITIES)


@dataclass(frozen=True, repr=False, eq=False)
class LSTMCell(_Cell):
    """One step of an LSTM; mirrors ``torch.nn.LSTMCell``.

    ``weight_ih`` ``(4H, H_in)``, ``weight_hh`` ``(4H, H)``, ``bias_ih`` and
    ``bias_hh`` ``(4H,)`` if ``bias``. MACs: ``4H·(H_in + H)``. The output
    shape is that of ``h'`` (``c'`` has the same).

    >>> LSTMCell(10, 20).params()
    2560
    """

    gates: ClassVar[int] = 4

    input_size: int
    hidden_size: int
    bias: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        self._validate()


@dataclass(frozen=True, repr=False, eq=False)
class GRUCell(_Cell):
    """One step of a GRU; mirrors ``torch.nn.GRUCell``.

    ``weight_ih`` ``(3H, H_in)``, ``weight_hh`` ``(3H, H)``, ``bias_ih`` and
    ``bias_hh`` ``(3H,)`` if ``bias``. MACs: ``3H·(H_in + H)``.

    >>> GRUCell(10, 20).macs((10,))
    1800
    """

    gates: ClassVar[int] = 3

    input_size: int
    hidden_size: int
    bias: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        self._validate()
