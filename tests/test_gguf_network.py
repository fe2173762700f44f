"""The network a GGUF header describes, checked against the tensors llama.cpp loaded.

``tests/golden/gguf/llama_memory.json`` holds, for each small model, the
metadata and tensor list gguf-py read back from a file that llama.cpp then
loaded (so the names and shapes are the ones llama.cpp expects).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from paramcalc.gguf.network import ARCHITECTURES, gguf_network, hf_config
from paramcalc.gguf.reader import GGUFError, GGUFFile, TensorInfo, read_gguf
from paramcalc.gguf.types import GGML_TYPES, tensor_bytes

HERE = Path(__file__).parent
GOLDEN: dict[str, Any] = json.loads(
    (HERE / "golden" / "gguf" / "llama_memory.json").read_text(encoding="utf-8")
)["models"]


def _file(name: str) -> GGUFFile:
    model = GOLDEN[name]
    tensors = tuple(
        TensorInfo(tensor, tuple(shape), GGML_TYPES[kind].id, 0, tensor_bytes(kind, tuple(shape)))
        for tensor, shape, kind in model["tensors"]
    )
    return GGUFFile(f"{name}.gguf", 3, model["metadata"], tensors, 32, 0, 0, 0, 0)


class TestLoadedByLlamaCpp:
    """Files llama.cpp loaded: the network has exactly their tensors."""

    @pytest.mark.parametrize("name", sorted(GOLDEN))
    def test_same_parameters(self, name: str) -> None:
        """The built network's parameters equal the file's elements."""
        header = _file(name)
        network, _ = gguf_network(header)
        assert network.params() == header.params()

    @pytest.mark.parametrize("name", ["llama", "llama_wide_vocab", "qwen3", "gemma2", "gemma3"])
    def test_same_tensors(self, name: str) -> None:
        """Every tensor name and shape agrees: no warning."""
        _, notes = gguf_network(_file(name))
        assert notes == ()

    def test_latent_attention_keys(self) -> None:
        """DeepSeek-2's MLA keys map back to DeepSeek-V3's config (nope = key_length_mla - rope)."""
        config = hf_config(_file("deepseek2_mla"))
        expected = {
            key: GOLDEN["deepseek2_mla"]["config"][key]
            for key in config
            if key in GOLDEN["deepseek2_mla"]["config"]
        }
        assert {key: config[key] for key in expected} == expected


class TestFixtures:
    """The tiny files written by gguf-py."""

    def test_untied_and_tied(self) -> None:
        """output.weight present: untied; absent: tied, as llama.cpp reads it."""
        untied = hf_config(read_gguf(HERE / "fixtures" / "gguf" / "tiny_llama.gguf"))
        tied = hf_config(read_gguf(HERE / "fixtures" / "gguf" / "tiny_llama_tied_align64.gguf"))
        assert (untied["tie_word_embeddings"], tied["tie_word_embeddings"]) == (False, True)
        assert untied["vocab_size"] == 16  # the tokenizer's token list: no llama.vocab_size key

    def test_differences_are_named(self) -> None:
        """A file missing a tensor, or with a wrong shape, is warned about by name."""
        header = read_gguf(HERE / "fixtures" / "gguf" / "tiny_llama.gguf")
        wrong = dataclasses.replace(header.tensors[1], shape=(9,))
        changed = dataclasses.replace(
            header, tensors=(header.tensors[0], wrong, *header.tensors[3:])
        )
        _, notes = gguf_network(changed)
        assert len(notes) == 1
        assert "blk.0.attn_norm.weight is [9], the network's [8]" in notes[0]
        assert "blk.0.attn_q.weight (missing from the file)" in notes[0]


class TestRefused:
    """Metadata paramcalc cannot build from is named."""

    def test_unknown_architecture(self) -> None:
        """An architecture outside the table is refused with the list."""
        header = dataclasses.replace(_file("llama"), metadata={"general.architecture": "rwkv7"})
        with pytest.raises(GGUFError, match="'rwkv7' is not one paramcalc builds; it builds"):
            hf_config(header)

    def test_missing_size(self) -> None:
        """A missing size key is named."""
        meta = {k: v for k, v in GOLDEN["llama"]["metadata"].items() if k != "llama.block_count"}
        with pytest.raises(GGUFError, match=r"the metadata has no llama\.block_count"):
            hf_config(dataclasses.replace(_file("llama"), metadata=meta))

    def test_bad_value(self) -> None:
        """A size that is not a whole number is refused, shown short."""
        meta = {**GOLDEN["llama"]["metadata"], "llama.embedding_length": "x" * 500}
        with pytest.raises(GGUFError, match="embedding_length must be a whole number") as caught:
            hf_config(dataclasses.replace(_file("llama"), metadata=meta))
        assert len(str(caught.value)) < 200

    def test_table(self) -> None:
        """The architectures read."""
        assert {"llama", "qwen3", "gemma3", "deepseek2", "gpt-oss"} <= set(ARCHITECTURES)
