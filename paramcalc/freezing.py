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
                for name, child in node.children()
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
                memo[key] = node.rebuild([rebuild(child) for _, child in node.children()])
            elif key in targets and node.trainable != value:
                memo[key] = dataclasses.replace(node, trainable=value)
            else:
                memo[key] = node
        return memo[key]

    return cast(L, rebuild(layer))
