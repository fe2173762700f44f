"""The report as self-contained HTML for notebooks: a styled table with share bars.

Everything shown is escaped with :func:`html.escape`, so a layer named
``<script>`` stays text. The style sheet is inline and scoped to the
``paramcalc-report`` class; colors are inherited and backgrounds transparent,
so the table reads in Jupyter's light and dark themes alike. Each rule names the
class twice and sets again what JupyterLab's ``.jp-RenderedHTMLCommon`` rules set
(alignment, padding, wrapping, floats), at a higher specificity, so the host's
style sheet never reaches the table.

>>> from paramcalc import Linear
>>> page = render_html(Linear(400, 120).report())
>>> page.startswith('<div class="paramcalc-report">'), "48,120" in page
(True, True)
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from paramcalc.render.table import build_table, footer, plan_tables
from paramcalc.report import Report
from paramcalc.units import visible

__all__ = ["STYLE", "render_html"]

STYLE = """\
.paramcalc-report { color: inherit; background: transparent; font-size: 0.9em; text-align: left; }
div.paramcalc-report.paramcalc-report > table { border-collapse: collapse; border-spacing: 0;
  border: none; table-layout: auto; width: auto; max-width: none; margin: 0;
  font-size: inherit; color: inherit; background: transparent; font-variant-numeric: tabular-nums; }
.paramcalc-report.paramcalc-report > table > thead { border: none; }
.paramcalc-report.paramcalc-report > table > * > tr:nth-child(n) { background: transparent;
  border: none; }
.paramcalc-report.paramcalc-report > table > * > tr > th,
.paramcalc-report.paramcalc-report > table > * > tr > td { padding: 0.15em 0.6em; margin: 0;
  text-align: left; vertical-align: middle; line-height: 1.4; white-space: nowrap;
  max-width: none; border: none; border-bottom: 1px solid rgba(127, 127, 127, 0.35);
  background: transparent; color: inherit; font-size: inherit; }
.paramcalc-report.paramcalc-report > table > * > tr > th { font-weight: 600;
  border-bottom-width: 2px; }
.paramcalc-report.paramcalc-report > table > * > tr > .num { text-align: right; }
.paramcalc-report.paramcalc-report > table > * > tr.container > td { font-weight: 600; }
.paramcalc-report.paramcalc-report .tree { opacity: 0.55; font-family: monospace;
  white-space: pre; }
.paramcalc-report.paramcalc-report .bar { display: inline-block; width: 5em; height: 0.7em;
  margin-left: 0.4em; vertical-align: middle; background: rgba(127, 127, 127, 0.18); }
.paramcalc-report.paramcalc-report .bar > span { display: block; height: 100%;
  background: rgba(66, 133, 244, 0.75); }
.paramcalc-report.paramcalc-report td > code { background: transparent; color: inherit;
  padding: 0; border: none; font-size: inherit; white-space: nowrap; }
.paramcalc-report.paramcalc-report > dl { display: grid;
  grid-template-columns: max-content auto; gap: 0 1em; width: auto; overflow: visible;
  margin: 0.6em 0 0 0; padding: 0; }
.paramcalc-report.paramcalc-report > dl > dt,
.paramcalc-report.paramcalc-report > dl > dd { display: block; float: none; width: auto;
  margin: 0; padding: 0; text-align: left; color: inherit; }
.paramcalc-report.paramcalc-report > dl > dt { font-weight: 600; white-space: nowrap; }
.paramcalc-report.paramcalc-report > dl > dd { font-variant-numeric: tabular-nums;
  white-space: normal; }
@media (prefers-color-scheme: dark) {
  .paramcalc-report.paramcalc-report .bar > span { background: rgba(138, 180, 248, 0.8); }
}
[data-jp-theme-light="false"] .paramcalc-report.paramcalc-report .bar > span,
body.vscode-dark .paramcalc-report.paramcalc-report .bar > span {
  background: rgba(138, 180, 248, 0.8); }
"""
"""The scoped style sheet of every rendered report."""

_BRANCH = {True: "├─ ", False: "└─ "}
_DOWN = {True: "│  ", False: "   "}


def render_html(
    report: Report,
    *,
    columns: Iterable[str] | None = None,
    depth: int | None = None,
    include: str | Iterable[str] | None = None,
    exclude: str | Iterable[str] | None = None,
    explain: bool = False,
    ascii: bool = False,
) -> str:
    """A ``<div>`` holding its ``<style>``, the table and the totals (see :meth:`Report.render`)."""
    table = build_table(
        report, columns=columns, depth=depth, include=include, exclude=exclude, explain=explain
    )
    out = ['<div class="paramcalc-report">', f"<style>\n{STYLE}</style>"]
    if table.lines:
        out.append("<table>")
        out.append(
            "<thead><tr>"
            + "".join(
                f'<th class="num">{escape(header)}</th>'
                if numeric
                else f"<th>{escape(header)}</th>"
                for header, numeric in zip(table.headers, table.numeric, strict=True)
            )
            + "</tr></thead>"
        )
        out.append("<tbody>")
        for line in table.lines:
            cells = []
            for key, cell, numeric in zip(table.keys, line.cells, table.numeric, strict=True):
                text = escape(cell)
                if key == "name":
                    if line.depth:
                        *ancestors, more = line.branches
                        tree = "".join(_DOWN[go_on] for go_on in ancestors) + _BRANCH[more]
                        text = f'<span class="tree">{tree}</span>{text}'
                    text = f'<span title="{escape(visible(line.row.path))}">{text}</span>'
                elif key == "share" and line.share is not None:
                    width = f"{100 * line.share:.1f}%"
                    text += f'<span class="bar"><span style="width: {width}"></span></span>'
                elif key == "formula" and cell:
                    text = f"<code>{text}</code>"
                cells.append(f'<td class="num">{text}</td>' if numeric else f"<td>{text}</td>")
            kind = ' class="container"' if not line.row.leaf else ""
            out.append(f"<tr{kind}>" + "".join(cells) + "</tr>")
        out.append("</tbody>")
        out.append("</table>")
    out.append("<dl>")
    for label, value in footer(report):
        total, equals, parts = value.partition(" = ")  # a sum's terms go on a line below
        out.append(f"<dt>{escape(label)}</dt><dd>{escape(total)}</dd>")
        if equals:
            out.append(f"<dt></dt><dd>= {escape(parts)}</dd>")
    out.append("</dl>")
    for plan_headers, plan_cells in plan_tables(report):  # a plan's table (a sweep) in the page
        out += _plan_table(plan_headers, plan_cells)
    out.append("</div>")
    return "\n".join(out)


def _plan_table(headers: list[str], cells: list[list[str]]) -> list[str]:
    """A plan's table, styled as the layers' table: numbers (cells starting with a digit) right."""
    right = [
        bool(cells) and all(row[i][:1].isdigit() for row in cells) for i in range(len(headers))
    ]

    def cell(tag: str, text: str, numeric: bool) -> str:
        kind = ' class="num"' if numeric else ""
        return f"<{tag}{kind}>{escape(visible(text))}</{tag}>"

    head = "".join(cell("th", h, r) for h, r in zip(headers, right, strict=True))
    body = [
        "<tr>" + "".join(cell("td", c, r) for c, r in zip(row, right, strict=True)) + "</tr>"
        for row in cells
    ]
    return ["<table>", f"<thead><tr>{head}</tr></thead>", "<tbody>", *body, "</tbody>", "</table>"]
