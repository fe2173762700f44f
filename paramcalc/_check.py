"""Argument validation shared by every layer.

Each helper takes the layer's type name and the argument's name so that the
message names both, and returns the value (normalized where stated).
No silent coercion: a ``bool`` is not an ``int``, a ``float`` is not an ``int``.
"""

from __future__ import annotations

import math
import reprlib
from collections.abc import Collection, Sequence
from typing import TypeVar

from paramcalc.errors import ConfigError, ConfigTypeError

T = TypeVar("T")

MAX_INT = 2**63 - 1
"""The largest integer argument accepted: torch's sizes and counts are int64."""


MAX_LAYERS = 1_000
"""The most layers one layer builds copies of (``LSTM``'s ``num_layers``, ``TransformerEncoder``'s).

paramcalc lists their tensors and rows one by one, so the cost grows with the
count; ``Repeat`` repeats a block any number of times at a fixed cost.
"""


def layer_count(layer: str, name: str, value: object) -> int:
    """A number of stacked layers: an int from 1 to :data:`MAX_LAYERS`.

    >>> layer_count("LSTM", "num_layers", 10**12)
    Traceback (most recent call last):
    ...
    paramcalc.errors.ConfigError: LSTM: `num_layers` must be at most 1,000 ...
    """
    count = integer(layer, name, value, minimum=1)
    if count > MAX_LAYERS:
        raise ConfigError(
            f"{layer}: `{name}` must be at most {MAX_LAYERS:,} (paramcalc lists each stacked "
            f"layer; Repeat(block, n) repeats a block any number of times). "
            f"Received: {name}={count:,}."
        )
    return count


def no_huge_ints(layer: str, name: str, value: object) -> None:
    """Refuse an int past :data:`MAX_INT` anywhere in an argument (tuples, lists, dicts).

    Every int a layer takes is a size, a count or a dim: torch's are int64.
    Checked before any other rule, so no message ever shows such an int.

    >>> no_huge_ints("AdaptiveAvgPool2d", "output_size", (7, 2**64))
    Traceback (most recent call last):
    ...
    paramcalc.errors.ConfigError: AdaptiveAvgPool2d: `output_size` must be at most ...
    """
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, int) and not isinstance(item, bool):
            if abs(item) > MAX_INT:
                raise _too_big(layer, name, item)
        elif isinstance(item, (tuple, list)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())


def _too_big(layer: str, name: str, value: int) -> ConfigError:
    magnitude = abs(value)  # str() refuses ints of over 4,300 digits: count them
    digits = int((magnitude.bit_length() - 1) * math.log10(2)) + 1
    while 10**digits <= magnitude:
        digits += 1
    return ConfigError(
        f"{layer}: `{name}` must be at most {MAX_INT:,} in magnitude (torch's sizes are int64). "
        f"Received: {name}, an int of {digits:,} digits."
    )


class _Repr(reprlib.Repr):
    """reprlib's short reprs, with ints too long for ``str()`` described by their size."""

    def repr_int(self, x: int, level: int) -> str:
        if x.bit_length() > 10_000:  # str() refuses ints of over 4,300 digits
            return f"<an int of {x.bit_length():,} bits>"
        return super().repr_int(x, level)


_REPR = _Repr()
_REPR.maxstring = _REPR.maxother = 80
_REPR.maxlong = 60


def shown(value: object) -> str:
    """``repr(value)`` for a message: shortened, and safe for ints too long for ``str()``.

    >>> shown((1, 10**5000)), shown("x" * 100)[:12]
    ('(1, <an int of 16,610 bits>)', "'xxxxxxxxxxx")
    """
    return _REPR.repr(value)


def shown_names(names: Sequence[str], limit: int = 10) -> str:
    """Names for a message, comma-separated, each shortened as by :func:`shown`, at most ``limit``.

    >>> shown_names(["rope_type", "x" * 100])[:15], len(shown_names(["x" * 100]))
    ('rope_type, xxxx', 80)
    >>> shown_names([f"k{i}" for i in range(2_000_000)], limit=3)
    'k0, k1, k2 and 1,999,997 more'
    """
    cut = _REPR.maxstring
    listed = [name if len(name) <= cut else name[: cut - 1] + "…" for name in names[:limit]]
    more = f" and {len(names) - limit:,} more" if len(names) > limit else ""
    return ", ".join(listed) + more


def _describe(value: object) -> str:
    return f"{shown(value)} ({type(value).__name__})"


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
    if abs(value) > MAX_INT:
        raise _too_big(layer, name, value)
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


def real(
    layer: str,
    name: str,
    value: object,
    *,
    minimum: float | None = None,
    finite: bool = False,
) -> float:
    """Return ``value`` if it is an int or float (not a bool, not NaN), at least ``minimum``.

    ``finite`` refuses infinities too.

    >>> real("Upsample", "scale_factor", float("inf"), finite=True)
    Traceback (most recent call last):
    ...
    paramcalc.errors.ConfigError: Upsample: `scale_factor` must be a finite number. ...
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigTypeError(
            f"{layer}: `{name}` must be a number. Received: {name}={_describe(value)}."
        )
    if isinstance(value, int) and abs(value) > MAX_INT:
        raise _too_big(layer, name, value)
    if math.isnan(value) or (finite and math.isinf(value)):
        rule = "a finite number" if finite else "a number, not NaN"
        raise ConfigError(f"{layer}: `{name}` must be {rule}. Received: {name}={shown(value)}.")
    if minimum is not None and value < minimum:
        raise ConfigError(
            f"{layer}: `{name}` must be at least {minimum}. Received: {name}={shown(value)}."
        )
    return value


def one_of(layer: str, name: str, value: T, options: Collection[T]) -> T:
    """Return ``value`` if it is one of ``options``."""
    if value not in options:
        listed = ", ".join(repr(option) for option in options)
        raise ConfigError(
            f"{layer}: `{name}` must be one of {listed}. Received: {name}={shown(value)}."
        )
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
                f"Received: {name}={shown(tuple(value))}."
            )
        items: tuple[int, ...] = tuple(value)
        for item in items:
            if abs(item) > MAX_INT:
                raise _too_big(layer, name, item)
    else:
        items = (integer(layer, name, value),) * n
    for item in items:
        if item < minimum:
            given = items if len(set(items)) > 1 or not isinstance(value, int) else value
            raise ConfigError(
                f"{layer}: `{name}` must be at least {minimum}. Received: {name}={shown(given)}."
            )
    return items
