"""What every renderer shows: the chosen columns, the chosen rows, the totals.

A :class:`Table` is the renderer-neutral middle step: plain-text cells, the
tree position of each row and its share of the parameters. Text, Markdown and
HTML draw the same table, so they always agree.

>>> from paramcalc import Linear, ReLU, Sequential
>>> net = Sequential(Sequential(Linear(4, 4), ReLU()), Linear(4, 2))
>>> table = build_table(net.report(), depth=0)
>>> table.headers
('Layer', 'Type', 'Params', 'Share')
>>> [line.cells for line in table.lines]
[['0', 'Sequential', '20', '66.7%'], ['1', 'Linear', '10', '33.3%']]
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from paramcalc._check import shown
from paramcalc.errors import ConfigError
from paramcalc.report import Report, Row
from paramcalc.units import count, iec_bytes, short, visible

__all__ = ["COLUMNS", "Column", "Line", "Table", "build_table", "footer", "shape_text"]


def shape_text(shape: tuple[int, ...] | None) -> str:
    """``(6, 28, 28)``; ``(120,)``; empty without a shape."""
    if shape is None:
        return ""
    return "(" + ", ".join(str(size) for size in shape) + ("," if len(shape) == 1 else "") + ")"


def _name(row: Row, report: Report) -> str:
    """The row's name; a group of repeated copies as ``1–11 ×11``."""
    name = visible(row.name or row.kind)
    if row.repeat > 1:
        head = name.rstrip("0123456789")
        if head != name:
            name = f"{name}–{head}{int(name[len(head) :]) + row.repeat - 1}"
        name += f" ×{row.repeat:,}"
    return name


def _kind(row: Row, report: Report) -> str:
    if row.shared_with is None:
        return visible(row.kind)
    return visible(f"{row.kind} (shared with {row.shared_with})")


def _share(row: Row, report: Report) -> str:
    if row.shared_with is not None or not report.params:
        return ""
    percent = 100 * row.params / report.params
    return "<0.1%" if 0 < percent < 0.05 else f"{percent:.1f}%"


def _formula(row: Row, report: Report) -> str:
    if not row.leaf or row.shared_with is not None or not row.params:
        return ""
    return str(row.formula)


def _optional_int(value: object, unit: Callable[[int], str] = count) -> str:
    return unit(value) if isinstance(value, int) and not isinstance(value, bool) else ""


@dataclass(frozen=True)
class Column:
    """A column: its key, header, alignment, how to write a cell, when it applies."""

    key: str
    header: str
    numeric: bool
    cell: Callable[[Row, Report], str]
    applies: Callable[[Report], bool]


def _always(report: Report) -> bool:
    return True


def _has_shapes(report: Report) -> bool:
    return report.input_shape is not None


def _memory(row: Row, report: Report) -> str:
    """Bytes of the row's parameters and buffers in the report's dtype."""
    return iec_bytes(row.param_bytes + row.buffer_bytes)


COLUMNS: dict[str, Column] = {
    column.key: column
    for column in (
        Column("name", "Layer", False, _name, _always),
        Column("kind", "Type", False, _kind, _always),
        Column(
            "shape",
            "Output shape",
            False,
            lambda row, report: shape_text(row.output_shape),
            _has_shapes,
        ),
        Column("params", "Params", True, lambda row, report: count(row.params), _always),
        Column("share", "Share", True, _share, _always),
        Column(
            "trainable",
            "Trainable",
            True,
            lambda row, report: "" if row.shared_with else count(row.trainable),
            _always,
        ),
        Column("buffers", "Buffers", True, lambda row, report: count(row.buffers), _always),
        Column("macs", "MACs", True, lambda row, report: _optional_int(row.macs), _has_shapes),
        Column("memory", "Memory", True, _memory, _always),
        Column("formula", "Formula", False, _formula, _always),
    )
}
"""Every column by key. ``memory`` is the bytes of a row's parameters and buffers
in the report's dtype (IEC units); it is shown when asked for."""


def default_columns(report: Report, explain: bool = False) -> tuple[str, ...]:
    """Layer, type, output shape and MACs (with an input shape), params, share.

    ``trainable`` joins when some parameters are frozen, ``buffers`` when the
    network has any, ``formula`` with ``explain``.
    """
    keys = ["name", "kind", "shape", "params", "share"]
    if report.non_trainable:
        keys.append("trainable")
    if report.buffers:
        keys.append("buffers")
    keys += ["macs"]
    if explain:
        keys.append("formula")
    return tuple(key for key in keys if COLUMNS[key].applies(report))


