"""llama.cpp's memory under ``-ngl N``: what sits on the GPU and what stays in system memory.

llama.cpp (``src/llama-model.cpp``, ``load_tensors``) numbers the repeating
layers ``0 … n_layer - 1`` and the output layer ``n_layer``; with ``-ngl N``
the layers from ``n_layer + 1 - N`` on go to the GPU, so ``N > n_layer`` also
offloads the output layer (``output.weight``, ``output_norm``). The token
embedding always stays on the CPU (its rows are gathered there); a model
without ``output.weight`` uses the embedding as its output, and llama.cpp
then loads a second copy of it beside the output layer. Each layer's KV
cache lives with the layer (``offload_kqv``, the default).

>>> from paramcalc.gguf.llama_memory import LlamaShape
>>> shape = LlamaShape.from_config({"model_type": "llama", "hidden_size": 64,
...     "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 128,
...     "vocab_size": 100})
>>> sizes = {"token_embd.weight": 100, "blk.0.attn_q.weight": 10, "blk.1.attn_q.weight": 10,
...     "output.weight": 100}
>>> plan = llama_plan(shape, sizes, 512, ngl=2)  # the last layer and the output layer
>>> plan.gpu_weights, plan.cpu_weights, plan.gpu_layers
(110, 110, 2)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from paramcalc.errors import ConfigError
from paramcalc.gguf.llama_memory import (
    LlamaCompute,
    LlamaKV,
    LlamaShape,
    llama_compute_buffer,
    llama_kv_cache,
)

__all__ = ["LlamaPlan", "largest_context", "llama_plan", "most_layers"]

_LAYER = re.compile(r"blk\.(\d+)\.")
MAX_CONTEXT = 2**24
"""The largest context searched (16M tokens)."""


@dataclass(frozen=True)
class LlamaPlan:
    """Bytes on the GPU and in system memory for one llama.cpp context.

    ``gpu_layers`` counts the offloaded layers, the output layer included
    (``-ngl`` as llama.cpp reads it, at most ``n_layer + 1``). The compute
    buffer is an estimate (:func:`~paramcalc.gguf.llama_memory.llama_compute_buffer`);
    it is counted on the GPU when any layer is offloaded, else on the CPU.
    """

    n_ctx: int
    gpu_layers: int
    layers: int
    gpu_weights: int
    cpu_weights: int
    gpu_kv: int
    cpu_kv: int
    kv: LlamaKV
    compute: LlamaCompute
    notes: tuple[str, ...] = field(default=())

    @property
    def gpu_total(self) -> int:
        """Weights, cache and compute buffer on the GPU."""
        return self.gpu_weights + self.gpu_kv + (self.compute.bytes if self.gpu_layers else 0)

    @property
    def cpu_total(self) -> int:
        """Weights, cache and compute buffer in system memory."""
        return self.cpu_weights + self.cpu_kv + (0 if self.gpu_layers else self.compute.bytes)

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-able data."""
        return {
            "n_ctx": self.n_ctx,
            "ngl": self.gpu_layers,
            "layers": self.layers,
            "gpu": {
                "weights": self.gpu_weights,
                "kv_cache": self.gpu_kv,
                "compute_estimate": self.compute.bytes if self.gpu_layers else 0,
                "total": self.gpu_total,
            },
            "cpu": {
                "weights": self.cpu_weights,
                "kv_cache": self.cpu_kv,
                "compute_estimate": 0 if self.gpu_layers else self.compute.bytes,
                "total": self.cpu_total,
            },
            "kv_cache": self.kv.to_dict(),
            "compute": self.compute.to_dict(),
        }


def _layer_of(name: str, layers: int) -> int:
    """The llama.cpp layer a tensor belongs to: -1 the input, ``layers`` the output."""
    if name.startswith("token_embd."):
        return -1
    match = _LAYER.match(name)
    return int(match.group(1)) if match else layers


def llama_plan(
    shape: LlamaShape,
    tensor_bytes: Mapping[str, int],
    n_ctx: int,
    *,
    ngl: int = 0,
    type_k: str = "f16",
    type_v: str = "f16",
    n_batch: int = 2048,
    n_ubatch: int = 512,
) -> LlamaPlan:
    """The split of weights (``tensor_bytes``: GGUF name -> bytes), cache and compute buffer."""
    if isinstance(ngl, bool) or not isinstance(ngl, int) or ngl < 0:
        raise ConfigError(f"llama.cpp memory: `ngl` must be a whole number >= 0; it is {ngl!r:.40}")
    layers = shape.layers
    start = max(layers + 1 - ngl, 0)
    gpu = cpu = 0
    for name, size in tensor_bytes.items():
        if _layer_of(name, layers) >= start:
            gpu += size
        else:
            cpu += size
    if "output.weight" not in tensor_bytes and start <= layers:  # a second copy of the table
        gpu += tensor_bytes.get("token_embd.weight", 0)
    kv = llama_kv_cache(
        shape, n_ctx, type_k=type_k, type_v=type_v, n_batch=n_batch, n_ubatch=n_ubatch
    )
    gpu_kv = sum(kv.layer_bytes(shape, il) for il in range(start, layers))
    compute = llama_compute_buffer(shape, n_ctx, n_batch=n_batch, n_ubatch=n_ubatch)
    return LlamaPlan(
        n_ctx,
        min(ngl, layers + 1),
        layers,
        gpu,
        cpu,
        gpu_kv,
        kv.bytes - gpu_kv,
        kv,
        compute,
    )


def largest_context(
    shape: LlamaShape, tensor_bytes: Mapping[str, int], memory: int, **options: object
) -> int:
    """The largest ``n_ctx`` (a multiple of 256) whose GPU total fits ``memory``; 0 if none.

    The GPU total grows with the context, so a binary search over the 256-cell
    steps finds it in at most 17 plans.
    """
    low, high = 0, MAX_CONTEXT // 256
    while low < high:
        middle = (low + high + 1) // 2
        plan = llama_plan(shape, tensor_bytes, middle * 256, **options)  # type: ignore[arg-type]
        if plan.gpu_total <= memory:
            low = middle
        else:
            high = middle - 1
    return low * 256


def most_layers(
    shape: LlamaShape, tensor_bytes: Mapping[str, int], memory: int, n_ctx: int, **options: object
) -> int:
    """The largest ``-ngl`` (0 to ``n_layer + 1``) whose GPU total fits ``memory`` at ``n_ctx``."""
    best = 0
    for ngl in range(shape.layers + 2):
        plan = llama_plan(shape, tensor_bytes, n_ctx, ngl=ngl, **options)  # type: ignore[arg-type]
        if plan.gpu_total > memory:
            break
        best = ngl
    return best
