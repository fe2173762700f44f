"""Accelerators as data, and whether a model fits on one.

Each device lists its memory and memory bandwidth from the maker's data
sheet (``source``). NVIDIA's "80GB" of HBM or GDDR are GiB (torch reports a
little less: the driver keeps some); bandwidths are decimal (TB/s = 10¹²
bytes a second). ``workspace`` is the cuBLAS workspace torch allocates
through its caching allocator on that architecture
(``aten/src/ATen/cuda/CublasHandlePool.cpp``: 32 MiB on Hopper and later,
4096 KiB·2 + 16 KiB·8 before), which ``max_memory_allocated`` counts.

>>> d = device("h100-80gb")
>>> d.memory == 80 * 2**30, d.bandwidth
(True, 3350000000000)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from paramcalc._check import MAX_INT
from paramcalc.errors import ConfigError
from paramcalc.layer import Layer
from paramcalc.plan.inference import Inference, inference_memory
from paramcalc.plan.kv_cache import kv_cache_bytes

__all__ = ["DEVICES", "Device", "Fit", "device", "fit", "largest_fitting"]

_GIB = 2**30
_HOPPER_WORKSPACE = 32 * 2**20
_AMPERE_WORKSPACE = 4096 * 1024 * 2 + 16 * 1024 * 8


@dataclass(frozen=True)
class Device:
    """An accelerator: ``memory`` in bytes, ``bandwidth`` in bytes a second, and their source."""

    name: str
    memory: int
    bandwidth: int
    workspace: int
    source: str

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-able data."""
        return {
            "name": self.name,
            "memory": self.memory,
            "bandwidth": self.bandwidth,
            "workspace": self.workspace,
            "source": self.source,
        }


_NV = "https://www.nvidia.com/en-us/data-center/"
DEVICES: dict[str, Device] = {
    d.name.lower(): d
    for d in (
        Device("H200", 141 * _GIB, 4_800 * 10**9, _HOPPER_WORKSPACE, _NV + "h200/"),
        Device("H100-80GB", 80 * _GIB, 3_350 * 10**9, _HOPPER_WORKSPACE, _NV + "h100/ (SXM)"),
        Device("H100-PCIe", 80 * _GIB, 2_000 * 10**9, _HOPPER_WORKSPACE, _NV + "h100/ (PCIe)"),
        Device("A100-80GB", 80 * _GIB, 2_039 * 10**9, _AMPERE_WORKSPACE, _NV + "a100/ (SXM)"),
        Device("A100-40GB", 40 * _GIB, 1_555 * 10**9, _AMPERE_WORKSPACE, _NV + "a100/ (SXM)"),
        Device("L40S", 48 * _GIB, 864 * 10**9, _AMPERE_WORKSPACE, _NV + "l40s/"),
        Device("L4", 24 * _GIB, 300 * 10**9, _AMPERE_WORKSPACE, _NV + "l4/"),
        Device("A10", 24 * _GIB, 600 * 10**9, _AMPERE_WORKSPACE, _NV + "products/a10-gpu/"),
        Device("T4", 16 * _GIB, 320 * 10**9, _AMPERE_WORKSPACE, _NV + "tesla-t4/"),
        Device(
            "RTX-4090",
            24 * _GIB,
            1_008 * 10**9,
            _AMPERE_WORKSPACE,
            "https://www.nvidia.com/en-us/geforce/graphics-cards/40-series/rtx-4090/",
        ),
        Device(
            "RTX-3090",
            24 * _GIB,
            936 * 10**9,
            _AMPERE_WORKSPACE,
            "https://www.nvidia.com/en-us/geforce/graphics-cards/30-series/rtx-3090-3090ti/",
        ),
        Device(
            "RTX-5090",
            32 * _GIB,
            1_792 * 10**9,
            _HOPPER_WORKSPACE,
            "https://www.nvidia.com/en-us/geforce/graphics-cards/50-series/rtx-5090/",
        ),
        Device(
            "MI300X",
            192 * _GIB,
            5_300 * 10**9,
            0,
            "https://www.amd.com/en/products/accelerators/instinct/mi300/mi300x.html",
        ),
    )
}
"""The accelerators ``--device`` knows, by lower-case name."""


def device(name: object) -> Device:
    """The device called ``name`` (case-insensitive).

    >>> device("RTX-4090").memory // 2**30
    24
    """
    if not isinstance(name, str) or name.strip().lower() not in DEVICES:
        names = ", ".join(d.name for d in DEVICES.values())
        raise ConfigError(f"device: `device` must be one of {names}. Received: device={name!r}.")
    return DEVICES[name.strip().lower()]


@dataclass(frozen=True)
class Fit:
    """Whether one forward fits ``memory`` bytes, by how much, and how fast decoding can go.

    ``margin`` is ``memory - peak`` (negative: short by that much);
    ``largest_context`` and ``largest_batch`` the largest that fit with the
    other held (None when not searched, 0 when nothing fits);
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

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-able data (field names documented in docs/inference-memory.md)."""
        return {
            "device": self.device,
            "memory": self.memory,
            "bandwidth": self.bandwidth,
            "fits": self.fits,
            "margin": self.margin,
            "largest_context": self.largest_context,
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
    largest_context = largest_batch = None
    if search:
        largest_context = largest_fitting(net, memory, context, batch, "context", **options)
        largest_batch = largest_fitting(net, memory, context, batch, "batch", **options)
    return Fit(
        device="custom" if chosen is None else chosen.name,
        memory=memory,
        bandwidth=None if chosen is None else chosen.bandwidth,
        peak=peak,
        largest_context=largest_context,
        largest_batch=largest_batch,
        bytes_per_step=step,
    )
