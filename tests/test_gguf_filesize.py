"""The whole GGUF file: the layout of gguf.c, checked to the byte against files gguf-py wrote."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paramcalc.errors import ConfigError
from paramcalc.gguf.filesize import (
    estimated_tokenizer_bytes,
    file_size,
    metadata_bytes,
    string_array_bytes,
    tokenizer_metadata_bytes,
)
from paramcalc.gguf.reader import GGUFArray, read_gguf

FIXTURES = Path(__file__).parent / "fixtures" / "gguf"


@pytest.mark.parametrize("name", ["tiny_llama", "tiny_llama_tied_align64"])
def test_layout_to_the_byte(name: str) -> None:
    """Tensor infos, padding and data around the file's metadata add up to its size."""
    header = read_gguf(FIXTURES / f"{name}.gguf")
    tensors = [(t.name, t.shape, t.type_name) for t in header.tensors]
    size = file_size(tensors, header.metadata_bytes, alignment=header.alignment)
    assert size.bytes == header.file_size
    assert size.header + size.metadata + size.tensor_infos == header.header_bytes
    assert size.tensor_data == sum(t.nbytes for t in header.tensors)


def test_string_arrays_as_gguf_py_writes_them() -> None:
    """The token list's bytes equal those of the array gguf-py wrote."""
    tokens = read_gguf(FIXTURES / "tiny_llama.gguf").metadata["tokenizer.ggml.tokens"]
    assert isinstance(tokens, GGUFArray)
    assert string_array_bytes(tokens.values or ()) == tokens.nbytes


def test_tokenizer_files(tmp_path: Path) -> None:
    """tokenizer.json's tokens (padded to vocab_size), types, merges; the chat template."""
    vocab = {"a": 0, "b": 1, "ab": 2}
    (tmp_path / "tokenizer.json").write_text(
        json.dumps({"model": {"type": "BPE", "vocab": vocab, "merges": ["a b"]}}), encoding="utf-8"
    )
    (tmp_path / "tokenizer_config.json").write_text(
        json.dumps({"chat_template": "{{ x }}"}), encoding="utf-8"
    )
    got = tokenizer_metadata_bytes(str(tmp_path), 4)
    tokens = 12 + (8 + 1) + (8 + 1) + (8 + 2) + (8 + len("[PAD3]"))
    expected = (
        (8 + 21 + 4)
        + tokens  # tokenizer.ggml.tokens
        + (8 + 25 + 4)
        + 12
        + 16  # token_type
        + (8 + 21 + 4)
        + 12
        + 8
        + 3  # merges
        + (8 + 20 + 4)
        + 8
        + 5  # model
        + (8 + 18 + 4)
        + 8
        + 10  # pre
        + (8 + 27 + 4)
        + 4
        + (8 + 27 + 4)
        + 4
        + (8 + 31 + 4)
        + 4  # special ids
        + (8 + 23 + 4)
        + 8
        + 7  # chat_template
    )
    assert got == expected
    assert tokenizer_metadata_bytes(str(tmp_path / "none"), 4) is None


def test_sources() -> None:
    """Without tokenizer files the metadata is an estimate, and says so."""
    size, source = metadata_bytes({"vocab_size": 32000}, None)
    assert source == "estimate from config.json"
    assert size == 1024 + estimated_tokenizer_bytes(32000)
    with pytest.raises(ConfigError, match="`vocab_size` must be a whole number >= 1"):
        metadata_bytes({"vocab_size": True}, None)
