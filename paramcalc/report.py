"""The breakdown of a network: rows of numbers and the totals, no strings built.

>>> from paramcalc import Linear, ReLU, Sequential
>>> report = Sequential(Linear(400, 120), ReLU(), Linear(120, 84)).report((400,))
>>> [(row.path, row.params, row.output_shape) for row in report.rows]
[('0', 48120, (120,)), ('1', 0, (120,)), ('2', 10164, (84,))]
>>> report.params, report.trainable, report.non_trainable, report.macs
(58284, 58284, 0, 58080)
>>> report.param_bytes, report.activation_bytes, report.elementwise  # fp32 by default
(233136, 816, 324)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from paramcalc import _check
from paramcalc.footprint import (
    Memory,
    buffer_bytes,
    estimate,
    normalize_dtype,
    parameter_bytes,
    tensor_bytes as _tensor_bytes,
)
from paramcalc.formula import Formula
from paramcalc.graph import check_ties
from paramcalc.seam import upward
from paramcalc.serial import layer_spec
from paramcalc.shapes import Shape, as_shape, numel
from paramcalc.walk import Step, Walk

if TYPE_CHECKING:
    from paramcalc.layer import Layer

__all__ = ["KerasCounts", "Report", "Row", "build_report"]

SCHEMA = 1


class KerasCounts(NamedTuple):
    """Parameter counts in Keras's view: BatchNorm moving statistics are non-trainable weights."""

    total: int
    trainable: int
    non_trainable: int


