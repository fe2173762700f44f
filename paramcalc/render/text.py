"""The report as a text table with box drawing (or plain ASCII) and a footer.

>>> from paramcalc import Linear, Sequential
>>> print(Sequential(Linear(400, 120), Linear(120, 10)).report().render(ascii=True))
+-------+--------+--------+
| Layer | Type   | Params |
+-------+--------+--------+
| 0     | Linear | 48,120 |
| 1     | Linear |  1,210 |
+-------+--------+--------+
Total params:          49,330 (49.3K)
Trainable params:      49,330 (49.3K)
Non-trainable params:       0
Buffers:                    0
Parameter memory:     197,320 B (192.70 KiB), fp32
Buffer memory:        0 B
Training states (adamw, fp32): 789,280 B (770.78 KiB)
  = weights 197,320 + gradients 197,320 + optimizer state 394,640
"""

from __future__ import annotations

from collections.abc import Sequence

from paramcalc.report import Report, Row
from paramcalc.units import count, iec_bytes, short

__all__ = ["render_text"]

_UNICODE = ("┌┬┐", "├┼┤", "└┴┘", "─", "│")
_ASCII = ("+++", "+++", "+++", "-", "|")


def _shape(shape: tuple[int, ...] | None) -> str:
    if shape is None:
        return ""
    return "(" + ", ".join(str(size) for size in shape) + ("," if len(shape) == 1 else "") + ")"


def _name(row: Row) -> str:
    return "  " * row.depth + (row.name or row.kind)


def _params(row: Row) -> str:
    if row.shared_with is not None:
        return f"shared with {row.shared_with}"
    return count(row.params)


def _table(
    header: Sequence[str], right: Sequence[bool], body: list[list[str]], ascii: bool
) -> list[str]:
    top, middle, bottom, line, bar = _ASCII if ascii else _UNICODE
    widths = [max(len(cell) for cell in column) for column in zip(header, *body, strict=True)]

    def rule(chars: str) -> str:
        return chars[0] + chars[1].join(line * (width + 2) for width in widths) + chars[2]

    def cells(values: Sequence[str]) -> str:
        padded = (
            value.rjust(width) if align else value.ljust(width)
            for value, width, align in zip(values, widths, right, strict=True)
        )
        return f"{bar} " + f" {bar} ".join(padded) + f" {bar}"

    return [
        rule(top),
        cells(header),
        rule(middle),
        *(cells(values) for values in body),
        rule(bottom),
    ]


def _footer(report: Report) -> list[str]:
    lines = [
        ("Total params:", report.params),
        ("Trainable params:", report.trainable),
        ("Non-trainable params:", report.non_trainable),
        ("Buffers:", report.buffers),
    ]
    out = []
    width = max(len(count(value)) for _, value in lines) + 2
    for label, value in lines:
        text = f"{label:<21}{count(value):>{width}}"
        out.append(f"{text} ({short(value)})" if value >= 1000 else text)
    if report.input_shape is not None and report.macs is not None:
        batch = f", batch size {report.batch_size}" if report.batch_size != 1 else ""
        out.append(f"Input shape:          {_shape(report.input_shape)} per sample{batch}")
        out.append(f"Output shape:         {_shape(report.output_shape)} per sample")
        out.append(f"Total MACs:           {count(report.macs)} ({short(report.macs)})")
        out.append(f"Total FLOPs (2×MACs): {count(2 * report.macs)} ({short(2 * report.macs)})")
    if report.elementwise is not None:
        work = report.elementwise
        out.append(f"Element-wise FLOPs:   {count(work)} ({short(work)})")
    return out + _memory_lines(report)


def _bytes(value: int) -> str:
    return f"{count(value)} B ({iec_bytes(value)})" if value >= 1024 else f"{value} B"


def _memory_lines(report: Report) -> list[str]:
    """Storage, activations and the training estimate (see docs/memory.md)."""
    memory = report.memory
    if memory is None:
        return []
    lines = [
        f"Parameter memory:     {_bytes(memory.parameters)}, {memory.dtype}",
        f"Buffer memory:        {_bytes(memory.buffers)}",
    ]
    if memory.input is not None and memory.activations is not None:
        lines.append(f"Input memory:         {_bytes(memory.input)}")
        lines.append(f"Activation memory:    {_bytes(memory.activations)} (every layer's output)")
    mode = f"mixed {memory.dtype}/fp32" if memory.mixed_precision else memory.dtype
    parts = [("weights", memory.parameters), ("master weights", memory.master_weights)]
    parts += [("gradients", memory.gradients), ("optimizer state", memory.optimizer_state)]
    parts += [("buffers", memory.buffers)]
    if memory.training is not None and memory.input is not None:
        parts += [("input", memory.input), ("activations", memory.activations or 0)]
        total, label = memory.training, "Training memory"
    else:
        total, label = memory.states, "Training states"
    shown = " + ".join(f"{name} {count(value)}" for name, value in parts if value)
    lines.append(f"{label} ({memory.optimizer}, {mode}): {_bytes(total)}")
    lines.append(f"  = {shown or 0}")
    return lines


def render_text(
    report: Report, *, depth: int | None = None, explain: bool = False, ascii: bool = False
) -> str:
    """Render ``report`` as a table; rows deeper than ``depth`` are folded into their parent."""
    with_shapes = report.input_shape is not None
    header = ["Layer", "Type"]
    right = [False, False]
    if with_shapes:
        header.append("Output shape")
        right.append(False)
    header.append("Params")
    right.append(True)
    if with_shapes:
        header.append("MACs")
        right.append(True)
    if explain:
        header.append("Formula")
        right.append(False)
    body = []
    for row in report.rows:
        if depth is not None and row.depth > depth:
            continue
        cells = [_name(row), row.kind]
        if with_shapes:
            cells.append(_shape(row.output_shape))
        cells.append(_params(row))
        if with_shapes:
            cells.append("" if row.macs is None else count(row.macs))
        if explain:
            shown = row.leaf and row.shared_with is None and row.params
            cells.append(str(row.formula) if shown else "")
        body.append(cells)
    lines = _table(header, right, body, ascii) if body else []
    return "\n".join([*lines, *_footer(report)])
