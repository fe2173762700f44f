"""The size of a whole ``.gguf`` file: header, metadata, tensor infos, padding and tensor data.

A GGUF file is the 24-byte header (magic, version, two counts), the metadata
(each key a length and its bytes, a type, a value), the tensor infos (a
name, the dimension count, the dimensions, the type and the offset), padding
to ``general.alignment`` (32), then each tensor's data padded to the
alignment (``gguf.c``: ``gguf_write_to_buf``; gguf-py's ``GGUFWriter``).

Most of the metadata is the tokenizer's: :func:`tokenizer_metadata_bytes`
sizes the keys llama.cpp's converter writes from a model folder's
``tokenizer.json`` (every token, its type, the BPE merges) and
``tokenizer_config.json`` (the chat template); from ``config.json`` alone
:func:`estimated_tokenizer_bytes` gives a labelled estimate.

>>> layout_bytes([("token_embd.weight", (32000, 4096), "q4_K")], metadata=1000)
73729088
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from paramcalc.errors import ConfigError
from paramcalc.gguf.types import tensor_bytes

__all__ = [
    "AVERAGE_TOKEN_BYTES",
    "FileSize",
    "estimated_tokenizer_bytes",
    "file_size",
    "layout_bytes",
    "metadata_bytes",
    "string_array_bytes",
    "tokenizer_metadata_bytes",
]

AVERAGE_TOKEN_BYTES = 7
"""The mean UTF-8 length of a token string in the vocabularies of Llama 3, Qwen2 and Gemma
(6.1 to 7.6 bytes), used when no tokenizer file is there."""

_MAX_TOKENIZER = 64 * 1024 * 1024
"""The largest tokenizer file read (Gemma 3's tokenizer.json is 33 MB)."""


def _pad(value: int, alignment: int) -> int:
    return -(-value // alignment) * alignment


def _key(key: str) -> int:
    """Bytes of a key and its value type."""
    return 8 + len(key.encode()) + 4


def string_array_bytes(values: Iterable[str]) -> int:
    """Bytes of an array of strings: element type, count, then each length and its bytes."""
    return 4 + 8 + sum(8 + len(value.encode("utf-8", "surrogatepass")) for value in values)


@dataclass(frozen=True)
class FileSize:
    """A GGUF file's bytes by part; ``metadata_source`` says where the metadata's size is from."""

    header: int
    metadata: int
    tensor_infos: int
    padding: int
    tensor_data: int
    metadata_source: str

    @property
    def bytes(self) -> int:
        """The whole file."""
        return self.header + self.metadata + self.tensor_infos + self.padding + self.tensor_data

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-able data."""
        return {
            "header": self.header,
            "metadata": self.metadata,
            "metadata_source": self.metadata_source,
            "tensor_infos": self.tensor_infos,
            "padding": self.padding,
            "tensor_data": self.tensor_data,
            "bytes": self.bytes,
        }


def file_size(
    tensors: Iterable[tuple[str, tuple[int, ...], str]],
    metadata: int,
    *,
    alignment: int = 32,
    source: str = "given",
) -> FileSize:
    """The parts of a file of ``tensors`` (GGUF name, torch shape, ggml type) and metadata."""
    if isinstance(alignment, bool) or not isinstance(alignment, int) or alignment < 1:
        raise ConfigError(f"gguf file size: `alignment` must be a whole number >= 1: {alignment!r}")
    infos = data = padded = 0
    for name, shape, kind in tensors:
        infos += 8 + len(name.encode()) + 4 + 8 * max(len(shape), 1) + 4 + 8
        size = tensor_bytes(kind, shape)
        data += size
        padded += _pad(size, alignment)
    header = 24
    before = header + metadata + infos
    padding = _pad(before, alignment) - before + padded - data
    return FileSize(header, metadata, infos, padding, data, source)


def layout_bytes(
    tensors: Iterable[tuple[str, tuple[int, ...], str]], metadata: int, alignment: int = 32
) -> int:
    """The whole file's bytes (see :func:`file_size`)."""
    return file_size(tensors, metadata, alignment=alignment).bytes


def _read_json(path: str) -> Any:
    if os.path.getsize(path) > _MAX_TOKENIZER:
        raise ConfigError(f"gguf file size: {path[:200]} is larger than {_MAX_TOKENIZER:,} bytes")
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def tokenizer_metadata_bytes(folder: str, vocab_size: int) -> int | None:
    """The tokenizer keys' bytes, from ``folder``'s ``tokenizer.json`` (None when absent).

    ``tokenizer.ggml.tokens`` (every id below ``vocab_size``; ids the file
    lacks become ``[PAD<id>]``, as the converter writes them),
    ``tokenizer.ggml.token_type`` (an int32 each), ``tokenizer.ggml.merges``
    (``"a b"`` each), the model and pre-tokenizer names, the special token ids
    and ``tokenizer.chat_template`` from ``tokenizer_config.json``.
    """
    path = os.path.join(folder, "tokenizer.json")
    if not os.path.isfile(path):
        return None
    data = _read_json(path)
    model = data.get("model") if isinstance(data, dict) else None
    if not isinstance(model, dict):
        raise ConfigError(f"gguf file size: {path[:200]} has no tokenizer model")
    vocab = model.get("vocab")
    tokens: dict[int, str] = {}
    if isinstance(vocab, dict):
        tokens = {index: token for token, index in vocab.items() if isinstance(index, int)}
    elif isinstance(vocab, list):  # Unigram: [token, score] pairs
        tokens = {index: pair[0] for index, pair in enumerate(vocab) if isinstance(pair, list)}
    for added in data.get("added_tokens") or ():
        if isinstance(added, dict) and isinstance(added.get("id"), int):
            tokens[added["id"]] = str(added.get("content", ""))
    names = (tokens.get(index, f"[PAD{index}]") for index in range(vocab_size))
    total = _key("tokenizer.ggml.tokens") + string_array_bytes(names)
    total += _key("tokenizer.ggml.token_type") + 4 + 8 + 4 * vocab_size
    if isinstance(vocab, list):
        total += _key("tokenizer.ggml.scores") + 4 + 8 + 4 * vocab_size
    merges = model.get("merges") or []
    if merges:
        text = (m if isinstance(m, str) else " ".join(map(str, m)) for m in merges)
        total += _key("tokenizer.ggml.merges") + string_array_bytes(text)
    total += _key("tokenizer.ggml.model") + 8 + 5 + _key("tokenizer.ggml.pre") + 8 + 10
    for name in ("bos_token_id", "eos_token_id", "padding_token_id"):
        total += _key(f"tokenizer.ggml.{name}") + 4
    config = os.path.join(folder, "tokenizer_config.json")
    template = _read_json(config).get("chat_template") if os.path.isfile(config) else None
    if isinstance(template, str):
        total += _key("tokenizer.chat_template") + 8 + len(template.encode())
    return total


def estimated_tokenizer_bytes(vocab_size: int) -> int:
    """An estimate without tokenizer files: tokens of :data:`AVERAGE_TOKEN_BYTES`, types, merges.

    A BPE vocabulary has about as many merges as tokens, each about two
    tokens long.
    """
    tokens = 4 + 8 + vocab_size * (8 + AVERAGE_TOKEN_BYTES)
    types = 4 + 8 + 4 * vocab_size
    merges = 4 + 8 + vocab_size * (8 + 2 * AVERAGE_TOKEN_BYTES + 1)
    return tokens + types + merges + 300


def metadata_bytes(config: Mapping[str, Any], folder: str | None) -> tuple[int, str]:
    """The metadata's bytes for a model, and where the tokenizer's part comes from.

    The general and architecture keys llama.cpp's converter writes come to
    about 1 KiB (an estimate either way); the tokenizer's come from the
    folder's files (``"tokenizer files"``), else are estimated from
    ``config.json`` (``"estimate from config.json"``).
    """
    vocab = config.get("vocab_size")
    if isinstance(vocab, bool) or not isinstance(vocab, int) or vocab < 1:
        raise ConfigError(
            f"gguf file size: `vocab_size` must be a whole number >= 1: {vocab!r:.40}"
        )
    exact = tokenizer_metadata_bytes(folder, vocab) if folder else None
    base = 1024
    if exact is None:
        return base + estimated_tokenizer_bytes(vocab), "estimate from config.json"
    return base + exact, "tokenizer files"
