"""A sweep: the inference peak at several contexts, batches or weight formats, as a table.

A :class:`Sweep` shows itself (``print``, Jupyter's HTML), joins a report
(``report.with_plans(sweep(...))``: a table after the totals in every format,
the ``"sweep"`` key in the JSON's ``"plans"``) and is what ``--sweep`` draws.

>>> from paramcalc.zoo.language import llama
>>> rows = sweep(llama(), "context", [1024, 2048], memory=24 * 2**30)
>>> print(rows)
    context batch     kv cache  activations         peak  fits
      1,024     1   512.00 MiB    97.02 MiB    13.15 GiB  yes
      2,048     1     1.00 GiB   194.03 MiB    13.74 GiB  yes
>>> repr(rows)
'Sweep(context: 1,024 to 2,048, 2 rows, peak 13.15 GiB to 13.74 GiB)'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from paramcalc import _check
from paramcalc.errors import ConfigError
from paramcalc.layer import Layer
from paramcalc.plan.inference import Inference, inference_memory
from paramcalc.units import iec_bytes

__all__ = ["Sweep", "sweep", "sweep_table", "sweep_text"]

_VARIES = ("context", "batch", "weights")


def sweep_table(
    rows: Sequence[dict[str, Any]], memory: int | None
) -> tuple[list[str], list[list[str]]]:
    """Headers and cells of a sweep's rows (``to_dict()`` rows): the drawing every format shares."""
    named = bool(rows) and "format" in rows[0]
    headers = ["weights"] if named else []
    headers += ["context", "batch", "kv cache", "activations", "peak"]
    headers += ["fits"] if memory is not None else []
    cells = []
    for row in rows:
        line = [str(row["format"])] if named else []
        line += [f"{row['context']:,}", str(row["batch"]), iec_bytes(row["kv_cache"])]
        line += [iec_bytes(row["activations"]), iec_bytes(row["total"])]
        if memory is not None:
            line.append("yes" if row["total"] <= memory else "no")
        cells.append(line)
    return headers, cells


def sweep_text(rows: Sequence[dict[str, Any]], memory: int | None) -> list[str]:
    """The rows as the command line prints them (a header line, a line a row)."""
    named = bool(rows) and "format" in rows[0]
    head = f"  {'context':>9} {'batch':>5} {'kv cache':>12} {'activations':>12} {'peak':>12}"
    lines = [(f"  {'weights':>8}" if named else "") + head + ("  fits" if memory else "")]
    for row in rows:
        lines.append(
            (f"  {row['format']:>8}" if named else "")
            + f"  {row['context']:>9,} {row['batch']:>5} {iec_bytes(row['kv_cache']):>12} "
            f"{iec_bytes(row['activations']):>12} {iec_bytes(row['total']):>12}"
            + (f"  {'yes' if row['total'] <= memory else 'no'}" if memory else "")
        )
    return lines


@dataclass(frozen=True)
class Sweep:
    """The peak (:class:`Inference`) at each value of ``varies``.

    ``varies`` is ``"context"``, ``"batch"`` or ``"weights"``; ``memory``
    (bytes, optional) adds a "fits" column.
    """

    varies: str
    peaks: tuple[Inference, ...]
    memory: int | None = None
    key: str = "sweep"
    """The plan's name under ``"plans"`` in a report's JSON."""

    def rows(self) -> list[dict[str, Any]]:
        """One JSON-able row a peak: ``context``, ``batch`` (``format``), then the peak's fields."""
        named = self.varies == "weights"
        return [
            {
                "context": p.context,
                "batch": p.batch,
                **({"format": p.weights_format} if named else {}),
                **p.to_dict(),
            }
            for p in self.peaks
        ]

    def to_dict(self) -> dict[str, Any]:
        """``varies``, ``memory`` and ``rows`` (see :meth:`rows`)."""
        return {"varies": self.varies, "memory": self.memory, "rows": self.rows()}

    def footer_lines(self) -> list[tuple[str, str]]:
        """One line naming the sweep; its rows are the :meth:`table`."""
        fits = f", fits in {iec_bytes(self.memory)}?" if self.memory is not None else ""
        return [("Inference sweep", f"{self.varies}, {len(self.peaks)} rows{fits}")]

    def table(self) -> tuple[list[str], list[list[str]]]:
        """Headers and cells, drawn after a report's totals in every format."""
        return sweep_table(self.rows(), self.memory)

    def text_block(self) -> str:
        """The table as the command line prints it (the text renderer's drawing)."""
        return "\n".join(sweep_text(self.rows(), self.memory))

    def __str__(self) -> str:
        """:meth:`text_block`."""
        return self.text_block()

    def __repr__(self) -> str:
        """One line: what varies, from where to where, and the peaks."""
        first, last = self.peaks[0], self.peaks[-1]
        values = {
            "context": (f"{first.context:,}", f"{last.context:,}"),
            "batch": (str(first.batch), str(last.batch)),
            "weights": (first.weights_format, last.weights_format),
        }[self.varies]
        return (
            f"Sweep({self.varies}: {values[0]} to {values[1]}, {len(self.peaks)} rows, "
            f"peak {iec_bytes(first.total)} to {iec_bytes(last.total)})"
        )

    def _repr_html_(self) -> str:
        """The table, escaped (Jupyter)."""
        from paramcalc.plan.show import html_table

        return html_table(*self.table())


def sweep(
    net: Layer,
    varies: str,
    values: Sequence[Any],
    context: int = 4096,
    batch: int = 1,
    *,
    memory: int | None = None,
    **options: Any,
) -> Sweep:
    """:func:`inference_memory` at each of ``values`` of ``varies`` (the rest held), in order.

    ``varies`` is ``"context"``, ``"batch"`` (counts) or ``"weights"`` (formats);
    at most 64 values. ``options`` go to :func:`inference_memory`.
    """
    if varies not in _VARIES:
        raise ConfigError(
            f"sweep: `varies` must be one of {', '.join(map(repr, _VARIES))}. "
            f"Received: varies={_check.shown(varies)}."
        )
    if isinstance(values, (str, bytes)) or not 1 <= len(values) <= 64:
        raise ConfigError(
            f"sweep: `values` must be a list of 1 to 64 values. Received: {_check.shown(values)}."
        )
    if memory is not None:
        _check.positive("sweep", "memory", memory)
    peaks = []
    for value in values:
        if varies == "context":
            peaks.append(inference_memory(net, value, batch, **options))
        elif varies == "batch":
            peaks.append(inference_memory(net, context, value, **options))
        else:
            peaks.append(inference_memory(net, context, batch, **{**options, "weights": value}))
    return Sweep(varies, tuple(peaks), memory)
