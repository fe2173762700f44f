"""Golden data: the KV cache and compute buffers llama.cpp allocates when it creates a context.

Run with llama-cpp-python 0.3.36 (llama.cpp built from source, CPU) and gguf 0.19.0::

    /work/venv-llama/bin/python tests/golden/gguf/make_llama_memory.py [OUT]

With ``OUT``, the folder ``make_quant_golden.py convert OUT`` filled with the
converter's F16 files of 20 families, it also creates three contexts on each
of them and writes ``tests/golden/gguf/llama_memory_converted.json``.

For each small model (real architectures, small widths: Llama, Qwen3 with a
head wider than ``hidden / heads``, Gemma 2 and Gemma 3 with sliding windows,
DeepSeek-2 with latent attention) it writes a GGUF of zeros with gguf-py's
GGUFWriter into a temporary folder, loads it on the CPU (``n_gpu_layers=0``)
and creates contexts with several ``n_ctx``, ``n_batch``, ``n_ubatch`` and
cache types, capturing what llama.cpp logs: the ``llama_kv_cache: size = …``
lines (cells, layers, K and V MiB), the compute and output buffer sizes, and
whether flash attention was enabled. ``tests/golden/gguf/llama_memory.json``
holds the model's config (as ``config.json`` keys) and each context's lines.
"""

from __future__ import annotations

import ctypes
import importlib
import json
import re
import struct
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent

MODELS: dict[str, dict[str, Any]] = {
    "llama": {
        "arch": "llama",
        "config": {
            "model_type": "llama",
            "vocab_size": 2048,
            "hidden_size": 256,
            "num_hidden_layers": 4,
            "num_attention_heads": 4,
            "num_key_value_heads": 2,
            "intermediate_size": 768,
        },
    },
    "llama_wide_vocab": {
        "arch": "llama",
        "config": {
            "model_type": "llama",
            "vocab_size": 8192,
            "hidden_size": 512,
            "num_hidden_layers": 6,
            "num_attention_heads": 8,
            "num_key_value_heads": 8,
            "intermediate_size": 1408,
        },
    },
    "qwen3": {
        "arch": "qwen3",
        "config": {
            "model_type": "qwen3",
            "vocab_size": 1024,
            "hidden_size": 256,
            "num_hidden_layers": 3,
            "num_attention_heads": 4,
            "num_key_value_heads": 2,
            "head_dim": 128,
            "intermediate_size": 2048,
        },
    },
    "gemma2": {
        "arch": "gemma2",
        "config": {
            "model_type": "gemma2",
            "vocab_size": 1024,
            "hidden_size": 256,
            "num_hidden_layers": 4,
            "num_attention_heads": 4,
            "num_key_value_heads": 2,
            "head_dim": 64,
            "intermediate_size": 512,
            "sliding_window": 512,
        },
    },
    "gemma3": {
        "arch": "gemma3",
        "config": {
            "model_type": "gemma3_text",
            "vocab_size": 1024,
            "hidden_size": 256,
            "num_hidden_layers": 7,
            "num_attention_heads": 4,
            "num_key_value_heads": 1,
            "head_dim": 64,
            "intermediate_size": 512,
            "sliding_window": 256,
        },
    },
    "deepseek2_mla": {
        "arch": "deepseek2",
        "config": {
            "model_type": "deepseek_v3",
            "vocab_size": 1024,
            "hidden_size": 256,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "intermediate_size": 512,
            "moe_intermediate_size": 128,
            "n_routed_experts": 4,
            "num_experts_per_tok": 2,
            "n_shared_experts": 1,
            "first_k_dense_replace": 2,
            "q_lora_rank": 128,
            "kv_lora_rank": 128,
            "qk_rope_head_dim": 32,
            "qk_nope_head_dim": 64,
            "v_head_dim": 64,
        },
    },
}

