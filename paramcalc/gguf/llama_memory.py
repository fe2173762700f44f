"""llama.cpp's memory for a model: its KV cache, its compute buffers, and the split under ``-ngl``.

llama.cpp (``src/llama-context.cpp``, ``src/llama-kv-cache.cpp``,
``src/llama-kv-cache-iswa.cpp``) pads the context to 256 cells, gives every
layer a K tensor of ``n_ctx × n_embd_k_gqa`` and a V tensor of ``n_ctx ×
n_embd_v_gqa`` in the cache types ``-ctk``/``-ctv``; a sliding-window layer
gets only ``pad256(min(n_ctx, n_swa + n_ubatch))`` cells (unless
``--swa-full``), and latent attention (DeepSeek's MLA) caches one latent row
of ``kv_lora_rank + rope`` a token and no V at all.

>>> shape = LlamaShape.from_config({"model_type": "llama", "hidden_size": 4096,
...     "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8,
...     "intermediate_size": 14336, "vocab_size": 128256})
>>> cache = llama_kv_cache(shape, 8192)
>>> cache.bytes == 1024 * 2**20, cache.cells
(True, 8192)
>>> llama_kv_cache(shape, 8192, type_k="q8_0", type_v="q8_0").bytes / 2**20
544.0
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from paramcalc.errors import ConfigError
from paramcalc.gguf.types import ggml_type, row_bytes

__all__ = [
    "CACHE_TYPES",
    "LlamaCompute",
    "LlamaKV",
    "LlamaShape",
    "llama_compute_buffer",
    "llama_kv_cache",
]

CACHE_TYPES = ("f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "iq4_nl", "q5_0", "q5_1")
"""The cache types ``-ctk``/``-ctv`` accept (``common/arg.cpp``'s ``kv_cache_types``)."""

PAD = 256
"""llama.cpp pads ``n_ctx`` and the sliding-window cache to 256 cells (``llama-context.cpp``)."""

_SWA_PATTERNS = {"gemma2": 2, "gemma3_text": 6, "gpt_oss": 2}
"""Families llama.cpp runs with a sliding-window cache, and its default layer pattern.

``set_swa_pattern(n)``: layer ``il`` slides when ``il % n < n - 1`` (``llama-hparams.cpp``).
llama.cpp ignores Mistral's, Qwen2's and Phi-3's windows (full caches).
"""


def _pad(value: int, to: int = PAD) -> int:
    return -(-value // to) * to


def _int(config: Mapping[str, Any], key: str, default: int | None = None) -> int:
    value = config.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"llama.cpp memory: `{key}` must be a whole number; it is {value!r:.40}")
    return value


_PLAIN_MLP = frozenset({"gpt2", "gpt_bigcode", "gpt_neox", "falcon", "phi"})
"""Families whose MLP is up, activation, down (no gate): one ``ff``-wide tensor at a time."""

_HEAD_DIMS = {"qwen3": 128, "qwen3_moe": 128, "gemma": 256, "gemma2": 256, "gemma3_text": 256}
"""``head_dim`` of the families whose config classes default it (absent from config.json)."""


def _first(config: Mapping[str, Any], *keys: str) -> str:
    """The first of ``keys`` the config has (GPT-2's ``n_embd`` for ``hidden_size`` …)."""
    return next((key for key in keys if key in config), keys[0])


def _kv_heads(config: Mapping[str, Any], model_type: str, heads: int) -> int:
    """The key/value heads as the family's config class reads them."""
    if model_type == "falcon":
        if config.get("new_decoder_architecture"):
            return _int(config, "num_kv_heads", heads)
        return 1 if config.get("multi_query", True) else heads
    if model_type == "gpt_bigcode":
        return 1 if config.get("multi_query", True) else heads
    default = 8 if model_type == "mistral" else heads
    return _int(config, "num_key_value_heads", default) or heads


def _feed_forward(config: Mapping[str, Any]) -> int:
    """The feed-forward width one token runs through: dense, or the chosen experts' together."""
    hidden = config.get("hidden_size") or config.get("n_embd") or 0
    width = config.get("intermediate_size") or config.get("ffn_hidden_size")
    width = width or config.get("n_inner") or 4 * _int({"h": hidden}, "h")
    dense = _int({"intermediate_size": width}, "intermediate_size")
    experts = next(
        (
            config[key]
            for key in ("n_routed_experts", "num_local_experts", "num_experts")
            if config.get(key)
        ),
        0,
    )
    if not experts:
        return dense
    expert = config.get("moe_intermediate_size") or dense
    width = _int({"f": expert}, "f") * _int(config, "num_experts_per_tok", 2)
    shared = _int(config, "shared_expert_intermediate_size", 0)  # runs after the experts
    shared += _int(config, "n_shared_experts", 0) * _int({"f": expert}, "f")
    width = max(width, shared)
    if config.get("first_k_dense_replace") or config.get("mlp_only_layers"):
        width = max(width, dense)
    return width


@dataclass(frozen=True)
class LlamaShape:
    """What llama.cpp's memory needs of a model: per-layer cache rows and the widths.

    ``k_heads``/``k_head`` and ``v_heads``/``v_head`` give each layer's row
    (``n_embd_k_gqa = heads × head``); ``v_heads`` is 0 with latent attention
    (no V cache); ``swa`` marks the sliding-window layers, ``window`` their span.
    """

    layers: int
    embedding: int
    vocab: int
    feed_forward: int
    heads: int
    head_k: int
    head_v: int
    kv_heads: int
    mla: bool
    swa: tuple[bool, ...]
    window: int
    gated: bool = True

    @property
    def k_row(self) -> int:
        """``n_embd_k_gqa``: the K cache's elements a token in one layer."""
        return (1 if self.mla else self.kv_heads) * self.head_k

    @property
    def v_row(self) -> int:
        """``n_embd_v_gqa`` (0 with latent attention: no V cache)."""
        return 0 if self.mla else self.kv_heads * self.head_v

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> LlamaShape:
        """From a Hugging Face ``config.json`` dict (a GGUF header's through ``hf_config``)."""
        if config.get("model_type") == "gemma3" and isinstance(config.get("text_config"), dict):
            config = {"model_type": "gemma3_text", **config["text_config"]}
        model_type = str(config.get("model_type"))
        layers = _int(config, _first(config, "num_hidden_layers", "n_layer"))
        hidden = _int(config, _first(config, "hidden_size", "n_embd"))
        heads = _int(config, _first(config, "num_attention_heads", "n_head"))
        kv_heads = _kv_heads(config, model_type, heads)
        head = config.get("head_dim") or _HEAD_DIMS.get(model_type) or hidden // heads
        mla = model_type in ("deepseek_v3", "deepseek_v2")
        head_k = head_v = _int({"head_dim": head}, "head_dim")
        if mla:  # the latent row: kv_lora_rank + the rope part (llama-model.cpp, deepseek2)
            head_k = _int(config, "kv_lora_rank") + _int(config, "qk_rope_head_dim")
            head_v = _int(config, "kv_lora_rank")
        inner = _feed_forward(config)
        swa = (False,) * layers
        window = 0
        pattern = _SWA_PATTERNS.get(model_type)
        if pattern and config.get("sliding_window"):
            window = _int(config, "sliding_window")
            kinds = config.get("layer_types")
            if isinstance(kinds, list) and len(kinds) == layers:
                swa = tuple(kind == "sliding_attention" for kind in kinds)
            else:
                pattern = _int(config, "sliding_window_pattern", pattern)
                swa = tuple(il % pattern < pattern - 1 for il in range(layers))
        return cls(
            layers=layers,
            embedding=hidden,
            vocab=_int(config, "vocab_size"),
            feed_forward=_int({"f": inner}, "f"),
            heads=heads,
            head_k=head_k,
            head_v=head_v,
            kv_heads=kv_heads,
            mla=mla,
            swa=swa,
            window=window,
            gated=model_type not in _PLAIN_MLP,
        )


@dataclass(frozen=True)
class LlamaKV:
    """llama.cpp's KV cache: cells, types and bytes of the full and sliding-window layers."""

    n_ctx: int
    cells: int
    swa_cells: int
    type_k: str
    type_v: str
    full_layers: int
    swa_layers: int
    k_bytes: int
    v_bytes: int

    @property
    def bytes(self) -> int:
        """K and V together: what llama.cpp prints as ``llama_kv_cache: size``."""
        return self.k_bytes + self.v_bytes

    def lines(self, shape: LlamaShape) -> list[tuple[int, int, int, int]]:
        """``(cells, layers, k_bytes, v_bytes)`` per cache llama.cpp logs (full, then sliding)."""
        k = row_bytes(self.type_k, shape.k_row)
        v = row_bytes(self.type_v, shape.v_row) if shape.v_row else 0
        out = []
        for cells, layers in ((self.cells, self.full_layers), (self.swa_cells, self.swa_layers)):
            if layers:
                out.append((cells, layers, cells * layers * k, cells * layers * v))
        return out

    def layer_bytes(self, shape: LlamaShape, il: int) -> int:
        """The cache bytes of layer ``il`` (for the ``-ngl`` split)."""
        cells = self.swa_cells if shape.swa[il] else self.cells
        k = row_bytes(self.type_k, shape.k_row)
        v = row_bytes(self.type_v, shape.v_row) if shape.v_row else 0
        return cells * (k + v)

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-able data."""
        return {
            "n_ctx": self.n_ctx,
            "cells": self.cells,
            "swa_cells": self.swa_cells,
            "type_k": self.type_k,
            "type_v": self.type_v,
            "full_layers": self.full_layers,
            "swa_layers": self.swa_layers,
            "k_bytes": self.k_bytes,
            "v_bytes": self.v_bytes,
            "bytes": self.bytes,
        }


def _cache_type(name: str, which: str, head: int) -> str:
    key = name.lower()
    if key not in CACHE_TYPES:
        raise ConfigError(
            f"llama.cpp memory: `{which}` must be one of {', '.join(CACHE_TYPES)}; "
            f"it is {name!r:.40}"
        )
    block = ggml_type(key).block
    if head % block:
        raise ConfigError(
            f"llama.cpp memory: {which} cache type {key} has blocks of {block}, which do not "
            f"divide the head size {head} (llama.cpp refuses it)"
        )
    return key


def batches(n_ctx: int, n_batch: int, n_ubatch: int) -> tuple[int, int, int]:
    """``(cells, n_batch, n_ubatch)`` as llama.cpp sets them (``llama-context.cpp``).

    ``n_batch`` is at most ``n_ctx`` and ``n_ubatch`` at most ``n_batch``;
    the context is then padded to 256 cells.

    >>> batches(1000, 2048, 512)
    (1024, 1000, 512)
    """
    for name, value in (("n_ctx", n_ctx), ("n_batch", n_batch), ("n_ubatch", n_ubatch)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(
                f"llama.cpp memory: `{name}` must be a whole number >= 1; it is {value!r:.40}"
            )
    batch = min(n_ctx, n_batch)
    return _pad(n_ctx), batch, min(batch, n_ubatch)


def llama_kv_cache(
    shape: LlamaShape,
    n_ctx: int,
    *,
    type_k: str = "f16",
    type_v: str = "f16",
    n_batch: int = 2048,
    n_ubatch: int = 512,
    swa_full: bool = False,
) -> LlamaKV:
    """The KV cache llama.cpp allocates for one sequence of ``n_ctx`` tokens.

    ``n_ctx`` is padded to 256 cells; sliding-window layers hold
    ``pad256(min(n_ctx, window + n_ubatch))`` cells (``llama-kv-cache-iswa.cpp``)
    unless ``swa_full``. A quantized cache type's block must divide the head
    size, and latent attention (one cache, no V) needs ``type_k == type_v``
    (``llama-context.cpp``).
    """
    cells, _, ubatch = batches(n_ctx, n_batch, n_ubatch)
    type_k = _cache_type(type_k, "type_k", shape.head_k)
    type_v = _cache_type(type_v, "type_v", shape.head_v)
    if shape.mla and type_k != type_v:
        raise ConfigError(
            f"llama.cpp memory: latent attention keeps one cache, so the K and V cache types "
            f"must be the same; they are {type_k} and {type_v} (llama.cpp refuses it)"
        )
    swa_layers = sum(shape.swa)
    swa_cells = cells if swa_full else min(cells, _pad(shape.window + ubatch))
    swa_cells = swa_cells if swa_layers else 0
    k_row = row_bytes(type_k, shape.k_row)
    v_row = row_bytes(type_v, shape.v_row) if shape.v_row else 0
    full_layers = shape.layers - swa_layers
    k_bytes = k_row * (cells * full_layers + swa_cells * swa_layers)
    v_bytes = v_row * (cells * full_layers + swa_cells * swa_layers)
    return LlamaKV(
        n_ctx, cells, swa_cells, type_k, type_v, full_layers, swa_layers, k_bytes, v_bytes
    )


@dataclass(frozen=True)
class LlamaCompute:
    """llama.cpp's compute buffer (an estimate: ggml's graph allocator decides the real one)."""

    n_ctx: int
    n_batch: int
    n_ubatch: int
    bytes: int
    terms: Mapping[str, int]

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-able data."""
        return {
            "n_ctx": self.n_ctx,
            "n_batch": self.n_batch,
            "n_ubatch": self.n_ubatch,
            "bytes": self.bytes,
            "estimate": True,
            "terms": dict(self.terms),
        }


