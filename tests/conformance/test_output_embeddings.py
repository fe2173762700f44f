"""Each network's output layer is ``transformers``' ``get_output_embeddings()`` module.

PEFT's ``target_modules="all-linear"`` leaves that module out
(``_maybe_include_all_linear_layers`` in ``peft/tuners/tuners_utils.py``), and so
does the QLoRA planner's quantization (``get_keys_to_not_convert``): paramcalc
reads the path each builder declares (:meth:`paramcalc.zoo._common.Net.output_embeddings`).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest

import paramcalc as pc
from paramcalc.zoo._common import Net

from .hf_mirror import shrink

pytestmark = pytest.mark.conformance

FIXTURES = Path(__file__).parent.parent / "fixtures" / "hf"
HEADS = {
    "bert-base-uncased.json": ["BertForPreTraining", "BertLMHeadModel", "BertModel"],
    "roberta-base.json": ["RobertaForCausalLM", "RobertaForSequenceClassification"],
    "whisper-tiny.json": ["WhisperForCausalLM", "WhisperModel"],
    "gpt2.json": ["GPT2ForSequenceClassification"],
    "t5-small.json": ["T5Model", "T5EncoderModel"],
}
CASES = [(path.name, None) for path in sorted(FIXTURES.glob("*.json"))] + [
    (name, head) for name, heads in HEADS.items() for head in heads
]


def _paths(transformers: Any, torch: Any, config: dict[str, Any]) -> list[str]:
    data = {key: value for key, value in config.items() if key != "model_type"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hf_config = transformers.AutoConfig.for_model(config["model_type"], **data)
        with torch.device("meta"):
            model = getattr(transformers, config["architectures"][0])(hf_config)
    out = model.get_output_embeddings()
    return [name for name, module in model.named_modules() if out is not None and module is out]


@pytest.mark.parametrize(("fixture", "head"), CASES, ids=lambda v: str(v).removesuffix(".json"))
def test_output_embeddings(transformers: Any, torch: Any, fixture: str, head: str | None) -> None:
    """The declared output layer is the module ``get_output_embeddings()`` returns (or none)."""
    config = shrink(json.loads((FIXTURES / fixture).read_text()))
    if "encoder_layers" in config:  # whisper: shrink's num_hidden_layers is its alias
        config.pop("num_hidden_layers", None)
    if head is not None:
        config["architectures"] = [head]
    if "architectures" not in config:
        pytest.skip("no architectures: the causal LM by default")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net = pc.from_hf_config(config)
    ours = net.output_embeddings() if isinstance(net, Net) else None
    assert ([ours] if ours else []) == _paths(transformers, torch, config)
