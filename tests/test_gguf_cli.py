"""``paramcalc model.gguf``: the header read like any model, llama.cpp's memory in the footer."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from paramcalc.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "gguf"
TINY = str(FIXTURES / "tiny_llama.gguf")
READBACK = json.loads(
    (Path(__file__).parent / "golden" / "gguf" / "readback.json").read_text(encoding="utf-8")
)


def _elements(name: str) -> int:
    total = 0
    for tensor in READBACK[name]["tensors"]:
        size = 1
        for dim in tensor["shape"]:
            size *= dim
        total += size
    return total


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


class TestRead:
    """A .gguf file, a folder holding one, --from gguf."""

    @pytest.mark.parametrize("name", sorted(READBACK))
    def test_total(self, capsys: pytest.CaptureFixture[str], name: str) -> None:
        """--total: the elements of the tensors gguf-py wrote (tied: no output.weight)."""
        code, out, err = _run(capsys, str(FIXTURES / f"{name}.gguf"), "--total")
        assert (code, out.strip(), err) == (0, str(_elements(name)), "")

    def test_footer(self, capsys: pytest.CaptureFixture[str]) -> None:
        """The file's figures: tensors, parameters, data and file bytes as gguf-py read them."""
        code, out, _ = _run(capsys, TINY, "--depth", "0")
        gold = READBACK["tiny_llama"]
        data = sum(tensor["n_bytes"] for tensor in gold["tensors"])
        assert code == 0
        assert f"(v3, llama, {len(gold['tensors'])} tensors, alignment 32)" in out
        assert f"parameters     {_elements('tiny_llama'):>16,}" in out
        assert f"{data / 1024:.2f} KiB" in out
        assert f"file           {gold['size'] / 1024:>12.2f} KiB" in out

    def test_folder_and_from(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        """A folder with one .gguf reads it; --from gguf reads a file of any name."""
        shutil.copy(TINY, tmp_path / "model.gguf")
        assert _run(capsys, str(tmp_path), "--total")[:2] == (0, "1448\n")
        shutil.copy(TINY, tmp_path / "model.bin")
        assert _run(capsys, str(tmp_path / "model.bin"), "--from", "gguf", "--total")[:2] == (
            0,
            "1448\n",
        )

    def test_json(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--format json carries the file's figures under "gguf"."""
        code, out, _ = _run(capsys, TINY, "--format", "json")
        data = json.loads(out)["gguf"]["file"]
        assert code == 0
        assert (data["tensors"], data["file_bytes"]) == (21, READBACK["tiny_llama"]["size"])


class TestRefused:
    """Hostile files and usage mistakes end in one line, with the CLI's exit statuses."""

    @pytest.mark.parametrize("name", ["huge_array", "deep_nesting", "truncated_data", "empty"])
    def test_hostile(self, capsys: pytest.CaptureFixture[str], name: str) -> None:
        """Exit 1, one error line naming the file, no traceback."""
        code, out, err = _run(capsys, str(FIXTURES / "hostile" / f"{name}.gguf"))
        assert (code, out) == (1, "")
        assert err.count("\n") == 1
        assert err.startswith("paramcalc: error: ")
        assert f"{name}.gguf" in err
        assert "Traceback" not in err

    def test_two_files_in_a_folder(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A folder with several .gguf files: exit 2, naming them."""
        code, _, err = _run(capsys, str(FIXTURES))
        assert code == 2
        assert "2 .gguf files in the folder" in err

    def test_ngl_needs_context(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--ngl without --context: exit 2, naming --context."""
        code, _, err = _run(capsys, TINY, "--ngl", "2")
        assert code == 2
        assert "needs --context N" in err

    def test_not_gguf(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        """--from gguf on a text file: exit 1, not a GGUF file."""
        path = tmp_path / "x.txt"
        path.write_text("Linear(4, 2)\n", encoding="utf-8")
        code, _, err = _run(capsys, str(path), "--from", "gguf")
        assert code == 1
        assert "not a GGUF file" in err


class TestMemory:
    """--context: llama.cpp's cache and the -ngl split (tiny: 2 layers, 1 KV head of 4)."""

    def test_split(self, capsys: pytest.CaptureFixture[str]) -> None:
        """-ngl 2 puts layer 1 and the output layer on the GPU, layer 0 and the embedding not."""
        code, out, _ = _run(capsys, TINY, "--context", "4000", "--ngl", "2", "--format", "json")
        data = json.loads(out)["gguf"]["llama_cpp"]
        sizes = {t["name"]: t["n_bytes"] for t in READBACK["tiny_llama"]["tensors"]}
        layer = [size for name, size in sizes.items() if name.startswith("blk.1.")]
        output = sizes["output.weight"] + sizes["output_norm.weight"]
        # 4,000 tokens: 4,096 cells × (K 4 + V 4 values) × 2 bytes (f16) a layer
        assert data["gpu"]["kv_cache"] == data["cpu"]["kv_cache"] == 4096 * 8 * 2
        assert data["gpu"]["weights"] == sum(layer) + output
        assert data["gpu"]["weights"] + data["cpu"]["weights"] == sum(sizes.values())
        assert code == 0

    def test_device(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--device-memory: fits or not, the largest context and the most layers."""
        code, out, _ = _run(capsys, TINY, "--context", "1k", "--device-memory", "2MiB")
        assert code == 0
        assert "device (2.00 MiB): fits; largest context at -ngl 3:" in out
        assert "most layers at 1,024 tokens: -ngl 3" in out

    def test_quantized_cache(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--kv-dtype q8_0 is llama.cpp's -ctk/-ctv; the head of 4 is not a multiple of 32."""
        code, _, err = _run(capsys, TINY, "--context", "1k", "--kv-dtype", "q8_0")
        assert code == 2
        assert "blocks of 32, which do not divide the head size 4" in err


LLAMA_8B = {
    "model_type": "llama",
    "vocab_size": 128256,
    "hidden_size": 4096,
    "intermediate_size": 14336,
    "num_hidden_layers": 32,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
}


class TestPresets:
    """A config.json with a llama-quantize preset: the file it makes and llama.cpp's memory."""

    def _config(self, tmp_path: Path) -> str:
        path = tmp_path / "config.json"
        path.write_text(json.dumps(LLAMA_8B), encoding="utf-8")
        return str(path)

    def test_file_and_memory(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        """--weights Q4_K_M: the tensor data of weight_bytes, the metadata labelled an estimate."""
        from paramcalc.hf import from_hf_config
        from paramcalc.plan.weights import weight_bytes

        code, out, _ = _run(
            capsys, self._config(tmp_path), "--context", "8k", "--weights", "Q4_K_M", "-f", "json"
        )
        data = json.loads(out)["gguf"]
        stored = weight_bytes(from_hf_config(LLAMA_8B), "Q4_K_M").bytes
        assert code == 0
        assert data["file"]["tensor_bytes"] == stored
        assert data["file"]["metadata_source"] == "estimate from config.json"
        total = data["llama_cpp"]["gpu"]["weights"] + data["llama_cpp"]["cpu"]["weights"]
        assert total == stored
        assert data["llama_cpp"]["kv_cache"]["bytes"] == 2**30  # 32 · 8192 · 2 · 1024 · 2

    def test_sweep(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        """--sweep weights=…: one row a preset, the file and the GPU total, fits or not."""
        code, out, _ = _run(
            capsys,
            self._config(tmp_path),
            "--context",
            "8k",
            "--sweep",
            "weights=Q4_K_M,Q8_0",
            "--device-memory",
            "8GiB",
        )
        assert code == 0
        rows = [line.split() for line in out.splitlines() if line.strip().startswith(("Q4", "Q8"))]
        assert [(row[0], row[-1]) for row in rows] == [("Q4_K_M", "yes"), ("Q8_0", "no")]

    def test_gguf_refuses_weights(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A .gguf file has its own weights: --weights is refused (exit 2)."""
        code, _, err = _run(capsys, TINY, "--weights", "Q4_K_M")
        assert code == 2
        assert "a .gguf file has its own" in err
