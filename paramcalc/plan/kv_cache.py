"""The key-value cache: the bytes ``transformers``' cache holds after a prefill.

Every attention layer declares what its cache holds through
:meth:`paramcalc.layer.Layer.cache_shapes` (per sample, after a prefill of
``context`` tokens); this module adds those tensors up over a network, a
repeated block once times its count, and prices them in the cache's dtype.

>>> from paramcalc.zoo.language import llama
>>> llama3_8b = llama(vocab_size=128256, intermediate_size=14336, num_key_value_heads=8)
>>> kv_cache_bytes(llama3_8b, 1)  # 32 layers · 2 · 8 heads · 128 · 2 bytes
131072
>>> kv_cache_bytes(llama3_8b, 131072) == 16 * 2**30
True
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from paramcalc import _check
from paramcalc.footprint import normalize_dtype, tensor_bytes
from paramcalc.graph import Repeat
from paramcalc.layer import Layer
from paramcalc.shapes import Shape, numel

__all__ = ["CacheEntry", "KVCache", "kv_cache", "kv_cache_bytes", "runs"]


@dataclass(frozen=True)
class CacheEntry:
    """One cached tensor of one layer (or of every copy of a repeated layer).

    ``path`` is the layer's dotted path, with ``{0..n-1}`` standing for the
    copies of a repeated block (``model.layers.{0..31}.self_attn``);
    ``shape`` is per sample; ``copies`` how many layers hold it; ``bytes``
    the total over the copies and the batch.
    """

    path: str
    tensor: str
    shape: Shape
    copies: int
    bytes: int

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-able data."""
        return {
            "path": self.path,
            "tensor": self.tensor,
            "shape": list(self.shape),
            "copies": self.copies,
            "bytes": self.bytes,
        }


@dataclass(frozen=True)
class KVCache:
    """The cache of a network after a prefill: its tensors and their bytes.

    ``context`` tokens of ``batch`` sequences (and ``encoder_tokens`` of an
    encoder output for cross-attention), stored in ``dtype``.
    """

    context: int
    batch: int
    dtype: str
    encoder_tokens: int
    entries: tuple[CacheEntry, ...]

    @property
    def bytes(self) -> int:
        """The total bytes of every cached tensor."""
        return sum(entry.bytes for entry in self.entries)

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-able data: the settings, the total and the entries."""
        return {
            "context": self.context,
            "batch": self.batch,
            "dtype": self.dtype,
            "encoder_tokens": self.encoder_tokens,
            "bytes": self.bytes,
            "entries": [entry.to_dict() for entry in self.entries],
        }


def runs(layer: Layer) -> list[tuple[str, Layer, int]] | None:
    """``(name, block, count)`` of a stack of repeated blocks, or None for another layer.

    ``Repeat`` is one run; a stack of runs (``hf``'s ``LayerStack``: a
    ``runs`` of ``(block, count)``) is several. The copies are named
    ``{first..last}``, so a planner walks each block once, whatever the count.
    """
    if isinstance(layer, Repeat):
        return [(f"{layer.prefix}{{0..{layer.n - 1}}}", layer.block, layer.n)]
    labelled = getattr(layer, "labelled", None)
    if getattr(layer, "distinct_copies", False) and callable(labelled):  # periods too
        return list(labelled())
    stack = getattr(layer, "runs", None)
    if not getattr(layer, "distinct_copies", False) or not isinstance(stack, tuple):
        return None
    named, start = [], 0
    for block, count in stack:
        named.append((f"{{{start}..{start + count - 1}}}", block, count))
        start += count
    return named


def _walk(
    layer: Layer, path: str, copies: int, tokens: int, encoder: int
) -> Iterator[tuple[str, str, Shape, int]]:
    shapes = layer.cache_shapes(tokens, encoder)
    if shapes:
        for tensor, shape in shapes:
            yield path, tensor, shape, copies
        return
    stack = runs(layer)
    if stack is not None:  # n copies of a block: walk it once, n times over
        for name, block, count in stack:
            inner = f"{path}.{name}" if path else name
            yield from _walk(block, inner, copies * count, tokens, encoder)
        return
    for name, child in layer.children():
        yield from _walk(child, f"{path}.{name}" if path else name, copies, tokens, encoder)


def kv_cache(
    net: Layer,
    context: int,
    batch: int = 1,
    dtype: object = "bfloat16",
    *,
    encoder_tokens: int = 0,
) -> KVCache:
    """The cache ``net`` holds after a prefill of ``context`` tokens: see :class:`KVCache`.

    ``dtype`` is the cache's (the model's compute dtype unless a quantized
    cache is asked for); ``encoder_tokens`` the encoder output's length that
    an encoder-decoder's cross-attention caches.

    >>> from paramcalc.zoo.language import gpt2
    >>> cache = kv_cache(gpt2(), 1024, dtype="fp16")
    >>> cache.bytes, cache.entries[0].path, cache.entries[0].shape
    (37748736, 'transformer.h.{0..11}.attn', (12, 1024, 64))
    """
    _check.positive("kv_cache", "context", context)
    _check.positive("kv_cache", "batch", batch)
    _check.non_negative("kv_cache", "encoder_tokens", encoder_tokens)
    name = normalize_dtype(dtype)
    entries = tuple(
        CacheEntry(path, tensor, shape, copies, copies * tensor_bytes(numel(shape) * batch, name))
        for path, tensor, shape, copies in _walk(net, "", 1, context, encoder_tokens)
    )
    return KVCache(context, batch, name, encoder_tokens, entries)


def kv_cache_bytes(
    net: Layer,
    context: int,
    batch: int = 1,
    dtype: object = "bfloat16",
    *,
    encoder_tokens: int = 0,
) -> int:
    """Bytes of the cache after a prefill of ``context`` tokens (see :func:`kv_cache`).

    >>> from paramcalc.zoo.language import mistral
    >>> kv_cache_bytes(mistral(), 4096, batch=2, dtype="fp8")  # 32·2·8·128 bytes a token
    536870912
    """
    return kv_cache(net, context, batch, dtype, encoder_tokens=encoder_tokens).bytes
