"""Shared test options: ``--update-golden`` rewrites the golden renderings."""

from __future__ import annotations

import os

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    """``pytest --update-golden`` (or ``PARAMCALC_UPDATE_GOLDEN=1``) rewrites tests/golden/."""
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite the golden files under tests/golden/ instead of comparing with them",
    )


@pytest.fixture(scope="session")
def update_golden(request: pytest.FixtureRequest) -> bool:
    """Whether golden files are rewritten rather than compared."""
    return bool(request.config.getoption("--update-golden")) or bool(
        os.environ.get("PARAMCALC_UPDATE_GOLDEN")
    )
