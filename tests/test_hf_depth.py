"""Hugging Face builders cost the same at any depth (issue 23 item 11).

Each family's total at ``L`` layers is ``rest + L·per_layer`` (DeepSeek-V3:
its dense first layers apart): ``rest`` (token tables, final norms, the head)
written out from the config, and ``per_layer`` taken from the golden total
at the checkpoint's real depth, which ``tests/conformance/test_hf_decoders.py``
and ``tests/test_hf.py`` prove against ``transformers``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from paramcalc import ConfigError
from paramcalc.cli import main
from paramcalc.hf import from_hf_config
from paramcalc.plan.inference import inference_memory
from paramcalc.plan.kv_cache import kv_cache_bytes

FIXTURES = Path(__file__).parent / "fixtures" / "hf"

# file, depth key, real depth, golden total, rest (tables, final norms, head), dense first layers
# and each one's extra over an MoE layer
DEPTH: list[tuple[str, str, int, int, int, int, int]] = [
    ("llama-2-7b.json", "num_hidden_layers", 32, 6_738_415_616, 2 * 32000 * 4096 + 4096, 0, 0),
    ("gemma-2-2b.json", "num_hidden_layers", 26, 2_614_341_888, 256000 * 2304 + 2304, 0, 0),
    ("gemma-3-1b-it.json", "num_hidden_layers", 26, 999_885_952, 262144 * 1152 + 1152, 0, 0),
    ("gpt-oss-20b.json", "num_hidden_layers", 24, 20_914_757_184, 2 * 201088 * 2880 + 2880, 0, 0),
    (
        "qwen1.5-moe-a2.7b.json",
        "num_hidden_layers",
        24,
        14_315_784_192,
        2 * 151936 * 2048 + 2048,
        0,
        0,
    ),
    (
        "deepseek-v3.json",
        "num_hidden_layers",
        61,
        671_026_404_352,
        2 * 129280 * 7168 + 7168,
        3,  # first_k_dense_replace: a dense MLP less the experts, router and shared expert
        3 * 7168 * 18432 - (256 * 3 * 7168 * 2048 + 256 * 7168 + 3 * 7168 * 2048),
    ),
    # encoder + decoder block per layer; the shared table (tied head), two final norms and
    # the first blocks' relative position tables (32 buckets × 8 heads)
    ("t5-small.json", "num_layers", 6, 60_506_624, 32128 * 512 + 2 * 512 + 2 * 32 * 8, 0, 0),
]


def _config(file: str, key: str, depth: int) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / file).read_text())
    data.pop("layer_types", None)  # one per layer: the config class's default pattern instead
    return data | {key: depth}


def _closed_form(row: tuple[str, str, int, int, int, int, int], depth: int) -> int:
    _, _, real, total, rest, dense, extra = row
    per_layer, left = divmod(total - rest - dense * extra, real)
    assert left == 0, "the golden total is not rest + layers × a per-layer count"
    return rest + depth * per_layer + dense * extra


@pytest.mark.parametrize("row", DEPTH, ids=[row[0] for row in DEPTH])
@pytest.mark.parametrize("depth", [10**9, 10**18])
def test_total_at_any_depth_is_the_closed_form_and_quick(
    row: tuple[str, str, int, int, int, int, int], depth: int
) -> None:
    file, key, real = row[0], row[1], row[2]
    assert from_hf_config(_config(file, key, real)).params() == row[3]  # the fixture's golden
    start = time.perf_counter()
    net = from_hf_config(_config(file, key, depth))
    assert net.params() == _closed_form(row, depth)
    names = net.named_parameters()  # lazily: the first few only
    assert [next(names) for _ in range(3)]
    assert time.perf_counter() - start < 0.5


@pytest.mark.parametrize("file", ["llama-2-7b.json", "gemma-2-2b.json", "gpt-oss-20b.json"])
def test_kv_cache_and_inference_memory_at_any_depth(file: str) -> None:
    """Full layers cache all 4096 tokens, sliding ones ``W - 1`` (Gemma 2: 4096 → 4095;
    gpt-oss: 128 → 127), of ``kv_heads · head_dim`` keys and values, 2 bytes each."""
    layers = 10**9
    data = _config(file, "num_hidden_layers", layers)
    net = from_hf_config(data)
    per_token = 2 * data.get("num_key_value_heads", 32) * data.get("head_dim", 128) * 2
    sliding = 0 if file.startswith("llama") else layers - layers // 2  # layer i slides if i even
    window = data.get("sliding_window") or 0
    expected = per_token * ((layers - sliding) * 4096 + sliding * min(4096, window - 1))
    start = time.perf_counter()
    assert kv_cache_bytes(net, 4096) == expected
    assert inference_memory(net, 4096).total > expected
    assert time.perf_counter() - start < 0.5


def test_gemma3_pattern_at_depth() -> None:
    """5 sliding layers then a full one, over and over: 10⁹ layers hold 166,666,666 full ones."""
    layers = 10**9
    net = from_hf_config(_config("gemma-3-1b-it.json", "num_hidden_layers", layers))
    full = layers // 6
    per_token = 2 * 1 * 256 * 2  # one key/value head of 256
    expected = per_token * (full * 4096 + (layers - full) * 511)  # sliding_window 512
    assert kv_cache_bytes(net, 4096) == expected


def test_cli_total_at_a_billion_layers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(_config("llama-2-7b.json", "num_hidden_layers", 10**9)))
    assert main([str(path), "--total"]) == 0
    printed = capsys.readouterr().out.strip().replace(",", "")
    assert printed == str(_closed_form(DEPTH[0], 10**9))


def test_past_int64_is_one_clean_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(_config("llama-2-7b.json", "num_hidden_layers", 10**30)))
    assert main([str(path), "--total"]) == 1
    err = capsys.readouterr().err.strip()
    assert "num_hidden_layers" in err
    assert "int64" in err
    assert "\n" not in err
    assert "Traceback" not in err
    assert "internal error" not in err
    with pytest.raises(ConfigError, match="num_hidden_layers"):
        from_hf_config(_config("gemma-2-2b.json", "num_hidden_layers", 2**63))


@settings(max_examples=40, deadline=None)
@given(
    depth=st.integers(1, 2**62),
    row=st.sampled_from(DEPTH),
)
def test_depth_property(depth: int, row: tuple[str, str, int, int, int, int, int]) -> None:
    """Any depth up to 2⁶²: built in bounded time, total linear in depth (past the dense ones)."""
    file, key = row[0], row[1]
    depth = max(depth, row[5])  # DeepSeek-V3 keeps its three dense layers
    start = time.perf_counter()
    assert from_hf_config(_config(file, key, depth)).params() == _closed_form(row, depth)
    assert time.perf_counter() - start < 0.5


@pytest.mark.parametrize("row", DEPTH, ids=[row[0] for row in DEPTH])
def test_report_at_a_billion_layers(row: tuple[str, str, int, int, int, int, int]) -> None:
    """The whole report (tie checks included) of a stack of 10⁹ layers alike or periodic
    (Gemma 2's sliding/full, gpt-oss's, DeepSeek's dense-then-MoE) is quick and adds up."""
    file, key = row[0], row[1]
    net = from_hf_config(_config(file, key, 10**9))
    start = time.perf_counter()
    report = net.report()
    assert report.params == _closed_form(row, 10**9)
    assert time.perf_counter() - start < 2
