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

pytestmark = pytest.mark.usefixtures("transformers")  # skips, or fails in CI, without it

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
    "granite-3.0-2b-base.json": "granite",
    "c4ai-command-r-v01.json": "cohere",
    "c4ai-command-r7b-12-2024.json": "cohere2",
    "starcoder2-3b.json": "starcoder2",
    "stablelm-3b-4e1t.json": "stablelm",
    "olmo-7b-hf.json": "olmo",
    "glm-4-9b-chat-hf.json": "glm",
    "glm-4-9b-0414.json": "glm4",
    "exaone-4.0-32b.json": "exaone4",
    "ernie-4.5-0.3b-pt.json": "ernie4_5",
    "smollm3-3b.json": "smollm3",
    "seed-oss-36b-instruct.json": "seed_oss",
    "apertus-defaults.json": "apertus",
    "arcee-defaults.json": "arcee",
    "helium-defaults.json": "helium",
    "bitnet-defaults.json": "bitnet",
    "olmoe-1b-7b-0924.json": "olmoe",
    "gptj-defaults.json": "gptj",
    "codegen-defaults.json": "codegen",
    "gpt-neo-defaults.json": "gpt_neo",
    "bloom-560m.json": "bloom",
    "persimmon-defaults.json": "persimmon",
    "xglm-defaults.json": "xglm",
    "mpt-defaults.json": "mpt",
    "phimoe-defaults.json": "phimoe",
    "granitemoe-defaults.json": "granitemoe",
    "glm4-moe-defaults.json": "glm4_moe",
    "dbrx-instruct.json": "dbrx",
    "deepseek-v2-lite.json": "deepseek_v2",
    "jetmoe-defaults.json": "jetmoe",
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
    transformers = importlib.import_module("transformers")
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
    transformers = importlib.import_module("transformers")
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
        ("bloom-560m.json", {"n_embed": 128}),
        ("persimmon-defaults.json", {"qk_layernorm": False}),
        ("xglm-defaults.json", {"add_cross_attention": True}),
        ("phimoe-defaults.json", {"attention_bias": True, "lm_head_bias": True}),
        ("granitemoe-defaults.json", {"num_key_value_heads": 8, "head_dim": 64}),
        ("glm4-moe-defaults.json", {"use_qk_norm": True, "attention_bias": True, "head_dim": 128}),
        ("glm4-moe-defaults.json", {"num_local_experts": 8, "first_k_dense_replace": 2}),
        ("deepseek-v2-lite.json", {"q_lora_rank": 64, "attention_bias": True, "mlp_bias": True}),
        ("deepseek-v2-lite.json", {"num_experts": 8, "first_k_dense_replace": 0}),
        ("gptj-defaults.json", {"n_inner": 96, "tie_word_embeddings": True}),
        ("gpt-neo-defaults.json", {"intermediate_size": 96}),
    ],
)
def test_variants(file: str, changes: dict[str, Any]) -> None:
    """Keys that change tensors, flipped from the checkpoint's values, still agree."""
    config = _config(file) | changes
    architecture = config["architectures"][0]
    theirs = hf_params(config, architecture)
    assert list(from_hf_config(config).named_parameters()) == theirs


def _attention_layers(net: Any) -> list[Any]:
    from paramcalc.hf.blocks import DecoderAttention, LatentAttention
    from paramcalc.layer import Composite

    found: list[Any] = []

    def walk(node: Any) -> None:
        if isinstance(node, (DecoderAttention, LatentAttention)):
            found.append(node)
        elif isinstance(node, Composite):
            for _, child in node.children():
                walk(child)

    walk(net)
    return found


TINY: dict[str, dict[str, Any]] = {
    "mistral": {"num_key_value_heads": 2, "sliding_window": 5},
    "qwen2": {
        "num_key_value_heads": 2,
        "use_sliding_window": True,
        "sliding_window": 5,
        "max_window_layers": 1,
    },
    "gemma3_text": {
        "num_hidden_layers": 7,
        "num_key_value_heads": 1,
        "head_dim": 8,
        "sliding_window": 5,
    },
    "gpt_oss": {
        "intermediate_size": 16,
        "num_key_value_heads": 2,
        "head_dim": 8,
        "sliding_window": 5,
        "num_local_experts": 4,
        "num_experts_per_tok": 2,
    },
    "deepseek_v3": {
        "moe_intermediate_size": 16,
        "n_routed_experts": 4,
        "n_group": 2,
        "topk_group": 1,
        "num_experts_per_tok": 2,
        "q_lora_rank": 16,
        "kv_lora_rank": 12,
        "qk_rope_head_dim": 4,
        "qk_nope_head_dim": 6,
        "v_head_dim": 5,
        "first_k_dense_replace": 1,
    },
    "phi3": {"num_key_value_heads": 2, "sliding_window": 5, "pad_token_id": None},
    "falcon": {"ffn_hidden_size": 48},
    "llama": {"num_key_value_heads": 1},
}


