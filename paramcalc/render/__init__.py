"""Renderers: each a pure function from a :class:`~paramcalc.report.Report` to ``str``.

``text`` (box-drawn or ASCII table), ``markdown`` (a GitHub table), ``html``
(self-contained, for notebooks) and ``json`` (``"schema": 1``). Each module is
imported only when it is used, so ``import paramcalc`` stays cheap.

>>> from paramcalc import Linear
>>> print(render(Linear(400, 120).report(), "markdown", columns=("name", "params")))
| Layer  | Params |
|:-------|-------:|
| Linear | 48,120 |
<BLANKLINE>
- Total params: **48,120** (48.1K)
- Trainable params: **48,120** (48.1K)
- Non-trainable params: **0**
- Buffers: **0**
- Parameter memory: **192,480 B** (187.97 KiB), fp32
- Buffer memory: **0 B**
- Training states (adamw, fp32): **769,920 B** (751.88 KiB)
  - = weights 192,480 + gradients 192,480 + optimizer state 384,960
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from paramcalc._check import shown
from paramcalc.errors import ConfigError

if TYPE_CHECKING:
    from paramcalc.report import Report

__all__ = ["FORMATS", "render"]

FORMATS = ("text", "markdown", "html", "json")
"""The formats :func:`render` knows."""


def render(
    report: Report,
    format: str = "text",
    *,
    columns: Iterable[str] | None = None,
    depth: int | None = None,
    include: str | Iterable[str] | None = None,
    exclude: str | Iterable[str] | None = None,
    explain: bool = False,
    ascii: bool = False,
) -> str:
    """Render ``report`` in ``format``; the options are those of :meth:`Report.render`.

    JSON is the whole report, whatever rows and columns are chosen.
    """
    if format == "text":
        from paramcalc.render.text import render_text as draw
    elif format == "markdown":
        from paramcalc.render.markdown import render_markdown as draw
    elif format == "html":
        from paramcalc.render.html import render_html as draw
    elif format == "json":
        from paramcalc.render.json import render_json

        return render_json(report)
    else:
        raise ConfigError(
            f"render: `format` must be one of {', '.join(map(repr, FORMATS))}. "
            f"Received: format={shown(format)}."
        )
    return draw(
        report,
        columns=columns,
        depth=depth,
        include=include,
        exclude=exclude,
        explain=explain,
        ascii=ascii,
    )
