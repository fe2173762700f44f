"""The one seam through which a lower module reaches an upper one.

Imports run one way (errors/shapes/formula -> layer contract -> layers and
containers -> walk -> report -> renderers -> CLI). A few conveniences sit on
lower objects but do upper work: ``net.output_shape()`` runs the walk,
``net.freeze()`` rebuilds the tree, ``net.report()`` builds a report,
``net.memory()`` sizes it, ``str(report)`` renders it. Those methods call
:func:`upward` with a name from :data:`TARGETS`; the upper module is imported
by its dotted name on first use, so no module imports, at any depth, a module
that imports it back (``tests/test_architecture.py`` checks it).

To add a convenience (``net.kv_cache_bytes()``, ``net.active_params()``):
write the function in its upper module, add one line to :data:`TARGETS`,
and let the method return ``upward("name")(self, ...)``.

>>> upward("walk").__name__
'Walk'
>>> sorted(TARGETS)[:3]
['build_report', 'memory', 'render']
"""

from __future__ import annotations

from importlib import import_module

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["TARGETS", "upward"]

TARGETS: dict[str, str] = {
    "build_report": "paramcalc.report:build_report",
    "memory": "paramcalc.footprint:memory",
    "render": "paramcalc.render:render",
    "render_json": "paramcalc.render.json:render_json",
    "set_trainable": "paramcalc.freezing:set_trainable",
    "tie": "paramcalc.graph:Tied",
    "walk": "paramcalc.walk:Walk",
}
"""Each convenience's ``module:attribute``, in the module above that does the work."""

_found: dict[str, Any] = {}


def upward(name: str) -> Any:
    """The upper-module function or class registered as ``name`` (imported on first use)."""
    found = _found.get(name)
    if found is None:
        module, _, attribute = TARGETS[name].partition(":")
        found = _found[name] = getattr(import_module(module), attribute)
    return found