@dataclass(frozen=True)
class Line:
    """One shown row: its cells, its tree position and its share of the parameters.

    ``branches`` holds, for each ancestor level below the top, whether that
    ancestor has a later sibling (draw ``│``) — then whether this row does.
    """

    row: Row
    cells: list[str]
    depth: int
    branches: tuple[bool, ...]
    share: float | None


@dataclass(frozen=True)
class Table:
    """Headers, column keys and alignment, and the shown lines."""

    keys: tuple[str, ...]
    headers: tuple[str, ...]
    numeric: tuple[bool, ...]
    lines: list[Line]


def _patterns(value: str | Iterable[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _matches(path: str, patterns: tuple[str, ...]) -> bool:
    """``path`` or one of its ancestors matches a glob."""
    parts = path.split(".")
    return any(
        fnmatch.fnmatchcase(".".join(parts[:end]), pattern)
        for end in range(1, len(parts) + 1)
        for pattern in patterns
    )


def select_rows(
    report: Report,
    *,
    depth: int | None = None,
    include: str | Iterable[str] | None = None,
    exclude: str | Iterable[str] | None = None,
) -> list[Row]:
    """The rows to show.

    ``depth`` keeps rows of that nesting depth or less (0: top-level layers
    only; a folded container shows its subtree's totals). ``include`` keeps
    rows whose path, or an ancestor's, matches a glob — and their ancestors,
    for context; ``exclude`` drops matching rows and their subtrees.
    """
    if depth is not None and (isinstance(depth, bool) or not isinstance(depth, int) or depth < 0):
        raise ConfigError(f"render: `depth` must be an int >= 0. Received: depth={shown(depth)}.")
    keep = _patterns(include)
    drop = _patterns(exclude)
    rows = [
        row
        for row in report.rows
        if (depth is None or row.depth <= depth) and not (drop and _matches(row.path, drop))
    ]
    if keep:
        wanted = {row.path for row in rows if _matches(row.path, keep)}
        ancestors: set[str] = set()
        for path in wanted:
            parts = path.split(".")
            ancestors.update(".".join(parts[:end]) for end in range(1, len(parts)))
        rows = [row for row in rows if row.path in wanted or row.path in ancestors]
    return rows


def _branches(rows: list[Row]) -> list[tuple[bool, ...]]:
    """For each row: does each ancestor level (below the top) and the row continue?"""
    later: list[bool] = []  # later[d]: a later row at depth d before a shallower one
    continues: list[bool] = [False] * len(rows)
    for index in range(len(rows) - 1, -1, -1):
        depth = rows[index].depth
        del later[depth + 1 :]
        while len(later) <= depth:
            later.append(False)
        continues[index] = later[depth]
        later[depth] = True
    result: list[tuple[bool, ...]] = []
    stack: list[bool] = []
    for row, more in zip(rows, continues, strict=True):
        del stack[row.depth :]
        stack.append(more)
        result.append(tuple(stack[1:]))
    return result


def build_table(
    report: Report,
    *,
    columns: Iterable[str] | None = None,
    depth: int | None = None,
    include: str | Iterable[str] | None = None,
    exclude: str | Iterable[str] | None = None,
    explain: bool = False,
) -> Table:
    """The cells of the chosen columns for the chosen rows (see :meth:`Report.render`)."""
    if columns is None:
        keys = default_columns(report, explain)
    else:
        keys = tuple(columns) if not isinstance(columns, str) else (columns,)
        unknown = [key for key in keys if key not in COLUMNS]
        if unknown:
            raise ConfigError(
                f"render: unknown column {', '.join(map(repr, unknown))}. "
                f"Known: {', '.join(COLUMNS)}."
            )
        if explain and "formula" not in keys:
            keys = (*keys, "formula")
        keys = tuple(key for key in keys if COLUMNS[key].applies(report))
    chosen = [COLUMNS[key] for key in keys]
    rows = select_rows(report, depth=depth, include=include, exclude=exclude)
    total = report.params
    lines = [
        Line(
            row,
            [column.cell(row, report) for column in chosen],
            row.depth,
            branches,
            row.params / total if total and row.shared_with is None else None,
        )
        for row, branches in zip(rows, _branches(rows), strict=True)
    ]
    return Table(
        keys,
        tuple(column.header for column in chosen),
        tuple(column.numeric for column in chosen),
        lines,
    )


def footer(report: Report, *, text: bool = False) -> list[tuple[str, str]]:
    """``(label, value)`` lines of the totals; they never depend on the rows shown.

    Each plan of the report adds its ``footer_lines()``; for the ``text``
    renderer, a plan with a ``text_block()`` of its own is left out here (see
    :func:`plan_blocks`).

    >>> from paramcalc import Linear
    >>> footer(Linear(400, 120).report((400,)))[0]
    ('Total params', '48,120 (48.1K)')
    """

    def amount(value: int) -> str:
        return f"{count(value)} ({short(value)})" if abs(value) >= 1000 else count(value)

    lines = [
        ("Total params", amount(report.params)),
        ("Trainable params", amount(report.trainable)),
        ("Non-trainable params", amount(report.non_trainable)),
        ("Buffers", amount(report.buffers)),
    ]
    if report.active is not None:
        lines.insert(1, ("Active params/token", amount(report.active)))
    keras = report.keras()
    if keras.total != report.params:
        lines.append(
            (
                "Keras view",
                f"{count(keras.total)} params, {count(keras.non_trainable)} non-trainable "
                "(moving statistics as weights)",
            )
        )
    if report.input_shape is not None and report.macs is not None:
        batch = f", batch size {report.batch_size}" if report.batch_size != 1 else ""
        lines += [
            ("Input shape", f"{shape_text(report.input_shape)} per sample{batch}"),
            ("Output shape", f"{shape_text(report.output_shape)} per sample"),
            ("Total MACs", amount(report.macs)),
            ("Total FLOPs (2×MACs)", amount(2 * report.macs)),
        ]
    if report.elementwise is not None:
        lines.append(("Element-wise FLOPs", amount(report.elementwise)))
    lines += _memory_lines(report)
    for plan in report.plans:  # planners' lines (paramcalc.plan)
        if not (text and hasattr(plan, "text_block")):
            lines += plan.footer_lines()
    return lines


def plan_blocks(report: Report) -> list[str]:
    """The text renderer's blocks after the totals: each plan's ``text_block()``, if it has one."""
    return [plan.text_block() for plan in report.plans if hasattr(plan, "text_block")]


def plan_tables(report: Report) -> list[tuple[list[str], list[list[str]]]]:
    """Tables after the totals (Markdown, HTML): each plan's ``table()`` (a sweep's rows)."""
    tables = []
    for plan in report.plans:
        table = plan.table() if hasattr(plan, "table") else None
        if table is not None:
            tables.append(table)
    return tables


def _bytes(value: int) -> str:
    return f"{count(value)} B ({iec_bytes(value)})" if value >= 1024 else f"{value} B"


def _memory_lines(report: Report) -> list[tuple[str, str]]:
    """Storage and the live-set peaks of inference and training (see docs/memory.md).

    A report with a training plan sizes training there: no second figure here;
    a report answering an inference question (``report.question``) shows none.
    """
    memory = report.memory
    if memory is None:
        return []
    precision = memory.dtype
    if memory.mixed_precision:
        precision = f"mixed {memory.dtype}/fp32"
    elif memory.autocast:
        precision = f"fp32, autocast {memory.autocast}"
    lines = [
        ("Parameter memory", f"{_bytes(memory.parameters)}, {memory.dtype}"),
        ("Buffer memory", _bytes(memory.buffers)),
    ]
    if memory.input is not None:
        lines.append(("Input memory", _bytes(memory.input)))
    if memory.inference is not None:
        where = f" (no-grad forward, peak at {memory.inference_at})"
        lines.append(("Inference peak", _bytes(memory.inference) + where))
    if report.question == "inference" or any(
        plan.key in ("training", "training_memory") for plan in report.plans
    ):
        return lines  # an inference question, or the training plan below sizes training
    label = f"Training peak ({memory.optimizer}, {precision})"
    if memory.training is None:
        parts = [("weights", memory.parameters), ("master weights", memory.master_weights)]
        parts += [("gradients", memory.gradients), ("optimizer state", memory.optimizer_state)]
        parts += [("buffers", memory.buffers)]
        shown = " + ".join(f"{name} {count(value)}" for name, value in parts if value)
        states = f"Training states ({memory.optimizer}, {precision})"
        return [*lines, (states, f"{_bytes(memory.states)} = {shown or 0}")]
    fixed = [("weights", memory.parameters), ("master weights", memory.master_weights)]
    fixed += [("optimizer state", memory.optimizer_state), ("buffers", memory.buffers)]
    fixed += [("input", memory.input or 0)]
    rest = memory.training - sum(value for _, value in fixed)
    phase = memory.training_phase or ""
    what = (
        "gradients, step scratch, targets" if phase == "step" else "activations, gradients, targets"
    )
    shown = " + ".join(f"{name} {count(value)}" for name, value in [*fixed, (what, rest)] if value)
    where = f" in the {phase} at {memory.training_at}"
    lines.append((label, f"{_bytes(memory.training)}{where} = {shown}"))
    return lines
