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
