"""The breakdown of a network: rows of numbers and the totals, no strings built.

>>> from paramcalc import Linear, ReLU, Sequential
>>> report = Sequential(Linear(400, 120), ReLU(), Linear(120, 84)).report((400,))
>>> [(row.path, row.params, row.output_shape) for row in report.rows]
[('0', 48120, (120,)), ('1', 0, (120,)), ('2', 10164, (84,))]
>>> report.params, report.trainable, report.non_trainable, report.macs
(58284, 58284, 0, 58080)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from paramcalc import _check
from paramcalc.formula import Formula
from paramcalc.layer import Walk
from paramcalc.shapes import Shape, as_shape

if TYPE_CHECKING:
    from paramcalc.layer import Layer

__all__ = ["Report", "Row", "build_report"]

SCHEMA = 1


class Row(NamedTuple):
    """One layer (or one container, as a subtotal) of a :class:`Report`.

    ``params``/``trainable``/``buffers`` count what this row adds to the totals:
    zero on the second use of a shared layer (``shared_with`` names the first).
    A container's row (``leaf`` False) sums its subtree.
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
        from paramcalc.serial import layer_spec

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
            "shared_with": self.shared_with,
            "formula": str(self.formula),
            "spec": layer_spec(self.layer),
        }


@dataclass(frozen=True)
class Report:
    """Rows per layer and the network's totals; ``str()`` renders a text table.

    Totals are computed from the network itself, not from the rows; the rows
    of the leaves always add up to them.
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
    root: Layer | None = field(default=None, repr=False, compare=False)
    """The network the report describes (its spec goes into :meth:`to_dict`)."""

    @property
    def non_trainable(self) -> int:
        """Frozen parameters (buffers are not parameters: see :attr:`buffers`)."""
        return self.params - self.trainable

    @property
    def flops(self) -> int | None:
        """``2 × MACs`` for the whole batch, or None without an input shape."""
        return None if self.macs is None else 2 * self.macs

    def leaves(self) -> tuple[Row, ...]:
        """The rows of leaf layers (no container subtotals)."""
        return tuple(row for row in self.rows if row.leaf)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data with exact integers (``"schema": 1``, docs/report.md)."""
        from paramcalc.serial import layer_spec

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
                "macs": self.macs,
                "flops": self.flops,
            },
            "spec": None if self.root is None else layer_spec(self.root),
            "rows": [row.to_dict() for row in self.rows],
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON text, keys in schema order."""
        from paramcalc.render.json import render_json

        return render_json(self, indent=indent)

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
        from paramcalc.render import render

        return render(
            self,
            format,
            columns=columns,
            depth=depth,
            include=include,
            exclude=exclude,
            explain=explain,
            ascii=ascii,
        )

    def __str__(self) -> str:
        return self.render()

    def _repr_html_(self) -> str:
        return self.render("html")

    def _repr_markdown_(self) -> str:
        return self.render("markdown")

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.render())


def build_report(
    layer: Layer,
    input_shape: Shape | Iterable[int] | int | None = None,
    *,
    batch_size: int = 1,
) -> Report:
    """Walk ``layer`` once and collect its rows and totals (see :meth:`Layer.report`)."""
    _check.positive("report", "batch_size", batch_size)
    shape = None if input_shape is None else as_shape(input_shape)
    walk = Walk(record=True)
    out = walk.visit("", layer, shape)
    rows = tuple(walk.rows)
    if shape is not None and batch_size != 1:
        rows = tuple(row._replace(macs=row.macs * batch_size) for row in rows)
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
        root=layer,
    )
