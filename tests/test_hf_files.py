"""from_hf_config on hostile files: every one ends at once with a ConfigError."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from paramcalc import ConfigError, from_hf_config
from paramcalc.hf.config import MAX_CONFIG_BYTES


def _refused(source: str | Path, match: str) -> None:
    start = time.perf_counter()
    with pytest.raises(ConfigError, match=match):
        from_hf_config(source)
    assert time.perf_counter() - start < 5


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_dev_zero() -> None:
    """An endless device is not a regular file: refused before reading."""
    _refused("/dev/zero", "is not a regular file")


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs are POSIX")
def test_fifo(tmp_path: Path) -> None:
    """A FIFO nobody writes to would block forever: refused without opening it."""
    fifo = tmp_path / "config.json"
    os.mkfifo(fifo)
    _refused(fifo, "is not a regular file")
    _refused(tmp_path, "is not a regular file")  # the folder's config.json


def test_size_limit(tmp_path: Path) -> None:
    """A file past MAX_CONFIG_BYTES is refused by its size, unread."""
    big = tmp_path / "config.json"
    with big.open("wb") as handle:
        handle.truncate(MAX_CONFIG_BYTES + 1)  # sparse: costs no disk
    _refused(big, f"read up to {MAX_CONFIG_BYTES:,}")


def test_not_utf8(tmp_path: Path) -> None:
    """Latin-1 bytes are not UTF-8 text: a ConfigError, not a UnicodeDecodeError."""
    path = tmp_path / "config.json"
    path.write_bytes(b'{"model_type": "gpt2", "name": "caf\xe9"}')
    _refused(path, "is not UTF-8 text")


def test_deep_json(tmp_path: Path) -> None:
    """JSON nested 100,000 deep is refused, not a RecursionError."""
    path = tmp_path / "config.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    _refused(path, "is not valid JSON")


def test_long_path() -> None:
    """A 5,000-character path is a ConfigError (the OS says the name is too long)."""
    _refused("a" * 5000, "cannot read")


def test_missing_file(tmp_path: Path) -> None:
    """A missing file is named."""
    _refused(tmp_path / "nope.json", "cannot read")
