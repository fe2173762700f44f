"""How deep containers may nest: the limit, checked as each container is built.

Counting, walking and rendering recurse once per level; the limit keeps them
well inside Python's recursion limit.
"""

from __future__ import annotations

from paramcalc.errors import ConfigError
from paramcalc.layer import Layer

__all__ = ["MAX_NESTING", "check_nesting"]

MAX_NESTING = 100
"""The deepest nesting of containers accepted (real networks nest about ten deep).

Counting, walking and rendering recurse once per level; the limit keeps them
well inside Python's recursion limit.
"""


def check_nesting(owner: str, child: Layer) -> Layer:
    """``child`` if a container may hold it: at most :data:`MAX_NESTING` levels in all.

    Each container checks its children as it is built, so a network never
    grows deeper than the limit.

    >>> from paramcalc import Linear, Sequential
    >>> net = Linear(1, 1)
    >>> for _ in range(MAX_NESTING):
    ...     net = Sequential(net)
    >>> Sequential(net)
    Traceback (most recent call last):
    ...
    paramcalc.errors.ConfigError: Sequential: containers may be nested at most 100 deep ...
    """
    if child._nesting >= MAX_NESTING:
        raise ConfigError(
            f"{owner}: containers may be nested at most {MAX_NESTING} deep "
            f"(real networks nest about ten deep). Received: a child nested "
            f"{child._nesting} deep."
        )
    return child
