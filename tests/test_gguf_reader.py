"""The GGUF header reader: gguf-py's own reading of the fixtures, and hostile files refused at once.

The valid fixtures are written by gguf-py's ``GGUFWriter`` and read back by
its ``GGUFReader`` in ``tests/fixtures/gguf/make_gguf_fixtures.py``; the
figures it read are in ``tests/golden/gguf/readback.json``.
"""

from __future__ import annotations

import json
import struct
import time
from pathlib import Path

import pytest

from paramcalc.errors import ParamcalcError
from paramcalc.gguf.reader import KEPT, GGUFArray, GGUFError, parse_gguf, read_gguf

FIXTURES = Path(__file__).parent / "fixtures" / "gguf"
GOLDEN = json.loads(
    (Path(__file__).parent / "golden" / "gguf" / "readback.json").read_text(encoding="utf-8")
)
_KINDS = {
    "UINT8": int,
    "INT8": int,
    "UINT16": int,
    "INT16": int,
    "UINT32": int,
    "INT32": int,
    "UINT64": int,
    "INT64": int,
    "FLOAT32": float,
    "FLOAT64": float,
    "BOOL": bool,
    "STRING": str,
}


class TestReadBack:
    """Every figure gguf-py's GGUFReader reads from the fixtures, paramcalc reads too."""

    @pytest.mark.parametrize("name", sorted(GOLDEN))
    def test_layout(self, name: str) -> None:
        """Version, alignment, data offset, size; each tensor's name, shape, type, offset, bytes."""
        gold = GOLDEN[name]
        header = read_gguf(FIXTURES / f"{name}.gguf")
        assert (header.version, header.alignment, header.data_offset, header.file_size) == (
            gold["version"],
            gold["alignment"],
            gold["data_offset"],
            gold["size"],
        )
        mine = [
            {
                "name": t.name,
                "shape": list(t.shape),
                "type": t.type_name,
                "offset": t.offset,
                "n_bytes": t.nbytes,
            }
            for t in header.tensors
        ]
        assert mine == gold["tensors"]

    @pytest.mark.parametrize("name", sorted(GOLDEN))
    def test_metadata(self, name: str) -> None:
        """The same keys and bytes, each value of the type and length gguf-py reads."""
        header = read_gguf(FIXTURES / f"{name}.gguf")
        gold = GOLDEN[name]["fields"]
        assert list(header.metadata) == list(gold)
        assert header.metadata_bytes == sum(field["nbytes"] for field in gold.values())
        for key, field in gold.items():
            value = header.metadata[key]
            if field["types"][0] == "ARRAY":
                assert isinstance(value, GGUFArray)
                leaves = (
                    sum(inner.count for inner in value.values or ())
                    if value.element_type == "array"
                    else value.count
                )
                assert leaves == field["length"]  # gguf-py counts the innermost elements
                assert value.nbytes == field["nbytes"] - 8 - len(key.encode()) - 4
            else:
                assert isinstance(value, _KINDS[field["types"][0]]), key

    def test_nested_arrays_and_values(self) -> None:
        """An array of arrays reads as arrays; scalars keep their value."""
        meta = read_gguf(FIXTURES / "tiny_llama.gguf").metadata
        nested = meta["test.nested"]
        assert isinstance(nested, GGUFArray)
        assert nested.element_type == "array"
        assert [inner.values for inner in nested.values or ()] == [(1, 2), (3,)]
        assert (meta["test.flag"], meta["test.int8"], meta["test.uint64"]) == (True, -3, 2**40)
        assert meta["llama.block_count"] == 2
        assert meta["general.architecture"] == "llama"

    def test_totals_and_types(self) -> None:
        """Elements and bytes per ggml type add up from the tensor infos (16·8 f16 tables …)."""
        header = read_gguf(FIXTURES / "tiny_llama.gguf")
        # 2 tables 16·8, per layer q 8·8, k and v 4·8, o 8·8, three 16·8 MLPs, norms 8 and 8
        per_layer = 64 + 32 + 32 + 64 + 3 * 128
        assert header.params() == 2 * 128 + 2 * (per_layer + 16) + 8
        assert header.bytes_by_type() == {"f16": 2 * (2 * 128 + 2 * per_layer), "f32": 4 * 40}


HOSTILE = {
    "bad_magic": "not a GGUF file: it starts with b'GGML'",
    "version_1": "GGUF version 1 is not supported",
    "version_4": "GGUF version 4 is not supported",
    "big_endian": "big-endian",
    "huge_tensor_count": "the tensor count is 9,223,372,036,854,775,808",
    "huge_kv_count": "the metadata count is 4,611,686,018,427,387,904",
    "huge_key": "metadata key #0 needs 2,305,843,009,213,693,952 bytes",
    "huge_string": "the value of 'k' needs 1,152,921,504,606,846,976 bytes",
    "huge_array": "the length of the array 'a' is 576,460,752,303,423,488",
    "deep_nesting": "nests arrays more than 8 deep",
    "unknown_value_type": "unknown metadata type 13",
    "duplicate_key": "the metadata key 'k' appears twice",
    "bad_alignment": "general.alignment must be a power of two; it is 3",
    "truncated_header": "the tensor count is 21, but",
    "truncated_data": "truncated: the tensor data ends at byte 5,216, the file has 5,152",
    "too_many_dims": "has 5 dimensions; ggml allows 1 to 4",
    "unknown_ggml_type": "unknown ggml type 99",
    "bad_block": "rows of 33, not a multiple of its block of 32",
    "offset_out_of_range": "has offset 1,099,511,627,776; ggml expects 0",
    "data_past_end": "the tensor data ends at byte 192, the file has 97",
    "long_tensor_name": "is 64 bytes long; at most 63 are allowed",
    "empty": "the magic needs 4 bytes",
}


