"""The rule every container applies to a child: a plain name and a paramcalc layer."""

from __future__ import annotations

from paramcalc._check import shown
from paramcalc.errors import ConfigError, ConfigTypeError
from paramcalc.layer import Layer
from paramcalc.nesting import check_nesting

__all__ = ["check_entry"]


def check_entry(container: str, name: object, layer: object) -> tuple[str, Layer]:
    """``(name, layer)`` once ``name`` is a valid child name and ``layer`` a layer.

    >>> from paramcalc import Linear
    >>> check_entry("Sequential", "fc", Linear(2, 2))[0]
    'fc'
    >>> check_entry("Sequential", "a.b", Linear(2, 2))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    paramcalc.errors.ConfigError: Sequential: a layer name must be non-empty and contain no '.'...
    """
    if not isinstance(name, str):
        raise ConfigTypeError(f"{container}: layer names must be str. Received: {shown(name)}.")
    if not name or "." in name:
        raise ConfigError(
            f"{container}: a layer name must be non-empty and contain no '.'. "
            f"Received: {shown(name)}."
        )
    if not isinstance(layer, Layer):
        raise ConfigTypeError(
            f"{container}: `{name}` must be a paramcalc layer. "
            f"Received: {name}={shown(layer)} ({type(layer).__name__})."
        )
    return name, check_nesting(container, layer)
