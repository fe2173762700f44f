"""Weight formats: stored bytes against the libraries' own packers (golden figures)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from paramcalc import Linear, Sequential
from paramcalc.errors import ConfigError
from paramcalc.plan.weights import FORMATS, _tensors_bytes, linear_tensors, weight_bytes
from paramcalc.zoo.language import gpt2, llama

GOLDEN = Path(__file__).parent / "golden" / "plan" / "bnb_packers.json"


def _bnb_rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(GOLDEN.read_text())["rows"]
    return rows


class TestBitsandbytes:
    @pytest.mark.parametrize(
        "row", _bnb_rows(), ids=lambda r: f"{r['format']}-{r['out']}x{r['in']}"
    )
    def test_bytes_equal_the_packers(self, row: dict[str, Any]) -> None:
        """nf4/fp4 (± double quant) and LLM.int8 store the bytes bitsandbytes 0.50.2 stores."""
        tensors = linear_tensors(row["format"], row["out"], row["in"], False, "bf16")
        assert _tensors_bytes(tensors) == row["bytes"]

    def test_json_blob_is_small(self) -> None:
        """The packed-JSON quant state (not counted: its length depends on the data) is tiny."""
        assert max(row.get("json_blob", 0) for row in _bnb_rows()) < 200


class TestGPTQAWQ:
    def test_gptq_layout(self) -> None:
        """AutoGPTQ's QuantLinear buffers: qweight (in/8, out), qzeros, fp16 scales, g_idx."""
        shapes = {n: s for n, s, _ in linear_tensors("gptq", 11008, 4096, True, "fp16")}
        assert shapes == {
            "qweight": (512, 11008),
            "qzeros": (32, 1376),
            "scales": (32, 11008),
            "g_idx": (4096,),
            "bias": (11008,),
        }

    def test_awq_layout(self) -> None:
        """AutoAWQ's WQLinear_GEMM buffers: qweight (in, out/8), qzeros, fp16 scales."""
        shapes = {n: s for n, s, _ in linear_tensors("awq", 11008, 4096, False, "fp16")}
        assert shapes == {"qweight": (4096, 1376), "qzeros": (32, 1376), "scales": (32, 11008)}

    def test_llama2_7b_gptq_checkpoint(self) -> None:
        """Llama-2-7B GPTQ 4-bit g128: 3,893,862,400 B (TheBloke's model.safetensors: 3.90 GB)."""
        assert weight_bytes(llama(), "gptq", "fp16").bytes == 3_893_862_400

    def test_packing_needs_multiples_of_8(self) -> None:
        """A width that does not pack into int32 is refused, naming it."""
        with pytest.raises(ConfigError, match="`out_features` must be a multiple of 8"):
            linear_tensors("gptq", 12, 64, False, "fp16")


class TestWhatStaysHighPrecision:
    def test_lm_head_and_embeddings_stay(self) -> None:
        """The LM head (last module) and embeddings stay in the model dtype (transformers')."""
        w = weight_bytes(llama(num_hidden_layers=2), "nf4")
        assert "lm_head" in w.kept
        assert "model.embed_tokens" in w.kept
        assert not any("proj" in path for path in w.kept)

    def test_gpt2_conv1d_is_quantized(self) -> None:
        """GPT-2's Conv1D layers are replaced like Linear (transformers' bnb integration)."""
        w = weight_bytes(gpt2(), "int8")
        assert not any("c_attn" in path for path in w.kept)
        assert w.packed_params == 12 * (768 * 2304 + 768 * 768 + 2 * 768 * 3072)

    def test_plain_dtypes(self) -> None:
        """fp32/bf16/fp16 store every parameter at 4/2/2 bytes."""
        net = llama(num_hidden_layers=2)
        assert weight_bytes(net, "fp32").bytes == 4 * net.params()
        assert weight_bytes(net, "bfloat16").bytes == 2 * net.params()

    def test_repeat_is_constant_time(self) -> None:
        """A 10,000-layer stack prices as fast as a 1-layer one (n × block)."""
        one = weight_bytes(llama(num_hidden_layers=1), "nf4")
        many = weight_bytes(llama(num_hidden_layers=10_000), "nf4")
        per_layer = weight_bytes(llama(num_hidden_layers=2), "nf4").bytes - one.bytes
        assert many.bytes == one.bytes + 9_999 * per_layer

    def test_unknown_format(self) -> None:
        """An unknown format is refused with the choices."""
        with pytest.raises(ConfigError, match="`weights` must be one of"):
            weight_bytes(Sequential(Linear(2, 2)), "int3")

    def test_every_format_has_a_source(self) -> None:
        """Each format names the source of its layout."""
        assert all(fmt.source for fmt in FORMATS.values())
