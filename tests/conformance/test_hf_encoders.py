"""Encoder, encoder-decoder, vision and multimodal families against live ``transformers`` 5.23.

Each fixture in ``tests/fixtures/hf`` is built with at most two layers per
stack on the meta device, for every head class the family's
``modeling_*.py`` exports, and compared name by name, shape by shape, in
order (and in total). Keys that change a tensor are varied one at a time and
compared again; every field of the family's config classes is walked and
must be read by paramcalc; the KV-cache hook is compared with the
``EncoderDecoderCache`` a real forward pass fills.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import math
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from paramcalc.errors import ParamcalcWarning
from paramcalc.graph import check_ties
from paramcalc.hf import from_hf_config
from paramcalc.layer import Composite, Layer
from tests.conformance.hf_mirror import hf_params

FIXTURES = Path(__file__).parent.parent / "fixtures" / "hf"

pytestmark = pytest.mark.usefixtures("transformers")  # skips, or fails in CI, without it

FAMILIES = {
    "bert-base-uncased.json": "bert",
    "roberta-base.json": "roberta",
    "distilbert-base-uncased.json": "distilbert",
    "t5-small.json": "t5",
    "flan-t5-base.json": "t5",
    "mt5-small.json": "mt5",
    "vit-base-patch16-224.json": "vit",
    "clip-vit-base-patch32.json": "clip",
    "whisper-tiny.json": "whisper",
    "whisper-base.json": "whisper",
    "gemma-3-4b-it.json": "gemma3",
}
"""Fixture -> the ``transformers.models`` package holding its classes."""

LAYER_KEYS = (
    "num_hidden_layers",
    "n_layers",
    "num_layers",
    "num_decoder_layers",
    "encoder_layers",
    "decoder_layers",
)
SUFFIXES = (
    "Model",
    "ForPreTraining",
    "LMHeadModel",
    "ForCausalLM",
    "ForMaskedLM",
    "ForNextSentencePrediction",
    "ForSequenceClassification",
    "ForMultipleChoice",
    "ForTokenClassification",
    "ForQuestionAnswering",
    "ForConditionalGeneration",
    "ForImageClassification",
    "ForMaskedImageModeling",
    "ForAudioClassification",
    "WithProjection",
)
NOT_OF_THIS_TYPE = {
    # classes whose config is another model_type (clip_text_model, gemma3_text, ...)
    "CLIPTextModel",
    "CLIPTextModelWithProjection",
    "CLIPVisionModel",
    "CLIPVisionModelWithProjection",
    "Gemma3TextModel",
    "Gemma3ForCausalLM",
    "Gemma3TextForSequenceClassification",
    "DistilBertForQuestionAnswering",  # needs num_labels=2: tested below
}


def _shrink(config: dict[str, Any]) -> dict[str, Any]:
    small = dict(config)
    for key in LAYER_KEYS:
        if isinstance(small.get(key), int) and small[key] > 2:
            small[key] = 2
    for sub in ("text_config", "vision_config"):
        if isinstance(small.get(sub), dict):
            small[sub] = _shrink(small[sub])
    return small


def _config(file: str) -> dict[str, Any]:
    config: dict[str, Any] = json.loads((FIXTURES / file).read_text())
    return _shrink(config)


def _heads(package: str) -> list[str]:
    transformers = pytest.importorskip("transformers")
    module = importlib.import_module(f"transformers.models.{package}.modeling_{package}")
    names = [
        name
        for name in module.__all__
        if name.endswith(SUFFIXES) and "PreTrained" not in name and name not in NOT_OF_THIS_TYPE
    ]
    assert all(hasattr(transformers, name) for name in names)
    return names


def _same(config: dict[str, Any], head: str) -> None:
    small = {**config, "architectures": [head]}
    theirs = hf_params(small, head)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ParamcalcWarning)
        net = from_hf_config(small)
    check_ties(net)
    assert type(net).__name__ == head
    assert list(net.named_parameters()) == theirs, head
    assert net.params() == sum(math.prod(shape) for _, shape in theirs)


CASES = [
    pytest.param(file, package, id=file.removesuffix(".json")) for file, package in FAMILIES.items()
]


@pytest.mark.parametrize(("file", "package"), CASES)
def test_every_head(file: str, package: str) -> None:
    """Every head class of the family: the same names, shapes, order and total as transformers."""
    config = _config(file)
    heads = _heads(package)
    assert heads
    for head in heads:
        _same(config, head)


@pytest.mark.parametrize(("file", "package"), CASES)
def test_no_unknown_key(file: str, package: str) -> None:
    """Every key of the published config is read: honoured, ignored by design or refused."""
    config = json.loads((FIXTURES / file).read_text())
    with warnings.catch_warnings():
        warnings.simplefilter("error", ParamcalcWarning)
        if file in {"flan-t5-base.json", "mt5-small.json"}:  # the documented tie warning
            with pytest.warns(ParamcalcWarning, match="ties .*lm_head to `shared` anyway"):
                from_hf_config(config)
        else:
            from_hf_config(config)


VARIANTS = [
    (
        "bert-base-uncased.json",
        "BertLMHeadModel",
        {"is_decoder": True, "add_cross_attention": True},
    ),
    ("bert-base-uncased.json", "BertForMaskedLM", {"tie_word_embeddings": False}),
    ("bert-base-uncased.json", "BertForSequenceClassification", {"num_labels": 7}),
    ("bert-base-uncased.json", "BertForTokenClassification", {"id2label": {"0": "O", "1": "B"}}),
    ("roberta-base.json", "RobertaForCausalLM", {"is_decoder": True, "add_cross_attention": True}),
    ("roberta-base.json", "RobertaForMaskedLM", {"tie_word_embeddings": False}),
    ("distilbert-base-uncased.json", "DistilBertForMaskedLM", {"tie_word_embeddings": False}),
    ("distilbert-base-uncased.json", "DistilBertForMaskedLM", {"sinusoidal_pos_embds": True}),
    ("distilbert-base-uncased.json", "DistilBertForQuestionAnswering", {}),
    ("t5-small.json", "T5ForConditionalGeneration", {"feed_forward_proj": "gated-silu"}),
    ("t5-small.json", "T5ForConditionalGeneration", {"num_decoder_layers": 3, "d_kv": 32}),
    ("t5-small.json", "T5ForConditionalGeneration", {"relative_attention_num_buckets": 16}),
    ("flan-t5-base.json", "T5ForConditionalGeneration", {"feed_forward_proj": "relu"}),
    ("flan-t5-base.json", "T5ForConditionalGeneration", {"is_gated_act": False}),
    ("vit-base-patch16-224.json", "ViTModel", {"qkv_bias": False, "pooler_output_size": 100}),
    ("vit-base-patch16-224.json", "ViTForMaskedImageModeling", {"encoder_stride": 8}),
    ("vit-base-patch16-224.json", "ViTForImageClassification", {"image_size": 384}),
    ("clip-vit-base-patch32.json", "CLIPModel", {"projection_dim": 256}),
    (
        "clip-vit-base-patch32.json",
        "CLIPModel",
        {
            "text_config_dict": {
                "num_hidden_layers": 1,
                "hidden_size": 256,
                "num_attention_heads": 4,
            }
        },
    ),
    ("whisper-tiny.json", "WhisperForAudioClassification", {"use_weighted_layer_sum": True}),
    ("whisper-tiny.json", "WhisperForConditionalGeneration", {"tie_word_embeddings": False}),
    ("gemma-3-4b-it.json", "Gemma3ForConditionalGeneration", {"mm_tokens_per_image": 64}),
]


@pytest.mark.parametrize(("file", "head", "changes"), VARIANTS)
def test_tensor_keys(file: str, head: str, changes: dict[str, Any]) -> None:
    """Keys that change a tensor are honoured as transformers honours them."""
    _same({**_config(file), **changes}, head)


def test_clip_towers() -> None:
    """The CLIP text and vision towers of clip-vit-base-patch32, with and without projection."""
    config = _config("clip-vit-base-patch32.json")
    for sub, heads in (
        ("text_config", ("CLIPTextModel", "CLIPTextModelWithProjection")),
        ("vision_config", ("CLIPVisionModel", "CLIPVisionModelWithProjection")),
    ):
        for head in heads:
            _same(config[sub], head)


def test_siglip_vision_tower() -> None:
    """Gemma 3's SigLIP tower alone, and with SigLIP's attention-pooling head."""
    vision = _config("gemma-3-4b-it.json")["vision_config"]
    _same(vision, "SiglipVisionModel")
    _same({**vision, "vision_use_head": True}, "SiglipVisionModel")


def _config_classes(config: dict[str, Any]) -> Iterator[tuple[str, Any, dict[str, Any]]]:
    transformers = pytest.importorskip("transformers")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hf_config = transformers.AutoConfig.for_model(config["model_type"])
    yield "", hf_config, config
    for sub in ("text_config", "vision_config"):
        if sub in config:
            yield sub, getattr(hf_config, sub), config[sub]


@pytest.mark.parametrize(("file", "package"), CASES)
def test_config_class_keys(file: str, package: str) -> None:
    """Every field of the family's config classes (sub-configs too) is read by paramcalc.

    Each field missing from the fixture is added with the class's default;
    paramcalc must read them all (honour, ignore by design, or refuse): a
    field it does not know warns, and fails here.
    """
    transformers = pytest.importorskip("transformers")
    base = {item.name for item in dataclasses.fields(transformers.PreTrainedConfig)}
    config = _config(file)
    full = dict(config)
    for sub, hf_config, given in _config_classes(config):
        filled = dict(given)
        for item in dataclasses.fields(type(hf_config)):
            value = getattr(hf_config, item.name, None)
            fresh = item.name not in base and item.name not in filled
            if fresh and isinstance(value, (bool, int, float, str)):
                filled[item.name] = value
        if sub:
            full[sub] = filled
        else:
            full.update({key: value for key, value in filled.items() if key not in full})
    with warnings.catch_warnings():
        warnings.simplefilter("error", ParamcalcWarning)
        try:
            from_hf_config(full)
        except ParamcalcWarning as warning:
            if "ties" not in str(warning):  # T5's documented tie warning is not an unknown key
                pytest.fail(str(warning))


def _cached(net: Layer, tokens: int, encoder_tokens: int) -> list[tuple[int, ...]]:
    shapes: list[tuple[int, ...]] = []

    def walk(node: Layer) -> None:
        shapes.extend(shape for _, shape in node.cache_shapes(tokens, encoder_tokens))
        if isinstance(node, Composite):
            for _, child in node.children():
                walk(child)

    walk(net)
    return shapes


@pytest.mark.parametrize(
    ("architecture", "config"),
    [
        (
            "T5ForConditionalGeneration",
            {
                "model_type": "t5",
                "vocab_size": 64,
                "d_model": 16,
                "d_kv": 4,
                "d_ff": 32,
                "num_heads": 3,
                "num_layers": 2,
                "num_decoder_layers": 3,
            },
        ),
        (
            "WhisperForConditionalGeneration",
            {
                "model_type": "whisper",
                "vocab_size": 64,
                "d_model": 16,
                "encoder_layers": 1,
                "decoder_layers": 2,
                "encoder_attention_heads": 2,
                "decoder_attention_heads": 4,
                "encoder_ffn_dim": 32,
                "decoder_ffn_dim": 32,
                "num_mel_bins": 8,
                "max_source_positions": 6,
                "max_target_positions": 16,
                "pad_token_id": 0,
                "decoder_start_token_id": 1,
            },
        ),
    ],
)
def test_cache_shapes(architecture: str, config: dict[str, Any]) -> None:
    """cache_shapes match the EncoderDecoderCache a real forward pass fills, layer by layer."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    data = {key: value for key, value in config.items() if key != "model_type"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = getattr(transformers, architecture)(
            transformers.AutoConfig.for_model(config["model_type"], **data)
        ).eval()
        decoder_ids = torch.zeros((1, 5), dtype=torch.long)
        if config["model_type"] == "t5":
            inputs = {"input_ids": torch.zeros((1, 7), dtype=torch.long)}
            encoder_tokens = 7
        else:
            inputs = {"input_features": torch.zeros((1, 8, 12))}
            encoder_tokens = 6
        with torch.no_grad():
            out = model(**inputs, decoder_input_ids=decoder_ids, use_cache=True)
    cache = out.past_key_values
    theirs: list[tuple[int, ...]] = []
    for index in range(len(cache.self_attention_cache.layers)):
        for part in (cache.self_attention_cache, cache.cross_attention_cache):
            layer = part.layers[index]
            theirs += [tuple(layer.keys.shape[1:]), tuple(layer.values.shape[1:])]
    ours = _cached(from_hf_config({**config, "architectures": [architecture]}), 5, encoder_tokens)
    assert ours == theirs


