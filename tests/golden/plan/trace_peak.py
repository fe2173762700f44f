"""Peak activation bytes of transformers forwards, traced on CPU (golden data for the planner).

Run with torch 2.13 and transformers 5.23 (CPU)::

    python tests/golden/plan/trace_peak.py > tests/golden/plan/trace_peak.json

The profiler reports every allocation and free of torch's CPU allocator; the
running sum over one forward, from just before it, peaks at the bytes the
forward adds to what was there (weights, buffers, the input ids and, for a
decode step, the prefill's cache). Kernel scratch (a buffer allocated and
freed inside one op: oneDNN's packed matmul operands, the CPU flash kernel's
per-thread buffers) is reported apart, as ``scratch``: a GPU's kernels have
their own (cuBLAS's workspace), which a device's planner adds.
"""

from __future__ import annotations

import gc
import importlib
import json
import subprocess
import sys
from typing import Any

CASES: list[dict[str, Any]] = [
    # name, family, config, tokens, attention, phase, logits_to_keep
    {
        "name": "llama-gqa-logits",
        "family": "Llama",
        "tokens": 256,
        "attention": "sdpa",
        "config": {
            "vocab_size": 2048,
            "hidden_size": 128,
            "intermediate_size": 320,
            "num_hidden_layers": 3,
            "num_attention_heads": 8,
            "num_key_value_heads": 2,
        },
    },
    {
        "name": "llama-gqa-mlp",
        "family": "Llama",
        "tokens": 256,
        "attention": "sdpa",
        "config": {
            "vocab_size": 64,
            "hidden_size": 128,
            "intermediate_size": 640,
            "num_hidden_layers": 3,
            "num_attention_heads": 8,
            "num_key_value_heads": 2,
        },
    },
    {
        "name": "llama-gqa-eager",
        "family": "Llama",
        "tokens": 256,
        "attention": "eager",
        "config": {
            "vocab_size": 64,
            "hidden_size": 128,
            "intermediate_size": 320,
            "num_hidden_layers": 3,
            "num_attention_heads": 8,
            "num_key_value_heads": 2,
        },
    },
    {
        "name": "llama-mha-last",
        "family": "Llama",
        "tokens": 384,
        "attention": "sdpa",
        "logits_to_keep": 1,
        "config": {
            "vocab_size": 4096,
            "hidden_size": 128,
            "intermediate_size": 352,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "num_key_value_heads": 4,
        },
    },
    {
        "name": "llama-decode",
        "family": "Llama",
        "tokens": 512,
        "attention": "sdpa",
        "phase": "decode",
        "config": {
            "vocab_size": 256,
            "hidden_size": 64,
            "intermediate_size": 160,
            "num_hidden_layers": 4,
            "num_attention_heads": 4,
            "num_key_value_heads": 2,
        },
    },
    {
        "name": "mistral-window",
        "family": "Mistral",
        "tokens": 300,
        "attention": "sdpa",
        "config": {
            "vocab_size": 64,
            "hidden_size": 128,
            "intermediate_size": 320,
            "num_hidden_layers": 3,
            "num_attention_heads": 8,
            "num_key_value_heads": 2,
            "sliding_window": 64,
        },
    },
    {
        "name": "llama-batch3",
        "family": "Llama",
        "tokens": 128,
        "attention": "sdpa",
        "batch": 3,
        "config": {
            "vocab_size": 1024,
            "hidden_size": 96,
            "intermediate_size": 256,
            "num_hidden_layers": 2,
            "num_attention_heads": 6,
            "num_key_value_heads": 3,
        },
    },
    {
        "name": "llama-mqa-eager-decode",
        "family": "Llama",
        "tokens": 384,
        "attention": "eager",
        "phase": "decode",
        "config": {
            "vocab_size": 128,
            "hidden_size": 64,
            "intermediate_size": 128,
            "num_hidden_layers": 3,
            "num_attention_heads": 4,
            "num_key_value_heads": 1,
        },
    },
    {
        "name": "gpt2-mha",
        "family": "GPT2",
        "tokens": 256,
        "attention": "sdpa",
        "config": {
            "vocab_size": 1024,
            "n_positions": 512,
            "n_embd": 128,
            "n_layer": 3,
            "n_head": 4,
        },
    },
    {
        "name": "gemma2-logits",
        "family": "Gemma2",
        "tokens": 200,
        "attention": "eager",
        "config": {
            "vocab_size": 4096,
            "hidden_size": 64,
            "intermediate_size": 128,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "num_key_value_heads": 2,
            "head_dim": 32,
            "sliding_window": 64,
        },
    },
    {
        "name": "gemma2-eager",
        "family": "Gemma2",
        "tokens": 200,
        "attention": "eager",
        "config": {
            "vocab_size": 256,
            "hidden_size": 64,
            "intermediate_size": 128,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "num_key_value_heads": 2,
            "head_dim": 32,
            "sliding_window": 64,
        },
    },
    {
        "name": "gpt-oss-eager",
        "family": "GptOss",
        "tokens": 200,
        "attention": "eager",
        "config": {
            "vocab_size": 256,
            "hidden_size": 64,
            "intermediate_size": 64,
            "num_hidden_layers": 2,
            "num_attention_heads": 8,
            "num_key_value_heads": 2,
            "head_dim": 16,
            "sliding_window": 64,
            "num_local_experts": 4,
            "num_experts_per_tok": 2,
        },
    },
]


