"""The conformance suite skips, with its reason, when torch is another version than 2.13."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(tmp_path: Path, require: bool) -> subprocess.CompletedProcess[str]:
    fake = tmp_path / "torch"
    fake.mkdir(exist_ok=True)
    (fake / "__init__.py").write_text('__version__ = "2.0.0"\n')
    env = {key: value for key, value in os.environ.items() if key != "PARAMCALC_REQUIRE_TORCH"}
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), str(ROOT)])
    if require:
        env["PARAMCALC_REQUIRE_TORCH"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "tests/conformance/test_bilinear.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_another_torch_skips(tmp_path: Path) -> None:
    """torch 2.0 installed: every conformance test skips saying which version it found."""
    done = _run(tmp_path, require=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "conformance needs torch 2.13, found 2.0.0" in done.stdout
    assert " error" not in done.stdout
    assert " failed" not in done.stdout


def test_another_torch_fails_when_required(tmp_path: Path) -> None:
    """Under PARAMCALC_REQUIRE_TORCH (CI) the wrong torch fails instead."""
    done = _run(tmp_path, require=True)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "conformance needs torch 2.13, found 2.0.0" in done.stdout
