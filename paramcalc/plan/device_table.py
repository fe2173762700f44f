"""The accelerators ``--device`` knows: memory, bandwidth and where each figure comes from.

``memory`` is what the driver reports (``nvidia-smi``'s memory total, the
ROCm device of one GCD, Metal's ``recommendedMaxWorkingSetSize``) where a
public record of it was found and it is less than the label; otherwise the
label. Memory labels are binary: "80 GB" of HBM or GDDR is 80 GiB of chips
(NVIDIA, AMD and Intel alike), of which the driver keeps a little. Bandwidths
are decimal (TB/s = 10¹² bytes a second), from the maker's data sheet.

``workspace`` is the cuBLAS workspace torch allocates through its caching
allocator on that architecture (``aten/src/ATen/cuda/CublasHandlePool.cpp``:
32 MiB on Hopper and later, 4096 KiB·2 + 16 KiB·8 before); 0 where torch
takes none that ``max_memory_allocated`` counts (ROCm, Metal, Gaudi).

>>> d = DEVICES["h100-80gb"]
>>> d.memory == 81559 * 2**20, d.label, d.bandwidth
(True, '80 GB', 3350000000000)
>>> ALIASES["h100"][0]
'H100-80GB'
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ALIASES", "DEVICES", "Device", "normal_name"]

_GIB = 2**30
_MIB = 2**20
_HOPPER = 32 * 2**20
_AMPERE = 4096 * 1024 * 2 + 16 * 1024 * 8


@dataclass(frozen=True)
class Device:
    """An accelerator: ``memory`` in bytes, ``bandwidth`` in bytes a second, and their sources.

    ``label`` is the memory as the maker sells it; ``memory_source`` says where
    ``memory`` comes from when it is the driver's figure, not the label.
    ``bandwidth`` is 0 where it depends on the part (Apple's unified memory).
    """

    name: str
    memory: int
    bandwidth: int
    workspace: int
    source: str
    label: str = ""
    memory_source: str = ""
    kind: str = ""

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-able data."""
        return {
            "name": self.name,
            "memory": self.memory,
            "bandwidth": self.bandwidth,
            "workspace": self.workspace,
            "source": self.source,
            "label": self.label,
            "memory_source": self.memory_source,
            "kind": self.kind,
        }


_NV = "https://www.nvidia.com/en-us/data-center/"
_GF = "https://www.nvidia.com/en-us/geforce/graphics-cards/"
_RTX = "https://www.nvidia.com/en-us/design-visualization/"
_AMD = "https://www.amd.com/en/products/accelerators/instinct/"
_SMI = "nvidia-smi memory total"
_MODAL = f"{_SMI}, github.com/modal-labs/modal-client/pull/2797"
_METAL = "Metal recommendedMaxWorkingSetSize"
_INTEL = (
    "https://www.intel.com/content/www/us/en/products/details/processors/ai-accelerators/gaudi.html"
)
_NVL = "99,961,274,368 bytes from the driver, github.com/fastfetch-cli/fastfetch/issues/1658"
_GCD = "one of its two GCDs, each a 64 GB device to ROCm and torch"
_DC, _WS, _GEFORCE = "NVIDIA data centre", "NVIDIA workstation", "NVIDIA GeForce"
_INSTINCT, _APPLE, _GAUDI = "AMD Instinct", "Apple M-series (unified memory)", "Intel Gaudi"


def _nv(name: str, gib: int, tbs: float, page: str, *, mib: int = 0, seen: str = "") -> Device:
    """A data-centre NVIDIA part: ``gib`` on the label, ``mib`` as the driver reports it."""
    hopper = name.startswith(("H", "B", "GH"))
    return Device(
        name,
        mib * _MIB if mib else gib * _GIB,
        round(tbs * 10**12),
        _HOPPER if hopper else _AMPERE,
        _NV + page,
        label=f"{gib} GB",
        memory_source=seen,
        kind=_DC,
    )


def _card(
    name: str, gib: int, gbs: int, page: str, kind: str, *, mib: int = 0, seen: str = ""
) -> Device:
    """A GDDR card (workstation or GeForce): ``gbs`` GB/s."""
    blackwell = name.startswith("RTX-50")
    return Device(
        name,
        mib * _MIB if mib else gib * _GIB,
        gbs * 10**9,
        _HOPPER if blackwell else _AMPERE,
        page,
        label=f"{gib} GB GDDR",
        memory_source=seen,
        kind=kind,
    )


def _other(
    name: str, gib: float, gbs: int, page: str, kind: str, label: str, seen: str = ""
) -> Device:
    return Device(name, int(gib * _GIB), gbs * 10**9, 0, page, label, seen, kind)


_TABLE = (
    _nv(
        "B200",
        192,
        8,
        "hgx/ (HGX B200)",
        mib=183359,
        seen=f"{_SMI}, github.com/NVIDIA/TensorRT-LLM/issues/10278",
    ),
    _nv(
        "GH200-96GB", 96, 4, "grace-hopper-superchip/ (GPU HBM3; the Grace CPU's LPDDR5X is apart)"
    ),
    _nv("GH200-144GB", 144, 4.9, "grace-hopper-superchip/ (GPU HBM3e)"),
    _nv("H200", 141, 4.8, "h200/ (SXM)"),
    _nv("H200-NVL", 141, 4.8, "h200/ (NVL)"),
    _nv(
        "H100-80GB",
        80,
        3.35,
        "h100/ (SXM)",
        mib=81559,
        seen=f"{_SMI}, github.com/NVIDIA/nccl/issues/1264",
    ),
    _nv("H100-PCIe", 80, 2.0, "h100/ (PCIe)"),
    _nv("H100-NVL", 94, 3.9, "h100/ (NVL)", mib=95330, seen=_NVL),
    _nv("A100-80GB", 80, 2.039, "a100/ (SXM)", mib=81920, seen=_MODAL),
    _nv("A100-40GB", 40, 1.555, "a100/ (SXM)", mib=40960, seen=_MODAL),
    _nv("L40S", 48, 0.864, "l40s/", mib=46068, seen=_MODAL),
    _nv("L4", 24, 0.3, "l4/", mib=23034, seen=_MODAL),
    _nv("A10", 24, 0.6, "products/a10-gpu/", mib=23028, seen=_MODAL),
    _nv("T4", 16, 0.32, "tesla-t4/", mib=15360, seen=_MODAL),
    _nv("V100-32GB", 32, 0.9, "v100/ (SXM2)"),
    _nv("V100-16GB", 16, 0.9, "v100/ (SXM2)"),
    _card("RTX-6000-Ada", 48, 960, _RTX + "rtx-6000/", _WS),
    _card("RTX-A6000", 48, 768, _RTX + "rtx-a6000/", _WS),
    _card(
        "RTX-5090",
        32,
        1792,
        _GF + "50-series/rtx-5090/",
        _GEFORCE,
        mib=32607,
        seen=f"{_SMI}, github.com/noonghunna/club-3090/issues/1261",
    ),
    _card("RTX-5080", 16, 960, _GF + "50-series/rtx-5080/", _GEFORCE),
    _card("RTX-5070-Ti", 16, 896, _GF + "50-series/rtx-5070-family/", _GEFORCE),
    _card("RTX-5070", 12, 672, _GF + "50-series/rtx-5070-family/", _GEFORCE),
    _card("RTX-5060-Ti-16GB", 16, 448, _GF + "50-series/rtx-5060-family/", _GEFORCE),
    _card(
        "RTX-4090",
        24,
        1008,
        _GF + "40-series/rtx-4090/",
        _GEFORCE,
        mib=24564,
        seen=f"{_SMI}, github.com/RLinf/RLinf/issues/255",
    ),
    _card("RTX-4080", 16, 717, _GF + "40-series/rtx-4080-family/", _GEFORCE),
    _card("RTX-4070-Ti", 12, 504, _GF + "40-series/rtx-4070-family/", _GEFORCE),
    _card("RTX-4070", 12, 504, _GF + "40-series/rtx-4070-family/", _GEFORCE),
    _card("RTX-4060-Ti-16GB", 16, 288, _GF + "40-series/rtx-4060-4060ti/", _GEFORCE),
    _card("RTX-4060", 8, 272, _GF + "40-series/rtx-4060-4060ti/", _GEFORCE),
    _card("RTX-3090-Ti", 24, 1008, _GF + "30-series/rtx-3090-3090ti/", _GEFORCE),
    _card("RTX-3090", 24, 936, _GF + "30-series/rtx-3090-3090ti/", _GEFORCE),
    _card("RTX-3080", 10, 760, _GF + "30-series/rtx-3080-3080ti/", _GEFORCE),
    _card("RTX-3070", 8, 448, _GF + "30-series/rtx-3070-3070ti/", _GEFORCE),
    _card("RTX-3060", 12, 360, _GF + "30-series/rtx-3060-3060ti/", _GEFORCE),
    _other("MI355X", 288, 8000, _AMD + "mi350.html", _INSTINCT, "288 GB HBM3E"),
    _other("MI325X", 256, 6000, _AMD + "mi300/mi325x.html", _INSTINCT, "256 GB HBM3E"),
    _other("MI300X", 192, 5300, _AMD + "mi300/mi300x.html", _INSTINCT, "192 GB HBM3"),
    _other("MI250X", 64, 1638, _AMD + "mi200/mi250x.html", _INSTINCT, "128 GB HBM2e", _GCD),
    _other("MI210", 64, 1638, _AMD + "mi200/mi210.html", _INSTINCT, "64 GB HBM2e"),
    _other("Gaudi3", 128, 3700, _INTEL, _GAUDI, "128 GB HBM2e"),
    _other("Gaudi2", 96, 2450, _INTEL, _GAUDI, "96 GB HBM2e"),
    _other(
        "Apple-128GB",
        107.52,
        0,
        "any M-series Mac with 128 GB",
        _APPLE,
        "128 GB unified",
        f"{_METAL} 107.52 GiB, github.com/antirez/ds4/pull/893",
    ),
    _other(
        "Apple-96GB",
        72,
        0,
        "any M-series Mac with 96 GB",
        _APPLE,
        "96 GB unified",
        f"{_METAL} 73728.00 MB, github.com/ggml-org/llama.cpp/issues/3213",
    ),
    _other(
        "Apple-32GB",
        21845.34 / 1024,
        0,
        "any M-series Mac with 32 GB",
        _APPLE,
        "32 GB unified",
        f"{_METAL} 21845.34 MB, github.com/ollama/ollama/issues/434",
    ),
    _other(
        "Apple-16GB",
        10922.67 / 1024,
        0,
        "any M-series Mac with 16 GB",
        _APPLE,
        "16 GB unified",
        f"{_METAL} 10922.67 MB, github.com/abetlen/llama-cpp-python/issues/687",
    ),
)

DEVICES: dict[str, Device] = {d.name.lower(): d for d in _TABLE}
"""The accelerators ``--device`` knows, by lower-case name, in the table's order."""

_ALIAS_NOTES = {
    "h100": ("H100-80GB", "the SXM 80 GB part (H100-PCIe and H100-NVL are the others)"),
    "h100-sxm": ("H100-80GB", "the SXM 80 GB part"),
    "a100": ("A100-80GB", "the SXM 80 GB part (A100-40GB is the other)"),
    "v100": ("V100-32GB", "the SXM2 32 GB part (V100-16GB is the other)"),
    "gh200": ("GH200-96GB", "the GPU's 96 GB of HBM3 (GH200-144GB is the HBM3e part)"),
    "a6000": ("RTX-A6000", "the Ampere workstation card"),
    "rtx-6000": (
        "RTX-6000-Ada",
        "the Ada generation workstation card (RTX-A6000 is the Ampere one)",
    ),
    "gaudi-2": ("Gaudi2", "Intel Gaudi 2"),
    "gaudi-3": ("Gaudi3", "Intel Gaudi 3"),
}
ALIASES: dict[str, tuple[str, str]] = {
    alias: (name, f"{alias.upper()} is read as {name}, {why}")
    for alias, (name, why) in _ALIAS_NOTES.items()
}
"""Short names: lower-case alias -> (the table's name, a note saying so)."""
for _device in _TABLE:  # RTX-4090 is also "4090" and "RTX 4090"
    if _device.name.startswith("RTX-") and _device.name[4].isdigit():
        ALIASES.setdefault(_device.name[4:].lower(), (_device.name, ""))


def normal_name(text: str) -> str:
    """``text`` lower-cased with spaces and underscores as hyphens: ``"rtx 4090"`` → ``"rtx-4090"``.

    >>> normal_name(" RTX_4090 ")
    'rtx-4090'
    """
    return "-".join(text.strip().lower().replace("_", " ").split())
