"""How a layer prints: its constructor call, as torch's ``repr`` reads.

>>> from paramcalc import Conv2d
>>> call_repr(Conv2d(1, 6, 5, stride=2))
'Conv2d(1, 6, 5, stride=2)'
"""

from __future__ import annotations

import dataclasses

__all__ = ["call_repr", "field_values", "indent"]


def field_values(layer: object) -> tuple[object, ...]:
    """The values of a dataclass's fields, in order: what equality and hashing compare."""
    return tuple(getattr(layer, item.name) for item in dataclasses.fields(layer))  # type: ignore[arg-type]


def _collapse(value: object) -> object:
    if isinstance(value, tuple) and value and all(item == value[0] for item in value):
        return value[0]
    return value


def call_repr(layer: object) -> str:
    """``Conv2d(1, 6, 5, stride=2)``: positional required arguments, changed defaults."""
    positional, keywords = [], []
    for item in dataclasses.fields(layer):  # type: ignore[arg-type]
        if not item.repr or not item.init:
            continue
        value = getattr(layer, item.name)
        if item.default is dataclasses.MISSING and item.default_factory is dataclasses.MISSING:
            positional.append(repr(_collapse(value)))
        elif _collapse(value) != _collapse(item.default):
            keywords.append(f"{item.name}={_collapse(value)!r}")
    return f"{type(layer).__name__}({', '.join(positional + keywords)})"


def indent(text: str) -> str:
    """A child's repr indented one level inside its container's repr."""
    return text.replace("\n", "\n  ")
