"""Every text of the print(model) corpus, read back against torch's own totals.

The corpus (``tests/fixtures/printed_corpus/``, made by
``tests/fixtures/make_printed_corpus.py``; versions in its README) holds the
``print(model)`` text of 554 models of transformers 5.23, torchvision 0.29.1
and timm 1.0.31, each with torch's parameter total. A total paramcalc gets
wrong must come with a warning; the exact rate is kept in docs/printed.md.
"""

from __future__ import annotations

import functools
import gzip
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from paramcalc.printed import read_printed
from paramcalc.printed_text import _RANGE, Node, structure

CORPUS = Path(__file__).parent / "fixtures" / "printed_corpus"
# docs/printed.md: 543 of 554 (98.0%) exact with the options the warnings ask for,
# 512 (92.4%) with none
EXACT_WITH_OPTIONS, EXACT_BARE = 543, 512


def _records() -> Iterator[dict[str, Any]]:
    for path in sorted(CORPUS.glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            for line in lines:
                yield json.loads(line)


RECORDS = list(_records())


@functools.cache
def _read(use_options: bool) -> list[tuple[dict[str, Any], Any, tuple[str, ...]]]:
    """Every record read once, with the options it records (or none)."""
    read = []
    for record in RECORDS:
        options = record.get("options", {}) if use_options else {}
        network, warnings = read_printed(record["text"], **options)
        read.append((record, network, warnings))
    return read


def test_the_corpus_is_whole() -> None:
    """All three sources are there, with their versions."""
    sources = {record["source"] for record in RECORDS}
    assert sources == {"transformers", "torchvision", "timm"}
    assert len(RECORDS) == 554


def _classes(node: Node, path: str, found: dict[str, str]) -> None:
    found[path] = node.kind
    for child in node.children:
        span = _RANGE.fullmatch(child.name)
        names = [str(i) for i in range(int(span[1]), int(span[2]) + 1)] if span else [child.name]
        for name in names:
            _classes(child, f"{path}.{name}" if path else name, found)


def _unnamed(record: dict[str, Any], network: Any, warnings: tuple[str, ...]) -> list[str]:
    """Tensors counted wrongly whose module's class (or an enclosing one) no warning names."""
    classes: dict[str, str] = {}
    _classes(structure(record["text"]), "", classes)
    text = "\n".join(warnings)
    mine = dict(network.named_parameters())
    theirs = {name: tuple(shape) for name, shape in record["parameters"]}
    wrong = [name for name in theirs if mine.get(name) != theirs[name]]
    wrong += [name for name in mine if name not in theirs]
    missed = []
    for name in wrong:
        parts = name.split(".")
        owners = [".".join(parts[:end]) for end in range(len(parts) - 1, -1, -1)]
        if not any(classes.get(owner, "\0") in text for owner in owners):
            missed.append(name)
    return missed


@pytest.mark.parametrize("use_options", [True, False], ids=["options", "bare"])
def test_no_wrong_total_without_a_warning_naming_it(use_options: bool) -> None:
    """A total that differs from torch's carries warnings naming the class of every wrong tensor."""
    silent = []
    for record, network, warnings in _read(use_options):
        if network.params() != record["total"]:
            unnamed = _unnamed(record, network, warnings)
            if unnamed:
                silent.append(f"{record['name']}: {unnamed[:3]}")
    assert silent == []


@pytest.mark.parametrize("use_options", [True, False], ids=["options", "bare"])
def test_exact_rate(use_options: bool) -> None:
    """The number of exact totals does not fall below the documented one; it is printed."""
    exact = quiet = 0
    for record, network, warnings in _read(use_options):
        if network.params() == record["total"]:
            exact += 1
            quiet += not warnings
    rate = exact / len(RECORDS)
    print(f"exact {exact}/{len(RECORDS)} = {rate:.1%}, of which {quiet} with no warning")
    assert exact >= (EXACT_WITH_OPTIONS if use_options else EXACT_BARE)


def test_exact_totals_have_torchs_trainable_count() -> None:
    """Where the total is exact, so is the trainable count (fixed sin-cos tables are frozen)."""
    wrong = [
        record["name"]
        for record, network, _ in _read(True)
        if network.params() == record["total"] and network.trainable_params() != record["trainable"]
    ]
    assert wrong == []


@pytest.mark.parametrize("name", ["torchvision/resnet50", "timm/resnet50", "gpt2/GPT2LMHeadModel"])
def test_exact_totals_say_nothing(name: str) -> None:
    """Where the text determines every tensor the total is exact and no warning is given."""
    record = next(record for record in RECORDS if record["name"] == name)
    network, warnings = read_printed(record["text"])
    assert (network.params(), warnings) == (record["total"], ())


def test_every_text_reads_quickly() -> None:
    """Reading the whole corpus stays well under a second a model."""
    start = time.perf_counter()
    for record in RECORDS[:100]:
        read_printed(record["text"])
    assert time.perf_counter() - start < 50


_UNKNOWN = ("not ones paramcalc knows", "not a layer paramcalc knows")


@pytest.mark.parametrize("use_options", [True, False], ids=["options", "bare"])
def test_no_exact_total_names_an_unknown_class(use_options: bool) -> None:
    """An exact total never comes with a warning that a class is unknown (issue 23)."""
    noisy = [
        record["name"]
        for record, network, warnings in _read(use_options)
        if network.params() == record["total"]
        and any(words in warning for warning in warnings for words in _UNKNOWN)
    ]
    assert noisy == []


# (printed class, corpus model, whether its text settles every tensor): issue 23's classes,
# each against torch's total and named parameters for the real model.
ISSUE_23 = [
    ("BertLMPredictionHead", "bert/BertForMaskedLM", True),
    ("BertLMPredictionHead", "bert/BertForPreTraining", True),
    ("RobertaLMHead", "roberta/RobertaForMaskedLM", True),
    ("AlbertMLMHead", "albert/AlbertForPreTraining", True),
    ("LegacyDebertaV2LMPredictionHead", "deberta-v2/DebertaV2ForMaskedLM", True),
    ("MobileBertLMPredictionHead", "mobilebert/MobileBertForPreTraining", True),
    ("ElectraDiscriminatorPredictions", "electra/ElectraForPreTraining", True),
    ("DetrMLPPredictionHead", "detr/DetrForObjectDetection", True),
    ("DetrMaskHeadSmallConv", "detr/DetrForSegmentation", True),
    ("SegformerDecodeHead", "segformer/SegformerForSemanticSegmentation", True),
    ("Mixed3a", "timm/inception_v4", True),
    ("ReductionA", "timm/inception_v4", True),
    ("NormFreeBlock", "timm/dm_nfnet_f0", True),
    ("NormFreeBlock", "timm/dm_nfnet_f1", True),
    ("NormFreeBlock", "timm/nfnet_f0", True),
    ("SplitAttn", "timm/resnest50d", True),
    ("GhostModuleV2", "timm/ghostnetv2_100", True),
    ("AttentionDownsample", "timm/levit_128s", False),
    ("AttentionDownsample", "timm/levit_conv_128s", False),
    ("AttentionDownsample", "timm/levit_256", False),
    ("LevitAttentionSubsample", "levit/LevitForImageClassification", False),
    ("Attention", "timm/efficientformer_l1", True),
    ("Attention", "timm/efficientformer_l3", True),
    ("Attention2dDownsample", "timm/efficientformerv2_s0", False),
    ("Attention2dDownsample", "timm/efficientformerv2_l", False),
    ("TinyVitBlock", "timm/tiny_vit_5m_224", True),
    ("TinyVitBlock", "timm/tiny_vit_21m_384", True),
    ("XCA", "timm/xcit_nano_12_p16_224", True),
    ("XCA", "timm/xcit_small_24_p16_384", True),
    ("CrossCovarianceAttn", "timm/edgenext_xx_small", True),
    ("CrossCovarianceAttn", "timm/edgenext_base", True),
    ("RelPosBias", "timm/coatnet_0_rw_224", False),
    ("RelPosBias", "timm/coatnet_0_224", False),
    ("RelPosBiasTf", "timm/maxvit_tiny_tf_224", False),
    ("Outlooker", "timm/volo_d1_224", False),
    ("Outlooker", "timm/volo_d1_384", False),
    ("CrossVit", "timm/crossvit_tiny_240", False),
    ("CrossVit", "timm/crossvit_15_dagger_240", False),
    ("MultiscaleAttention", "torchvision/mvit_v1_b", False),
    ("MultiscaleAttention", "torchvision/mvit_v2_s", False),
]


@pytest.mark.parametrize(("kind", "name", "settled"), ISSUE_23, ids=[c[1] for c in ISSUE_23])
def test_issue_23_classes_are_exact_and_quiet(kind: str, name: str, settled: bool) -> None:
    """torch's tensors, names and total; quiet where the text (or its image side) settles them."""
    record = next(record for record in RECORDS if record["name"] == name)
    assert f"{kind}(" in record["text"]
    options = dict(record.get("options", {}))
    options.setdefault("image_size", 224)  # torchvision's MViT: 224×224 clips
    network, warnings = read_printed(record["text"], **options)
    theirs = {key: tuple(shape) for key, shape in record["parameters"]}
    assert dict(network.named_parameters()) == theirs
    assert (network.params(), warnings) == (record["total"], ())
    bare = read_printed(record["text"]).warnings
    if settled:
        assert bare == ()
    else:  # only the image side is unknown, and the warning names its option
        assert bare
        assert all("--image-size" in warning for warning in bare)


def test_a_rotary_embedding_holds_no_parameters() -> None:
    """``XRotaryEmbedding()`` (GPT-J's in later transformers) holds buffers only.

    The GPT-J model of the corpus with such a line added keeps torch's total.
    """
    record = next(record for record in RECORDS if record["name"] == "gptj/GPTJForCausalLM")
    text = record["text"].replace(
        "    (drop): Dropout", "    (rotary_emb): GPTJRotaryEmbedding()\n    (drop): Dropout", 1
    )
    assert "GPTJRotaryEmbedding()" in text
    network, warnings = read_printed(text)
    assert (network.params(), warnings) == (record["total"], ())
