"""llama-quantize's presets, tensor by tensor, against llama.cpp's own quantizer.

``tests/golden/gguf/quant.json.gz`` was written by
``tests/golden/gguf/make_quant_golden.py``: llama-cpp-python 0.3.36 (its
vendored llama.cpp, ggml-org/llama.cpp@0c1e57098) quantized, with every
preset, the F16 GGUF its ``convert_hf_to_gguf.py`` wrote for a small model
of each family (real layer count, small widths), and gguf 0.19.0 read the
files back. ``presets`` are real runs (file written, types and bytes read
back); ``dry_run`` the types llama.cpp's ``--dry-run`` printed, with and
without an importance matrix.
"""

from __future__ import annotations

import gzip
import json
import warnings
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from paramcalc import from_hf_config
from paramcalc.errors import ConfigError
from paramcalc.gguf import PRESETS, gguf_model, preset_weights, tensor_types
from paramcalc.gguf.quantize import GgufModel, model_bytes, model_types, needs_imatrix
from paramcalc.layer import Layer
from paramcalc.plan.weights import FORMATS, weight_bytes, weight_format

GOLDEN = json.loads(
    gzip.decompress((Path(__file__).parent / "golden" / "gguf" / "quant.json.gz").read_bytes())
)
FAMILIES: dict[str, dict[str, Any]] = GOLDEN["families"]


@cache
def _net(family: str) -> Layer:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # n_ctx & co: keys the converter reads
        return from_hf_config(FAMILIES[family]["config"])


@cache
def _model(family: str) -> GgufModel:
    return gguf_model(_net(family))


def test_the_golden_data_covers_every_preset_and_the_branches() -> None:
    assert len(FAMILIES) >= 15
    for record in FAMILIES.values():
        assert set(record["dry_run"]) == {p + s for p in PRESETS for s in ("", "+imatrix")}
        assert {key.partition("+")[0] for key in record["presets"]} == set(PRESETS)
    experts = {r["hparams"]["expert_count"] for r in FAMILIES.values()}
    assert 8 in experts  # the n_expert == 8 rules
    assert any(r["hparams"]["block_count"] == 80 for r in FAMILIES.values())  # LLM_TYPE_70B
    assert any(  # rows that are not a multiple of 256: the fallbacks
        t["shape"][0] % 256 for r in FAMILIES.values() for t in r["source_tensors"].values()
    )


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_names_shapes_and_types_as_the_converter_writes_them(family: str) -> None:
    record = FAMILIES[family]
    model = _model(family)
    assert model.arch == record["arch"]
    assert model.n_layer == record["hparams"]["block_count"]
    assert model.n_expert == (record["hparams"]["expert_count"] or 0)
    heads = record["hparams"]["attention.head_count"]
    kv = record["hparams"]["attention.head_count_kv"] or heads
    assert model.n_gqa == heads // kv
    assert model.is_70b == (
        model.n_layer == 80 and (model.arch == "qwen2" or heads != kv)
        if model.arch in ("llama", "qwen2")
        else False
    )
    mine = {t.name: (list(reversed(t.shape)), t.type) for t in model.tensors}
    theirs = {n: (t["shape"], t["type"]) for n, t in record["source_tensors"].items()}
    assert mine == theirs


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_preset_types_and_bytes_equal_llama_cpp(family: str) -> None:
    model = _model(family)
    for key, result in FAMILIES[family]["presets"].items():
        name, _, with_imatrix = key.partition("+")
        if "error" in result:  # llama.cpp refused: it needs an importance matrix
            assert not with_imatrix
            assert needs_imatrix(model, name), key
            with pytest.raises(ConfigError, match="importance matrix"):
                model_types(model, name, imatrix=False)
            continue
        types = model_types(model, name, imatrix=bool(with_imatrix))
        assert types == result["types"], key
        assert model_bytes(model, types) == result["bytes"], key


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_dry_run_with_and_without_an_imatrix(family: str) -> None:
    model = _model(family)
    for key, result in FAMILIES[family]["dry_run"].items():
        name, _, with_imatrix = key.partition("+")
        assert needs_imatrix(model, name) == result["requires_imatrix"] or with_imatrix, key
        types = model_types(model, name, imatrix=True if with_imatrix else None)
        if not with_imatrix and result["requires_imatrix"]:
            continue  # the dry run shows no-imatrix types llama.cpp would never write
        assert types == result["types"], key


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_weight_bytes_is_the_file_llama_quantize_writes(family: str) -> None:
    net, model = _net(family), _model(family)
    presets = FAMILIES[family]["presets"]
    for name in PRESETS:
        result = presets[name]
        if "error" in result:
            result = presets.get(name + "+imatrix") or {
                "bytes": model_bytes(model, FAMILIES[family]["dry_run"][name + "+imatrix"]["types"])
            }
        assert weight_bytes(net, name).bytes == result["bytes"], name
        assert preset_weights(net, name).bytes == result["bytes"], name
        if name.lower() not in FORMATS:  # "bf16" is torch's
            assert weight_format(name.lower()).name == name


def test_tensor_types_names_every_tensor_of_mixtral() -> None:
    types = tensor_types(_net("mixtral-8x7b"), "Q4_K_M")
    assert types["blk.0.ffn_gate_exps.weight"] == "Q4_K"
    assert types["blk.0.attn_v.weight"] == "Q8_0"  # 8 experts: attn_v and attn_k in Q8_0
    assert types["blk.0.ffn_gate_inp.weight"] == "F32"


def test_presets_refused_without_an_imatrix_say_so() -> None:
    with pytest.raises(ConfigError, match=r"IQ2_XXS.*importance matrix.*blk\.0\."):
        tensor_types(_net("gemma-2b"), "iq2_xxs", imatrix=False)
    assert preset_weights(_net("gemma-2b"), "IQ2_XXS").imatrix is True
    assert preset_weights(_net("gemma-2b"), "Q4_K_M").imatrix is False


@pytest.mark.parametrize("bad", ["Q4_K_X", "", "q4"])
def test_unknown_presets_are_named(bad: str) -> None:
    with pytest.raises(ConfigError, match="preset"):
        tensor_types(_net("gemma-2b"), bad)


def test_a_non_string_preset_and_a_non_bool_imatrix_are_refused() -> None:
    with pytest.raises(ConfigError, match="preset"):
        tensor_types(_net("gemma-2b"), 4)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="imatrix"):
        tensor_types(_net("gemma-2b"), "Q4_K_M", imatrix=1)  # type: ignore[arg-type]


def test_a_model_llama_cpp_does_not_convert_is_refused() -> None:
    from paramcalc import Linear, Sequential

    with pytest.raises(ConfigError, match="no GGUF conversion known for Sequential"):
        tensor_types(Sequential(Linear(256, 256)), "Q4_K_M")


def test_torch_and_gguf_spellings_stay_apart() -> None:
    assert weight_format("bf16").name == "bf16"
    assert weight_format("BF16").name == "BF16"
    assert weight_format("mxfp4").name == "mxfp4"
    assert weight_format("mxfp4_moe").name == "MXFP4_MOE"
    assert weight_format(" q8_0 ").name == "Q8_0"


def test_more_layers_than_llama_cpp_loads_stops_at_once() -> None:
    config = {**FAMILIES["gemma-2b"]["config"], "num_hidden_layers": 10**5}
    with pytest.raises(ConfigError, match="at most 512 layers"):
        tensor_types(from_hf_config(config), "Q4_K_M")
