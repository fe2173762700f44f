"""The device table (memory as the driver reports it, with sources), aliases, --device list,
--device-memory's units, and the usage mistakes around them (exit 2)."""

from __future__ import annotations

import pytest

from paramcalc.cli import main
from paramcalc.errors import ConfigError
from paramcalc.plan.device_table import ALIASES, DEVICES
from paramcalc.plan.devices import device, resolve

MIB, GIB = 2**20, 2**30

# Golden figures copied from the sources the table cites: nvidia-smi's memory total
# (NVIDIA/nccl#1264, modal-labs/modal-client#2797, RLinf/RLinf#255, club-3090#1261,
# TensorRT-LLM#10278), the driver's bytes for H100 NVL (fastfetch#1658), and Metal's
# recommendedMaxWorkingSetSize (llama.cpp#3213).
DRIVER = {
    "H100-80GB": 81559 * MIB,
    "A100-80GB": 81920 * MIB,
    "A100-40GB": 40960 * MIB,
    "L40S": 46068 * MIB,
    "L4": 23034 * MIB,
    "A10": 23028 * MIB,
    "T4": 15360 * MIB,
    "RTX-4090": 24564 * MIB,
    "RTX-5090": 32607 * MIB,
    "B200": 183359 * MIB,
    "H100-NVL": 99_961_274_368 // MIB * MIB,
    "Apple-96GB": 73728 * MIB,
}
ASKED = [
    "B200",
    "GH200-96GB",
    "H100-NVL",
    "H200-NVL",
    "H100-PCIe",
    "H100-80GB",
    "A100-40GB",
    "A100-80GB",
    "L40S",
    "L4",
    "V100-32GB",
    "V100-16GB",
    "RTX-6000-Ada",
    "RTX-A6000",
    "RTX-3090",
    "RTX-4090",
    "RTX-5090",
    "MI210",
    "MI250X",
    "MI300X",
    "MI325X",
    "MI355X",
    "Apple-16GB",
    "Gaudi2",
    "Gaudi3",
]


class TestTable:
    def test_every_asked_device_is_there_with_a_source(self) -> None:
        """Each accelerator the issue names is in the table, with a data sheet and a label."""
        for name in ASKED:
            found = DEVICES[name.lower()]
            assert found.source, name
            assert found.label, name
            assert found.kind, name

    @pytest.mark.parametrize(("name", "memory"), DRIVER.items())
    def test_driver_memory(self, name: str, memory: int) -> None:
        """Where the driver's figure is on record, the table holds it, and names its source."""
        found = DEVICES[name.lower()]
        assert found.memory == memory
        assert "github.com/" in found.memory_source

    def test_driver_memory_never_above_the_label(self) -> None:
        """Memory as reported is at most the label (GB of chips are GiB)."""
        for found in DEVICES.values():
            label = float(found.label.split()[0])
            assert found.memory <= label * GIB, found.name


class TestNames:
    def test_alias_with_a_note(self) -> None:
        """H100 is the SXM 80 GB part, and the note says so."""
        found, note = resolve("H100")
        assert found.name == "H100-80GB"
        assert "SXM 80 GB" in note

    @pytest.mark.parametrize(
        ("text", "name"),
        [
            ("rtx 4090", "RTX-4090"),
            ("4090", "RTX-4090"),
            ("a6000", "RTX-A6000"),
            ("MI300X", "MI300X"),
        ],
    )
    def test_spellings(self, text: str, name: str) -> None:
        """Case, spaces, underscores and bare RTX numbers find the device."""
        assert device(text).name == name

    def test_unknown_suggests(self) -> None:
        """An unknown name is a ConfigError with the close names."""
        with pytest.raises(ConfigError, match="did you mean H100-80GB"):
            device("H10")

    def test_aliases_point_into_the_table(self) -> None:
        """Every alias names a device of the table."""
        for name, _ in ALIASES.values():
            assert name.lower() in DEVICES


class TestCommandLine:
    def test_device_list(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--device list needs no model and shows every device and the aliases."""
        assert main(["--device", "list"]) == 0
        out = capsys.readouterr().out
        for name in ASKED:
            assert f"  {name} " in out
        assert "H100 is read as H100-80GB" in out

    def test_alias_note_on_stderr(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--device H100 answers for H100-80GB and says so on standard error."""
        argv = ["--zoo", "gpt2", "--context", "1k", "--device", "H100", "--depth", "0"]
        assert main(argv) == 0
        captured = capsys.readouterr()
        assert "H100 is read as H100-80GB" in captured.err
        assert "H100-80GB (79.65 GiB): fits" in captured.out

    @pytest.mark.parametrize(
        ("size", "memory"),
        [("80GiB", 80 * GIB), ("80G", 80 * GIB), ("80GB", 80 * 10**9), ("1.5T", 3 * 2**39)],
    )
    def test_device_memory_units(
        self, capsys: pytest.CaptureFixture[str], size: str, memory: int
    ) -> None:
        """--device-memory reads GiB (G), decimal GB and fractions."""
        import json

        argv = ["--zoo", "gpt2", "--context", "1k", "-f", "json", "--device-memory", size]
        assert main(argv) == 0
        assert json.loads(capsys.readouterr().out)["plans"]["inference"]["fit"]["memory"] == memory

    @pytest.mark.parametrize(
        ("argv", "message"),
        [
            (["--device-memory", "160"], "a bare 160 would be 160 bytes"),
            (["--device-memory", "80 parsecs"], "expected a size"),
            (["--device-memory", "80XB"], "unknown unit"),
            (["--device", "H10"], "did you mean H100-80GB"),
            (["--train"], "--train needs --seq N"),
        ],
    )
    def test_usage_mistakes_exit_2(
        self, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
    ) -> None:
        """Each of these is a usage mistake: exit 2 and the reason."""
        assert main(["--zoo", "gpt2", "--context", "1k", *argv]) == 2
        assert message in capsys.readouterr().err

    def test_size_flags_read_suffixes(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--seq 1k is --seq 1024 (and -b, --micro-batch read suffixes too)."""
        base = ["--zoo", "gpt2", "--train", "-f", "json", "--micro-batch", "2"]
        assert main([*base, "--seq", "1k"]) == 0
        short = capsys.readouterr().out
        assert main([*base, "--seq", "1024"]) == 0
        assert short == capsys.readouterr().out


@pytest.mark.parametrize(
    ("model", "status", "line"),
    [("llama2-7b", 0, "fits: peak "), ("llama2-70b", 3, "does not fit: peak ")],
)
def test_fits_exit_status(
    capsys: pytest.CaptureFixture[str], model: str, status: int, line: str
) -> None:
    """--fits: one line, 0 when it fits (13.5 GB of bf16 weights), 3 when not (138 GB)."""
    argv = ["--zoo", model, "--context", "1k", "--device", "RTX-4090", "--fits"]
    assert main(argv) == status
    out = capsys.readouterr().out
    assert out.startswith(line)
    assert out.count("\n") == 1


def test_fits_needs_a_device(capsys: pytest.CaptureFixture[str]) -> None:
    """--fits without a device is a usage mistake."""
    assert main(["--zoo", "gpt2", "--context", "1k", "--fits"]) == 2
    assert "--fits answers for a device" in capsys.readouterr().err