CASES += [
    {  # final_logit_softcapping null: transformers does not soft-cap (issue 23)
        "name": "gemma2-no-softcap",
        "family": "Gemma2",
        "tokens": 200,
        "attention": "eager",
        "config": {
            "vocab_size": 4096,
            "hidden_size": 64,
            "intermediate_size": 128,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "num_key_value_heads": 2,
            "head_dim": 32,
            "sliding_window": 64,
            "final_logit_softcapping": None,
        },
    },
    {  # Gemma 3 soft-caps too when the config sets it (issue 23)
        "name": "gemma3-softcap",
        "family": "Gemma3",
        "classes": ["Gemma3TextConfig", "Gemma3ForCausalLM"],
        "tokens": 200,
        "attention": "sdpa",
        "config": {
            "vocab_size": 4096,
            "hidden_size": 64,
            "intermediate_size": 128,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "num_key_value_heads": 2,
            "head_dim": 32,
            "sliding_window": 64,
            "final_logit_softcapping": 30.0,
        },
    },
]


# DeepSeek-V3's latent attention (issue 19): value and query/key head dims equal
# (16 + 16 = 32), so that the CPU's flash kernel runs (different head dims fall
# back to the math kernel, which a GPU's memory-efficient kernel does not)
_MLA: dict[str, Any] = {
    "vocab_size": 64,
    "hidden_size": 64,
    "intermediate_size": 32,
    "moe_intermediate_size": 32,
    "num_hidden_layers": 2,
    "first_k_dense_replace": 2,
    "num_attention_heads": 16,
    "num_key_value_heads": 16,
    "q_lora_rank": 48,
    "kv_lora_rank": 32,
    "qk_nope_head_dim": 16,
    "qk_rope_head_dim": 16,
    "v_head_dim": 32,
    "n_routed_experts": 8,
    "num_experts_per_tok": 4,
    "n_group": 1,
    "topk_group": 1,
    "n_shared_experts": 1,
}
CASES += [
    {
        "name": "deepseek-mla",
        "family": "DeepseekV3",
        "tokens": 256,
        "attention": "sdpa",
        "config": _MLA,
    },
    {
        "name": "deepseek-mla-long",
        "family": "DeepseekV3",
        "tokens": 512,
        "attention": "sdpa",
        "config": _MLA,
    },
    {  # one dense layer, one of grouped_mm experts (transformers' default): the peak in the experts
        "name": "deepseek-moe",
        "family": "DeepseekV3",
        "tokens": 256,
        "attention": "sdpa",
        "config": {
            **_MLA,
            "first_k_dense_replace": 1,
            "num_attention_heads": 4,
            "num_key_value_heads": 4,
            "intermediate_size": 96,
        },
    },
]


