"""Headers llama.cpp's converter wrote for 20 families: the network, the layout, to the byte.

``tests/golden/gguf/converted.json`` holds what gguf-py read back from the
F16 GGUF files ``convert_hf_to_gguf.py`` (llama-cpp-python 0.3.36) wrote for
small models of each family, with the ``config.json`` each came from
(``tests/golden/gguf/make_converted_headers.py``).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest

from paramcalc.gguf.filesize import file_size
from paramcalc.gguf.network import gguf_network
from paramcalc.gguf.reader import GGUFFile, TensorInfo
from paramcalc.gguf.types import GGML_TYPES, tensor_bytes
from paramcalc.hf import from_hf_config

GOLDEN: dict[str, Any] = json.loads(
    (Path(__file__).parent / "golden" / "gguf" / "converted.json").read_text(encoding="utf-8")
)


def _file(name: str) -> GGUFFile:
    gold = GOLDEN[name]
    tensors = tuple(
        TensorInfo(tensor, tuple(shape), GGML_TYPES[kind].id, offset, nbytes)
        for tensor, shape, kind, offset, nbytes in gold["tensors"]
    )
    return GGUFFile(
        f"{name}.gguf",
        gold["version"],
        gold["metadata"],
        tensors,
        gold["alignment"],
        gold["metadata_bytes"],
        0,
        gold["data_offset"],
        gold["size"],
    )


def test_every_family() -> None:
    """The converter's output of each family paramcalc builds is here."""
    assert len(GOLDEN) >= 20


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_network(name: str) -> None:
    """The network from the metadata has the file's tensors (no warning) and the config's count."""
    header = _file(name)
    network, notes = gguf_network(header)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = from_hf_config(GOLDEN[name]["config"]).params()
    assert notes == ()
    assert network.params() == header.params() == expected


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_layout(name: str) -> None:
    """Each tensor's bytes from ggml's traits; the data offset and the file size to the byte."""
    gold = GOLDEN[name]
    for tensor, shape, kind, _, nbytes in gold["tensors"]:
        assert tensor_bytes(kind, tuple(shape)) == nbytes, tensor
    tensors = [(t[0], tuple(t[1]), t[2]) for t in gold["tensors"]]
    size = file_size(tensors, gold["metadata_bytes"], alignment=gold["alignment"])
    assert size.bytes == gold["size"]
    before = size.header + size.metadata + size.tensor_infos
    assert -(-before // gold["alignment"]) * gold["alignment"] == gold["data_offset"]
