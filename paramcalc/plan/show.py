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
"""

from __future__ import annotations

import html as _html

from paramcalc.units import visible

__all__ = ["html", "text"]


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
