"""Golden data for paramcalc.gguf.quantize: what llama.cpp's quantizer writes.

Not run by CI. Two steps, two Pythons:

1. ``convert`` (a Python with torch, transformers and numpy, e.g. /work/venv):
   for each family, a Hugging Face model with the real layer count and
   small widths (rows multiples of 256, one family with rows that are not),
   random weights, saved with ``save_pretrained``; then llama.cpp's own
   ``convert_hf_to_gguf.py`` (from the llama-cpp-python 0.3.36 sdist,
   vendor/llama.cpp = ggml-org/llama.cpp@0c1e57098) writes it as an F16 GGUF
   (``--outtype f16``), the tokenizer left out (``set_vocab`` writes
   ``tokenizer.ggml.model = none``: the quantizer never reads the vocabulary).
2. ``quantize`` (/work/venv-llama: llama-cpp-python 0.3.36 built from source
   and gguf 0.19.0): ``llama_cpp.llama_model_quantize`` for every preset,
   without an importance matrix and with one (all ones, the size llama.cpp
   expects for each tensor), and ``gguf.GGUFReader`` reads each output back:
   the type of every tensor and the total tensor data bytes.

    LLAMA_CPP=/path/to/vendor/llama.cpp nice python make_quant_golden.py convert /tmp/gq
    nice /work/venv-llama/bin/python make_quant_golden.py quantize /tmp/gq

writes ``quant.json.gz`` next to this script (``GOLDEN_JSON`` to write elsewhere,
``DRY_ONLY=1`` for the dry runs alone).
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent

SMALL = {"vocab_size": 512, "max_position_embeddings": 256, "pad_token_id": 0}
# row sizes: hidden 256, heads of 64, intermediate 512 unless said
FAMILIES: dict[str, dict[str, object]] = {
    "llama-3.1-8b": {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "num_hidden_layers": 32,
        "hidden_size": 256,
        "intermediate_size": 512,
        "num_attention_heads": 4,
        "num_key_value_heads": 1,
        "head_dim": 64,
        "rms_norm_eps": 1e-5,
        "tie_word_embeddings": False,
        "rope_theta": 500000.0,
    },
    "llama-70b": {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "num_hidden_layers": 80,
        "hidden_size": 256,
        "intermediate_size": 256,
        "num_attention_heads": 8,
        "num_key_value_heads": 1,
        "head_dim": 32,
        "rms_norm_eps": 1e-5,
        "tie_word_embeddings": False,
    },
    "llama-3.2-1b-tied": {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "num_hidden_layers": 16,
        "hidden_size": 256,
        "intermediate_size": 512,
        "num_attention_heads": 4,
        "num_key_value_heads": 1,
        "head_dim": 64,
        "rms_norm_eps": 1e-5,
        "tie_word_embeddings": True,
    },
    "mistral-7b": {
        "architectures": ["MistralForCausalLM"],
        "model_type": "mistral",
        "num_hidden_layers": 32,
        "hidden_size": 256,
        "intermediate_size": 512,
        "num_attention_heads": 4,
        "num_key_value_heads": 1,
        "head_dim": 64,
        "rms_norm_eps": 1e-5,
        "tie_word_embeddings": False,
        "sliding_window": None,
    },
    "mixtral-8x7b": {
        "architectures": ["MixtralForCausalLM"],
        "model_type": "mixtral",
        "num_hidden_layers": 32,
        "hidden_size": 256,
        "intermediate_size": 256,
        "num_attention_heads": 4,
        "num_key_value_heads": 1,
        "head_dim": 64,
        "num_local_experts": 8,
        "num_experts_per_tok": 2,
        "rms_norm_eps": 1e-5,
        "tie_word_embeddings": False,
    },
    "qwen2-0.5b": {  # hidden 384: rows not a multiple of 256 -> the fallbacks
        "architectures": ["Qwen2ForCausalLM"],
        "model_type": "qwen2",
        "num_hidden_layers": 24,
        "hidden_size": 384,
        "intermediate_size": 512,
        "num_attention_heads": 6,
        "num_key_value_heads": 2,
        "rms_norm_eps": 1e-6,
        "tie_word_embeddings": True,
    },
    "qwen2-moe": {
        "architectures": ["Qwen2MoeForCausalLM"],
        "model_type": "qwen2_moe",
        "num_hidden_layers": 24,
        "hidden_size": 256,
        "intermediate_size": 512,
        "moe_intermediate_size": 256,
        "shared_expert_intermediate_size": 512,
        "num_experts": 4,
        "num_experts_per_tok": 2,
        "decoder_sparse_step": 1,
        "num_attention_heads": 4,
        "num_key_value_heads": 4,
        "rms_norm_eps": 1e-6,
        "tie_word_embeddings": False,
    },
    "qwen3-0.6b": {
        "architectures": ["Qwen3ForCausalLM"],
        "model_type": "qwen3",
        "num_hidden_layers": 28,
        "hidden_size": 256,
        "intermediate_size": 512,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "head_dim": 64,
        "rms_norm_eps": 1e-6,
        "tie_word_embeddings": True,
    },
    "qwen3-moe": {
        "architectures": ["Qwen3MoeForCausalLM"],
        "model_type": "qwen3_moe",
        "num_hidden_layers": 48,
        "hidden_size": 256,
        "intermediate_size": 512,
        "moe_intermediate_size": 256,
        "num_experts": 8,
        "num_experts_per_tok": 2,
        "decoder_sparse_step": 1,
        "norm_topk_prob": True,
        "num_attention_heads": 4,
        "num_key_value_heads": 1,
        "head_dim": 64,
        "rms_norm_eps": 1e-6,
        "tie_word_embeddings": False,
    },
    "gemma-2b": {
        "architectures": ["GemmaForCausalLM"],
        "model_type": "gemma",
        "num_hidden_layers": 18,
        "hidden_size": 256,
        "intermediate_size": 512,
        "num_attention_heads": 4,
        "num_key_value_heads": 1,
        "head_dim": 64,
        "rms_norm_eps": 1e-6,
        "hidden_activation": "gelu_pytorch_tanh",
    },
    "gemma2-2b": {
        "architectures": ["Gemma2ForCausalLM"],
        "model_type": "gemma2",
        "num_hidden_layers": 26,
        "hidden_size": 256,
        "intermediate_size": 512,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "head_dim": 64,
        "rms_norm_eps": 1e-6,
        "sliding_window": 128,
        "query_pre_attn_scalar": 64,
    },
    "gemma3-1b": {
        "architectures": ["Gemma3ForCausalLM"],
        "model_type": "gemma3_text",
        "num_hidden_layers": 26,
        "hidden_size": 256,
        "intermediate_size": 512,
        "num_attention_heads": 4,
        "num_key_value_heads": 1,
        "head_dim": 64,
        "rms_norm_eps": 1e-6,
        "sliding_window": 128,
        "query_pre_attn_scalar": 64,
    },
    "phi3-mini": {
        "architectures": ["Phi3ForCausalLM"],
        "model_type": "phi3",
        "num_hidden_layers": 32,
        "hidden_size": 256,
        "intermediate_size": 512,
        "num_attention_heads": 4,
        "num_key_value_heads": 4,
        "rms_norm_eps": 1e-5,
        "tie_word_embeddings": False,
        "original_max_position_embeddings": 256,
        "pad_token_id": 0,
    },
    "phi2": {
        "architectures": ["PhiForCausalLM"],
        "model_type": "phi",
        "num_hidden_layers": 32,
        "hidden_size": 256,
        "intermediate_size": 512,
        "num_attention_heads": 4,
        "partial_rotary_factor": 0.4,
        "tie_word_embeddings": False,
    },
    "olmo2-7b": {
        "architectures": ["Olmo2ForCausalLM"],
        "model_type": "olmo2",
        "num_hidden_layers": 32,
        "hidden_size": 256,
        "intermediate_size": 512,
        "num_attention_heads": 4,
        "num_key_value_heads": 4,
        "rms_norm_eps": 1e-6,
        "tie_word_embeddings": False,
    },
    "falcon-7b": {
        "architectures": ["FalconForCausalLM"],
        "model_type": "falcon",
        "num_hidden_layers": 32,
        "hidden_size": 256,
        "num_attention_heads": 4,
        "multi_query": True,
        "num_kv_heads": 1,
        "new_decoder_architecture": False,
        "parallel_attn": True,
        "bias": False,
        "alibi": False,
    },
    "falcon-40b": {
        "architectures": ["FalconForCausalLM"],
        "model_type": "falcon",
        "num_hidden_layers": 60,
        "hidden_size": 256,
        "num_attention_heads": 8,
        "num_kv_heads": 2,
        "new_decoder_architecture": True,
        "parallel_attn": True,
        "bias": False,
        "alibi": False,
    },
    "pythia-160m": {
        "architectures": ["GPTNeoXForCausalLM"],
        "model_type": "gpt_neox",
        "num_hidden_layers": 12,
        "hidden_size": 256,
        "intermediate_size": 1024,
        "num_attention_heads": 4,
        "rotary_pct": 0.25,
        "use_parallel_residual": True,
        "tie_word_embeddings": False,
    },
    "gpt2": {
        "architectures": ["GPT2LMHeadModel"],
        "model_type": "gpt2",
        "n_layer": 12,
        "n_embd": 256,
        "n_head": 4,
        "n_positions": 256,
        "n_ctx": 256,
    },
    "santacoder": {
        "architectures": ["GPTBigCodeForCausalLM"],
        "model_type": "gpt_bigcode",
        "n_layer": 24,
        "n_embd": 256,
        "n_head": 4,
        "n_positions": 256,
        "n_ctx": 256,
        "multi_query": True,
    },
}

# real runs with an imatrix too (slow; the committed data has them for these three);
# dry runs with and without one on every family
REAL_IMATRIX = ("llama-3.1-8b", "qwen2-0.5b", "qwen3-moe")

PRESETS = (
    "F32",
    "F16",
    "BF16",
    "Q8_0",
    "Q6_K",
    "Q5_K_M",
    "Q5_K_S",
    "Q5_0",
    "Q5_1",
    "Q4_K_M",
    "Q4_K_S",
    "Q4_0",
    "Q4_1",
    "Q3_K_L",
    "Q3_K_M",
    "Q3_K_S",
    "Q2_K",
    "Q2_K_S",
    "IQ4_NL",
    "IQ4_XS",
    "IQ3_M",
    "IQ3_S",
    "IQ3_XS",
    "IQ3_XXS",
    "IQ2_M",
    "IQ2_S",
    "IQ2_XS",
    "IQ2_XXS",
    "IQ1_M",
    "IQ1_S",
    "TQ1_0",
    "TQ2_0",
    "MXFP4_MOE",
)


def config_of(family: str) -> dict[str, object]:
    """The config.json written for ``family`` (also read by the plain test)."""
    return {**SMALL, **FAMILIES[family], "torch_dtype": "float32"}


def convert(out: Path) -> None:
    import torch
    import transformers

    vendor = Path(os.environ["LLAMA_CPP"])
    sys.path.insert(0, str(vendor))
    sys.path.insert(1, str(vendor / "gguf-py"))
    import convert_hf_to_gguf
    from conversion import ModelBase

    def no_vocab(self: object) -> None:
        self.gguf_writer.add_tokenizer_model("none")  # type: ignore[attr-defined]

    import conversion.base as base

    for cls in vars(base).values():  # every vocabulary writer the model classes call
        if isinstance(cls, type):
            for attr in list(vars(cls)):
                if attr.startswith("_set_vocab") or attr == "set_vocab":
                    setattr(cls, attr, no_vocab)
    ModelBase.set_vocab = no_vocab
    get_model_class = convert_hf_to_gguf.get_model_class

    def get_model_class_without_vocab(*args: object, **kwargs: object) -> object:
        cls = get_model_class(*args, **kwargs)
        cls.set_vocab = no_vocab
        return cls

    convert_hf_to_gguf.get_model_class = get_model_class_without_vocab
    # transformers 5 renames some keys (gpt_neox rotary_pct): keep config.json's too
    load_hparams = ModelBase.load_hparams

    def load_hparams_with_raw_keys(dir_model: Path, *args: object) -> dict[str, object]:
        config = load_hparams(dir_model, *args)
        raw = json.loads((dir_model / "config.json").read_text())
        return {**raw, **config}

    ModelBase.load_hparams = staticmethod(load_hparams_with_raw_keys)

    only = sys.argv[3:] or list(FAMILIES)
    for family in only:
        hf = out / family / "hf"
        target = out / family / "f16.gguf"
        if target.exists():
            continue
        hf.mkdir(parents=True, exist_ok=True)
        keys: dict[str, Any] = {k: v for k, v in config_of(family).items() if k != "architectures"}
        config = transformers.AutoConfig.for_model(**keys)
        config.architectures = FAMILIES[family]["architectures"]  # type: ignore[assignment]
        torch.manual_seed(0)
        model = transformers.AutoModelForCausalLM.from_config(  # type: ignore[no-untyped-call]
            config, torch_dtype=torch.float32
        )
        model.save_pretrained(hf)
        (hf / "config.json").write_text(json.dumps(config_of(family), indent=1))
        # Gemma 3 trims token_embd to the tokenizer's size: a tokenizer of vocab_size tokens
        vocab = {f"t{i}": i for i in range(int(config_of(family)["vocab_size"]))}  # type: ignore[call-overload]
        tokenizer = {"model": {"vocab": vocab}, "added_tokens": []}
        (hf / "tokenizer.json").write_text(json.dumps(tokenizer))
        sys.argv = ["convert_hf_to_gguf.py", str(hf), "--outtype", "f16", "--outfile", str(target)]
        convert_hf_to_gguf.main()
        print("converted", family, flush=True)


def _load(path: Path) -> Any:
    import gzip

    return json.loads(
        gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_text()
    )


def _save(path: Path, golden: object) -> None:
    """Compact JSON, gzipped with no timestamp (the same data, the same bytes)."""
    import gzip

    data = (json.dumps(golden, sort_keys=True, separators=(",", ":")) + "\n").encode()
    if path.suffix != ".gz":
        path.write_bytes(data)
        return
    with path.open("wb") as f, gzip.GzipFile("quant.json", "wb", 9, f, mtime=0) as z:
        z.write(data)


def quantize(out: Path) -> None:
    import ctypes

    import gguf
    import llama_cpp
    import numpy as np

    ftypes = {
        "F32": 0,
        "F16": 1,
        "Q4_0": 2,
        "Q4_1": 3,
        "Q8_0": 7,
        "Q5_0": 8,
        "Q5_1": 9,
        "Q2_K": 10,
        "Q3_K_S": 11,
        "Q3_K_M": 12,
        "Q3_K_L": 13,
        "Q4_K_S": 14,
        "Q4_K_M": 15,
        "Q5_K_S": 16,
        "Q5_K_M": 17,
        "Q6_K": 18,
        "IQ2_XXS": 19,
        "IQ2_XS": 20,
        "Q2_K_S": 21,
        "IQ3_XS": 22,
        "IQ3_XXS": 23,
        "IQ1_S": 24,
        "IQ4_NL": 25,
        "IQ3_S": 26,
        "IQ3_M": 27,
        "IQ2_S": 28,
        "IQ2_M": 29,
        "IQ4_XS": 30,
        "IQ1_M": 31,
        "BF16": 32,
        "TQ1_0": 36,
        "TQ2_0": 37,
        "MXFP4_MOE": 38,
    }  # enum llama_ftype, include/llama.h

    log_parts: list[str] = []

    @llama_cpp.llama_log_callback  # type: ignore[untyped-decorator]
    def keep_log(level: int, text: bytes, user_data: object) -> None:
        log_parts.append(text.decode("utf-8", "replace"))

    llama_cpp.llama_log_set(keep_log, ctypes.c_void_p(0))
    # llama-quant.cpp's per-tensor line: "[  12/ 291] blk.0.attn_q.weight - [ 256, 256, 1, 1],
    # type =    f16, size =  0.125 MiB -> 0.035 MiB (q4_K)" (dry run) or "size = 0.001 MiB"
    tensor_line = re.compile(
        r"\[\s*\d+/\s*\d+\]\s+(\S+)\s+- \[[^\]]*\], type =\s*(\w+), "
        r"size =\s*[\d.]+ MiB(?: ->\s*[\d.]+ MiB \((\w+)\))?"
    )
    imatrix_data = llama_cpp.llama_model_imatrix_data  # struct llama_model_imatrix_data

    golden_path = Path(os.environ.get("GOLDEN_JSON", HERE / "quant.json"))
    golden = (
        json.loads(golden_path.read_text())
        if golden_path.exists()
        else {
            "source": "llama-cpp-python 0.3.36 (vendor/llama.cpp = ggml-org/llama.cpp@0c1e57098), "
            "gguf 0.19.0; tests/golden/gguf/make_quant_golden.py",
            "families": {},
        }
    )
    only = sys.argv[3:] or list(FAMILIES)
    for family in only:
        source = out / family / "f16.gguf"
        if not source.exists():
            print(family, "not converted", flush=True)
            continue
        reader = gguf.GGUFReader(str(source))
        tensors = {
            t.name: {"shape": [int(d) for d in t.shape], "type": t.tensor_type.name}
            for t in reader.tensors
        }
        # one imatrix entry per 2-D/3-D tensor: ne[0] * ne[2] ones
        keep = []
        entries = []
        for t in reader.tensors:
            ne = [int(d) for d in t.shape]
            if len(ne) < 2:
                continue
            n = ne[0] * (ne[2] if len(ne) > 2 else 1)
            arr = np.ones(n, dtype=np.float32)
            keep.append(arr)
            entries.append(
                imatrix_data(t.name.encode(), arr.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), n)
            )
        entries.append(imatrix_data(None, None, 0))
        imatrix = (imatrix_data * len(entries))(*entries)
        arch = bytes(reader.fields["general.architecture"].parts[-1]).decode()

        def field(key: str, reader: Any = reader, arch: str = arch) -> object:
            f = reader.fields.get(f"{arch}.{key}")
            return None if f is None else f.parts[f.data[0]].tolist()[0]

        record: dict[str, object] = {
            "config": config_of(family),
            "arch": arch,
            "hparams": {
                key: field(key)
                for key in (
                    "block_count",
                    "attention.head_count",
                    "attention.head_count_kv",
                    "expert_count",
                )
            },
            "source_tensors": tensors,
            "presets": {},
        }
        presets: dict[str, object] = record["presets"]  # type: ignore[assignment]
        dry: dict[str, object] = {}
        record["dry_run"] = dry
        for preset in PRESETS:
            for with_imatrix in (False, True):
                key = preset + ("+imatrix" if with_imatrix else "")
                # the dry run (--dry-run): every type llama.cpp picks, from its log
                params = llama_cpp.llama_model_quantize_default_params()
                params.ftype = ftypes[preset]
                params.nthread = 2
                params.dry_run = True
                if with_imatrix:
                    params.imatrix = ctypes.cast(imatrix, ctypes.POINTER(imatrix_data))
                log_parts.clear()
                rc = llama_cpp.llama_model_quantize(
                    str(source).encode(), str(out / "dry.gguf").encode(), ctypes.byref(params)
                )
                text = "".join(log_parts)
                types = {}
                for m in tensor_line.finditer(text):
                    types[m.group(1)] = (m.group(3) or m.group(2)).upper()
                dry[key] = {
                    "rc": rc,
                    "types": types,
                    "requires_imatrix": "will require an imatrix" in text,
                }
                # the real run: the file written and read back, without an imatrix on
                # every family, with one on the families in REAL_IMATRIX
                if os.environ.get("DRY_ONLY") or (with_imatrix and family not in REAL_IMATRIX):
                    continue
                target = out / family / f"{key}.gguf"
                params.dry_run = False
                rc = llama_cpp.llama_model_quantize(
                    str(source).encode(), str(target).encode(), ctypes.byref(params)
                )
                if rc != 0:
                    presets[key] = {"error": rc}
                    print(family, key, "refused", flush=True)
                    continue
                q = gguf.GGUFReader(str(target))
                q_bytes = int(sum(int(t.n_bytes) for t in q.tensors))
                presets[key] = {
                    "types": {t.name: t.tensor_type.name for t in q.tensors},
                    "bytes": q_bytes,
                }
                del q
                target.unlink()
                print(family, key, q_bytes, flush=True)
        golden["families"][family] = record  # type: ignore[index]
        _save(golden_path, golden)


if __name__ == "__main__":
    {"convert": convert, "quantize": quantize}[sys.argv[1]](Path(sys.argv[2]))