def llama_compute_buffer(
    shape: LlamaShape,
    n_ctx: int,
    *,
    n_batch: int = 2048,
    n_ubatch: int = 512,
    flash_attn: bool = True,
    swa_full: bool = False,
) -> LlamaCompute:
    """An estimate of the compute buffer llama.cpp reserves on the CPU.

    llama.cpp reserves the graph of one micro-batch of ``T = min(cells,
    n_ubatch)`` tokens with every output kept; ggml's graph allocator then
    places its tensors, and the buffer is the highest offset it reaches. This
    estimate takes the larger of two moments, in f32 activations: inside a
    layer, the attention masks (``cells × T`` f16, one per cache kind) beside
    the feed-forward's ``3 × ff``, three hidden-sized tensors and the
    attention's ``heads × head`` a token (without flash attention, also the
    ``cells × T × heads`` f32 scores); at the end, the logits ``vocab × T``
    beside two hidden-sized tensors. ``docs/gguf.md`` gives its measured
    error against llama.cpp.
    """
    cells, batch, ubatch = batches(n_ctx, n_batch, n_ubatch)
    tokens = min(cells, ubatch)
    f32 = 4
    swa_cells = cells if swa_full else min(cells, _pad(shape.window + ubatch))
    mask = cells * tokens * 2 if not all(shape.swa) else 0
    if any(shape.swa):
        mask += swa_cells * tokens * 2
    mlp = (3 if shape.gated else 1) * shape.feed_forward
    width = mlp + 3 * shape.embedding + shape.heads * shape.head_k
    terms = {
        "masks": mask,
        "layer": tokens * width * f32,
        "scores": 0 if flash_attn else cells * tokens * shape.heads * f32,
        "logits": tokens * (shape.vocab + 2 * shape.embedding) * f32,
    }
    inside = terms["masks"] + terms["layer"] + terms["scores"]
    return LlamaCompute(n_ctx, batch, ubatch, max(inside, terms["logits"]), terms)
