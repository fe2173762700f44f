"""Conformance tests compare paramcalc with live ``torch.nn``.

Without torch they are skipped, so the plain suite runs anywhere; CI sets
``PARAMCALC_REQUIRE_TORCH=1`` so that a missing torch fails instead of skipping.
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
    """The torch module (2.13), or a skip when it is not installed."""
    module = _torch()
    if not module.__version__.startswith("2.13."):
        pytest.fail(f"conformance needs torch 2.13, found {module.__version__}")
    return module


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test in this folder as ``conformance``."""
    for item in items:
        if "conformance" in str(item.path):
            item.add_marker(pytest.mark.conformance)
