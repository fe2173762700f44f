"""Golden data: the headers llama.cpp's converter writes, read back by gguf-py.

``tests/golden/gguf/make_quant_golden.py convert OUT`` runs llama.cpp's
``convert_hf_to_gguf.py`` (llama-cpp-python 0.3.36) on small Hugging Face
models of each family (``OUT/<family>/hf/config.json`` → ``OUT/<family>/f16.gguf``).
This script reads each of those files with gguf-py's ``GGUFReader`` (0.19.0)
and records its header: version, alignment, data offset, file size, the
metadata's bytes, the scalar metadata, every tensor's name, shape, type,
offset and bytes, and the ``config.json`` it was converted from, into
``tests/golden/gguf/converted.json``::

    /work/venv-llama/bin/python tests/golden/gguf/make_converted_headers.py /tmp/gq
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent


def _header(path: Path) -> dict[str, Any]:
    reader = importlib.import_module("gguf").GGUFReader(str(path))
    metadata: dict[str, Any] = {}
    metadata_bytes = 0
    for key, field in reader.fields.items():
        if key.startswith("GGUF."):
            continue
        metadata_bytes += sum(int(part.nbytes) for part in field.parts)
        if len(field.types) == 1:
            value = field.contents()
            if isinstance(value, str | int | float | bool):
                metadata[key] = value
    return {
        "version": int(reader.fields["GGUF.version"].parts[-1][0]),
        "alignment": int(reader.alignment),
        "data_offset": int(reader.data_offset),
        "size": path.stat().st_size,
        "metadata_bytes": metadata_bytes,
        "metadata": metadata,
        "tensors": [
            [
                t.name,
                [int(n) for n in reversed(t.shape.tolist())],
                t.tensor_type.name.lower(),
                int(t.data_offset) - int(reader.data_offset),
                int(t.n_bytes),
            ]
            for t in reader.tensors
        ],
    }


def main(folder: Path) -> None:
    golden: dict[str, Any] = {}
    for path in sorted(folder.glob("*/f16.gguf")):
        config = json.loads((path.parent / "hf" / "config.json").read_text(encoding="utf-8"))
        golden[path.parent.name] = {"config": config, **_header(path)}
        print(path.parent.name, len(golden[path.parent.name]["tensors"]), flush=True)
    text = json.dumps(golden, indent=None, separators=(",", ":"))
    (HERE / "converted.json").write_text(text.replace('},"', '},\n"') + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
