"""Trace the live tensor bytes of real training steps, without a GPU.

Runs ``transformers``' model and ``torch.optim.AdamW`` for two steps on the
**meta** device (shapes and dtypes only: a full-size model costs seconds) and
tracks every tensor that an aten op allocates, by storage, until it is freed:
the peak of the live bytes is what a GPU's allocator would have to hold at
best (no caching, no fragmentation, no CUDA context or cuBLAS workspaces).
Attention runs as PyTorch's flash-attention op (what ``sdpa`` picks on a
recent GPU), keys and values unexpanded (``enable_gqa``).

Usage (peak in the second step, by phase and by category)::

    python -m benchmarks.trace_training_memory llama-3.2-1b --seq 2048 --batch 4
    python -m benchmarks.trace_training_memory tiny --checkpointing

Needs torch and transformers (not paramcalc's dependencies). Its figures are
committed in ``tests/golden/training_memory.json`` and compared with
paramcalc's plan in ``tests/test_training.py``.
"""

from __future__ import annotations

import argparse
import json
import weakref
from typing import Any

LLAMA_32_1B = {  # meta-llama/Llama-3.2-1B config.json (sizes only)
    "model_type": "llama",
    "vocab_size": 128256,
    "hidden_size": 2048,
    "intermediate_size": 8192,
    "num_hidden_layers": 16,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "head_dim": 64,
    "tie_word_embeddings": True,
    "rms_norm_eps": 1e-5,
}
TINY = {
    "model_type": "llama",
    "vocab_size": 512,
    "hidden_size": 64,
    "intermediate_size": 256,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "tie_word_embeddings": True,
}
CONFIGS = {"llama-3.2-1b": LLAMA_32_1B, "tiny": TINY}


def trace(
    config: dict[str, Any], seq: int, batch: int, checkpointing: bool, keep_outputs: bool = False
) -> dict[str, Any]:
    """The live-bytes peak of each phase of the second of two AdamW steps."""
    import torch
    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils._pytree import tree_leaves

    class Live(TorchDispatchMode):  # type: ignore[no-untyped-call]
        def __init__(self) -> None:
            super().__init__()  # type: ignore[no-untyped-call]
            self.refs: dict[int, list[int]] = {}
            self.now = 0
            self.peak = 0

        def track(self, tensor: Any) -> None:
            storage = tensor.untyped_storage()
            key, size = storage._cdata, storage.nbytes()
            if size == 0:
                return
            entry = self.refs.get(key)
            if entry is None:
                self.refs[key] = [size, 1]
                self.now += size
                self.peak = max(self.peak, self.now)
            else:
                entry[1] += 1
            weakref.finalize(tensor, self.release, key)

        def release(self, key: int) -> None:
            entry = self.refs[key]
            entry[1] -= 1
            if entry[1] == 0:
                del self.refs[key]
                self.now -= entry[0]

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
            out = func(*args, **(kwargs or {}))
            for item in tree_leaves(out):
                if isinstance(item, torch.Tensor):
                    self.track(item)
            return out

    def flash(query, key, value, attn_mask=None, dropout_p=0.0, scale=None, is_causal=False, **_):  # type: ignore[no-untyped-def]
        out = torch.ops.aten._scaled_dot_product_flash_attention(
            query, key, value, dropout_p, is_causal, False, scale=scale
        )
        return out[0]

    import transformers.integrations.sdpa_attention as sdpa
    import transformers.masking_utils as masking

    masking.find_packed_sequence_indices = lambda *_: None  # reads values: not on meta
    _ = sdpa

    functional = torch.nn.functional
    saved = functional.scaled_dot_product_attention, masking.find_packed_sequence_indices
    functional.scaled_dot_product_attention = flash  # type: ignore[assignment]
    try:
        return _run(config, seq, batch, checkpointing, keep_outputs, Live)
    finally:
        functional.scaled_dot_product_attention, masking.find_packed_sequence_indices = saved


def _run(
    config: dict[str, Any], seq: int, batch: int, checkpointing: bool, keep_outputs: bool, live: Any
) -> dict[str, Any]:
    import torch
    import transformers

    cfg = transformers.AutoConfig.for_model(**config)
    cfg._attn_implementation = "sdpa"
    with torch.device("meta"):
        model = transformers.AutoModelForCausalLM.from_config(cfg, dtype=torch.bfloat16)  # type: ignore[no-untyped-call]
    if checkpointing:
        enable = getattr(model, "activation_checkpointing_enable", None)
        enable = enable or model.gradient_checkpointing_enable  # transformers < 5.23
        enable({"use_reentrant": False})
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5, foreach=True)
    ids = torch.zeros((batch, seq), dtype=torch.long, device="meta")
    mode = live()
    for param in {id(p): p for p in model.parameters()}.values():
        mode.track(param)
    phases: dict[str, int] = {}
    with mode:
        for step in range(2):
            mode.peak = mode.now
            out = model(input_ids=ids, labels=ids)
            loss = out.loss
            if not keep_outputs:
                del out  # as Trainer: only the loss lives into backward
            phases[f"forward{step}"] = mode.peak
            mode.peak = mode.now
            loss.backward()
            phases[f"backward{step}"] = mode.peak
            out = loss = None
            mode.peak = mode.now
            optimizer.step()
            phases[f"step{step}"] = mode.peak
            optimizer.zero_grad(set_to_none=True)
    params = sum(p.numel() for p in {id(p): p for p in model.parameters()}.values())
    return {
        "config": config,
        "seq": seq,
        "batch": batch,
        "checkpointing": checkpointing,
        "keep_outputs": keep_outputs,
        "params": params,
        "peak_second_step": max(phases["forward1"], phases["backward1"], phases["step1"]),
        "phases": phases,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
    }


def main() -> None:
    """Print the traced peaks as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", choices=sorted(CONFIGS))
    parser.add_argument("--seq", type=int, default=2048)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--checkpointing", action="store_true")
    parser.add_argument("--keep-outputs", action="store_true", help="hold the logits into backward")
    args = parser.parse_args()
    result = trace(CONFIGS[args.model], args.seq, args.batch, args.checkpointing, args.keep_outputs)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