@pytest.mark.parametrize("model_type", sorted(TINY))
def test_cache_shapes(model_type: str) -> None:
    """``cache_shapes`` equals the keys and values a live DynamicCache holds after a prefill."""
    torch = importlib.import_module("torch")
    transformers = importlib.import_module("transformers")
    config: dict[str, Any] = {
        "model_type": model_type,
        "vocab_size": 50,
        "hidden_size": 32,
        "intermediate_size": 48,
        "num_hidden_layers": 3,
        "num_attention_heads": 4,
        "bos_token_id": None,
        "eos_token_id": None,
    } | TINY[model_type]
    if model_type == "falcon":  # its feed-forward width is ffn_hidden_size
        del config["intermediate_size"]
    data = {key: value for key, value in config.items() if key != "model_type"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hf_config = transformers.AutoConfig.for_model(model_type, **data)
        model = transformers.AutoModelForCausalLM.from_config(hf_config).eval()
    tokens = 9
    with torch.no_grad():
        cache = model(torch.zeros((1, tokens), dtype=torch.long), use_cache=True).past_key_values
    theirs = [
        (tuple(layer.keys.shape[1:]), tuple(layer.values.shape[1:])) for layer in cache.layers
    ]
    attentions = _attention_layers(from_hf_config(config))
    ours = [tuple(shape for _, shape in layer.cache_shapes(tokens)) for layer in attentions]
    assert ours == theirs


NO_FLIP = {"use_cache", "return_dict", "output_hidden_states", "output_router_logits"}
"""Bool fields that are runtime switches, not architecture."""
SIZES = {
    "num_hidden_layers",
    "n_layer",
    "vocab_size",
    "bos_token_id",
    "eos_token_id",
    "pad_token_id",
}
"""Int fields not varied: the layer count is cut for speed; token ids only index the table."""
EXTRA = ("head_dim", "num_key_value_heads", "intermediate_size", "n_inner", "ffn_hidden_size")
"""Keys some families read with ``getattr`` although their config classes do not declare them."""


def _varied(config: dict[str, Any], defaults: Any, base: set[str]) -> list[tuple[str, object]]:
    """``(key, new value)``: each bool field flipped, each int field doubled."""
    names = [item.name for item in dataclasses.fields(type(defaults))] + list(EXTRA)
    changes: list[tuple[str, object]] = []
    for name in dict.fromkeys(names):
        if name in base | NO_FLIP | SIZES:
            continue
        value = config.get(name, getattr(defaults, name, None))
        if isinstance(value, bool):
            changes.append((name, not value))
        elif isinstance(value, int):
            changes.append((name, 2 * value if value else 1))
    return changes


@pytest.mark.parametrize(("file", "package"), CASES)
def test_vary_every_key(file: str, package: str) -> None:
    """Each bool field flipped, each int field doubled: paramcalc agrees or refuses by name.

    A key that changes a tensor but were ignored would disagree here.
    """
    transformers = importlib.import_module("transformers")
    config = _config(file)
    architecture = config["architectures"][0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        defaults = transformers.AutoConfig.for_model(config["model_type"])
    base = {item.name for item in dataclasses.fields(transformers.PreTrainedConfig)}
    compared = 0
    for name, value in _varied(config, defaults, base):
        changed = config | {name: value}
        try:
            theirs = hf_params(changed, architecture)
        except Exception:  # transformers does not build it either
            continue
        refused = ""
        try:
            with warnings.catch_warnings():  # an extra key a family does not read: named, fine
                warnings.simplefilter("ignore", ParamcalcWarning)
                ours = list(from_hf_config(changed).named_parameters())
        except ValueError as error:  # refused: the message names the key
            refused = str(error)
        if refused:
            assert name in refused
        else:
            assert ours == theirs, name
            compared += 1
    assert compared


@pytest.mark.parametrize(("file", "package"), CASES)
def test_drop_every_key(file: str, package: str) -> None:
    """Each key of the checkpoint's config left out: paramcalc takes the config class's
    default, as transformers does, or asks for the key by name (the sizes)."""
    config = _config(file)
    architecture = config["architectures"][0]
    for name in sorted(set(config) - {"model_type", "architectures"}):
        changed = {key: value for key, value in config.items() if key != name}
        try:
            theirs = hf_params(changed, architecture)
        except Exception:  # transformers does not build it either
            continue
        refused = ""
        try:
            ours = list(from_hf_config(changed).named_parameters())
        except ValueError as error:
            refused = str(error)
        if refused:
            assert f"`{name}`" in refused, refused
        else:
            assert ours == theirs, name
