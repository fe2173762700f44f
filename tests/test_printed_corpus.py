"""Every text of the print(model) corpus, read back against torch's own totals.

The corpus (``tests/fixtures/printed_corpus/``, made by
``tests/fixtures/make_printed_corpus.py``; versions in its README) holds the
``print(model)`` text of 516 models of transformers 5.23, torchvision 0.29.1
and timm 1.0.31, each with torch's parameter total. A total paramcalc gets
wrong must come with a warning; the exact rate is kept in docs/printed.md.
"""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from paramcalc.printed import read_printed

CORPUS = Path(__file__).parent / "fixtures" / "printed_corpus"
EXACT_FLOOR = 0.80  # docs/printed.md: 80.4% (415 of 516) exact today


def _records() -> Iterator[dict[str, Any]]:
    for path in sorted(CORPUS.glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            for line in lines:
                yield json.loads(line)


RECORDS = list(_records())


def test_the_corpus_is_whole() -> None:
    """All three sources are there, with their versions."""
    sources = {record["source"] for record in RECORDS}
    assert sources == {"transformers", "torchvision", "timm"}
    assert len(RECORDS) == 516


def test_no_wrong_total_without_a_warning() -> None:
    """A total that differs from torch's always carries a warning saying why."""
    silent = []
    for record in RECORDS:
        network, warnings = read_printed(record["text"])
        if network.params() != record["total"] and not warnings:
            silent.append(f"{record['name']}: {network.params():,} != {record['total']:,}")
    assert silent == []


def test_exact_rate() -> None:
    """The share of exact totals does not fall below the documented rate; it is printed."""
    exact = quiet = 0
    for record in RECORDS:
        network, warnings = read_printed(record["text"])
        if network.params() == record["total"]:
            exact += 1
            quiet += not warnings
    rate = exact / len(RECORDS)
    print(f"exact {exact}/{len(RECORDS)} = {rate:.1%}, of which {quiet} with no warning")
    assert rate >= EXACT_FLOOR


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
