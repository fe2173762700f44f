"""Build a ``transformers`` model from a config dict on the meta device (no weights).

Tests using it take the ``transformers`` fixture (``conftest.py``), which skips
without transformers 5.23.0, or fails under ``PARAMCALC_REQUIRE_TORCH``.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Mapping
from typing import Any

SHRINK = {"num_hidden_layers": 4, "n_layer": 4, "num_layers": 4}
"""Fewer layers keep conformance fast; the layers' names and shapes do not change."""


def shrink(config: Mapping[str, Any], **changes: Any) -> dict[str, Any]:
    """A copy with at most four layers (``layer_types`` cut to match), then ``changes``."""
    small = dict(config)
    for key, layers in SHRINK.items():
        if key in small and small[key] > layers:
            small[key] = layers
    count = next((small[key] for key in SHRINK if key in small), None)
    if isinstance(small.get("layer_types"), list) and count is not None:
        small["layer_types"] = small["layer_types"][:count]
    if "attention_types" in small and count is not None:  # GPT-Neo's kinds must number its layers
        small["attention_types"] = [[["global", "local"], count // 2]]
        if "attention_layers" in small:
            small["attention_layers"] = ["global", "local"] * (count // 2)
    small.pop("quantization_config", None)
    small.update(changes)
    return small


def hf_params(config: Mapping[str, Any], architecture: str) -> list[tuple[str, tuple[int, ...]]]:
    """``named_parameters()`` of ``transformers``' ``architecture`` built from ``config``."""
    torch = importlib.import_module("torch")
    transformers = importlib.import_module("transformers")
    data = {key: value for key, value in config.items() if key != "model_type"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hf_config = transformers.AutoConfig.for_model(config["model_type"], **data)
        with torch.device("meta"):
            model = getattr(transformers, architecture)(hf_config)
    return [(name, tuple(p.shape)) for name, p in model.named_parameters()]
