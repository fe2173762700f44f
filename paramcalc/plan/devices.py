"""Accelerators as data, and whether a model fits on one.

The table of devices (memory as the driver reports it, bandwidth, the
cuBLAS workspace and the source of each figure) is
:mod:`paramcalc.plan.device_table`; this module finds a device by name or
alias and answers whether a model fits it.

>>> d = device("H100")
>>> d.name, d.memory == 81559 * 2**20, d.bandwidth
('H100-80GB', True, 3350000000000)
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from paramcalc import _check
from paramcalc._check import MAX_INT
from paramcalc.errors import ConfigError, ConfigTypeError
from paramcalc.hf.positions import Positions, declared
from paramcalc.layer import Layer
from paramcalc.plan.device_table import ALIASES, DEVICES, Device, normal_name
from paramcalc.plan.inference import Inference, inference_memory
from paramcalc.plan.kv_cache import kv_cache_bytes
from paramcalc.units import iec_bytes

__all__ = ["DEVICES", "Device", "Fit", "device", "fit", "largest_fitting", "resolve"]


def resolve(name: object) -> tuple[Device, str]:
    """The device called ``name`` (case, spaces and aliases allowed) and a note for an alias.

    >>> resolve("H100")[0].name, resolve("rtx 4090")[0].name
    ('H100-80GB', 'RTX-4090')
    """
    key = normal_name(name) if isinstance(name, str) else ""
    if key in DEVICES:
        return DEVICES[key], ""
    if key in ALIASES:
        canonical, note = ALIASES[key]
        return DEVICES[canonical.lower()], note
    known = [*DEVICES, *ALIASES]
    close = difflib.get_close_matches(key, known, n=3, cutoff=0.6)
    hint = (
        f"; did you mean {' or '.join(resolve(c)[0].name for c in dict.fromkeys(close))}?"
        if close
        else ""
    )
    raise ConfigError(
        f"device: no device called {_check.shown(name)}{hint} (--device list shows the "
        f"{len(DEVICES)} known, or give --device-memory SIZE)"
    )


def device(name: object) -> Device:
    """The device called ``name`` (case-insensitive; aliases such as ``H100`` too).

    >>> device("RTX-4090").memory // 2**20
    24564
    """
    return resolve(name)[0]


@dataclass(frozen=True)
class Fit:
    """Whether one forward fits ``memory`` bytes, by how much, and how fast decoding can go.

    ``margin`` is ``memory - peak`` (negative: short by that much);
    ``largest_context`` and ``largest_batch`` the largest that fit with the
    other held (None when not searched, 0 when nothing fits); the context is
    never beyond the model's declared ``positions`` limit, and
    ``context_bound`` says which bound it met: ``"memory"`` or ``"positions"``;
    ``seconds_per_token`` a lower bound on a decode step's time: the bytes it
    reads (every weight and the whole cache, once) over the bandwidth.
    """

    device: str
    memory: int
    bandwidth: int | None
    peak: Inference
    largest_context: int | None
    largest_batch: int | None
    bytes_per_step: int
    positions: Positions | None = None
    context_bound: str | None = None
    key: str = "fit"
    """The plan's name under ``"plans"`` in a report's JSON."""

    @property
    def fits(self) -> bool:
        """True if the peak is at most the memory."""
        return self.peak.total <= self.memory

    @property
    def margin(self) -> int:
        """Memory left at the peak (negative when it does not fit)."""
        return self.memory - self.peak.total

    @property
    def seconds_per_token(self) -> float | None:
        """A lower bound on the time of one decode step (None without a bandwidth)."""
        return None if not self.bandwidth else self.bytes_per_step / self.bandwidth

    def footer_lines(self) -> list[tuple[str, str]]:
        """``(label, value)`` lines: the peak, its terms and the device's answer."""
        p = self.peak
        lines = p.footer_lines()
        verdict = "fits" if self.fits else "does NOT fit"
        margin = f"{'-' if self.margin < 0 else ''}{iec_bytes(abs(self.margin))}"
        lines.append((f"  {self.device}", f"{iec_bytes(self.memory)}: {verdict}, margin {margin}"))
        if self.largest_context is not None and self.largest_batch is not None:
            bound = self.context_bound or "memory"
            if bound == "positions" and self.positions is not None:
                bound = f"the model's positions, {self.positions.source}"
            lines.append(
                (
                    "  Largest context",
                    f"{self.largest_context:,} at batch {p.batch} (bound: {bound})",
                )
            )
            lines.append(("  Largest batch", f"{self.largest_batch:,} at {p.context:,} tokens"))
        return lines

    def __repr__(self) -> str:
        """One readable line: ``Fit(RTX-4090: fits, peak 13.15 GiB of 23.99 GiB, …)``."""
        verdict = "fits" if self.fits else "does NOT fit"
        return (
            f"Fit({self.device}: {verdict}, peak {iec_bytes(self.peak.total)} of "
            f"{iec_bytes(self.memory)}, largest context {self.largest_context}, "
            f"largest batch {self.largest_batch})"
        )

    def __str__(self) -> str:
        """The footer lines as text (what ``print(fit(...))`` shows)."""
        from paramcalc.plan.show import text

        return text(self.footer_lines())

    def _repr_html_(self) -> str:
        """The footer lines as an escaped HTML table (Jupyter)."""
        from paramcalc.plan.show import html

        return html(self.footer_lines())

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-able data (field names documented in docs/inference-memory.md)."""
        return {
            "device": self.device,
            "memory": self.memory,
            "bandwidth": self.bandwidth,
            "fits": self.fits,
            "margin": self.margin,
            "largest_context": self.largest_context,
            "largest_context_bound": self.context_bound,
            "positions_limit": None if self.positions is None else self.positions.limit,
            "positions_source": None if self.positions is None else self.positions.source,
            "largest_batch": self.largest_batch,
            "bytes_per_decode_step": self.bytes_per_step,
            "seconds_per_token_lower_bound": self.seconds_per_token,
            "peak": self.peak.to_dict(),
        }


def largest_fitting(
    net: Layer, memory: int, context: int, batch: int, vary: str, **options: Any
) -> int:
    """The largest ``context`` (or ``batch``) whose peak fits ``memory`` bytes; 0 if none.

    Doubles, then halves the step: at most twice the bit length of
    ``memory`` plans (a token or a sequence costs at least its 8-byte input id,
    so no answer exceeds ``memory``), whatever the answer.
    """

    def peak(value: int) -> int:
        if vary == "context":
            return inference_memory(net, value, batch, **options).total
        return inference_memory(net, context, value, **options).total

    if peak(1) > memory:
        return 0
    low, high = 1, 2
    bound = min(memory, MAX_INT)
    while high <= bound and peak(high) <= memory:
        low, high = high, high * 2
    high = min(high, bound + 1)
    while high - low > 1:
        middle = (low + high) // 2
        if peak(middle) <= memory:
            low = middle
        else:
            high = middle
    return low


def fit(
    net: Layer,
    context: int,
    batch: int = 1,
    *,
    device_name: str | None = None,
    memory: int | None = None,
    search: bool = True,
    **options: Any,
) -> Fit:
    """Whether the forward ``inference_memory(net, context, batch, **options)`` fits a device.

    Give ``device_name`` (see :data:`DEVICES`; its cuBLAS workspace and the
    allocator's 512-byte rounding are added) or ``memory`` in bytes.

    >>> from paramcalc.zoo.language import llama
    >>> f = fit(llama(), 4096, device_name="RTX-4090", search=False)
    >>> f.fits, f.margin < 0  # Llama-2-7B in bf16: 13.5 GB of weights, then the 4k logits
    (True, False)
    """
    if memory is not None:  # a count of bytes: not "24GiB", not 1.5, not True, not nan
        if isinstance(memory, bool) or not isinstance(memory, int):
            raise ConfigTypeError(
                "fit: `memory` must be an int, in bytes (24 GiB: 24 * 2**30). "
                f"Received: memory={_check.shown(memory)} ({type(memory).__name__})."
            )
        _check.positive("fit", "memory", memory)
    chosen = None if device_name is None else device(device_name)
    if chosen is not None:
        options.setdefault("workspace", chosen.workspace)
        options.setdefault("round_to", 512)
        memory = chosen.memory if memory is None else memory
    if memory is None:
        raise ConfigError("fit: give `device_name` or `memory` (bytes).")
    peak = inference_memory(net, context, batch, **options)
    dtype = options.get("kv_dtype") or options.get("dtype", "bf16")
    step = peak.weights + kv_cache_bytes(net, context, batch, dtype)
    largest_context = largest_batch = bound = None
    positions = declared(net)
    if search:
        largest_context = largest_fitting(net, memory, context, batch, "context", **options)
        largest_batch = largest_fitting(net, memory, context, batch, "batch", **options)
        bound = "memory"
        if positions is not None and largest_context > positions.limit:
            largest_context, bound = positions.limit, "positions"
    return Fit(
        device="custom" if chosen is None else chosen.name,
        memory=memory,
        bandwidth=None if chosen is None else chosen.bandwidth,
        peak=peak,
        largest_context=largest_context,
        largest_batch=largest_batch,
        bytes_per_step=step,
        positions=positions,
        context_bound=bound,
    )
