"""The report as a GitHub-flavoured Markdown table and a list of totals.

Cells are escaped, so a layer name holding ``|``, ``*`` or ``<`` stays text.

>>> from paramcalc import Conv2d, Flatten, Linear, Sequential
>>> net = Sequential(Conv2d(1, 6, 5), Flatten(), Linear(4704, 10))
>>> print(render_markdown(net.report((1, 32, 32)), columns=("name", "kind", "params")))
| Layer | Type    | Params |
|:------|:--------|-------:|
| 0     | Conv2d  |    156 |
| 1     | Flatten |      0 |
| 2     | Linear  | 47,050 |
<BLANKLINE>
- Total params: **47,206** (47.2K)
- Trainable params: **47,206** (47.2K)
- Non-trainable params: **0**
- Buffers: **0**
- Input shape: **(1, 32, 32)** per sample
- Output shape: **(10,)** per sample
- Total MACs: **164,640** (165K)
- Total FLOPs (2×MACs): **329,280** (329K)
- Element-wise FLOPs: **4,714** (4.71K)
- Parameter memory: **188,824 B** (184.40 KiB), fp32
- Buffer memory: **0 B**
- Input memory: **4,096 B** (4.00 KiB)
- Inference peak: **211,776 B** (206.81 KiB) (no-grad forward, peak at 2)
- Training peak (adamw, fp32): **948,224 B** (926.00 KiB) in the step at optimizer
  - = weights 188,824 + optimizer state 377,648 + input 4,096 + ...
"""

from __future__ import annotations

import html
from collections.abc import Iterable

from paramcalc.render.table import build_table, footer, plan_tables
from paramcalc.render.text import bar, tree_prefix
from paramcalc.report import Report

__all__ = ["escape", "render_markdown"]

_SPECIAL = str.maketrans({char: "\\" + char for char in "\\|*_`[]#~"})


def escape(text: str) -> str:
    r"""Text safe in a table cell: HTML-escaped, Markdown punctuation backslashed.

    >>> escape("<b>|x*")
    '&lt;b&gt;\\|x\\*'
    """
    return html.escape(text, quote=False).translate(_SPECIAL)


def _value(value: str) -> str:
    number, _, rest = value.partition(" (")
    if rest:
        return f"**{escape(number)}** ({escape(rest)}"
    number, _, rest = value.partition(" per ")
    return f"**{escape(number)}**" + (f" per {escape(rest)}" if rest else "")


def render_markdown(
    report: Report,
    *,
    columns: Iterable[str] | None = None,
    depth: int | None = None,
    include: str | Iterable[str] | None = None,
    exclude: str | Iterable[str] | None = None,
    explain: bool = False,
    ascii: bool = False,
) -> str:
    """A Markdown table of the chosen rows and columns, then the totals as a list.

    Nested rows carry the same tree branches as the text table.
    """
    table = build_table(
        report, columns=columns, depth=depth, include=include, exclude=exclude, explain=explain
    )
    body = []
    for line in table.lines:
        cells = []
        for key, cell in zip(table.keys, line.cells, strict=True):
            if key == "name":
                cell = tree_prefix(line, ascii) + cell
            elif key == "share" and cell:
                cell = f"{cell} {bar(line.share, ascii)}".rstrip()
            elif key == "formula" and cell:
                cell = f"`{cell}`"
                cells.append(cell)
                continue
            cells.append(escape(cell))
        body.append(cells)
    headers = list(table.headers)
    numerics = [
        numeric and key != "share" for key, numeric in zip(table.keys, table.numeric, strict=True)
    ]
    widths = [max(3, len(header)) for header in headers]
    for cells in body:
        widths = [max(width, len(cell)) for width, cell in zip(widths, cells, strict=True)]

    def row(values: list[str], header: bool = False) -> str:
        padded = (
            value.rjust(width) if numeric and not header else value.ljust(width)
            for value, width, numeric in zip(values, widths, numerics, strict=True)
        )
        return "| " + " | ".join(padded) + " |"

    rule = (
        "|"
        + "|".join(
            ":" + "-" * (width + 1) if not numeric else "-" * (width + 1) + ":"
            for width, numeric in zip(widths, numerics, strict=True)
        )
        + "|"
    )
    lines = [row(headers, header=True), rule, *(row(cells) for cells in body), ""]
    totals = []
    for label, value in footer(report):
        total, equals, parts = value.partition(" = ")  # a sum's terms go on a line below
        totals.append(f"- {escape(label)}: {_value(total)}")
        if equals:
            totals.append(f"  - = {escape(parts)}")
    for plan_headers, plan_cells in plan_tables(report):  # a plan's table (a sweep)
        totals += ["", _plain_table(plan_headers, plan_cells)]
    return "\n".join((lines if body else []) + totals)


def _plain_table(headers: list[str], cells: list[list[str]]) -> str:
    """A plan's table: escaped cells, numbers (cells starting with a digit) to the right."""
    rows = [[escape(cell) for cell in row] for row in cells]
    shown = [escape(header) for header in headers]
    widths = [max(3, len(header)) for header in shown]
    for row in rows:
        widths = [max(width, len(cell)) for width, cell in zip(widths, row, strict=True)]
    numeric = [bool(rows) and all(row[i][:1].isdigit() for row in rows) for i in range(len(shown))]
    out = ["| " + " | ".join(h.ljust(w) for h, w in zip(shown, widths, strict=True)) + " |"]
    out.append(
        "|"
        + "|".join(
            "-" * (w + 1) + ":" if right else ":" + "-" * (w + 1)
            for w, right in zip(widths, numeric, strict=True)
        )
        + "|"
    )
    for row in rows:
        padded = (
            cell.rjust(w) if right else cell.ljust(w)
            for cell, w, right in zip(row, widths, numeric, strict=True)
        )
        out.append("| " + " | ".join(padded) + " |")
    return "\n".join(out)
