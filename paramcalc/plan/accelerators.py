"""Dense 16-bit tensor FLOP/s of the accelerators, for training time.

The memory and bandwidth of each device are in :mod:`paramcalc.plan.devices`
(the ``--device`` table); this adds the peak dense BF16 (FP16 where the
device has no BF16) tensor throughput from the same makers' data sheets,
without sparsity.

>>> bf16_flops("H100-80GB")
989400000000000.0
"""

from __future__ import annotations

from paramcalc._check import shown
from paramcalc.errors import ConfigError

__all__ = ["BF16_FLOPS", "bf16_flops"]

BF16_FLOPS: dict[str, float] = {
    "h200": 989.4e12,  # H200 SXM: 1,979 TFLOPS with sparsity
    "h100-80gb": 989.4e12,  # H100 SXM: 1,979 with sparsity
    "h100-pcie": 756e12,  # H100 PCIe: 1,513 with sparsity
    "a100-80gb": 312e12,  # A100: 624 with sparsity
    "a100-40gb": 312e12,
    "l40s": 362.05e12,  # L40S: 733 with sparsity
    "l4": 121e12,  # L4: 242 with sparsity
    "a10": 125e12,  # A10: 250 with sparsity
    "t4": 65e12,  # T4: FP16 (no BF16)
    "rtx-4090": 165.2e12,  # Ada whitepaper: FP16/BF16 tensor, FP32 accumulate, dense
    "mi300x": 1307.4e12,  # AMD Instinct MI300X: BF16 dense
}
"""Peak dense BF16 FLOP/s by lower-case device name (vendor data sheets)."""


def bf16_flops(name: str) -> float:
    """The peak dense BF16 FLOP/s of device ``name`` (case-insensitive)."""
    key = name.strip().lower() if isinstance(name, str) else ""
    if key not in BF16_FLOPS:
        raise ConfigError(
            f"training time: no BF16 throughput for device {shown(name)}; known: "
            f"{', '.join(sorted(BF16_FLOPS))}."
        )
    return BF16_FLOPS[key]
