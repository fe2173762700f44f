"""The report as JSON: ``"schema": 1``, keys in a fixed order, exact integers.

The schema is documented in ``docs/report.md``. Each row carries its layer's
``spec`` (type name and constructor arguments), so :func:`paramcalc.from_dict`
rebuilds the network from the JSON alone.

>>> import json
>>> from paramcalc import Linear
>>> data = json.loads(render_json(Linear(400, 120).report()))
>>> data["schema"], data["totals"]["params"], data["spec"]["type"]
(1, 48120, 'Linear')
"""

from __future__ import annotations

import json

from paramcalc.report import Report

__all__ = ["render_json"]


def render_json(report: Report, *, indent: int | None = 2) -> str:
    """:meth:`Report.to_dict` as JSON text (keys in schema order, not sorted)."""
    return json.dumps(report.to_dict(), indent=indent, ensure_ascii=False)
