"""Freezing: copies of a network with some parameters made (un)trainable.

:meth:`Layer.freeze` and :meth:`Layer.unfreeze` reach this module through
:mod:`paramcalc.seam`. Patterns are globs over dotted layer paths; the copies
of a repeated block are frozen all together or not at all.

>>> from paramcalc import Linear, Sequential
>>> net = set_trainable(Sequential(Linear(4, 4), Linear(4, 2)), False, ("1",))
>>> net.params(), net.trainable_params()
(30, 20)
"""

from __future__ import annotations

import dataclasses
import fnmatch
import re
from collections.abc import Iterable
from typing import TypeVar, cast

from paramcalc.errors import ConfigError
from paramcalc.layer import Composite, Layer

__all__ = ["set_trainable"]

L = TypeVar("L", bound=Layer)


def set_trainable(layer: L, value: bool, patterns: tuple[str, ...]) -> L:
    """A copy of ``layer`` whose leaves under ``patterns`` (or all) get ``trainable=value``."""
    targets: set[int] = set()
    matched: set[str] = set()

    def mark(node: Layer, path: str, selected: bool) -> int:
        """Mark the leaves to change; return how many leaf uses were selected."""
        hits = {p for p in patterns if path and fnmatch.fnmatchcase(path, p)}
        matched.update(hits)
        selected = selected or bool(hits)
        if isinstance(node, Composite):
            counts = [
                (id(child), mark(child, f"{path}.{name}" if path else name, selected))
                for name, child in _copies_to_mark(node, patterns)
            ]
            # copies of one block object must all be selected alike
            if node.distinct_copies and len(set(counts)) > len(dict(counts)):
                raise ConfigError(
                    f"{type(node).__name__} `{path}`: the copies of a repeated block are "
                    "identical; freeze or unfreeze all of them or none. "
                    f"Received patterns selecting some copies only: "
                    f"{', '.join(repr(p) for p in patterns)}."
                )
            return sum(count for _, count in counts)
        if selected:
            targets.add(id(node))
        return int(selected)

    mark(layer, "", not patterns)
    missing = [p for p in patterns if p not in matched]
    if missing:
        raise ConfigError(
            f"{type(layer).__name__}.{'freeze' if not value else 'unfreeze'}: no layer path "
            f"matches {', '.join(repr(p) for p in missing)}."
        )
    memo: dict[int, Layer] = {}

    def rebuild(node: Layer) -> Layer:
        key = id(node)
        if key not in memo:
            if isinstance(node, Composite):
                children = _copies_to_mark(node, ()) if node.distinct_copies else node.children()
                memo[key] = node.rebuild([rebuild(child) for _, child in children])
            elif key in targets and node.trainable != value:
                memo[key] = dataclasses.replace(node, trainable=value)
            else:
                memo[key] = node
        return memo[key]

    return cast(L, rebuild(layer))


_FEW_COPIES = 1000
"""Up to this many copies of a repeated block, freezing looks at every copy's path."""


def _copies_to_mark(node: Composite, patterns: tuple[str, ...]) -> Iterable[tuple[str, Layer]]:
    """The children whose paths a freeze pattern is matched against.

    A repeated block's copies are one object: a few hundred are looked at one
    by one; of more, the first, second and last, and every index a pattern
    names or that has as many digits as one it names (``"h.1*"``, ``"h.[0-5]"``),
    so a pattern selecting some copies is still caught, at a cost set by the patterns.
    """
    if not node.distinct_copies or not hasattr(node, "block"):  # Repeat's one block only
        return node.children()
    children = node.children()
    first = next(children)
    count: int = getattr(node, "n", 1)
    if count <= _FEW_COPIES:
        return [first, *children]
    prefix = first[0].rstrip("0123456789")
    numbers = {int(text) for pattern in patterns for text in re.findall(r"\d+", pattern)}
    widths = {len(str(number)) for number in numbers}
    picked = {0, 1, count - 1} | {n for n in numbers if n < count}
    picked |= {10 ** (width - 1) for width in widths if 10 ** (width - 1) < count}
    return [(f"{prefix}{index}", first[1]) for index in sorted(picked)]
