"""The rule every container applies to a child: a plain name and a paramcalc layer."""

from __future__ import annotations

from paramcalc.errors import ConfigError, ConfigTypeError
from paramcalc.layer import Layer

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
        raise ConfigTypeError(f"{container}: layer names must be str. Received: {name!r}.")
    if not name or "." in name:
        raise ConfigError(
            f"{container}: a layer name must be non-empty and contain no '.'. Received: {name!r}."
        )
    if not isinstance(layer, Layer):
        raise ConfigTypeError(
            f"{container}: `{name}` must be a paramcalc layer. "
            f"Received: {name}={layer!r} ({type(layer).__name__})."
        )
    return name, layer
