"""Planners: inference memory (KV cache, weight formats, the peak) and devices.

Planners sit above the walk: they read networks, never the reverse. See
``docs/inference-memory.md``.

>>> from paramcalc.plan import kv_cache_bytes
>>> from paramcalc.zoo.language import llama
>>> kv_cache_bytes(llama(), 4096)  # Llama-2-7B: 32 layers · 2 · 32 heads · 128 · 2 bytes a token
2147483648
"""

from __future__ import annotations

from paramcalc.plan.devices import DEVICES, Device, Fit, device, fit, largest_fitting
from paramcalc.plan.inference import Inference, inference_memory
from paramcalc.plan.kv_cache import CacheEntry, KVCache, kv_cache, kv_cache_bytes
from paramcalc.plan.weights import FORMATS, WeightBytes, WeightFormat, weight_bytes

__all__ = [
    "DEVICES",
    "FORMATS",
    "CacheEntry",
    "Device",
    "Fit",
    "Inference",
    "KVCache",
    "WeightBytes",
    "WeightFormat",
    "device",
    "fit",
    "inference_memory",
    "kv_cache",
    "kv_cache_bytes",
    "largest_fitting",
    "weight_bytes",
]
