"""GGUF and llama.cpp: quantization presets, tensor names, file headers.

``types`` holds ggml's type traits (block size, bytes per block),
``names`` the GGUF tensor name llama.cpp's converter gives each tensor,
``quantize`` the per-tensor rules of every ``llama-quantize`` preset and
``presets`` the two together on a network. Names load on first use, so
importing the package costs nothing.

>>> from paramcalc import gguf
>>> from paramcalc.zoo.language import llama
>>> gguf.tensor_types(llama(), "Q4_K_M")["blk.0.ffn_down.weight"]
'Q6_K'
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False

_HOMES: dict[str, tuple[str, ...]] = {
    "paramcalc.gguf.names": ("gguf_model", "gguf_shapes"),
    "paramcalc.gguf.presets": ("preset_weights", "tensor_types"),
    "paramcalc.gguf.quantize": ("PRESETS",),
}
_WHERE = {name: module for module, names in _HOMES.items() for name in names}

__all__ = ["PRESETS", "gguf_model", "gguf_shapes", "preset_weights", "tensor_types"]

if TYPE_CHECKING:
    from paramcalc.gguf.names import gguf_model, gguf_shapes
    from paramcalc.gguf.presets import preset_weights, tensor_types
    from paramcalc.gguf.quantize import PRESETS


def __getattr__(name: str) -> object:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'paramcalc.gguf' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