CONTEXTS: list[dict[str, Any]] = [
    {"n_ctx": 512, "n_batch": 512, "n_ubatch": 512, "type_k": "f16", "type_v": "f16"},
    {"n_ctx": 1000, "n_batch": 2048, "n_ubatch": 512, "type_k": "f16", "type_v": "f16"},
    {"n_ctx": 4096, "n_batch": 2048, "n_ubatch": 512, "type_k": "f16", "type_v": "f16"},
    {"n_ctx": 4096, "n_batch": 512, "n_ubatch": 128, "type_k": "f16", "type_v": "f16"},
    {"n_ctx": 4096, "n_batch": 2048, "n_ubatch": 2048, "type_k": "f16", "type_v": "f16"},
    {"n_ctx": 8192, "n_batch": 2048, "n_ubatch": 512, "type_k": "q8_0", "type_v": "q8_0"},
    {"n_ctx": 2048, "n_batch": 2048, "n_ubatch": 256, "type_k": "q4_0", "type_v": "q4_1"},
    {"n_ctx": 2048, "n_batch": 2048, "n_ubatch": 512, "type_k": "bf16", "type_v": "iq4_nl"},
    {"n_ctx": 3000, "n_batch": 1024, "n_ubatch": 512, "type_k": "q5_0", "type_v": "q5_1"},
    {"n_ctx": 2048, "n_batch": 2048, "n_ubatch": 512, "type_k": "f32", "type_v": "f32"},
    {"n_ctx": 4096, "n_batch": 2048, "n_ubatch": 512, "type_k": "f16", "type_v": "f16", "fa": 0},
    {
        "n_ctx": 4096,
        "n_batch": 2048,
        "n_ubatch": 512,
        "type_k": "f16",
        "type_v": "f16",
        "swa_full": True,
    },
]


CONVERTED_CONTEXTS: list[dict[str, Any]] = [
    {"n_ctx": 4096, "n_batch": 2048, "n_ubatch": 512, "type_k": "f16", "type_v": "f16"},
    {"n_ctx": 1000, "n_batch": 512, "n_ubatch": 128, "type_k": "q8_0", "type_v": "q8_0"},
    {"n_ctx": 8192, "n_batch": 2048, "n_ubatch": 1024, "type_k": "q4_0", "type_v": "q4_0"},
]


