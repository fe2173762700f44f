"""How a plan shows itself: text in a terminal, escaped HTML in Jupyter, from its footer lines.

Every plan (``Fit``, the training plan's summary) has ``footer_lines()``,
``(label, value)`` pairs, which the report's renderers draw when the plan
joins a report (``report.with_plans(plan)``); alone, :func:`text` and
:func:`html` draw the same lines, so ``print(fit(...))`` and a notebook cell
show the answer, not a dataclass dump.

>>> print(text([("Peak", "1.00 GiB"), ("  weights", "<b>")]))
Peak:      1.00 GiB
  weights: <b>
>>> "<td>&lt;b&gt;</td>" in html([("  weights", "<b>")])
True
>>> html_table(["peak"], [["<1 GiB>"]]).endswith("<td>&lt;1 GiB&gt;</td></tr></tbody></table>")
True
"""

from __future__ import annotations

import html as _html

from paramcalc.units import visible

__all__ = ["html", "html_table", "text"]


def text(lines: list[tuple[str, str]]) -> str:
    """The lines as ``label: value``, the values aligned."""
    width = max((len(label) for label, _ in lines), default=0) + 1
    return "\n".join(f"{visible(label) + ':':{width}} {visible(value)}" for label, value in lines)


def html(lines: list[tuple[str, str]]) -> str:
    """The lines as an escaped two-column HTML table (leading spaces kept as indentation)."""
    rows = []
    for label, value in lines:
        indent = len(label) - len(label.lstrip(" "))
        shown = "\xa0" * indent + _html.escape(visible(label.lstrip(" ")))
        rows.append(f"<tr><td>{shown}</td><td>{_html.escape(visible(value))}</td></tr>")
    return f'<table class="paramcalc-plan">{"".join(rows)}</table>'


def html_table(headers: list[str], cells: list[list[str]]) -> str:
    """A plan's table (a sweep's rows) as escaped HTML, a header row then a row a line."""
    head = "".join(f"<th>{_html.escape(visible(header))}</th>" for header in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{_html.escape(visible(cell))}</td>" for cell in row) + "</tr>"
        for row in cells
    )
    return (
        f'<table class="paramcalc-plan"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
    )
