"""The command line with hostile streams and names: closed, narrow, forged, huge."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from paramcalc import zoo
from paramcalc.cli import main

ROOT = Path(__file__).parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8"}


def cli(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m paramcalc`` as a real process."""
    return subprocess.run(
        [sys.executable, "-m", "paramcalc", *argv],
        capture_output=True, text=True, env={**ENV, **(env or {})}, check=False, timeout=60,
    )  # fmt: skip


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


class TestClosedStreams:
    def test_closed_stdout_with_total(self) -> None:
        """`paramcalc --total … >&-`: the number cannot be written, so the exit status says so."""
        code = "import sys, os; os.close(1); from paramcalc.cli import main; sys.exit(main())"
        for argv in (["--total", "Linear(4, 4)"], ["Linear(4, 4)"]):
            closed = subprocess.run(
                [sys.executable, "-c", code, *argv],
                stderr=subprocess.PIPE, text=True, env=ENV, check=False, timeout=60,
            )  # fmt: skip
            assert closed.returncode == 1
            assert closed.stderr == (
                "paramcalc: error: standard output is closed: the result was not written\n"
            )

    def test_closed_stdin(self, capsys: pytest.CaptureFixture[str]) -> None:
        """`paramcalc - <&-`: one line, exit 1, no traceback."""
        stdin = sys.stdin
        try:
            sys.stdin = None  # what Python sets for a closed fd 0
            status, out, err = run(capsys, "-")
        finally:
            sys.stdin = stdin
        assert (status, out) == (1, "")
        assert (
            err
            == "paramcalc: error: standard input is closed: there is no model to read from `-`\n"
        )


class TestEncodings:
    def test_ascii_terminal(self) -> None:
        """PYTHONIOENCODING=ascii: × and · become x and *, other characters ? (aligned)."""
        done = cli(
            "--ascii", "--explain", "--input", "4", 'Sequential({"é": Linear(4, 4)})',
            env={"PYTHONIOENCODING": "ascii"},
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "| ?     | Linear |" in done.stdout
        assert "4*4 + 4 = 20" in done.stdout
        assert "Total FLOPs (2xMACs): 32" in done.stdout
        done = cli(
            'Sequential({"é": Linear(4, 4)})', "--input", "5", env={"PYTHONIOENCODING": "ascii"}
        )
        assert done.returncode == 1
        assert "\\xe9 (Linear) expects 4 input features" in done.stderr

    def test_no_syntax_warning(self) -> None:
        """A spec with an invalid escape sequence warns nothing on stderr."""
        done = cli('Linear(4, 4, "\\d")')
        assert done.returncode == 1
        assert "Warning" not in done.stderr
        assert done.stderr.startswith(
            "paramcalc: error: <model>:1:14: Linear: `bias` must be a bool"
        )


class TestNames:
    FORGED = (
        "Sequential({'x\\n| 1 | Linear | 999,999,999 |': Linear(4, 4), '\\x1b[31mred': ReLU()})"
    )

    @pytest.mark.parametrize("form", ["text", "markdown", "html"])
    def test_control_characters_are_escaped(
        self, capsys: pytest.CaptureFixture[str], form: str
    ) -> None:
        """A newline in a name cannot forge a row; an ANSI escape never reaches the terminal."""
        status, out, err = run(capsys, self.FORGED, "--format", form)
        assert (status, err) == (0, "")
        assert "\x1b" not in out
        assert "999,999,999" in out  # as text inside the name's cell, on the row of x
        assert not any(line.lstrip("│| ").startswith("1 ") for line in out.splitlines())
        assert "x1b" in out  # as an escape (Markdown backslashes its backslash)

    def test_errors_escape_names(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Errors and warnings show control characters as escapes too."""
        status, _, err = run(
            capsys, "Sequential({'\\x1b[2J': Linear(4, 4), 'b': Linear(5, 5)})", "-i", "4"
        )
        assert status == 1
        assert "\x1b" not in err
        assert "from \\x1b[2J (Linear)" in err


class TestUsage:
    def test_batch_dimension(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A torchinfo-style --input with the batch size says to drop it."""
        status, _, err = run(capsys, "Conv2d(1, 6, 5)", "--input", "1,1,32,32")
        assert status == 1
        assert "drop the batch dimension (--input 1,32,32;" in err

    def test_a_real_rank_error_gets_no_hint(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Without a batch size to drop, the rank error stays as it was."""
        status, _, err = run(capsys, "Conv2d(1, 6, 5)", "--input", "32,32")
        assert status == 1
        assert "batch" not in err

    @pytest.mark.parametrize("columns", ["name,shape", "macs,params", "shape,macs"])
    def test_shape_columns_need_an_input(
        self, capsys: pytest.CaptureFixture[str], columns: str
    ) -> None:
        """Asking for shape or MACs columns without --input is a usage error that says why."""
        status, _, err = run(capsys, "Linear(4, 4)", "--columns", columns)
        assert status == 2
        assert "need an input shape: give --input" in err

    def test_memory_flags_reach_the_footer(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--dtype, --optimizer and --mixed-precision set the memory footer."""
        status, out, _ = run(
            capsys, "Linear(4, 4)", "--dtype", "bf16", "--optimizer", "sgd", "--mixed-precision"
        )
        assert status == 0
        assert "Parameter memory:     40 B, bf16" in out  # 20 parameters × 2 bytes
        # sgd without momentum: no state; mixed: fp32 master weights (80 B) and bf16 grads (40 B)
        assert "Training states (sgd, mixed bf16/fp32): 160 B" in out

    def test_bad_memory_flags_are_usage_errors(self, capsys: pytest.CaptureFixture[str]) -> None:
        """An unknown dtype or optimizer exits 2 with the choices."""
        status, _, err = run(capsys, "Linear(4, 4)", "--dtype", "fp13")
        assert status == 2
        assert "argument --dtype: `dtype` must be one of" in err


class TestJson:
    def test_big_reports_read_back(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A JSON report of over 1,000,000 characters that paramcalc wrote reads back."""
        target = tmp_path / "big.json"
        assert run(capsys, "--zoo", "resnet152", "-f", "json", "-o", str(target))[0] == 0
        data = target.read_text(encoding="utf-8")
        assert len(data) > 300_000
        big = tmp_path / "bigger.json"
        loaded = json.loads(data)
        loaded["rows"] = loaded["rows"] * 1  # keep valid; pad with whitespace past the spec limit
        big.write_text(json.dumps(loaded, indent=4) + " " * 1_000_000, encoding="utf-8")
        status, out, err = run(capsys, str(big), "--total")
        assert (status, out, err) == (0, "60192808\n", "")

    @pytest.mark.parametrize("name", zoo.names())
    def test_zoo_round_trip(
        self, name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """`paramcalc --zoo X -f json -o r.json`, then `paramcalc r.json -f json`: the same."""
        first = tmp_path / "r.json"
        assert run(capsys, "--zoo", name, "-f", "json", "-o", str(first))[0] == 0
        status, out, err = run(capsys, str(first), "-f", "json")
        assert (status, err) == (0, "")
        assert json.loads(out) == json.loads(first.read_text(encoding="utf-8"))


def test_in_process_main_never_leaks_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    """Hostile stdin objects end with status 1 and one line."""
    stdin = sys.stdin
    try:
        sys.stdin = io.StringIO("Linear(1,\r foo)")
        status, _, err = run(capsys, "-")
    finally:
        sys.stdin = stdin
    assert status == 1
    assert err.startswith("paramcalc: error: <stdin>:2:2: `foo` is not a layer")