def _tensors(arch: str, config: dict[str, Any]) -> list[tuple[str, tuple[int, ...]]]:
    """The tensors llama.cpp loads for ``arch`` (``src/models/<arch>.cpp``), in torch order."""
    vocab, hidden = config["vocab_size"], config["hidden_size"]
    heads, ff = config["num_attention_heads"], config["intermediate_size"]
    head = config.get("head_dim", hidden // heads)
    kv = config.get("num_key_value_heads", heads)
    out = [("token_embd.weight", (vocab, hidden)), ("output_norm.weight", (hidden,))]
    if arch == "llama":
        out.append(("output.weight", (vocab, hidden)))
    for il in range(config["num_hidden_layers"]):
        blk = f"blk.{il}."
        out.append((blk + "attn_norm.weight", (hidden,)))
        if arch == "deepseek2":
            q_rank, kv_rank = config["q_lora_rank"], config["kv_lora_rank"]
            rope, nope, v = (
                config["qk_rope_head_dim"],
                config["qk_nope_head_dim"],
                config["v_head_dim"],
            )
            out += [
                (blk + "attn_q_a_norm.weight", (q_rank,)),
                (blk + "attn_kv_a_norm.weight", (kv_rank,)),
                (blk + "attn_q_a.weight", (q_rank, hidden)),
                (blk + "attn_q_b.weight", (heads * (nope + rope), q_rank)),
                (blk + "attn_kv_a_mqa.weight", (kv_rank + rope, hidden)),
                (blk + "attn_k_b.weight", (heads, kv_rank, nope)),
                (blk + "attn_v_b.weight", (heads, v, kv_rank)),
                (blk + "attn_output.weight", (hidden, heads * v)),
            ]
        else:
            out += [
                (blk + "attn_q.weight", (heads * head, hidden)),
                (blk + "attn_k.weight", (kv * head, hidden)),
                (blk + "attn_v.weight", (kv * head, hidden)),
                (blk + "attn_output.weight", (hidden, heads * head)),
            ]
        if arch in ("qwen3", "gemma3"):
            out += [(blk + "attn_q_norm.weight", (head,)), (blk + "attn_k_norm.weight", (head,))]
        if arch in ("gemma2", "gemma3"):
            out += [(blk + "post_attention_norm.weight", (hidden,))]
            out += [(blk + "post_ffw_norm.weight", (hidden,))]
        out += [
            (blk + "ffn_norm.weight", (hidden,)),
            (blk + "ffn_gate.weight", (ff, hidden)),
            (blk + "ffn_up.weight", (ff, hidden)),
            (blk + "ffn_down.weight", (hidden, ff)),
        ]
    return out


def _write(path: Path, arch: str, config: dict[str, Any]) -> None:
    np, gguf = importlib.import_module("numpy"), importlib.import_module("gguf")
    writer = gguf.GGUFWriter(str(path), arch)
    heads = config["num_attention_heads"]
    head = config.get("head_dim", config["hidden_size"] // heads)
    writer.add_block_count(config["num_hidden_layers"])
    writer.add_context_length(131072)
    writer.add_embedding_length(config["hidden_size"])
    writer.add_feed_forward_length(config["intermediate_size"])
    writer.add_head_count(heads)
    writer.add_head_count_kv(config.get("num_key_value_heads", heads) if arch != "deepseek2" else 1)
    writer.add_layer_norm_rms_eps(1e-6)
    writer.add_file_type(1)
    writer.add_vocab_size(config["vocab_size"])
    writer.add_tokenizer_model("none")  # llama.cpp needs a vocabulary type; the sizes do not
    if arch == "deepseek2":
        rope, nope, v = config["qk_rope_head_dim"], config["qk_nope_head_dim"], config["v_head_dim"]
        kv_rank = config["kv_lora_rank"]
        writer.add_rope_dimension_count(rope)
        writer.add_key_length(kv_rank + rope)
        writer.add_value_length(kv_rank)
        writer.add_key_length_mla(nope + rope)
        writer.add_value_length_mla(v)
        writer.add_q_lora_rank(config["q_lora_rank"])
        writer.add_kv_lora_rank(kv_rank)
        writer.add_leading_dense_block_count(config["first_k_dense_replace"])
        writer.add_expert_count(config["n_routed_experts"])
        writer.add_expert_used_count(config["num_experts_per_tok"])
        writer.add_expert_shared_count(config["n_shared_experts"])
        writer.add_expert_feed_forward_length(config["moe_intermediate_size"])
    else:
        writer.add_key_length(head)
        writer.add_value_length(head)
        writer.add_rope_dimension_count(head)
    if "sliding_window" in config:
        writer.add_sliding_window(config["sliding_window"])
    for name, shape in _tensors(arch, config):
        dtype = "float32" if len(shape) == 1 else "float16"
        writer.add_tensor(name, np.zeros(shape, dtype=dtype))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


GGML_IDS = {"f32": 0, "f16": 1, "q4_0": 2, "q4_1": 3, "q5_0": 6, "q5_1": 7, "q8_0": 8, "iq4_nl": 20}
GGML_IDS["bf16"] = 30  # enum ggml_type (ggml/include/ggml.h); llama_cpp does not export BF16

_KV = re.compile(
    r"llama_kv_cache: size = +([\d.]+) MiB \( *(\d+) cells, +(\d+) layers, +\d+/\d+ seqs\), "
    r"K \((\w+)\): +([\d.]+) MiB, V \((\w+)\): +([\d.]+) MiB"
)
_BUFFER = re.compile(r"(\w+) +(compute|output|KV) buffer size = +([\d.]+) MiB")
_FA = re.compile(r"Flash Attention (enabled|disabled)")
_EXACT = re.compile(r"(\w+) compute buffer size is +([\d.]+) MiB")


def _context(lcpp: Any, model: Any, settings: dict[str, Any], log: list[str]) -> dict[str, Any]:
    params = lcpp.llama_context_default_params()
    params.n_ctx = settings["n_ctx"]
    params.n_batch = settings["n_batch"]
    params.n_ubatch = settings["n_ubatch"]
    params.n_seq_max = 1
    params.type_k = GGML_IDS[settings["type_k"]]
    params.type_v = GGML_IDS[settings["type_v"]]
    params.flash_attn_type = settings.get("fa", -1)
    params.swa_full = settings.get("swa_full", False)
    params.n_threads = params.n_threads_batch = 1
    del log[:]
    ctx = lcpp.llama_init_from_model(model, params)
    if ctx:
        lcpp.llama_free(ctx)
    text = "".join(log)
    result: dict[str, Any] = {"settings": settings, "created": bool(ctx)}
    result["kv"] = [
        {
            "mib": float(m[0]),
            "cells": int(m[1]),
            "layers": int(m[2]),
            "type_k": m[3],
            "k_mib": float(m[4]),
            "type_v": m[5],
            "v_mib": float(m[6]),
        }
        for m in _KV.findall(text)
    ]
    result["buffers"] = [
        {"device": m[0], "kind": m[1], "mib": float(m[2])} for m in _BUFFER.findall(text)
    ]
    fa = _FA.findall(text)
    result["flash_attn"] = fa[-1] if fa else None
    result["compute_mib_4"] = [  # printed when the context is freed, to 4 decimals
        {"device": m[0], "mib": float(m[1])} for m in _EXACT.findall(text)
    ]
    if not ctx:
        result["error"] = [line for line in text.splitlines() if "llama_init_from_model" in line]
    return result


def _header(path: Path) -> dict[str, Any]:
    """The file's scalar metadata and tensors as gguf-py's GGUFReader reads them back."""
    reader = importlib.import_module("gguf").GGUFReader(str(path))
    metadata = {}
    for key, field in reader.fields.items():
        if key.startswith("GGUF.") or len(field.types) != 1:
            continue
        value = field.contents()
        metadata[key] = value if isinstance(value, str | int | float | bool) else None
    tensors = [
        [t.name, [int(n) for n in reversed(t.shape.tolist())], t.tensor_type.name.lower()]
        for t in reader.tensors
    ]
    return {"metadata": metadata, "tensors": tensors}


def _with_vocab_size(source: Path, target: Path, vocab: int) -> None:
    """A copy of ``source`` with ``<arch>.vocab_size`` added (the converter's files without a
    tokenizer have none, and llama.cpp then reads a vocabulary of 0)."""
    gguf = importlib.import_module("gguf")
    reader = gguf.GGUFReader(str(source))
    arch = str(reader.fields["general.architecture"].contents())
    key = f"{arch}.vocab_size"
    data = source.read_bytes()
    if key in reader.fields:
        target.write_bytes(data)
        return
    start = 24  # magic, version, tensor count, metadata count
    fields = [f for name, f in reader.fields.items() if not name.startswith("GGUF.")]
    end = max(int(f.offset) + sum(int(p.nbytes) for p in f.parts) for f in fields)
    infos_end = max(
        int(t.field.offset) + sum(int(p.nbytes) for p in t.field.parts) for t in reader.tensors
    )
    extra = struct.pack("<Q", len(key)) + key.encode() + struct.pack("<II", 4, vocab)
    n_tensors, n_kv = struct.unpack_from("<QQ", data, 8)
    header = data[:8] + struct.pack("<QQ", n_tensors, n_kv + 1) + data[start:end] + extra
    header += data[end:infos_end]
    alignment = int(reader.alignment)
    header += b"\0" * (-len(header) % alignment)
    target.write_bytes(header + data[int(reader.data_offset) :])


def main() -> None:
    lcpp = importlib.import_module("llama_cpp")
    log: list[str] = []

    @lcpp.llama_log_callback  # type: ignore[untyped-decorator]
    def capture(level: int, text: bytes, user: ctypes.c_void_p) -> None:
        log.append(text.decode("utf-8", "replace"))

    lcpp.llama_log_set(capture, ctypes.c_void_p(0))
    lcpp.llama_backend_init()
    golden: dict[str, Any] = {"llama_cpp_python": lcpp.__version__, "models": {}}
    with tempfile.TemporaryDirectory() as folder:
        for name, model_spec in MODELS.items():
            path = Path(folder) / f"{name}.gguf"
            _write(path, model_spec["arch"], model_spec["config"])
            params = lcpp.llama_model_default_params()
            params.n_gpu_layers = 0
            model = lcpp.llama_model_load_from_file(str(path).encode(), params)
            if not model:
                raise SystemExit(f"{name}: llama.cpp did not load it:\n{''.join(log)[-2000:]}")
            contexts = [_context(lcpp, model, settings, log) for settings in CONTEXTS]
            lcpp.llama_model_free(model)
            golden["models"][name] = {**model_spec, **_header(path), "contexts": contexts}
            print(name, [c["kv"] and c["kv"][0]["mib"] for c in contexts])
    (HERE / "llama_memory.json").write_text(json.dumps(golden, indent=1) + "\n")
    if len(sys.argv) > 1:  # the converter's files of make_quant_golden.py convert OUT
        converted: dict[str, Any] = {"llama_cpp_python": lcpp.__version__, "models": {}}
        scratch = tempfile.mkdtemp()
        for source in sorted(Path(sys.argv[1]).glob("*/f16.gguf")):
            config = json.loads((source.parent / "hf" / "config.json").read_text(encoding="utf-8"))
            path = Path(scratch) / f"{source.parent.name}.gguf"
            _with_vocab_size(source, path, config["vocab_size"])
            params = lcpp.llama_model_default_params()
            params.n_gpu_layers = 0
            model = lcpp.llama_model_load_from_file(str(path).encode(), params)
            path.unlink()
            if not model:
                print(source.parent.name, "not loaded", flush=True)
                continue
            contexts = [_context(lcpp, model, settings, log) for settings in CONVERTED_CONTEXTS]
            lcpp.llama_model_free(model)
            converted["models"][source.parent.name] = {"config": config, "contexts": contexts}
            print(source.parent.name, [c["kv"] for c in contexts][:1], flush=True)
        (HERE / "llama_memory_converted.json").write_text(json.dumps(converted, indent=1) + "\n")


if __name__ == "__main__":
    main()