class Row(NamedTuple):
    """One layer (or one container, as a subtotal) of a :class:`Report`.

    ``params``/``trainable``/``buffers`` count what this row adds to the totals:
    zero on the second use of a shared layer (``shared_with`` names the first).
    A container's row (``leaf`` False) sums its subtree.

    ``elementwise`` is the element-wise FLOPs (bias adds, activations, pooling:
    see ``docs/flops.md``) and, like ``macs``, covers the whole batch.
    ``param_bytes``/``buffer_bytes`` are the storage of this row's tensors in
    the report's dtype (zero on a shared layer's second use);
    ``activation_bytes`` is its output for the whole batch in that dtype.
    """

    path: str
    kind: str
    depth: int
    params: int
    trainable: int
    buffers: int
    output_shape: Shape | None
    macs: int | None
    shared_with: str | None
    leaf: bool
    layer: Layer
    elementwise: int | None = None
    param_bytes: int = 0
    buffer_bytes: int = 0
    activation_bytes: int | None = None
    repeat: int = 1
    """How many identical consecutive copies of a repeated block this row stands for
    (``Repeat``: every copy after the first that maps its input shape to
    itself); its counts, MACs and bytes are their sum."""
    copies: int = 1
    """How many instances the row's figures cover: its ``repeat`` times its ancestors'."""

    @property
    def name(self) -> str:
        """The last part of the path (``"0"`` in ``"features.0"``)."""
        return self.path.rpartition(".")[2]

    @property
    def formula(self) -> Formula:
        """The working of this layer's parameter count."""
        return self.layer.explain()

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data (the row objects of ``"schema": 1``)."""
        return {
            "path": self.path,
            "kind": self.kind,
            "depth": self.depth,
            "leaf": self.leaf,
            "params": self.params,
            "trainable": self.trainable,
            "buffers": self.buffers,
            "output_shape": None if self.output_shape is None else list(self.output_shape),
            "macs": self.macs,
            "elementwise": self.elementwise,
            "param_bytes": self.param_bytes,
            "buffer_bytes": self.buffer_bytes,
            "activation_bytes": self.activation_bytes,
            "shared_with": self.shared_with,
            "repeat": self.repeat,
            "formula": str(self.formula),
            "spec": layer_spec(self.layer),
        }


NOTEBOOK_ROWS = 40
"""The most rows a notebook shows unfolded; a bigger network is folded by depth."""


@dataclass(frozen=True)
class Report:
    """Rows per layer and the network's totals; ``str()`` renders a text table.

    Totals are computed from the network itself, not from the rows; the rows
    of the leaves always add up to them. ``memory`` holds the byte figures
    (:class:`paramcalc.Memory`, in ``memory.dtype``) including the training
    estimate; :attr:`param_bytes`, :attr:`buffer_bytes` and
    :attr:`activation_bytes` read from it.
    """

    model: str
    rows: tuple[Row, ...]
    params: int
    trainable: int
    buffers: int
    input_shape: Shape | None = None
    output_shape: Shape | None = None
    macs: int | None = None
    batch_size: int = 1
    elementwise: int | None = None
    memory: Memory | None = None

    @property
    def dtype(self) -> str:
        """The dtype of the byte figures (``"fp32"`` unless the report was asked otherwise)."""
        return "fp32" if self.memory is None else self.memory.dtype

    @property
    def param_bytes(self) -> int:
        """Bytes of every parameter in :attr:`dtype`: the sum of the rows' ``param_bytes``."""
        return 0 if self.memory is None else self.memory.parameters

    @property
    def buffer_bytes(self) -> int:
        """Bytes of every buffer: the sum of the rows' ``buffer_bytes``."""
        return 0 if self.memory is None else self.memory.buffers

    @property
    def activation_bytes(self) -> int | None:
        """Activations alive after a training forward (:attr:`Memory.activations`)."""
        return None if self.memory is None else self.memory.activations

    root: Layer | None = field(default=None, repr=False, compare=False)
    """The network the report describes (its spec goes into :meth:`to_dict`)."""

    plans: tuple[Any, ...] = field(default=(), repr=False, compare=False)
    """Planner results shown with the totals (``paramcalc.plan``): each has a ``key``,
    ``to_dict()`` (under ``"plans"`` in :meth:`to_dict`) and ``footer_lines()``; optionally
    ``table()`` (headers and cells Markdown and HTML draw after the totals) and
    ``text_block()`` (what the text renderer prints after them instead of the lines)."""

    def with_plans(self, *plans: Any) -> Report:
        """A copy with planner results added to the footer and the JSON (``"plans"``)."""
        from dataclasses import replace

        return replace(self, plans=self.plans + plans)

    question: str = field(default="summary", repr=False, compare=False)
    """What the report answers: ``"summary"`` (the totals, inference and training
    memory), ``"inference"`` (the CLI's ``--context``: no training line in the footer)."""

    def asking(self, question: str) -> Report:
        """A copy answering ``question`` (``"summary"`` or ``"inference"``).

        >>> from paramcalc import Linear
        >>> Linear(4, 2).report((4,)).asking("inference").question
        'inference'
        """
        from dataclasses import replace

        _check.one_of("report", "question", question, ("summary", "inference"))
        return replace(self, question=question)

    @property
    def active(self) -> int | None:
        """Parameters one token runs through, for a mixture of experts; None for any other network.

        ``root.active_params()``: the routed experts not chosen for a token are
        left out (see ``docs/hf.md``). None when every parameter is active.
        """
        if self.root is None or not self.root.inactive_params():
            return None
        return self.root.active_params()

    @property
    def non_trainable(self) -> int:
        """Frozen parameters (buffers are not parameters: see :attr:`buffers`)."""
        return self.params - self.trainable

    def keras(self) -> KerasCounts:
        """The counts as Keras's ``summary()`` shows them.

        Keras keeps BatchNorm's moving mean and variance as non-trainable
        *weights*; torch keeps them as buffers, outside ``parameters()``. This
        view adds the floating-point buffers to the total and to the
        non-trainable count (integer buffers such as ``num_batches_tracked``
        have no Keras counterpart and stay out).

        >>> from paramcalc import BatchNorm2d, Conv2d, Sequential
        >>> net = Sequential(Conv2d(3, 8, 3, bias=False), BatchNorm2d(8))
        >>> report = net.report()
        >>> report.params, report.trainable, report.buffers
        (232, 232, 17)
        >>> report.keras()
        KerasCounts(total=248, trainable=232, non_trainable=16)
        """
        moving = sum(
            numel(shape)
            for row in self.rows
            if row.leaf and row.shared_with is None
            for name, shape in row.layer.named_buffers()
            if row.layer.buffer_dtype(name) is None
        )
        return KerasCounts(self.params + moving, self.trainable, self.non_trainable + moving)

    @property
    def flops(self) -> int | None:
        """``2 × MACs`` for the whole batch, or None without an input shape."""
        return None if self.macs is None else 2 * self.macs

    @property
    def params_per_use(self) -> int:
        """Parameters counting every use: a shared layer per use, a tied tensor per layer.

        :attr:`params` counts each tensor once (torch's ``parameters()``);
        this is what adding up the layers one by one gives.

        >>> from paramcalc import Linear, Sequential
        >>> fc = Linear(4, 4)
        >>> report = Sequential(fc, fc).report()
        >>> report.params, report.params_per_use, report.rows[1].shared_with
        (20, 40, '0')
        """
        return sum(row.copies * row.layer.params_per_use() for row in self.rows if row.leaf)

    def leaves(self) -> tuple[Row, ...]:
        """The rows of leaf layers (no container subtotals)."""
        return tuple(row for row in self.rows if row.leaf)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data with exact integers (``"schema": 1``, docs/report.md)."""
        return {
            "schema": SCHEMA,
            "model": self.model,
            "input_shape": None if self.input_shape is None else list(self.input_shape),
            "output_shape": None if self.output_shape is None else list(self.output_shape),
            "batch_size": self.batch_size,
            "totals": {
                "params": self.params,
                "trainable": self.trainable,
                "non_trainable": self.non_trainable,
                "buffers": self.buffers,
                **({} if self.active is None else {"active": self.active}),
                "macs": self.macs,
                "flops": self.flops,
                "elementwise_flops": self.elementwise,
                "param_bytes": self.param_bytes,
                "buffer_bytes": self.buffer_bytes,
                "activation_bytes": self.activation_bytes,
            },
            "memory": None if self.memory is None else self.memory.to_dict(),
            "spec": None if self.root is None else layer_spec(self.root),
            "rows": [row.to_dict() for row in self.rows],
        } | ({"plans": {plan.key: plan.to_dict() for plan in self.plans}} if self.plans else {})

    def to_json(self, *, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON text, keys in schema order."""
        text: str = upward("render_json")(self, indent=indent)
        return text

    def render(
        self,
        format: str = "text",
        *,
        columns: Iterable[str] | None = None,
        depth: int | None = None,
        include: str | Iterable[str] | None = None,
        exclude: str | Iterable[str] | None = None,
        explain: bool = False,
        ascii: bool = False,
    ) -> str:
        """The report as ``"text"``, ``"markdown"``, ``"html"`` or ``"json"``.

        ``columns`` picks and orders the columns (see
        :data:`paramcalc.render.table.COLUMNS`), ``depth`` folds deeper rows
        into their container's subtotal, ``include``/``exclude`` keep or drop
        rows by glob over their paths; ``explain`` adds the formula column and
        ``ascii`` draws the text table without box-drawing characters. The
        totals never change with these choices.
        """
        text: str = upward("render")(
            self,
            format,
            columns=columns,
            depth=depth,
            include=include,
            exclude=exclude,
            explain=explain,
            ascii=ascii,
        )
        return text

    def __str__(self) -> str:
        return self.render()

    def _repr_html_(self) -> str:
        """Jupyter's view; a big network folded to the depth that fits :data:`NOTEBOOK_ROWS` rows.

        Every row stays one click away, in a ``<details>`` below the folded table.
        """
        if len(self.rows) <= NOTEBOOK_ROWS:
            return self.render("html")
        depth, deepest = 0, max(row.depth for row in self.rows)
        while depth < deepest and sum(row.depth <= depth + 1 for row in self.rows) <= NOTEBOOK_ROWS:
            depth += 1
        return (
            f"{self.render('html', depth=depth)}\n"
            f'<details class="paramcalc-all"><summary>All {len(self.rows):,} rows</summary>\n'
            f"{self.render('html')}\n</details>"
        )

    def _repr_markdown_(self) -> str:
        return self.render("markdown")

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.render())


