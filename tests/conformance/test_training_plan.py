"""Training FLOPs and memory against live torch/transformers/peft on the meta device.

FLOPs: ``torch.utils.flop_counter.FlopCounterMode`` over a forward and a
backward pass; memory: ``benchmarks/trace_training_memory.py``'s live-tensor
trace of two AdamW steps. Skipped without transformers (and peft).
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest

import paramcalc as pc
from paramcalc.plan.compute import training_flops
from paramcalc.plan.training import training_plan

TINY: dict[str, Any] = {
    "model_type": "llama",
    "vocab_size": 512,
    "hidden_size": 64,
    "intermediate_size": 256,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "tie_word_embeddings": True,
}


def _measured_flops(
    torch: Any, transformers: Any, peft: Any, options: dict[str, Any] | None, seq: int
) -> tuple[int, int]:
    from torch.utils.flop_counter import FlopCounterMode

    cfg = transformers.AutoConfig.for_model(**TINY)
    cfg._attn_implementation = "sdpa"
    with torch.device("meta"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = transformers.AutoModelForCausalLM.from_config(cfg)
        if options is not None:
            model = peft.get_peft_model(model, peft.LoraConfig(**options))
    ids = torch.zeros((1, seq), dtype=torch.long, device="meta")
    with FlopCounterMode(display=False) as counter:
        out = model(input_ids=ids)
        forward = counter.get_total_flops()
        out.logits.sum().backward()
    return forward, counter.get_total_flops()


def test_full_training_flops_equal_flop_counter(torch: Any, transformers: Any, peft: Any) -> None:
    """Forward and forward+backward FLOPs equal FlopCounterMode's exactly."""
    forward, total = _measured_flops(torch, transformers, peft, None, 128)
    ours = training_flops(pc.from_hf_config(TINY), seq_len=128)
    assert (ours.forward, ours.total) == (forward, total)


def test_lora_training_flops_near_flop_counter(torch: Any, transformers: Any, peft: Any) -> None:
    """With a frozen base, within 4 %.

    paramcalc counts input gradients for every layer after the first trained
    one; autograd also skips layer 0's frozen k/v projections and dK there.
    """
    options: dict[str, Any] = {"r": 8, "target_modules": ["q_proj", "v_proj"]}
    forward, total = _measured_flops(torch, transformers, peft, options, 128)
    ours = training_flops(pc.lora(pc.from_hf_config(TINY), **options), seq_len=128)
    assert ours.forward == forward
    assert total <= ours.total <= 1.04 * total


@pytest.mark.parametrize("checkpointing", [False, True])
def test_memory_near_trace(transformers: Any, checkpointing: bool) -> None:
    """The tiny model's planned peak is within 2 % of the traced one."""
    from benchmarks.trace_training_memory import trace

    run = trace(TINY, 64, 2, checkpointing)
    plan = training_plan(
        pc.from_hf_config(TINY),
        seq_len=64,
        micro_batch=2,
        precision="bf16",
        checkpointing="full" if checkpointing else "none",
    )
    assert abs(plan.peak - run["peak_second_step"]) / run["peak_second_step"] < 0.02
