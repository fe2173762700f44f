"""Per-layer values (attention kinds, MLPs) without one entry per layer.

A :class:`Layout` is pieces: from index ``start`` on, layer ``i`` takes the
value of a cycle of ``(value, count)`` runs at ``i mod period`` (the cycle is
aligned at layer 0, as ``(i + 1) % pattern`` is). Gemma 3's five sliding
layers then one full one is one piece; DeepSeek-V3's dense first layers then
MoE ones are two. Its :meth:`~Layout.segments` are ``(runs, times)``: what a
:class:`~paramcalc.hf.blocks.LayerStack` holds. Every cost grows with the
pieces and runs, never with the number of layers.

>>> kinds = Layout.cycle((("sliding", 5), ("full", 1)), 62)
>>> kinds.segments()
(((('sliding', 5), ('full', 1)), 10), ((('sliding', 2),), 1))
>>> kinds[5], kinds[61], len(kinds)
('full', 'sliding', 62)
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from paramcalc.errors import ConfigError

__all__ = ["Layout"]

T = TypeVar("T", bound=Hashable)
U = TypeVar("U", bound=Hashable)

Runs = tuple[tuple[T, int], ...]

_MAX_MERGED = 10_000
"""Runs in one period of two cycles zipped (their least common multiple) at most."""


def _same(a: object, b: object) -> bool:
    return a is b or (isinstance(a, str | tuple) and a == b)


def _merge(runs: Sequence[tuple[T, int]]) -> tuple[tuple[T, int], ...]:
    merged: list[tuple[T, int]] = []
    for value, count in runs:
        if count <= 0:
            continue
        if merged and _same(merged[-1][0], value):
            merged[-1] = (value, merged[-1][1] + count)
        else:
            merged.append((value, count))
    return tuple(merged)


def _rotate(runs: Runs[T], phase: int) -> Runs[T]:
    """The cycle started ``phase`` layers in."""
    period = sum(count for _, count in runs)
    phase %= period
    if not phase:
        return runs
    done, index = 0, 0
    while done + runs[index][1] <= phase:
        done += runs[index][1]
        index += 1
    value, count = runs[index]
    skip = phase - done
    return _merge([(value, count - skip), *runs[index + 1 :], *runs[:index], (value, skip)])


def _prefix(runs: Runs[T], length: int) -> Runs[T]:
    """The first ``length`` layers of a cycle (``length`` below its period)."""
    taken: list[tuple[T, int]] = []
    for value, count in runs:
        if length <= 0:
            break
        taken.append((value, min(count, length)))
        length -= count
    return tuple(taken)


def _repeat(runs: Runs[T], times: int) -> list[tuple[T, int]]:
    if len(runs) * times > _MAX_MERGED:
        raise ConfigError(
            "from_hf_config: two layer patterns with these periods repeat only every "
            f"{times * sum(c for _, c in runs):,} layers; give `layer_types` instead."
        )
    return list(runs) * times


@dataclass(frozen=True)
class Layout(Generic[T]):
    """``length`` layers' values, as ``pieces``: ``(start, cycle runs)``, the first at 0."""

    length: int
    pieces: tuple[tuple[int, Runs[T]], ...]

    @classmethod
    def constant(cls, value: T, length: int) -> Layout[T]:
        """One value for every layer.

        >>> Layout.constant("full", 3).segments()
        (((('full', 3),), 1),)
        """
        return cls(length, ((0, ((value, 1),)),))

    @classmethod
    def cycle(cls, runs: Sequence[tuple[T, int]], length: int) -> Layout[T]:
        """Layer ``i`` takes the cycle's value at ``i mod period``."""
        return cls(length, ((0, _merge(runs)),))

    @classmethod
    def listed(cls, values: Sequence[T]) -> Layout[T]:
        """One value per layer, as ``config.layer_types`` lists them.

        >>> Layout.listed(["a", "a", "b"]).segments()
        (((('a', 2), ('b', 1)), 1),)
        """
        pieces: list[tuple[int, Runs[T]]] = []
        start = 0
        for value, count in _merge([(value, 1) for value in values]):
            pieces.append((start, ((value, 1),)))
            start += count
        return cls(len(values), tuple(pieces))

    @classmethod
    def split(cls, start: int, before: T, after: T, length: int) -> Layout[T]:
        """``before`` for the layers below ``start``, ``after`` from it on.

        >>> Layout.split(2, "full", "sliding", 5).segments()
        (((('full', 2), ('sliding', 3)), 1),)
        """
        return cls(length, ((0, ((before, 1),)), (start, ((after, 1),))))

    @classmethod
    def every(cls, every: int, length: int) -> Layout[str]:
        """Sliding layers, each ``every``-th one full (``(i + 1) % every``), as configs default.

        >>> Layout.every(2, 5).segments()
        (((('sliding_attention', 1), ('full_attention', 1)), 2), ((('sliding_attention', 1),), 1))
        """
        return Layout.cycle((("sliding_attention", every - 1), ("full_attention", 1)), length)

    def __len__(self) -> int:
        return self.length

    def _piece(self, index: int) -> int:
        return max(0, bisect.bisect_right([start for start, _ in self.pieces], index) - 1)

    def __getitem__(self, index: int) -> T:
        runs = self.pieces[self._piece(index)][1]
        return _rotate(runs, index)[0][0]

    def __contains__(self, value: object) -> bool:
        return any(_same(v, value) for runs, _ in self.segments() for v, _count in runs)

    def _intervals(self) -> list[tuple[int, tuple[int, int, Runs[T]]]]:
        """``(number, (start, end, runs))`` of the pieces that hold a layer."""
        found = []
        for number, (start, runs) in enumerate(self.pieces):
            end = self.pieces[number + 1][0] if number + 1 < len(self.pieces) else self.length
            end = min(end, self.length)
            if end > start:
                found.append((number, (start, end, runs)))
        return found

    def replaced(self, indices: Sequence[int], value: T) -> Layout[T]:
        """The layers at ``indices`` set to ``value``, the rest unchanged (one pass).

        >>> Layout.constant("a", 4).replaced([1, 9], "b").segments()
        (((('a', 1), ('b', 1), ('a', 2)), 1),)
        """
        marks = sorted({index for index in indices if 0 <= index < self.length})
        if not marks:
            return self
        pieces: list[tuple[int, Runs[T]]] = []
        old = list(self.pieces)
        position, governing = 0, old[0][1]
        for index in marks:
            while position < len(old) and old[position][0] <= index:
                pieces.append(old[position])
                governing = old[position][1]
                position += 1
            pieces.append((index, ((value, 1),)))
            pieces.append((index + 1, governing))
        pieces.extend(old[position:])
        kept: dict[int, Runs[T]] = {}
        for start, runs in pieces:  # a later piece at the same start wins
            kept[start] = runs
        return Layout(self.length, tuple(sorted(kept.items(), key=lambda item: item[0])))

    def map(self, change: Callable[[T], U]) -> Layout[U]:
        """Each value changed."""
        return Layout(
            self.length,
            tuple(
                (start, _merge([(change(v), c) for v, c in runs])) for start, runs in self.pieces
            ),
        )

    def zip(self, other: Layout[U]) -> Layout[tuple[T, U]]:
        """Pairs of both values, layer by layer.

        >>> Layout.cycle((("s", 1), ("f", 1)), 4).zip(Layout.constant("m", 4)).segments()
        ((((('s', 'm'), 1), (('f', 'm'), 1)), 2),)
        """
        starts = sorted({start for start, _ in self.pieces} | {start for start, _ in other.pieces})
        pieces: list[tuple[int, Runs[tuple[T, U]]]] = []
        for start in starts:
            mine = self.pieces[self._piece(start)][1]
            theirs = other.pieces[other._piece(start)][1]
            pieces.append((start, _zip(mine, theirs)))
        return Layout(self.length, tuple(pieces))

    def segments(self) -> tuple[tuple[Runs[T], int], ...]:
        """``(runs, times)`` in order: ``runs`` (one period) repeated ``times`` times."""
        found: list[tuple[Runs[T], int]] = []
        for _, (start, end, runs) in self._intervals():
            period = sum(count for _, count in runs)
            rotated = _rotate(runs, start)
            times, rest = divmod(end - start, period)
            if times:
                found.append((rotated, times))
            if rest:
                found.append((_prefix(rotated, rest), 1))
        simple: list[tuple[Runs[T], int]] = []
        for runs, times in found:  # a one-run period is one run; neighbours of one time merge
            if len(runs) == 1:
                runs, times = ((runs[0][0], runs[0][1] * times),), 1
            if times == 1 and simple and simple[-1][1] == 1:
                simple[-1] = (_merge([*simple[-1][0], *runs]), 1)
            else:
                simple.append((runs, times))
        return tuple(simple)


def _zip(mine: Runs[T], theirs: Runs[U]) -> Runs[tuple[T, U]]:
    """Two cycles' runs zipped over their common period."""
    first = sum(count for _, count in mine)
    second = sum(count for _, count in theirs)
    period = math.lcm(first, second)
    left = _repeat(mine, period // first)
    right = _repeat(theirs, period // second)
    zipped: list[tuple[tuple[T, U], int]] = []
    i = j = 0
    a, b = left[0][1], right[0][1]
    while i < len(left) and j < len(right):
        step = min(a, b)
        zipped.append(((left[i][0], right[j][0]), step))
        a, b = a - step, b - step
        if not a:
            i += 1
            a = left[i][1] if i < len(left) else 0
        if not b:
            j += 1
            b = right[j][1] if j < len(right) else 0
    return _merge(zipped)