class TestHostile:
    """A hostile file ends in one line naming what is wrong, before reading past its own bytes."""

    @pytest.mark.parametrize(("name", "message"), sorted(HOSTILE.items()))
    def test_refused(self, name: str, message: str) -> None:
        """Each fixture in tests/fixtures/gguf/hostile is refused with its reason."""
        path = FIXTURES / "hostile" / f"{name}.gguf"
        with pytest.raises(GGUFError) as caught:
            read_gguf(path)
        text = str(caught.value)
        assert message in text
        assert "\n" not in text
        assert text.startswith(str(path))
        assert isinstance(caught.value, ParamcalcError)

    def test_every_fixture_is_listed(self) -> None:
        """No hostile fixture goes untested."""
        assert {path.stem for path in (FIXTURES / "hostile").glob("*.gguf")} == set(HOSTILE)

    def test_long_keys_are_shortened(self) -> None:
        """A key of 10,000 characters is shown in 60."""
        key = b"k" * 10_000
        data = b"GGUF" + struct.pack("<IQQQ", 3, 0, 1, len(key)) + key + struct.pack("<I", 99)
        with pytest.raises(GGUFError, match="unknown metadata type 99") as caught:
            parse_gguf(data, "long.gguf")
        assert len(str(caught.value)) < 200

    def test_vocabulary_past_the_end(self) -> None:
        """A long string array whose last length runs past the file is refused, not read past."""
        strings = struct.pack("<Q", 1) + b"a"
        data = (
            b"GGUF"
            + struct.pack("<IQQQ", 3, 0, 1, 1)
            + b"v"
            + struct.pack("<IIQ", 9, 8, 2000)
            + strings * 1999
            + struct.pack("<Q", 2**40)
        )
        with pytest.raises(GGUFError, match="an element of 'v' runs past the end of the file"):
            parse_gguf(data, "vocab.gguf")

    def test_missing_file(self, tmp_path: Path) -> None:
        """A path that is not there is a GGUFError, not an OSError."""
        with pytest.raises(GGUFError, match="cannot open"):
            read_gguf(tmp_path / "none.gguf")


def _big_header(tokens: int, tensors: int) -> tuple[bytes, int]:
    """A header shaped like a real one: a vocabulary of ``tokens`` strings, ``tensors`` infos."""
    parts = [b"GGUF", struct.pack("<IQQ", 3, tensors, 2)]
    key = b"tokenizer.ggml.tokens"
    parts.append(struct.pack("<Q", len(key)) + key + struct.pack("<IIQ", 9, 8, tokens))
    parts.extend(struct.pack("<Q", 6) + f"tok{i:03d}".encode()[:6] for i in range(tokens))
    key = b"general.architecture"
    parts.append(struct.pack("<Q", len(key)) + key + struct.pack("<IQ", 8, 5) + b"llama")
    offset = 0
    for index in range(tensors):
        name = f"blk.{index}.ffn_up.weight".encode()
        parts.append(
            struct.pack("<Q", len(name)) + name + struct.pack("<IQQIQ", 2, 64, 64, 0, offset)
        )
        offset += 64 * 64 * 4
    return b"".join(parts), offset


class TestSpeed:
    """A header is read without the tensor data: the cost follows the header, not the file."""

    def test_vocabulary_not_kept(self) -> None:
        """A 150,000-token vocabulary is counted and read past, its strings not kept."""
        header, data = _big_header(150_000, 300)
        parsed = parse_gguf(header, "big.gguf", file_size=-(-len(header) // 32) * 32 + data)
        tokens = parsed.metadata["tokenizer.ggml.tokens"]
        assert isinstance(tokens, GGUFArray)
        assert (tokens.count, tokens.values, tokens.nbytes) == (150_000, None, 12 + 150_000 * 14)
        assert len(parsed.tensors) == 300
        assert KEPT < 150_000

    def test_data_is_never_read(self, tmp_path: Path) -> None:
        """A file whose data is a 2 GiB hole reads as fast as its header alone."""
        header, data = _big_header(1000, 10)
        path = tmp_path / "sparse.gguf"
        with path.open("wb") as handle:
            handle.write(header)
            handle.truncate(2**31 + len(header))
        start = time.perf_counter()
        parsed = read_gguf(path)
        assert time.perf_counter() - start < 5  # generous: the data is never touched
        assert parsed.file_size == 2**31 + len(header)
        assert data < parsed.tensor_bytes
