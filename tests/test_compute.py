"""Training FLOPs against FlopCounterMode figures (golden; live in tests/conformance)."""

from __future__ import annotations

import pytest

import paramcalc as pc
from paramcalc.errors import ConfigError
from paramcalc.plan.compute import training_time
from paramcalc.zoo.language import llama

# torch 2.13 FlopCounterMode, transformers 5.23, meta device, sequence 128, one forward + backward
TINY = {"vocab_size": 512, "hidden_size": 64, "intermediate_size": 256, "num_hidden_layers": 2}
TINY |= {"num_attention_heads": 4, "num_key_value_heads": 2, "tie_word_embeddings": True}
FULL_FORWARD, FULL_STEP = 48234496, 144703488
LORA_STEP = 103153664  # peft 0.21.2, r=8 on q_proj and v_proj


def test_full_training_is_three_forwards() -> None:
    """Forward and step FLOPs equal FlopCounterMode's."""
    flops = pc.training_flops(llama(**TINY), seq_len=128)  # type: ignore[arg-type]
    assert (flops.forward, flops.total) == (FULL_FORWARD, FULL_STEP)


def test_lora_skips_frozen_weight_gradients() -> None:
    """A frozen base's weight gradients are not computed: within 4 % above FlopCounterMode."""
    net = pc.lora(llama(**TINY), r=8, target_modules=["q_proj", "v_proj"])  # type: ignore[arg-type]
    total = pc.training_flops(net, seq_len=128).total
    assert LORA_STEP <= total <= 1.04 * LORA_STEP


def test_checkpointing_adds_recompute() -> None:
    """Full checkpointing repeats the decoder layers' forward; selective, attention's."""
    net = llama(**TINY)  # type: ignore[arg-type]
    plain = pc.training_flops(net, seq_len=128)
    full = pc.training_flops(net, seq_len=128, checkpointing="full")
    selective = pc.training_flops(net, seq_len=128, checkpointing="selective")
    head = 2 * 128 * 64 * 512  # the LM head is outside the layers
    assert full.recompute == plain.forward - head
    assert 0 < selective.recompute < full.recompute


def test_time() -> None:
    """Time = FLOPs per token · tokens / (device FLOP/s · devices · MFU)."""
    flops = pc.training_flops(llama(**TINY), seq_len=128)  # type: ignore[arg-type]
    seconds = training_time(flops, 10**9, device="H100-80GB", devices=2, mfu=0.5)
    assert seconds == pytest.approx(flops.per_token * 10**9 / (989.4e12 * 2 * 0.5))
    with pytest.raises(ConfigError, match="mfu"):
        training_time(flops, 10**9, device="H100-80GB", mfu=1.5)
    with pytest.raises(ConfigError, match="BF16"):
        training_time(flops, 10**9, device="TPU")
