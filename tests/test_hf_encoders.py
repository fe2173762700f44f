"""Encoder, encoder-decoder, vision and multimodal configs: golden totals and refusals.

The totals are the published parameter counts of the checkpoints whose
``config.json`` is in ``tests/fixtures/hf`` (their model cards or papers),
and ``tests/conformance/test_hf_encoders.py`` checks the same networks
tensor by tensor against ``transformers`` 5.23.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest

from paramcalc import ConfigError
from paramcalc.errors import ParamcalcWarning
from paramcalc.graph import check_ties
from paramcalc.hf import from_hf_config
from paramcalc.hf.parts import Seq2SeqAttention
from paramcalc.layer import Composite, Layer

FIXTURES = Path(__file__).parent / "fixtures" / "hf"


def _load(file: str, **changes: Any) -> dict[str, Any]:
    config: dict[str, Any] = json.loads((FIXTURES / file).read_text())
    config.update(changes)
    return config


@pytest.mark.parametrize(
    ("file", "head", "total"),
    [
        ("bert-base-uncased.json", "BertModel", 109_482_240),
        ("bert-base-uncased.json", "BertForSequenceClassification", 109_483_778),
        ("roberta-base.json", "RobertaModel", 124_645_632),
        ("distilbert-base-uncased.json", "DistilBertModel", 66_362_880),
        ("vit-base-patch16-224.json", "ViTModel", 86_389_248),
        ("gemma-3-4b-it.json", "Gemma3ForConditionalGeneration", 4_300_079_472),  # Gemma 3 4B
    ],
)
def test_heads_of_shipped_configs(file: str, head: str, total: int) -> None:
    """architectures[0] decides the head: the base models' published totals, and their heads'."""
    net = from_hf_config(_load(file, architectures=[head]))
    assert type(net).__name__ == head
    assert net.params() == total
    check_ties(net)


def test_bert_cross_attention() -> None:
    """add_cross_attention adds 28,366,848 to BERT-base: 12 · (4 · (768² + 768) + 2 · 768)."""
    config = _load("bert-base-uncased.json", architectures=["BertModel"])
    plain = from_hf_config(config).params()
    cross = from_hf_config({**config, "is_decoder": True, "add_cross_attention": True}).params()
    assert cross - plain == 12 * (4 * (768 * 768 + 768) + 2 * 768) == 28_366_848


def test_masked_lm_tied_decoder() -> None:
    """BertForMaskedLM's decoder is the word table; its bias is cls.predictions.bias."""
    net = from_hf_config(_load("bert-base-uncased.json"))
    names = [name for name, _ in net.named_parameters()]
    assert "cls.predictions.bias" in names
    assert not any(name.startswith("cls.predictions.decoder") for name in names)
    untied = from_hf_config(_load("bert-base-uncased.json", tie_word_embeddings=False))
    assert untied.params() - net.params() == 30522 * 768 + 30522


@pytest.mark.parametrize(
    ("file", "built", "published"),
    [
        ("flan-t5-base.json", 222_903_552, 247_577_856),  # google/flan-t5-base: 248M
        ("mt5-small.json", 172_119_424, 300_176_768),  # google/mt5-small: 300M
    ],
)
def test_t5_untied_checkpoints(file: str, built: int, published: int) -> None:
    """transformers 5.23 ties T5's lm_head anyway: counted as built, and said in a warning."""
    config = _load(file)
    with pytest.warns(ParamcalcWarning, match="ties .*lm_head to `shared` anyway"):
        net = from_hf_config(config)
    assert net.params() == built
    assert published - built == config["vocab_size"] * config["d_model"]