def _flips(config: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """The config with one field of its config classes changed: bools flipped, ints doubled."""
    transformers = pytest.importorskip("transformers")
    base = {item.name for item in dataclasses.fields(transformers.PreTrainedConfig)}
    base -= {"tie_word_embeddings", "is_encoder_decoder"}
    for sub, hf_config, given in _config_classes(config):
        for item in dataclasses.fields(type(hf_config)):
            value = given.get(item.name, getattr(hf_config, item.name, None))
            if item.name in base or item.name.endswith("token_id"):
                continue
            if isinstance(value, bool):
                changed: Any = not value
            elif isinstance(value, int) and value > 0:
                changed = 2 * value
            else:
                continue
            if sub:
                yield f"{sub}.{item.name}", {**config, sub: {**given, item.name: changed}}
            else:
                yield item.name, {**config, item.name: changed}


@pytest.mark.parametrize(("file", "package"), CASES)
def test_every_key_changed(file: str, package: str) -> None:
    """Each bool field flipped, each int field doubled: paramcalc agrees or refuses by name."""
    config = _config(file)
    head = config["architectures"][0]
    checked = 0
    for key, changed in _flips(config):
        try:
            theirs = hf_params({**changed, "architectures": [head]}, head)
        except Exception:  # transformers refuses the value itself
            continue
        refused = ""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ParamcalcWarning)
                ours = list(from_hf_config({**changed, "architectures": [head]}).named_parameters())
        except ValueError as error:  # a ConfigError must name the key
            refused = str(error)
        if refused:
            assert key.rsplit(".", 1)[-1] in refused, (key, refused)
            continue
        assert ours == theirs, key
        checked += 1
    assert checked


