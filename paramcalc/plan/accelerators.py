"""A minimal accelerator table for training plans: dense BF16 FLOP/s and memory.

Kept small and dependency-free so the command line can list the names
without loading the planners.

>>> DEVICES["H100-80GB"].bf16_flops
989400000000000.0
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEVICES", "Device"]


@dataclass(frozen=True)
class Device:
    """An accelerator: dense 16-bit tensor FLOP/s and memory (vendor datasheets)."""

    name: str
    bf16_flops: float
    memory_bytes: int


DEVICES = {
    device.name: device
    for device in (
        # NVIDIA H100 datasheet (SXM5): 989.4 dense BF16 TFLOPS, 80 GB HBM3
        Device("H100-80GB", 989.4e12, 80 * 10**9),
        # NVIDIA H200 datasheet (SXM): 989.4 dense BF16 TFLOPS, 141 GB HBM3e
        Device("H200", 989.4e12, 141 * 10**9),
        # NVIDIA A100 datasheet: 312 dense BF16 TFLOPS, 80 GB / 40 GB
        Device("A100-80GB", 312e12, 80 * 10**9),
        Device("A100-40GB", 312e12, 40 * 10**9),
        # NVIDIA L4 datasheet: 121 dense BF16 TFLOPS (242 with sparsity), 24 GB
        Device("L4", 121e12, 24 * 10**9),
        # NVIDIA RTX 4090 (Ada whitepaper): 165.2 dense BF16 TFLOPS (FP32 accumulate 82.6), 24 GB
        Device("RTX-4090", 165.2e12, 24 * 10**9),
    )
}
"""A minimal device table; memory in decimal GB as the datasheets print it (a lower bound)."""
