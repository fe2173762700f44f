"""paramcalc's GGUF reader and ggml type table against gguf-py 0.19.0, live.

gguf-py is llama.cpp's own Python package for reading and writing GGUF files;
``GGUFReader`` maps the whole file, ``GGML_QUANT_SIZES`` is ggml's block table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from paramcalc.gguf.reader import read_gguf
from paramcalc.gguf.types import GGML_TYPES

pytestmark = pytest.mark.conformance

FIXTURES = Path(__file__).parent.parent / "fixtures" / "gguf"
VALID = sorted(FIXTURES.glob("*.gguf"))


@pytest.fixture(scope="module")
def gguf() -> Any:
    module = pytest.importorskip("gguf")
    if not hasattr(module, "GGUFReader"):  # tests/golden/gguf as a namespace package
        pytest.skip("gguf-py is not installed")
    return module


def test_type_table_equals_ggml_quant_sizes(gguf: Any) -> None:
    """Every ggml type gguf-py knows has the same block and bytes per block here."""
    ours = {t.id: t for t in GGML_TYPES.values()}
    for kind, (block, size) in gguf.GGML_QUANT_SIZES.items():
        if kind.name == "Q8_1":
            # gguf-py 0.19.0 still says 4 + 4 + 32 (two fp32 scales); ggml-common.h's
            # block_q8_1 holds two fp16 (static_assert: 2*sizeof(ggml_half) + QK8_1 = 36).
            # An intermediate type of matmuls, never a stored tensor.
            assert (ours[kind.value].block, ours[kind.value].bytes, size) == (32, 36, 40)
            continue
        assert kind.value in ours, kind.name
        assert (ours[kind.value].block, ours[kind.value].bytes) == (block, size), kind.name


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_header_equals_gguf_reader(gguf: Any, path: Path) -> None:
    """Tensor names, shapes, types, offsets, bytes, alignment and metadata as GGUFReader reads."""
    theirs = gguf.GGUFReader(str(path))
    ours = read_gguf(path)
    assert ours.alignment == theirs.alignment
    assert ours.data_offset == theirs.data_offset
    assert [t.name for t in ours.tensors] == [t.name for t in theirs.tensors]
    for mine, real in zip(ours.tensors, theirs.tensors, strict=True):
        assert mine.shape == tuple(int(n) for n in reversed(real.shape)), mine.name
        assert mine.ggml_type == int(real.tensor_type), mine.name
        assert ours.data_offset + mine.offset == int(real.data_offset), mine.name
        assert mine.nbytes == int(real.n_bytes), mine.name
    fields = {k: f for k, f in theirs.fields.items() if not k.startswith("GGUF.")}
    assert set(ours.metadata) == set(fields)
    for key, field in fields.items():
        value = ours.metadata[key]
        if isinstance(value, (int, float, str, bool)):
            assert value == field.contents(), key
        else:  # an array: contents() flattens nested arrays, so compare the leaves
            assert _leaves(value) == list(field.contents()), key


def _leaves(value: Any) -> list[Any]:
    """The values of an array, nested arrays flattened in order."""
    out: list[Any] = []
    for item in getattr(value, "values", value):
        out += _leaves(item) if hasattr(item, "values") else [item]
    return out