def test_t5_cache_shapes() -> None:
    """t5-small's decoder caches 8 heads × 64 of each token, and of each encoder position."""
    net = from_hf_config(_load("t5-small.json"))
    found: list[tuple[str, Seq2SeqAttention]] = []

    def walk(node: Layer, path: str) -> None:
        if isinstance(node, Seq2SeqAttention) and node.cached:
            found.append((path, node))
        if isinstance(node, Composite):
            for name, child in node.children():
                walk(child, f"{path}.{name}" if path else name)

    walk(net, "")
    assert len(found) == 12  # six decoder blocks: self- and cross-attention
    self_attention, cross = found[0][1], found[1][1]
    assert self_attention.cache_shapes(10, 300) == (("key", (8, 10, 64)), ("value", (8, 10, 64)))
    assert cross.cache_shapes(10, 300) == (("key", (8, 300, 64)), ("value", (8, 300, 64)))
    assert all(path.startswith("decoder.") for path, _ in found)  # the encoder caches nothing


def test_output_shapes() -> None:
    """Each family walks its input: token ids, an image, a log-mel spectrogram."""
    assert from_hf_config(_load("t5-small.json")).output_shape((16,)) == (16, 32128)
    assert from_hf_config(_load("vit-base-patch16-224.json")).output_shape((3, 224, 224)) == (1000,)
    assert from_hf_config(_load("whisper-tiny.json")).output_shape((80, 3000)) == (1500, 51865)
    assert from_hf_config(_load("clip-vit-base-patch32.json")).output_shape((3, 224, 224)) == (512,)
    assert from_hf_config(_load("gemma-3-4b-it.json")).output_shape((8,)) == (8, 262208)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            _load("bert-base-uncased.json", architectures=["BertForPreTrainingX"]),
            r"`architectures\[0\]`='BertForPreTrainingX' is not a head .* known: BertModel, ",
        ),
        (
            _load("bert-base-uncased.json", add_cross_attention=True),
            r"`add_cross_attention`=True needs `is_decoder`=True",
        ),
        (
            _load(
                "distilbert-base-uncased.json",
                architectures=["DistilBertForQuestionAnswering"],
                num_labels=3,
            ),
            r"needs 2 labels .* num_labels=3",
        ),
        (
            _load("t5-small.json", feed_forward_proj="gated-gelu-x"),
            r"`feed_forward_proj`='gated-gelu-x' .* is not built by paramcalc",
        ),
        (
            _load("vit-base-patch16-224.json", architectures=["ViTModel"], pooler_act="relu"),
            r"`pooler_act`='relu' .* is not built by paramcalc",
        ),
        (
            _load("whisper-tiny.json", num_hidden_layers=5),
            r"`num_hidden_layers` \(an alias of `encoder_layers`\) disagrees",
        ),
        (
            _load("gemma-3-4b-it.json", mm_tokens_per_image=200),
            r"`mm_tokens_per_image` must be a square",
        ),
        (
            _load("bert-base-uncased.json", hidden_size=100),
            r"`hidden_size` must be divisible by `num_attention_heads`",
        ),
    ],
)
def test_refused(config: dict[str, Any], message: str) -> None:
    """Values paramcalc does not build are ConfigErrors naming the key and the value."""
    with pytest.raises(ConfigError, match=message):
        from_hf_config(config)


def test_sub_config_unknown_key_warns() -> None:
    """A key nobody reads inside vision_config is named, with its sub-config."""
    config = _load("clip-vit-base-patch32.json")
    config["vision_config"] = {**config["vision_config"], "use_fancy_patches": True}
    with pytest.warns(ParamcalcWarning, match=r"vision_config\.use_fancy_patches"):
        from_hf_config(config)


def test_published_configs_read_whole() -> None:
    """Every key of the shipped configs is read (no warning) but T5's documented tie."""
    for file in (
        "roberta-base.json",
        "distilbert-base-uncased.json",
        "t5-small.json",
        "vit-base-patch16-224.json",
        "clip-vit-base-patch32.json",
        "whisper-tiny.json",
        "gemma-3-4b-it.json",
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("error", ParamcalcWarning)
            from_hf_config(_load(file))
