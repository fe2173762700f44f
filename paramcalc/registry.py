"""The registry of layer families: where the JSON and text readers find layer classes.

The names live once, in the lazy tables of ``paramcalc/__init__.py`` and
``paramcalc/zoo/__init__.py`` (a family module does not list them again);
this module says which of those modules hold layers, and reads the tables
from the already-loaded packages, so a reader looks a class up by name
without importing the package or the zoo statically. A class a user sets on
the ``paramcalc`` package and adds to its ``__all__`` is known too. A new
family module is one line here and its names in the lazy table
(``tests/test_architecture.py`` checks the two agree).

>>> types = layer_types()
>>> types["Linear"].__name__, types["MaxPool"].__name__, types["Conv1D"].__module__
('Linear', 'MaxPool2d', 'paramcalc.zoo._common')
"""

from __future__ import annotations

import sys
from importlib import import_module

from paramcalc.layer import Composite, Layer

__all__ = ["FAMILIES", "ZOO_FAMILIES", "layer_types"]

FAMILIES: tuple[str, ...] = (
    "paramcalc.containers",
    "paramcalc.graph",
    "paramcalc.layers.activation",
    "paramcalc.layers.adaptive_pool",
    "paramcalc.layers.attention",
    "paramcalc.layers.conv",
    "paramcalc.layers.embedding",
    "paramcalc.layers.linear",
    "paramcalc.layers.norm",
    "paramcalc.layers.padding",
    "paramcalc.layers.pooling",
    "paramcalc.layers.recurrent",
    "paramcalc.layers.reshape",
    "paramcalc.layers.transformer",
    "paramcalc.layers.unpool",
    "paramcalc.params",
)
"""The modules of the public layers: every class the lazy table lists for them is known."""

ZOO_FAMILIES: tuple[str, ...] = ("paramcalc.zoo._common", "paramcalc.zoo.vision")
"""The zoo's modules whose own leaf layers (GPT-2's ``Conv1D``, …) are known by name too."""

_found: dict[str, type[Layer]] = {}
_zoo: dict[str, type[Layer]] = {}


def _collect(
    package: str, modules: tuple[str, ...], found: dict[str, type[Layer]], leaves: bool
) -> None:
    homes: dict[str, tuple[str, ...]] = import_module(package)._HOMES
    for module in modules:
        namespace = import_module(module)
        for name in homes[module]:
            _add(found, name, getattr(namespace, name), leaves)


def _add(found: dict[str, type[Layer]], name: str, value: object, leaves: bool) -> None:
    if (
        isinstance(value, type)
        and issubclass(value, Layer)
        and value is not Layer
        and not (leaves and issubclass(value, Composite))
    ):
        found.setdefault(name, value)


def layer_types() -> dict[str, type[Layer]]:
    """Every layer class the families export, by exported name (aliases included).

    The public layers come first, then a class set on the ``paramcalc``
    package and listed in its ``__all__`` by the user, then the zoo's leaf
    layers under names not already taken.
    """
    if not _found:
        _collect("paramcalc", FAMILIES, _found, leaves=False)
        _collect("paramcalc.zoo", ZOO_FAMILIES, _zoo, leaves=True)
    found = dict(_found)
    package = sys.modules.get("paramcalc")  # always loaded: it is this module's package
    if package is not None:
        loaded = vars(package)
        for name in getattr(package, "__all__", ()):
            if name not in found and name in loaded:  # never triggers a lazy import
                _add(found, name, loaded[name], leaves=False)
    for name, value in _zoo.items():
        found.setdefault(name, value)
    return found
