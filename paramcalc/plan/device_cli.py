"""``--device NAME`` (aliases, ``list``) and ``--device-memory SIZE`` on the command line.

>>> parse_memory("80GiB") == parse_memory("80G") == 80 * 2**30, parse_memory("80GB")
(True, 80000000000)
>>> parse_memory("160")  # doctest: +ELLIPSIS
Traceback (most recent call last):
argparse.ArgumentTypeError: a size needs its unit: ... a bare 160 would be 160 bytes
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from typing import Any

from paramcalc.errors import ConfigError
from paramcalc.units import iec_bytes

__all__ = ["DeviceAction", "device_list", "parse_memory"]

_UNITS = {
    "b": 1,
    "k": 2**10,
    "kib": 2**10,
    "m": 2**20,
    "mib": 2**20,
    "g": 2**30,
    "gib": 2**30,
    "t": 2**40,
    "tib": 2**40,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
}


def parse_memory(text: str) -> int:
    """A memory size with its unit: ``80GiB`` and ``80G`` are binary, ``80GB`` decimal.

    A bare number is refused: ``160`` would be 160 bytes, never what is meant.
    """
    match = re.fullmatch(r"\s*(\d{1,15}(?:\.\d{1,9})?)\s*([a-zA-Z]{0,3})\s*", text)
    if match is None:
        raise argparse.ArgumentTypeError(
            f"expected a size such as 80GiB, 80G (GiB) or 80GB (10⁹ bytes): {text[:40]!r}"
        )
    number, unit = match.group(1), match.group(2).lower()
    if not unit:
        raise argparse.ArgumentTypeError(
            f"a size needs its unit: {number}GiB (or {number}G, the same), "
            f"{number}GB (10⁹ bytes); a bare {number} would be {number} bytes"
        )
    if unit not in _UNITS:
        raise argparse.ArgumentTypeError(
            f"unknown unit {match.group(2)!r}: use GiB (or G), MiB (M), TiB (T), "
            f"or GB, MB, TB (powers of 10)"
        )
    whole, _, fraction = number.partition(".")
    scale = _UNITS[unit]
    size = int(whole) * scale + (int(fraction) * scale // 10 ** len(fraction) if fraction else 0)
    if size < 1:
        raise argparse.ArgumentTypeError(f"a device's memory must be more than 0: {text!r}")
    return size


class DeviceAction(argparse.Action):
    """``--device NAME``: the table's name (an alias resolved, its note kept), or ``list``.

    Sets ``device`` to the canonical name and ``device_note`` to what an
    alias was read as; an unknown name is a usage mistake with a "did you mean".
    """

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        """Resolve the name; an unknown one is an ``argparse.ArgumentError`` (exit 2)."""
        from paramcalc.plan.devices import resolve

        text = values if isinstance(values, str) else ""
        if text.strip().lower() == "list":
            setattr(namespace, self.dest, "list")
            return
        try:
            found, note = resolve(text)
        except ConfigError as problem:
            raise argparse.ArgumentError(self, str(problem).removeprefix("device: ")) from None
        setattr(namespace, self.dest, found.name)
        namespace.device_note = note


def device_list() -> str:
    """``--device list``: each device's name, memory, label, bandwidth and sources, by kind."""
    from paramcalc.plan.device_table import ALIASES, DEVICES

    lines = [
        "memory: what the driver reports where a record of it was found (* after the size), "
        "else the label; bandwidth in decimal units",
    ]
    kind = ""
    for item in DEVICES.values():
        if item.kind != kind:
            kind = item.kind
            lines += ["", kind]
        speed = f"{item.bandwidth / 10**12:.2f} TB/s" if item.bandwidth else "by chip"
        mark = "*" if item.memory_source else " "
        lines.append(
            f"  {item.name:18} {iec_bytes(item.memory):>11}{mark} {item.label:15} "
            f"{speed:>10}  {item.source}"
        )
        if item.memory_source:
            lines.append(f"  {'':18} * {item.memory_source}")
    lines += ["", "aliases"]
    for alias, (_name, note) in ALIASES.items():
        if note:
            lines.append(f"  {alias:18} {note}")
    lines.append("  (RTX cards also by number: 4090, 3090-ti, …)")
    return "\n".join(lines)
