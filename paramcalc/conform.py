"""Whether a value has the type a dataclass field declares: for fields set without a constructor.

A JSON report restores the zoo's and the builders' blocks field by field
(their constructors build a whole block from a few sizes, so they cannot be
called again). :func:`check_fields` holds each stored value to its field's
annotation first, so a hostile report fails when it is read, naming the
field, and not later inside a walk:

>>> from dataclasses import dataclass
>>> @dataclass(frozen=True)
... class Block:
...     heads: int
...     names: tuple[str, ...]
>>> check_fields(Block, {"heads": 12, "names": ("q", "k")})
>>> check_fields(Block, {"heads": "x", "names": ()})
Traceback (most recent call last):
...
paramcalc.errors.ConfigTypeError: Block: the stored `heads` must be int. Received: heads='x' (str).
"""

from __future__ import annotations

import math
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from paramcalc._check import MAX_INT, shown
from paramcalc.errors import ConfigTypeError

__all__ = ["check_fields", "conforms"]


def conforms(value: object, hint: object) -> bool:
    """Whether ``value`` is of type ``hint`` (an annotation; a list as stored is a tuple).

    ints are int64 (never bools), floats finite; a form not understood here
    (a type variable, a callable) is not checked.

    >>> conforms((1, 2), tuple[int, ...]), conforms(True, int), conforms(None, int | None)
    (True, False, True)
    """
    if hint is Any or hint is object:
        return True
    if hint is type(None) or hint is None:
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool) and abs(value) <= MAX_INT
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        return abs(value) <= MAX_INT if isinstance(value, int) else math.isfinite(value)
    if hint is str:
        return isinstance(value, str)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Union or origin is types.UnionType:
        return any(conforms(value, arg) for arg in args)
    if origin is typing.Literal:
        return value in args
    if origin in (tuple, list, Sequence):
        if not isinstance(value, tuple | list):
            return False
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            return len(value) == len(args) and all(map(conforms, value, args))
        return not args or all(conforms(item, args[0]) for item in value)
    if origin in (dict, Mapping):
        return isinstance(value, Mapping) and all(
            conforms(key, args[0]) and conforms(item, args[1]) for key, item in value.items()
        )
    if isinstance(hint, type):
        return isinstance(value, hint)
    return True


def check_fields(cls: type, values: Mapping[str, object]) -> None:
    """Refuse a stored value that is not of its field's declared type (ConfigTypeError)."""
    hints = typing.get_type_hints(cls)
    for name, value in values.items():
        hint = hints.get(name, Any)
        if not conforms(value, hint):
            shown_hint = getattr(hint, "__name__", None) or str(hint).replace("typing.", "")
            raise ConfigTypeError(
                f"{cls.__name__}: the stored `{name}` must be {shown_hint}. "
                f"Received: {name}={shown(value)} ({type(value).__name__})."
            )