def build_report(
    layer: Layer,
    input_shape: Shape | Iterable[int] | int | None = None,
    *,
    batch_size: int = 1,
    dtype: object = "float32",
    optimizer: str = "adamw",
    mixed_precision: bool = False,
) -> Report:
    """Walk ``layer`` once and collect its rows and totals (see :meth:`Layer.report`)."""
    _check.positive("report", "batch_size", batch_size)
    check_ties(layer)
    shape = None if input_shape is None else as_shape(input_shape)
    name = normalize_dtype(dtype)
    walk = Walk(record=True)
    out = walk.visit("", layer, shape)
    rows = _with_bytes(walk.rows, batch_size, name)
    memory = estimate(
        layer,
        shape,
        batch_size=batch_size,
        dtype=name,
        optimizer=optimizer,
        mixed_precision=mixed_precision,
    )
    counts = layer._counts
    return Report(
        model=type(layer).__name__,
        rows=rows,
        params=counts.params,
        trainable=counts.trainable,
        buffers=counts.buffers,
        input_shape=shape,
        output_shape=out,
        macs=None if shape is None else walk.macs * batch_size,
        batch_size=batch_size,
        elementwise=None if shape is None else walk.elementwise * batch_size,
        memory=memory,
        root=layer,
    )


def _with_bytes(steps: list[Step], batch_size: int, dtype: str) -> tuple[Row, ...]:
    """Turn the walk's steps into rows: scale the compute by the batch, add the bytes.

    A leaf's bytes are its own tensors' (none on a shared layer's second use)
    and its output's; a container's are the sums over the leaves of its subtree.
    """
    done: list[Row] = []
    for step in steps:
        macs = None if step.macs is None else step.macs * batch_size
        elementwise = None if step.elementwise is None else step.elementwise * batch_size
        row = Row(*step[:7], macs, *step[8:11], elementwise, repeat=step.repeat, copies=step.copies)
        if step.leaf:
            first = step.shared_with is None
            activation = None
            copies = step.copies
            if step.output_shape is not None:
                activation = copies * _tensor_bytes(numel(step.output_shape) * batch_size, dtype)
            row = row._replace(
                param_bytes=copies * parameter_bytes(step.layer, dtype) if first else 0,
                buffer_bytes=copies * buffer_bytes(step.layer, dtype) if first else 0,
                activation_bytes=activation,
            )
        done.append(row)
    for index, row in enumerate(done):
        if not row.leaf:
            leaves = [below for below in _subtree(done, index) if below.leaf]
            done[index] = row._replace(
                param_bytes=sum(leaf.param_bytes for leaf in leaves),
                buffer_bytes=sum(leaf.buffer_bytes for leaf in leaves),
                activation_bytes=None
                if row.output_shape is None
                else sum(leaf.activation_bytes or 0 for leaf in leaves),
            )
    return tuple(done)


def _subtree(rows: list[Row], index: int) -> list[Row]:
    """The rows below ``rows[index]``: those after it that are deeper."""
    depth = rows[index].depth
    below = []
    for row in rows[index + 1 :]:
        if row.depth <= depth:
            break
        below.append(row)
    return below