def trace(torch: Any, model: Any, kwargs: dict[str, Any], decode: bool) -> tuple[int, int, int]:
    """(peak rise, scratch at the peak, end rise) of the allocations during ``model(**kwargs)``.

    With ``decode``, the prefill runs inside the trace too (the profiler
    does not see frees of blocks allocated before it starts), its logits
    are dropped, and the peak is taken over the decode step only.
    """
    profiler: Any = importlib.import_module("torch.profiler")
    event_type: Any = importlib.import_module("torch._C._profiler")._EventType
    gc.collect()
    gc.disable()  # a collection during the trace would free earlier cases' tensors
    try:
        with profiler.profile(
            activities=[profiler.ProfilerActivity.CPU], profile_memory=True
        ) as prof:
            output = model(**kwargs)  # held until the profile ends: its logits and cache stay
            if decode:
                cache = output.past_key_values
                del output
                step = {"input_ids": kwargs["input_ids"][:, :1], "past_key_values": cache}
                with profiler.record_function("decode step"):
                    output = model(**step, use_cache=True)
    finally:
        gc.enable()
    del output
    events: list[tuple[int, int, int, int]] = []

    window = [0, 2**63]

    def walk(node: Any) -> None:
        if node.name == "decode step":
            window[:] = [node.start_time_ns, node.end_time_ns]
        if node.typed[0] == event_type.Allocation:
            parent = id(node.parent) if node.parent is not None else 0
            fields = node.typed[1]
            events.append((node.start_time_ns, fields.alloc_size, fields.ptr, parent))
        for child in node.children:
            walk(child)

    for root in prof.profiler.kineto_results.experimental_event_tree():
        walk(root)
    events.sort()
    current: dict[int, tuple[int, int]] = {}  # ptr -> (index of its allocation, parent op)
    scratch_of: set[int] = set()  # indices of allocations freed by the op that made them
    freed_by: dict[int, int] = {}  # index of a free -> index of its allocation
    for index, (_, size, ptr, parent) in enumerate(events):
        if size > 0:
            current[ptr] = (index, parent)
        elif ptr in current:
            made, owner = current.pop(ptr)
            freed_by[index] = made
            if parent and owner == parent:
                scratch_of.add(made)
    live = scratch = peak = peak_scratch = 0
    for index, (time, size, _, _) in enumerate(events):
        if index in scratch_of or freed_by.get(index, -1) in scratch_of:
            scratch += size
        else:
            live += size
        if live > peak and window[0] <= time <= window[1]:
            peak, peak_scratch = live, scratch
    return peak, peak_scratch, live


def run(case: dict[str, Any]) -> dict[str, Any]:
    """Trace one case (in a fresh process: nothing of another case is freed during it)."""
    torch: Any = importlib.import_module("torch")
    transformers: Any = importlib.import_module("transformers")
    torch.set_num_threads(1)
    if True:
        torch.manual_seed(0)
        family = case["family"]
        head = "LMHeadModel" if family == "GPT2" else "ForCausalLM"
        config_class, model_class = case.get("classes", (f"{family}Config", f"{family}{head}"))
        config = getattr(transformers, config_class)(
            **case["config"], attn_implementation=case["attention"]
        )
        model = getattr(transformers, model_class)(config).to(torch.bfloat16).eval()
        shape = (case.get("batch", 1), case["tokens"])
        ids = torch.randint(0, case["config"]["vocab_size"], shape)
        kwargs: dict[str, Any] = {"input_ids": ids, "use_cache": True}
        if "logits_to_keep" in case:
            kwargs["logits_to_keep"] = case["logits_to_keep"]
        with torch.no_grad():
            model(**kwargs)  # warm up
            peak, scratch, end = trace(torch, model, kwargs, case.get("phase") == "decode")
    return {
        **case,
        "peak": peak,
        "scratch_at_peak": scratch,
        "end": end,
        "versions": [torch.__version__, transformers.__version__],
    }


def main() -> None:
    """Print the traced figures of every case as JSON, each traced in its own process."""
    if len(sys.argv) == 3 and sys.argv[1] == "--case":
        print(json.dumps(run(CASES[int(sys.argv[2])])))
        return
    rows = []
    for index in range(len(CASES)):  # `--case N` prints one row: append a new case's alone
        done = subprocess.run(
            [sys.executable, __file__, "--case", str(index)],
            capture_output=True,
            text=True,
            check=True,
        )
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(json.dumps({"rows": rows}, indent=1))


if __name__ == "__main__":
    main()
