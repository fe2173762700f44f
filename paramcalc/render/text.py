"""The report as a text table: a tree of layers, share bars, and the totals.

>>> from paramcalc import Linear, ReLU, Sequential
>>> net = Sequential(Sequential(Linear(400, 120), ReLU()), Linear(120, 10))
>>> print(render_text(net.report(), ascii=True))
+-------+------------+--------+-----------------+
| Layer | Type       | Params |           Share |
+-------+------------+--------+-----------------+
| 0     | Sequential | 48,120 |  97.5% ######## |
| |- 0  | Linear     | 48,120 |  97.5% ######## |
| `- 1  | ReLU       |      0 |   0.0%          |
| 1     | Linear     |  1,210 |   2.5%          |
+-------+------------+--------+-----------------+
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

from collections.abc import Iterable, Sequence

from paramcalc.render.table import Line, Table, build_table, footer, plan_blocks
from paramcalc.report import Report

__all__ = ["render_text"]

_UNICODE = ("┌┬┐", "├┼┤", "└┴┘", "─", "│")
_ASCII = ("+++", "+++", "+++", "-", "|")
_TREE_UNICODE = ("│  ", "   ", "├─ ", "└─ ")
_TREE_ASCII = ("|  ", "   ", "|- ", "`- ")
_EIGHTHS = " ▏▎▍▌▋▊▉█"
_ASCII_NAMES = str.maketrans({"×": "x", "–": "-"})  # a group of repeated copies: "1-11 x11"
BAR_WIDTH = 8
"""Characters of a full (100%) share bar."""


def tree_prefix(line: Line, ascii: bool = False) -> str:
    """The branch drawing before a row's name: ``"│  ├─ "`` (3 characters a level)."""
    if not line.depth:
        return ""
    down, blank, tee, corner = _TREE_ASCII if ascii else _TREE_UNICODE
    *ancestors, more = line.branches
    return "".join(down if go_on else blank for go_on in ancestors) + (tee if more else corner)


def bar(share: float | None, ascii: bool = False, width: int = BAR_WIDTH) -> str:
    """A bar of ``share × width`` characters, in eighths unless ``ascii``."""
    if share is None:
        return ""
    if ascii:
        return "#" * round(share * width)
    eighths = round(share * width * 8)
    return "█" * (eighths // 8) + (_EIGHTHS[eighths % 8] if eighths % 8 else "")


def _table(table: Table, ascii: bool) -> list[str]:
    top, middle, bottom, rule_char, wall = _ASCII if ascii else _UNICODE
    body: list[list[str]] = []
    for line in table.lines:
        cells = list(line.cells)
        for index, key in enumerate(table.keys):
            if key == "name":
                name = cells[index].translate(_ASCII_NAMES) if ascii else cells[index]
                cells[index] = tree_prefix(line, ascii) + name
            elif key == "share" and cells[index]:
                cells[index] = f"{cells[index]:>6} {bar(line.share, ascii):<{BAR_WIDTH}}"
        body.append(cells)
    widths = [len(header) for header in table.headers]
    for cells in body:
        widths = [max(width, len(cell)) for width, cell in zip(widths, cells, strict=True)]

    def rule(chars: str) -> str:
        return chars[0] + chars[1].join(rule_char * (width + 2) for width in widths) + chars[2]

    def row(values: Sequence[str]) -> str:
        padded = (
            value.rjust(width) if numeric else value.ljust(width)
            for value, width, numeric in zip(values, widths, table.numeric, strict=True)
        )
        return f"{wall} " + f" {wall} ".join(padded) + f" {wall}"

    return [
        rule(top),
        row(table.headers),
        rule(middle),
        *(row(cells) for cells in body),
        rule(bottom),
    ]


def render_footer(report: Report) -> list[str]:
    """The totals, numbers aligned on their last digit, short forms after."""
    lines = footer(report, text=True)
    aligned = 4 if report.active is None else 5  # the parameter counts
    counts = [value.partition(" (")[0] for _, value in lines[:aligned]]
    width = max(len(text) for text in counts) + 2
    out = []
    for index, (label, value) in enumerate(lines):
        if index < aligned:
            number, _, rest = value.partition(" ")
            text = f"{label + ':':<21}{number:>{width}}"
            out.append(f"{text} {rest}" if rest else text)
        else:
            total, equals, parts = value.partition(" = ")  # a sum gets a line of its own
            out.append(f"{(label + ':').ljust(21)} {total}")
            if equals:
                out.append(f"  = {parts}")
    return out


def render_text(
    report: Report,
    *,
    columns: Iterable[str] | None = None,
    depth: int | None = None,
    include: str | Iterable[str] | None = None,
    exclude: str | Iterable[str] | None = None,
    explain: bool = False,
    ascii: bool = False,
) -> str:
    """A table of the chosen rows and columns (see :meth:`Report.render`), then the totals.

    Folding rows with ``depth`` or filtering them never changes the totals.
    """
    table = build_table(
        report, columns=columns, depth=depth, include=include, exclude=exclude, explain=explain
    )
    lines = _table(table, ascii) if table.lines else []
    blocks = [part for block in plan_blocks(report) for part in ("", block)]
    return "\n".join([*lines, *render_footer(report), *blocks])
