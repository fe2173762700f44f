"""PEFT's default LoRA targets per ``model_type``, copied as data (``--lora r=16`` without targets).

The table is ``TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING`` of
``peft/utils/constants.py`` in PEFT 0.21.2, which ``LoraConfig`` uses when
``target_modules`` is not given; ``tests/conformance/test_peft_targets.py`` checks it
against the installed PEFT.

>>> default_targets("llama")
('q_proj', 'v_proj')
"""

from __future__ import annotations

__all__ = ["PEFT_VERSION", "TARGETS", "default_targets"]

PEFT_VERSION = "0.21.2"
TARGETS: dict[str, tuple[str, ...]] = {
    "t5": ("q", "v"),
    "mt5": ("q", "v"),
    "bart": ("q_proj", "v_proj"),
    "gpt2": ("c_attn",),
    "bloom": ("query_key_value",),
    "blip-2": ("q", "v", "q_proj", "v_proj"),
    "opt": ("q_proj", "v_proj"),
    "gptj": ("q_proj", "v_proj"),
    "gpt_neox": ("query_key_value",),
    "gpt_neo": ("q_proj", "v_proj"),
    "bert": ("query", "value"),
    "roberta": ("query", "value"),
    "xlm-roberta": ("query", "value"),
    "electra": ("query", "value"),
    "deberta-v2": ("query_proj", "value_proj"),
    "deberta": ("in_proj",),
    "layoutlm": ("query", "value"),
    "llama": ("q_proj", "v_proj"),
    "llama4": ("q_proj", "v_proj"),
    "chatglm": ("query_key_value",),
    "gpt_bigcode": ("c_attn",),
    "mpt": ("Wqkv",),
    "RefinedWebModel": ("query_key_value",),
    "RefinedWeb": ("query_key_value",),
    "falcon": ("query_key_value",),
    "btlm": ("c_proj", "c_attn"),
    "codegen": ("qkv_proj",),
    "mistral": ("q_proj", "v_proj"),
    "mixtral": ("q_proj", "v_proj"),
    "stablelm": ("q_proj", "v_proj"),
    "phi": ("q_proj", "v_proj", "fc1", "fc2"),
    "gemma": ("q_proj", "v_proj"),
    "gemma2": ("q_proj", "v_proj"),
    "gemma3_text": ("q_proj", "v_proj"),
    "gemma4": (
        ".",
        "*",
        "l",
        "a",
        "n",
        "g",
        "u",
        "a",
        "g",
        "e",
        "_",
        "m",
        "o",
        "d",
        "e",
        "l",
        "\\",
        ".",
        ".",
        "*",
        "\\",
        ".",
        "(",
        "q",
        "_",
        "p",
        "r",
        "o",
        "j",
        "|",
        "v",
        "_",
        "p",
        "r",
        "o",
        "j",
        ")",
    ),
    "qwen2": ("q_proj", "v_proj"),
    "qwen3": ("q_proj", "v_proj"),
    "nemotron_h": ("q_proj", "k_proj", "v_proj", "o_proj"),
    "rwkv": ("key", "value", "receptance", "output"),
    "rwkv7": ("r_proj", "k_proj", "v_proj", "o_proj", "key", "value"),
}
"""model_type -> PEFT's default LoRA target modules."""


def default_targets(model_type: str) -> tuple[str, ...] | None:
    """PEFT's default targets for ``model_type``, or None when PEFT has none."""
    return TARGETS.get(model_type)
