"""How long the renderers take on a 10,000-row report (printed figures, not asserts).

/work/venv/bin/python benchmarks/render_speed.py
"""

from __future__ import annotations

import time
from collections.abc import Callable

from paramcalc import Linear, ReLU, Sequential
from paramcalc.render import render


def network(rows: int) -> Sequential:
    blocks = [Sequential(Linear(64, 64), ReLU(), Linear(64, 64), ReLU()) for _ in range(rows // 5)]
    return Sequential(*blocks)


def best_of(repeat: int, action: Callable[[], object]) -> float:
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        timings.append(time.perf_counter() - start)
    return min(timings)


def main() -> None:
    net = network(10_000)
    start = time.perf_counter()
    report = net.report((64,))
    built = time.perf_counter() - start
    print(f"report of {len(report.rows):,} rows built in {built * 1000:.0f} ms")
    for fmt in ("text", "markdown", "html", "json"):
        seconds = best_of(3, lambda fmt=fmt: render(report, fmt))  # type: ignore[misc]
        print(f"{fmt:>8}: {seconds * 1000:6.1f} ms")
    seconds = best_of(3, lambda: render(report, "text", explain=True))
    print(f"text with formulas: {seconds * 1000:6.1f} ms")
    seconds = best_of(3, lambda: render(report, "text", depth=0))
    print(f"text, depth 0: {seconds * 1000:6.1f} ms")


if __name__ == "__main__":
    main()