def _drops(config: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """The config without one of its keys (sub-configs' keys too)."""
    for key, value in config.items():
        if key in {"model_type", "architectures"}:
            continue
        yield key, {name: item for name, item in config.items() if name != key}
        if isinstance(value, dict) and key in {"text_config", "vision_config"}:
            for sub_key in value:
                if sub_key != "model_type":
                    rest = {name: item for name, item in value.items() if name != sub_key}
                    yield f"{key}.{sub_key}", {**config, key: rest}


@pytest.mark.parametrize(("file", "package"), CASES)
def test_every_key_dropped(file: str, package: str) -> None:
    """Each key left out: paramcalc builds what the config class's default gives, or names it."""
    config = _config(file)
    head = config["architectures"][0]
    for key, dropped in _drops(config):
        try:
            theirs = hf_params(dropped, head)
        except Exception:  # transformers cannot build it either
            continue
        refused = ""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ParamcalcWarning)
                ours = list(from_hf_config(dropped).named_parameters())
        except ValueError as error:  # a required size, named
            refused = str(error)
        if refused:
            named = f"`{key.rsplit('.', 1)[-1]}`" in refused
            # without its vision_config, Gemma 3 pools SigLIP's default 14×14 patches to 16×16
            # tokens: transformers builds it (and fails in forward); paramcalc refuses it
            unusable = key == "vision_config" and "`mm_tokens_per_image` must be" in refused
            assert named or unusable, (key, refused)
            continue
        assert ours == theirs, key
