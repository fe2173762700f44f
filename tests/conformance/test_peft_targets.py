"""The copied PEFT default-target table equals the installed PEFT's."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.conformance
pytest.importorskip("torch")
peft = pytest.importorskip("peft")


def test_table_matches_peft() -> None:
    """TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING, as data, and its version."""
    from peft.utils import constants

    from paramcalc.plan.peft_targets import PEFT_VERSION, TARGETS

    assert peft.__version__ == PEFT_VERSION
    table = constants.TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING
    assert {key: tuple(value) for key, value in table.items()} == TARGETS
