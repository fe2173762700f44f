"""The HTML report's style sheet wins over JupyterLab's, property by property.

JupyterLab styles every HTML output with ``.jp-RenderedHTMLCommon`` rules that
right-align table cells and float description-list terms into 20% columns. The
rules below are copied from JupyterLab 4.6.6's style sheet, as nbconvert 7.17.2's
``lab`` template ships it (``share/jupyter/nbconvert/templates/lab/static/index.css``,
"Tables" and "description lists"). Each property JupyterLab sets on an element of
the report must be set again by a report rule of higher specificity (so neither the
order of the style sheets nor the host's values matter). The rendering itself was
checked in headless Chromium: ``docs/make_jupyterlab_screenshots.py``.
"""

from __future__ import annotations

import re

import pytest

from paramcalc.render.html import STYLE

# (selector, specificity, element it reaches in the report, properties it sets)
JUPYTERLAB: list[tuple[str, tuple[int, int, int], str, tuple[str, ...]]] = [
    (".jp-RenderedHTMLCommon table", (0, 1, 1), "table",
     ("border-collapse", "border-spacing", "border", "color", "font-size", "table-layout",
      "margin")),
    (".jp-OutputArea-output.jp-RenderedHTMLCommon table", (0, 2, 1), "table", ("margin",)),
    (".jp-RenderedHTMLCommon thead", (0, 1, 1), "thead", ("border",)),
    (".jp-RenderedHTMLCommon td", (0, 1, 1), "td",
     ("vertical-align", "padding", "line-height", "white-space", "max-width", "border")),
    (".jp-RenderedHTMLCommon th", (0, 1, 1), "th",
     ("vertical-align", "padding", "line-height", "white-space", "max-width", "border",
      "font-weight")),
    (".jp-RenderedHTMLCommon tr", (0, 1, 1), "tr", ("border",)),
    (":not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon td", (0, 2, 1), "td", ("text-align",)),
    (":not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon th", (0, 2, 1), "th", ("text-align",)),
    (".jp-RenderedHTMLCommon tbody tr:nth-child(odd)", (0, 2, 2), "tr", ("background",)),
    (".jp-RenderedHTMLCommon tbody tr:hover", (0, 2, 2), "tr", ("background",)),
    (".jp-RenderedHTMLCommon :not(pre) > code", (0, 1, 2), "code",
     ("background", "padding", "white-space", "font-size", "border", "color")),
    (".jp-OutputArea-output dl", (0, 1, 1), "dl", ("display", "width", "overflow", "padding",
                                                   "margin")),
    (".jp-OutputArea-output dt", (0, 1, 1), "dt", ("display", "float", "width", "padding",
                                                   "margin", "font-weight")),
    (".jp-OutputArea-output dd", (0, 1, 1), "dd", ("display", "float", "width", "padding",
                                                   "margin")),
]  # fmt: skip

_ELEMENT = re.compile(r"(?:^|[\s>+~])([a-z][a-z0-9]*)")
_CLASSLIKE = re.compile(r"\.[\w-]+|\[[^\]]*\]|:[\w-]+(?:\([^)]*\))?")


def specificity(selector: str) -> tuple[int, int, int]:
    """(ids, classes/attributes/pseudo-classes, elements) of a simple selector.

    ``:not(x)`` counts as its argument ``x`` (Selectors Level 4, section 17).
    """
    selector = re.sub(r":not\(([^)]*)\)", r" \1", selector)
    return (0, len(_CLASSLIKE.findall(selector)), len(_ELEMENT.findall(selector)))


def target(selector: str) -> set[str]:
    """The report elements a selector's last compound reaches."""
    last = re.split(r"[\s>]+", selector.strip())[-1]
    if last.startswith(".num"):
        return {"th", "td"}
    name = re.match(r"[a-z][a-z0-9]*", last)
    return {name.group()} if name else set()


def rules() -> list[tuple[str, set[str]]]:
    """Each (selector, properties) of the report's style sheet, outside @media."""
    found: list[tuple[str, set[str]]] = []
    sheet = re.sub(r"@media[^{]*\{(?:[^{}]*\{[^}]*\})*\s*\}", "", STYLE)
    for selectors, body in re.findall(r"([^{}]+)\{([^}]*)\}", sheet):
        names = {part.split(":")[0].strip() for part in body.split(";") if ":" in part}
        found.extend((selector.strip(), names) for selector in selectors.split(","))
    return found


def test_specificity_counts_like_css() -> None:
    """The counter agrees with the CSS Selectors spec on JupyterLab's own selectors."""
    for selector, expected, _, _ in JUPYTERLAB:
        assert specificity(selector) == expected, selector


def test_every_rule_is_scoped_to_the_report() -> None:
    """No rule reaches outside ``.paramcalc-report``."""
    for selector, _ in rules():
        assert ".paramcalc-report" in selector, selector


@pytest.mark.parametrize("host", JUPYTERLAB, ids=[rule[0] for rule in JUPYTERLAB])
def test_report_overrides_jupyterlab(
    host: tuple[str, tuple[int, int, int], str, tuple[str, ...]],
) -> None:
    """Every property JupyterLab sets is set again by a more specific report rule."""
    _, weight, element, properties = host
    ours = [(specificity(s), names) for s, names in rules() if element in target(s)]
    for prop in properties:
        # a shorthand (border, margin, padding, background) also counts as its longhands
        winners = [w for w, names in ours if prop in names and w > weight]
        assert winners, f"{element} {{ {prop} }} is left to JupyterLab's {host[0]}"


def test_names_left_numbers_right_labels_on_one_line() -> None:
    """The alignments and the no-wrap that JupyterLab's rules broke."""
    sheet = " ".join(STYLE.split())
    assert "> tr > td { padding: 0.15em 0.6em; margin: 0; text-align: left;" in sheet
    assert "> tr > .num { text-align: right; }" in sheet
    assert "> dl > dt { font-weight: 600; white-space: nowrap; }" in sheet
