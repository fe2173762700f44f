"""Argument validation shared by every layer.

Each helper takes the layer's type name and the argument's name so that the
message names both, and returns the value (normalized where stated).
No silent coercion: a ``bool`` is not an ``int``, a ``float`` is not an ``int``.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TypeVar

from paramcalc.errors import ConfigError, ConfigTypeError

T = TypeVar("T")


def _describe(value: object) -> str:
    return f"{value!r} ({type(value).__name__})"


def integer(layer: str, name: str, value: object, *, minimum: int | None = None) -> int:
    """Return ``value`` if it is an int (not a bool) of at least ``minimum``.

    >>> integer("Linear", "in_features", 0, minimum=1)
    Traceback (most recent call last):
    ...
    paramcalc.errors.ConfigError: Linear: `in_features` must be at least 1. Received: in_features=0.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigTypeError(
            f"{layer}: `{name}` must be an int. Received: {name}={_describe(value)}."
        )
    if minimum is not None and value < minimum:
        raise ConfigError(
            f"{layer}: `{name}` must be at least {minimum}. Received: {name}={value}."
        )
    return value


def positive(layer: str, name: str, value: object) -> int:
    """An int of at least 1."""
    return integer(layer, name, value, minimum=1)


def non_negative(layer: str, name: str, value: object) -> int:
    """An int of at least 0."""
    return integer(layer, name, value, minimum=0)


def boolean(layer: str, name: str, value: object) -> bool:
    """Return ``value`` if it is a bool (``0`` and ``1`` are not)."""
    if not isinstance(value, bool):
        raise ConfigTypeError(
            f"{layer}: `{name}` must be a bool. Received: {name}={_describe(value)}."
        )
    return value


def real(layer: str, name: str, value: object, *, minimum: float | None = None) -> float:
    """Return ``value`` if it is an int or float (not a bool), at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigTypeError(
            f"{layer}: `{name}` must be a number. Received: {name}={_describe(value)}."
        )
    if minimum is not None and value < minimum:
        raise ConfigError(
            f"{layer}: `{name}` must be at least {minimum}. Received: {name}={value!r}."
        )
    return value


def one_of(layer: str, name: str, value: T, options: Collection[T]) -> T:
    """Return ``value`` if it is one of ``options``."""
    if value not in options:
        listed = ", ".join(repr(option) for option in options)
        raise ConfigError(f"{layer}: `{name}` must be one of {listed}. Received: {name}={value!r}.")
    return value


def int_tuple(layer: str, name: str, value: object, n: int, *, minimum: int = 0) -> tuple[int, ...]:
    """Expand an int or check a tuple of ``n`` ints, each at least ``minimum``.

    This is torch's ``_pair``/``_triple``: ``5`` becomes ``(5, 5)``.

    >>> int_tuple("Conv2d", "kernel_size", 5, 2, minimum=1)
    (5, 5)
    >>> int_tuple("Conv2d", "stride", (1, 2, 3), 2, minimum=1)
    Traceback (most recent call last):
    ...
    paramcalc.errors.ConfigError: Conv2d: `stride` must be an int or a tuple of 2 ints. ...
    """
    if isinstance(value, (tuple, list)):
        if len(value) != n or any(
            isinstance(item, bool) or not isinstance(item, int) for item in value
        ):
            error = ConfigError if len(value) != n else ConfigTypeError
            raise error(
                f"{layer}: `{name}` must be an int or a tuple of {n} ints. "
                f"Received: {name}={tuple(value)!r}."
            )
        items: tuple[int, ...] = tuple(value)
    else:
        items = (integer(layer, name, value),) * n
    for item in items:
        if item < minimum:
            shown = items if len(set(items)) > 1 or not isinstance(value, int) else value
            raise ConfigError(
                f"{layer}: `{name}` must be at least {minimum}. Received: {name}={shown!r}."
            )
    return items
