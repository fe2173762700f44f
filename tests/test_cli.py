"""The command line, through main(argv) and through a real `python -m paramcalc`."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from paramcalc.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "printed"
ROOT = Path(__file__).parent.parent
LENET = (
    "Conv2d(1, 6, 5) MaxPool2d(2) Conv2d(6, 16, 5) MaxPool2d(2) Flatten() "
    "Linear(400, 120) Linear(120, 84) Linear(84, 10)"
)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


class TestOutput:
    def test_total(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--total prints just the number, for scripts."""
        assert run(capsys, "--total", "Linear(400, 120)") == (0, "48120\n", "")

    def test_text_report(self, capsys: pytest.CaptureFixture[str]) -> None:
        """The default is the text table with shapes and MACs for --input."""
        status, out, err = run(capsys, LENET, "--input", "1,32,32")
        assert status == 0
        assert err == ""
        assert "Total params:          61,706 (61.7K)" in out
        assert "Total MACs:           416,520 (417K)" in out
        assert "│ 7     │ Linear    │ (10,)" in out

    def test_input_forms(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--input accepts 1,32,32, (1, 32, 32) and 1x32x32."""
        outs = {
            run(capsys, LENET, "--input", form)[1] for form in ("1,32,32", "(1, 32, 32)", "1x32x32")
        }
        assert len(outs) == 1

    def test_batch_size(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--batch-size multiplies the MACs."""
        _, out, _ = run(capsys, LENET, "-i", "1,32,32", "--batch-size", "8", "--ascii")
        assert "Total MACs:           3,332,160 (3.33M)" in out
        assert "per sample, batch size 8" in out

    @pytest.mark.parametrize("fmt", ["markdown", "html", "json"])
    def test_formats(self, capsys: pytest.CaptureFixture[str], fmt: str) -> None:
        """--format picks the renderer."""
        status, out, _ = run(capsys, LENET, "--format", fmt)
        assert status == 0
        if fmt == "json":
            assert json.loads(out)["totals"]["params"] == 61706
        else:
            assert "61,706" in out

    def test_explain_depth_ascii_columns(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--explain adds formulas, --ascii draws plainly, --columns chooses."""
        _, out, _ = run(capsys, LENET, "--explain", "--ascii", "--columns", "name,params")
        assert out.splitlines()[1] == "| Layer | Params | Formula                |"
        assert "(5·5·1 + 1)·6 = 156" in out

    def test_depth_and_include(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--depth folds, --include filters, by path glob."""
        _, out, _ = run(capsys, str(FIXTURES / "mixer.txt"), "--depth", "0", "--ascii")
        assert "| blocks  | Repeat     | 397,056 |" in out  # (0-11): 12 x MixerBlock
        _, out, _ = run(capsys, str(FIXTURES / "mixer.txt"), "--include", "heads.*", "--ascii")
        assert "stem" not in out
        assert "|- 0  | Linear" in out

    def test_output_file(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        """--output writes the report to a file and nothing to stdout; HTML as a whole page."""
        target = tmp_path / "report.html"
        assert run(capsys, LENET, "-f", "html", "-o", str(target)) == (0, "", "")
        page = target.read_text(encoding="utf-8")
        assert page.startswith('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">')
        assert '<div class="paramcalc-report">' in page
        assert page.endswith("</body>\n</html>\n")

    def test_help(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--help shows examples and exits 0."""
        status, out, _ = run(capsys, "--help")
        assert status == 0
        assert "examples:" in out
        assert 'paramcalc --total "Linear(400, 120)"' in out


class TestInputs:
    def test_spec_file(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        """A file holding calls, one per line."""
        spec = tmp_path / "lenet.txt"
        spec.write_text(LENET.replace(") ", ")\n"))
        assert run(capsys, "--total", str(spec))[1] == "61706\n"

    def test_printed_file_with_warnings(self, capsys: pytest.CaptureFixture[str]) -> None:
        """print(model) output is recognised; its caveats go to stderr."""
        status, out, err = run(capsys, "--total", str(FIXTURES / "lenet.txt"))
        assert (status, out) == (0, "61706\n")
        assert err.startswith("paramcalc: warning: print(model) does not show tensors a module")

    def test_json_report(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        """A JSON report comes back, with its input shape and batch size."""
        _, text, _ = run(capsys, LENET, "-i", "1,32,32", "-b", "2", "-f", "json")
        saved = tmp_path / "report.json"
        saved.write_text(text)
        _, again, _ = run(capsys, str(saved), "-f", "json")
        assert again == text

    def test_standard_input(
        self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """`-` reads the model from standard input."""
        monkeypatch.setattr(sys, "stdin", io.StringIO((FIXTURES / "mixer.txt").read_text()))
        assert run(capsys, "-t", "-")[1] == "402142\n"

    def test_forced_kind(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--from spec reads text as a spec even when it could be something else."""
        status, _, err = run(capsys, "--from", "json", "Linear(1, 2)")
        assert status == 1
        assert "not valid JSON" in err


class TestErrors:
    def test_model_error_has_position(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A model error exits 1 with the line:column and a caret, no traceback."""
        status, out, err = run(capsys, "Linear(400, 120)\nLinear(120, 84).weight")
        assert (status, out) == (1, "")
        assert err == (
            "paramcalc: error: <model>:2:1: attribute access is not allowed: only layer calls "
            "like Linear(400, 120) are (found `Linear(...).weight`)\n"
            "  Linear(120, 84).weight\n"
            "  ^\n"
        )

    def test_shape_error(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A network that does not fit the input exits 1 naming the layer."""
        status, _, err = run(capsys, "Flatten() Linear(400, 120)", "-i", "16,4,4")
        assert status == 1
        assert "1 (Linear) expects 400 input features but receives 256" in err
        assert "Traceback" not in err

    def test_printed_shapes_fall_back_to_counts(self, capsys: pytest.CaptureFixture[str]) -> None:
        """print(model) text whose forward cannot be followed still gives the counts."""
        text = (
            "Block(\n  (conv): Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1))\n"
            "  (skip): Conv2d(3, 8, kernel_size=(1, 1), stride=(1, 1))\n)"
        )
        status, out, err = run(capsys, text, "-i", "3,8,8")
        assert status == 0
        assert "shapes not computed" in err
        assert "Total params:          256" in out

    @pytest.mark.parametrize(
        ("argv", "message"),
        [
            ([], "the following arguments are required: model"),
            (["Linear(1, 2)", "--input", "a,b"], "argument -i/--input: expected sizes like"),
            (["Linear(1, 2)", "--input", "0,3"], "sizes must be at least 1"),
            (["Linear(1, 2)", "--depth", "-1"], "expected a number >= 0"),
            (["Linear(1, 2)", "--format", "pdf"], "invalid choice: 'pdf'"),
            (["Linear(1, 2)", "--columns", "name,size"], "unknown column size"),
        ],
    )
    def test_usage_errors(
        self, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
    ) -> None:
        """Command-line mistakes exit 2 with the usage line and the problem."""
        status, out, err = run(capsys, *argv)
        assert (status, out) == (2, "")
        assert err.startswith("usage: paramcalc")
        assert message in err

    def test_bad_json(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        """Broken JSON exits 1 with its line and column."""
        broken = tmp_path / "report.json"
        broken.write_text('{\n  "schema": 1,\n  "rows": [,]\n}')
        status, _, err = run(capsys, str(broken))
        assert status == 1
        assert f"{broken}:3:12: not valid JSON: Expecting value" in err


def test_subprocess() -> None:
    """`python -m paramcalc` works as a real process: output, stderr and exit codes."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8"}
    done = subprocess.run(
        [sys.executable, "-m", "paramcalc", "--total", "Linear(400, 120)"],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert (done.returncode, done.stdout, done.stderr) == (0, "48120\n", "")
    done = subprocess.run(
        [sys.executable, "-m", "paramcalc", "-", "-i", "1,32,32", "--ascii"],
        input=LENET, capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0
    assert "Total params:          61,706 (61.7K)" in done.stdout
    done = subprocess.run(
        [sys.executable, "-m", "paramcalc", "Nope(1)"],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.startswith("paramcalc: error: <model>:1:1: `Nope` is not a layer")
    assert "Traceback" not in done.stderr


def test_closed_pipe_is_quiet() -> None:
    """`paramcalc --zoo resnet152 | head -1`: nothing on stderr when the reader leaves early."""
    import subprocess
    import sys

    process = subprocess.Popen(
        [sys.executable, "-m", "paramcalc", "--zoo", "resnet152", "--format", "html"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        bufsize=0,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    process.stdout.read(8)
    process.stdout.close()
    process.wait(timeout=60)
    assert process.stderr.read() == b""
