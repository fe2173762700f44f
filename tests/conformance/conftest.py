"""Conformance tests compare paramcalc with live ``torch.nn``.

Without torch they are skipped, so the plain suite runs anywhere; CI sets
``PARAMCALC_REQUIRE_TORCH=1`` so that a missing torch (or transformers, or
PEFT) fails instead of skipping. Use the ``torch``, ``transformers`` and
``peft`` fixtures rather than importing them.
"""

from __future__ import annotations

import os
from types import ModuleType

import pytest


def _torch() -> ModuleType:
    if os.environ.get("PARAMCALC_REQUIRE_TORCH"):
        import importlib

        module: ModuleType = importlib.import_module("torch")
        return module
    skipped: ModuleType = pytest.importorskip("torch")
    return skipped


@pytest.fixture(scope="session")
def torch() -> ModuleType:
    """The torch module (2.13), or a skip when it is missing or another version.

    The numbers are pinned to torch 2.13; another version skips with the
    reason (fails under ``PARAMCALC_REQUIRE_TORCH``, as CI pins 2.13).
    """
    module = _torch()
    if not module.__version__.startswith("2.13."):
        message = f"conformance needs torch 2.13, found {module.__version__}"
        if os.environ.get("PARAMCALC_REQUIRE_TORCH"):
            pytest.fail(message)
        pytest.skip(message)
    return module


def _library(name: str, version: str) -> ModuleType:
    """``name`` at ``version`` (CI pins it), or a skip when it is not installed."""
    if os.environ.get("PARAMCALC_REQUIRE_TORCH"):
        import importlib

        module: ModuleType = importlib.import_module(name)
    else:
        module = pytest.importorskip(name)
    if module.__version__ != version:
        message = f"conformance needs {name} {version}, found {module.__version__}"
        if os.environ.get("PARAMCALC_REQUIRE_TORCH"):
            pytest.fail(message)
        pytest.skip(message)
    return module


@pytest.fixture(scope="session")
def transformers(torch: ModuleType) -> ModuleType:
    """transformers 5.23.0 (beside torch), or a skip when it is not installed."""
    return _library("transformers", "5.23.0")


@pytest.fixture(scope="session")
def peft(transformers: ModuleType) -> ModuleType:
    """PEFT 0.21.2 (beside transformers), or a skip when it is not installed."""
    return _library("peft", "0.21.2")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test in this folder as ``conformance``."""
    for item in items:
        if "conformance" in str(item.path):
            item.add_marker(pytest.mark.conformance)
