"""Decoder families from real checkpoints' configs against live ``transformers`` 5.23.

Each fixture in ``tests/fixtures/hf`` is built with at most four layers (and
at most 16 routed experts) on the meta device, for every head class the
family's ``modeling_*.py`` exports, and compared name by name, shape by
shape, in order. A fixture's config keys are walked too: each is read by
paramcalc (honoured, ignored by design, or refused), never left unknown.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import warnings
from pathlib import Path
from typing import Any

import pytest

from paramcalc.errors import ParamcalcWarning
from paramcalc.hf import from_hf_config
from tests.conformance.hf_mirror import hf_params, shrink

FIXTURES = Path(__file__).parent.parent / "fixtures" / "hf"

DECODERS = {
    "llama-2-7b.json": "llama",
    "mistral-7b.json": "mistral",
    "mixtral-8x7b.json": "mixtral",
    "qwen2-0.5b.json": "qwen2",
    "qwen1.5-moe-a2.7b.json": "qwen2_moe",
    "qwen3-0.6b.json": "qwen3",
    "qwen3-30b-a3b.json": "qwen3_moe",
    "gemma-2b.json": "gemma",
    "gemma-2-2b.json": "gemma2",
    "gemma-3-1b-it.json": "gemma3",
    "phi-3-mini-4k-instruct.json": "phi3",
    "olmo-2-1124-7b.json": "olmo2",
    "deepseek-v3.json": "deepseek_v3",
    "gpt-oss-20b.json": "gpt_oss",
    "phi-2.json": "phi",
    "falcon-7b.json": "falcon",
    "falcon-40b.json": "falcon",
    "falcon-rw-1b.json": "falcon",
    "pythia-160m.json": "gpt_neox",
    "opt-125m.json": "opt",
    "opt-350m.json": "opt",
    "gpt2.json": "gpt2",
    "gpt_bigcode-santacoder.json": "gpt_bigcode",
}
"""Fixture -> the ``transformers.models`` package holding its classes."""

SUFFIXES = (
    "Model",
    "ForCausalLM",
    "LMHeadModel",
    "ForSequenceClassification",
    "ForTokenClassification",
    "ForQuestionAnswering",
)
MULTIMODAL = {"Gemma3Model", "Gemma3ForConditionalGeneration", "Gemma3ForSequenceClassification"}
"""Classes of the multimodal ``gemma3`` type (hf-enc's), not of ``gemma3_text``."""
REFUSED = {"GPT2DoubleHeadsModel"}
"""Head classes paramcalc refuses by name (GPT-2's multiple-choice summary head)."""


def _config(file: str) -> dict[str, Any]:
    config: dict[str, Any] = json.loads((FIXTURES / file).read_text())
    small = shrink(config)
    for key in ("num_experts", "num_local_experts", "n_routed_experts"):
        if small.get(key, 0) > 16:
            small[key] = 16
    if "n_group" in small:  # DeepSeek's groups must divide the experts
        small["n_group"], small["topk_group"] = 4, 2
    return small


def _heads(package: str) -> list[str]:
    transformers = pytest.importorskip("transformers")
    module = importlib.import_module(f"transformers.models.{package}.modeling_{package}")
    names = [
        name
        for name in module.__all__
        if name.endswith(SUFFIXES) and "PreTrained" not in name and name not in MULTIMODAL | REFUSED
    ]
    assert all(hasattr(transformers, name) for name in names)
    return names


CASES = [
    pytest.param(file, package, id=file.removesuffix(".json")) for file, package in DECODERS.items()
]


@pytest.mark.parametrize(("file", "package"), CASES)
def test_every_head(file: str, package: str) -> None:
    """Every head class of the family: the same names, shapes and order as transformers."""
    config = _config(file)
    for head in _heads(package):
        small = {**config, "architectures": [head]}
        theirs = hf_params(small, head)
        ours = list(from_hf_config(small).named_parameters())
        assert ours == theirs, head


@pytest.mark.parametrize(("file", "package"), CASES)
def test_no_unknown_key(file: str, package: str) -> None:
    """Every key of the published config is read: honoured, ignored by design or refused."""
    config = json.loads((FIXTURES / file).read_text())
    with warnings.catch_warnings():
        warnings.simplefilter("error", ParamcalcWarning)
        from_hf_config(config)


@pytest.mark.parametrize(("file", "package"), CASES)
def test_config_class_keys(file: str, package: str) -> None:
    """Every field of the family's config class is read by paramcalc's builder.

    The config class's own fields (``dataclasses.fields``) each set to its
    default are given to paramcalc, which must read them all (honour, ignore
    by design, or refuse): a field paramcalc does not know warns.
    """
    transformers = pytest.importorskip("transformers")
    config = _config(file)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hf_config = transformers.AutoConfig.for_model(config["model_type"])
    own = {
        item.name
        for item in dataclasses.fields(type(hf_config))
        if item.name not in {f.name for f in dataclasses.fields(transformers.PreTrainedConfig)}
    }
    full = dict(config)
    for name in own:
        if name not in full:
            value = getattr(hf_config, name, None)
            if isinstance(value, (bool, int, float, str)) and value is not None:
                full[name] = value
    with warnings.catch_warnings():
        warnings.simplefilter("error", ParamcalcWarning)
        try:
            from_hf_config(full)
        except ParamcalcWarning as warning:  # pragma: no cover - the failure message
            pytest.fail(str(warning))
        except ValueError:
            pass  # a refused value (ConfigError) names its key: that is allowed


def test_gpt2_cross_attention() -> None:
    """``add_cross_attention`` adds GPT-2's cross-attention blocks, as transformers does."""
    config = _config("gpt2.json") | {"add_cross_attention": True}
    theirs = hf_params(config, "GPT2LMHeadModel")
    assert list(from_hf_config(config).named_parameters()) == theirs


@pytest.mark.parametrize(
    ("file", "changes"),
    [
        ("falcon-7b.json", {"parallel_attn": False}),
        ("falcon-7b.json", {"multi_query": False, "bias": True}),
        ("falcon-40b.json", {"num_ln_in_parallel_attn": 1}),
        ("phi-2.json", {"qk_layernorm": True}),
        ("opt-125m.json", {"_remove_final_layer_norm": True, "enable_bias": False}),
        ("opt-125m.json", {"layer_norm_elementwise_affine": False}),
        ("llama-2-7b.json", {"attention_bias": True, "mlp_bias": True, "head_dim": 64}),
        ("qwen3-30b-a3b.json", {"mlp_only_layers": [1], "decoder_sparse_step": 1}),
        ("qwen1.5-moe-a2.7b.json", {"decoder_sparse_step": 2, "qkv_bias": False}),
        ("deepseek-v3.json", {"q_lora_rank": None, "first_k_dense_replace": 1}),
        ("gpt-oss-20b.json", {"attention_bias": False}),
        ("pythia-160m.json", {"attention_bias": False}),
        ("gemma-3-1b-it.json", {"tie_word_embeddings": False}),
    ],
)
def test_variants(file: str, changes: dict[str, Any]) -> None:
    """Keys that change tensors, flipped from the checkpoint's values, still agree."""
    config = _config(file) | changes
    architecture = config["architectures"][0]
    theirs = hf_params(config, architecture)
    assert list(from_hf_config(config).named_parameters()) == theirs
