"""GGUF and llama.cpp: quantization presets, tensor names, file headers.

``types`` holds ggml's type traits (block size, bytes per block),
``names`` the GGUF tensor name llama.cpp's converter gives each tensor,
``quantize`` the per-tensor rules of every ``llama-quantize`` preset.
Names load on first use, so importing the package costs nothing.
"""

from __future__ import annotations
