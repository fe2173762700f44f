"""``paramcalc.lora`` against live ``peft.get_peft_model`` on tiny real-structured models.

Each case builds the same Hugging Face config with ``transformers`` (on the
meta device: no weights) and with :func:`paramcalc.from_hf_config`, applies
the same ``LoraConfig`` on both sides and compares every parameter's name,
shape and ``requires_grad``, and PEFT's ``get_nb_trainable_parameters()``.
Skipped without peft/transformers; CI installs peft==0.21.2, transformers==5.23.0.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest

import paramcalc as pc
from paramcalc.errors import ConfigError, ParamcalcWarning
from paramcalc.plan.adapters import named_requires_grad

from .hf_mirror import shrink

LLAMA: dict[str, Any] = {
    "model_type": "llama",
    "architectures": ["LlamaForCausalLM"],
    "vocab_size": 96,
    "hidden_size": 16,
    "intermediate_size": 24,
    "num_hidden_layers": 3,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
}
TIED_QWEN: dict[str, Any] = {
    "model_type": "qwen2",
    "architectures": ["Qwen2ForCausalLM"],
    "vocab_size": 96,
    "hidden_size": 16,
    "intermediate_size": 24,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "tie_word_embeddings": True,
}
GPT2: dict[str, Any] = {
    "model_type": "gpt2",
    "architectures": ["GPT2LMHeadModel"],
    "vocab_size": 96,
    "n_positions": 32,
    "n_embd": 16,
    "n_layer": 2,
    "n_head": 4,
    "bos_token_id": 0,
    "eos_token_id": 0,
}

CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("llama q,v", LLAMA, {"r": 4, "target_modules": ["q_proj", "v_proj"]}),
    ("llama all-linear", LLAMA, {"r": 4, "target_modules": "all-linear"}),
    ("llama regex", LLAMA, {"r": 2, "target_modules": r".*\.1\.mlp\..*_proj"}),
    (
        "llama patterns",
        LLAMA,
        {
            "r": 4,
            "target_modules": "all-linear",
            "rank_pattern": {"down_proj": 2, r"layers\.0\.self_attn\.q_proj": 6},
            "alpha_pattern": {"up_proj": 3},
        },
    ),
    ("llama dora", LLAMA, {"r": 4, "target_modules": ["q_proj", "down_proj"], "use_dora": True}),
    (
        "llama modules_to_save suffix",
        LLAMA,
        {"r": 4, "target_modules": "all-linear", "modules_to_save": ["lm_head", "norm"]},
    ),
    ("llama embedding", LLAMA, {"r": 4, "target_modules": ["embed_tokens", "o_proj"]}),
    ("llama embedding dora", LLAMA, {"r": 4, "target_modules": ["embed_tokens"], "use_dora": True}),
    ("llama layers", LLAMA, {"r": 4, "target_modules": ["k_proj"], "layers_to_transform": [0, 2]}),
    (
        "llama exclude",
        LLAMA,
        {"r": 4, "target_modules": "all-linear", "exclude_modules": ["o_proj"]},
    ),
    ("qwen2 bias all", TIED_QWEN, {"r": 4, "target_modules": ["q_proj"], "bias": "all"}),
    ("qwen2 lora_only", TIED_QWEN, {"r": 4, "target_modules": ["k_proj"], "bias": "lora_only"}),
    ("qwen2 tied head", TIED_QWEN, {"r": 4, "target_modules": ["lm_head", "embed_tokens"]}),
    (
        "qwen2 tied head saved",
        TIED_QWEN,
        {"r": 4, "target_modules": ["v_proj"], "modules_to_save": ["lm_head"]},
    ),
    ("gpt2 c_attn", GPT2, {"r": 4, "target_modules": ["c_attn"]}),
    (
        "gpt2 all-linear lora_only",
        GPT2,
        {"r": 4, "target_modules": "all-linear", "bias": "lora_only"},
    ),
    (
        "gpt2 bias all saved",
        GPT2,
        {"r": 4, "target_modules": ["c_fc", "wte"], "bias": "all", "modules_to_save": ["lm_head"]},
    ),
    ("gpt2 lora_bias", GPT2, {"r": 4, "target_modules": ["c_proj"], "lora_bias": True}),
    ("gpt2 dora", GPT2, {"r": 4, "target_modules": ["c_attn", "wpe"], "use_dora": True}),
]


@pytest.fixture(scope="module")
def hf(transformers: Any, peft: Any) -> Any:
    """transformers and PEFT at CI's versions (conftest's fixtures), or a skip."""
    return transformers, peft


def _peft_model(hf: Any, config: dict[str, Any], options: dict[str, Any]) -> Any:
    transformers, peft = hf
    import torch

    cfg = transformers.AutoConfig.for_model(
        **{k: v for k, v in config.items() if k != "architectures"}
    )
    with torch.device("meta"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = transformers.AutoModelForCausalLM.from_config(cfg)
        return peft.get_peft_model(model, peft.LoraConfig(**options))


@pytest.mark.parametrize(("label", "config", "options"), CASES, ids=[c[0] for c in CASES])
def test_names_shapes_and_flags_equal_peft(
    hf: Any, label: str, config: dict[str, Any], options: dict[str, Any]
) -> None:
    """Every tensor's name, shape and requires_grad, and both totals, equal PEFT's."""
    model = _peft_model(hf, config, options)
    theirs = [(n, tuple(p.shape), p.requires_grad) for n, p in model.named_parameters()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours_net = pc.lora(pc.from_hf_config(config), **options)
    ours = list(named_requires_grad(ours_net))
    assert ours == theirs
    assert [(n, s) for n, s, _ in ours] == list(ours_net.named_parameters())
    trainable, total = model.get_nb_trainable_parameters()
    assert (ours_net.trainable_params(), ours_net.params()) == (trainable, total)


@pytest.mark.parametrize(
    ("config", "options"),
    [
        (LLAMA, {"target_modules": ["nope"]}),
        (LLAMA, {"target_modules": ["q_proj"], "exclude_modules": ["q_proj"]}),
        (GPT2, {"target_modules": ["attn"]}),
        (GPT2, {"target_modules": ["c_fc"], "use_dora": True, "lora_bias": True}),
    ],
)
def test_refuses_what_peft_refuses(
    hf: Any, config: dict[str, Any], options: dict[str, Any]
) -> None:
    """No match, everything excluded and an unsupported module type fail on both sides."""
    with pytest.raises(ValueError, match=r"not found|excluded|not supported"):
        _peft_model(hf, config, options)
    with pytest.raises(ConfigError):
        pc.lora(pc.from_hf_config(config), **options)


FIXTURES = Path(__file__).parent.parent / "fixtures" / "hf"
MOE: tuple[str, ...] = ("mixtral", "qwen2_moe", "qwen3_moe", "deepseek_v3", "gpt_oss", "olmoe")
MOE += ("phimoe", "granitemoe", "glm4_moe", "dbrx", "deepseek_v2", "jetmoe")
"""Left out: PEFT 0.21.2 adapts transformers 5's fused experts through ``target_parameters``
and sees some routers as non-Linear modules; ``paramcalc.lora`` warns on these."""
DECODERS = sorted(
    path.stem
    for path in FIXTURES.glob("*.json")
    if "ForCausalLM" in "".join(json.loads(path.read_text()).get("architectures", []))
    and json.loads(path.read_text()).get("model_type") not in MOE
    and "ForCausalLM" in "".join(json.loads(path.read_text()).get("architectures", []))
)


@pytest.mark.parametrize("name", DECODERS)
@pytest.mark.parametrize(
    "options",
    [
        {"r": 4, "target_modules": "all-linear"},
        {"r": 2, "target_modules": "all-linear", "use_dora": True},
    ],
    ids=["all-linear", "all-linear-dora"],
)
def test_every_decoder_family(hf: Any, name: str, options: dict[str, Any]) -> None:
    """Real configs (two layers): PEFT's names, shapes and flags for every decoder family."""
    transformers, peft = hf
    import torch

    config = shrink(json.loads((FIXTURES / f"{name}.json").read_text()))
    for key in ("num_hidden_layers", "n_layer", "num_layers"):
        if key in config:
            config[key] = min(config[key], 2)
    if isinstance(config.get("layer_types"), list):
        config["layer_types"] = config["layer_types"][:2]
    if "attention_types" in config:  # GPT-Neo: one global and one local layer
        config["attention_types"] = [[["global", "local"], 1]]
        config.pop("attention_layers", None)
    data = {key: value for key, value in config.items() if key != "model_type"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hf_config = transformers.AutoConfig.for_model(config["model_type"], **data)
        with torch.device("meta"):
            model = getattr(transformers, config["architectures"][0])(hf_config)
        theirs_model = peft.get_peft_model(model, peft.LoraConfig(**options))
        ours = pc.lora(pc.from_hf_config(config), **options)
    theirs = [(n, tuple(p.shape), p.requires_grad) for n, p in theirs_model.named_parameters()]
    assert list(named_requires_grad(ours)) == theirs
    assert (ours.trainable_params(), ours.params()) == theirs_model.get_nb_trainable_parameters()


def test_moe_warns() -> None:
    """A mixture-of-experts network gets a warning that PEFT treats its experts differently."""
    config = json.loads((FIXTURES / "mixtral-8x7b.json").read_text())
    with pytest.warns(ParamcalcWarning, match="mixture-of-experts"):
        pc.lora(pc.from_hf_config(shrink(config)), target_modules="all-linear")


HEADED: list[tuple[str, dict[str, Any]]] = [
    ("whisper-tiny", {"r": 4, "target_modules": "all-linear"}),
    ("distilbert-base-uncased", {"r": 4, "target_modules": "all-linear"}),
    ("roberta-base", {"r": 4, "target_modules": "all-linear"}),
    ("bert-base-uncased", {"r": 4, "target_modules": "all-linear"}),
    ("bert-base-uncased", {"r": 8, "target_modules": ["query", "value"], "bias": "all"}),
    ("t5-small", {"r": 4, "target_modules": "all-linear"}),
    ("llama-2-7b", {"r": 4, "target_modules": ["q_proj"], "layers_to_transform": []}),
    ("llama-2-7b", {"r": 4, "target_modules": ["v_proj"], "layers_to_transform": [1, 3]}),
]


@pytest.mark.parametrize(
    ("name", "options"), HEADED, ids=[f"{n}-{i}" for i, (n, _) in enumerate(HEADED)]
)
def test_output_layers_biases_and_layers(hf: Any, name: str, options: dict[str, Any]) -> None:
    """Full-size configs (issue 23): "all-linear" leaves out ``get_output_embeddings()``
    (Whisper's ``proj_out``, DistilBERT's ``vocab_projector``, RoBERTa's
    ``lm_head.decoder``); ``bias="all"`` trains a module's own ``bias`` (BERT's
    ``cls.predictions.bias``); an empty ``layers_to_transform`` restricts nothing."""
    transformers, peft = hf
    import torch

    config = json.loads((FIXTURES / f"{name}.json").read_text())
    if name.startswith("llama"):
        config["num_hidden_layers"] = 4
    data = {key: value for key, value in config.items() if key != "model_type"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hf_config = transformers.AutoConfig.for_model(config["model_type"], **data)
        with torch.device("meta"):
            model = getattr(transformers, config["architectures"][0])(hf_config)
        theirs_model = peft.get_peft_model(model, peft.LoraConfig(**options))
        ours = pc.lora(pc.from_hf_config(config), **options)
    theirs = [(n, tuple(p.shape), p.requires_grad) for n, p in theirs_model.named_parameters()]
    assert list(named_requires_grad(ours)) == theirs
    assert (ours.trainable_params(), ours.params()) == theirs_model.get_nb_trainable_parameters()
