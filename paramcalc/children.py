"""Children by name: the rule for each child (a name, a layer) and a stack's copy by runs."""

from __future__ import annotations

from paramcalc._check import shown
from paramcalc.errors import ConfigError, ConfigTypeError
from paramcalc.layer import Layer
from paramcalc.nesting import check_nesting

__all__ = ["check_entry", "run_child"]


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


def run_child(
    runs: tuple[tuple[Layer, int], ...], key: int | str, prefix: str = ""
) -> Layer | None:
    """The copy at ``key`` of a stack held as ``(block, count)`` runs, or None.

    ``key`` is an index (negative counts from the end) or a copy's name,
    ``prefix`` then the index as torch writes it. The cost follows the runs,
    never the depth (``net.layers[10**12 - 1]``, ``getattr(stack, "x", None)``).

    >>> from paramcalc import Linear
    >>> runs = ((Linear(2, 2), 10**12), (Linear(2, 3), 1))
    >>> run_child(runs, "1000000000000").out_features, run_child(runs, -2).out_features
    (3, 2)
    >>> run_child(runs, "07"), run_child(runs, "x"), run_child(runs, 10**12 + 1)
    (None, None, None)
    """
    total = sum(count for _, count in runs)
    if isinstance(key, str):
        digits = key.removeprefix(prefix)
        if not (key.startswith(prefix) and digits.isascii() and digits.isdigit()):
            return None
        if len(digits) > len(str(total)):  # never int() a hostile run of digits
            return None
        key = int(digits)
        if str(key) != digits:  # torch names copy 7 "7", not "07"
            return None
    elif key < 0:
        key += total
    if not 0 <= key < total:
        return None
    for block, count in runs:
        if key < count:
            return block
        key -= count
    return None  # pragma: no cover - the runs add up to total
