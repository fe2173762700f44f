"""The GGUF name llama.cpp's converter gives each Hugging Face tensor.

``convert_hf_to_gguf.py`` renames a checkpoint's tensors through gguf-py's
``TensorNameMap`` (``gguf-py/gguf/tensor_mapping.py``; the names themselves
are ``TENSOR_NAMES`` in ``gguf-py/gguf/constants.py``) and the model
classes' ``modify_tensors`` (``conversion/*.py``), of ggml-org/llama.cpp@0c1e57098
as vendored by llama-cpp-python 0.3.36: ``blk.{N}.attn_q.weight`` for
``model.layers.{N}.self_attn.q_proj.weight``, the fused experts split into
``ffn_gate_exps``/``ffn_up_exps``, GPT-2's ``Conv1D`` weights transposed.
It stores norms, biases, routers and position embeddings in F32 and every
other tensor in the ``--outtype`` (F16 here; BF16 is the same size).

>>> from paramcalc.zoo.language import llama
>>> m = gguf_model(llama())
>>> m.arch, m.n_layer, m.n_gqa, m.tensors[1]
('llama', 32, 1, GgufTensor(name='blk.0.attn_q.weight', shape=(4096, 4096), type='F16'))
"""

from __future__ import annotations

import re

from paramcalc.errors import ConfigError
from paramcalc.gguf.quantize import GgufModel, GgufTensor
from paramcalc.layer import Layer

__all__ = ["ARCHES", "gguf_model", "gguf_name", "gguf_shapes"]

ARCHES: dict[str, str] = {
    "LlamaForCausalLM": "llama",
    "MistralForCausalLM": "llama",  # conversion/llama.py registers Mistral and Mixtral as llama
    "MixtralForCausalLM": "llama",
    "Qwen2ForCausalLM": "qwen2",
    "Qwen2MoeForCausalLM": "qwen2moe",
    "Qwen3ForCausalLM": "qwen3",
    "Qwen3MoeForCausalLM": "qwen3moe",
    "GemmaForCausalLM": "gemma",
    "Gemma2ForCausalLM": "gemma2",
    "Gemma3ForCausalLM": "gemma3",
    "Phi3ForCausalLM": "phi3",
    "PhiForCausalLM": "phi2",
    "Olmo2ForCausalLM": "olmo2",
    "FalconForCausalLM": "falcon",
    "GPTNeoXForCausalLM": "gptneox",
    "GPT2LMHeadModel": "gpt2",
    "GPTBigCodeForCausalLM": "starcoder",
}
"""The GGUF ``general.architecture`` of each Hugging Face class paramcalc names."""

# tensor_mapping.py mappings_cfg: whole-model tensors
_TOP = {
    "model.embed_tokens": "token_embd",
    "transformer.word_embeddings": "token_embd",  # falcon
    "gpt_neox.embed_in": "token_embd",
    "transformer.wte": "token_embd",  # gpt2, starcoder
    "transformer.wpe": "position_embd",
    "model.norm": "output_norm",
    "model.final_layernorm": "output_norm",  # phi2
    "transformer.ln_f": "output_norm",
    "gpt_neox.final_layer_norm": "output_norm",
    "lm_head": "output",
    "embed_out": "output",  # gptneox
}

# tensor_mapping.py block_mappings_cfg: the tensors of block {N}
_BLOCK = {
    "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output",
    "self_attn.dense": "attn_output",  # phi2
    "self_attn.qkv_proj": "attn_qkv",  # phi3
    "self_attn.q_norm": "attn_q_norm",
    "self_attn.k_norm": "attn_k_norm",
    "self_attention.query_key_value": "attn_qkv",  # falcon
    "self_attention.dense": "attn_output",
    "attention.query_key_value": "attn_qkv",  # gptneox
    "attention.dense": "attn_output",
    "attn.c_attn": "attn_qkv",  # gpt2, starcoder
    "attn.c_proj": "attn_output",
    "input_layernorm": "attn_norm",
    "ln_1": "attn_norm",
    "ln_attn": "attn_norm",  # falcon-40b
    "ln_mlp": "attn_norm_2",
    "post_attention_layernorm": "ffn_norm",
    "ln_2": "ffn_norm",
    "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
    "mlp.gate_up_proj": "ffn_up",  # phi3 keeps gate and up fused
    "mlp.fc1": "ffn_up",  # phi2
    "mlp.fc2": "ffn_down",
    "mlp.dense_h_to_4h": "ffn_up",  # falcon, gptneox
    "mlp.dense_4h_to_h": "ffn_down",
    "mlp.c_fc": "ffn_up",  # gpt2, starcoder
    "mlp.c_proj": "ffn_down",
    "mlp.gate": "ffn_gate_inp",  # the router
    "mlp.experts.down_proj": "ffn_down_exps",
    "mlp.shared_expert.gate_proj": "ffn_gate_shexp",
    "mlp.shared_expert.up_proj": "ffn_up_shexp",
    "mlp.shared_expert.down_proj": "ffn_down_shexp",
    "mlp.shared_expert_gate": "ffn_gate_inp_shexp",
}

# where an architecture's norms sit elsewhere (MODEL_TENSORS[arch] in constants.py)
_ARCH_BLOCK = {
    "gemma2": {
        "post_attention_layernorm": "post_attention_norm",
        "pre_feedforward_layernorm": "ffn_norm",
        "post_feedforward_layernorm": "post_ffw_norm",
    },
    "olmo2": {
        "post_attention_layernorm": "post_attention_norm",
        "post_feedforward_layernorm": "post_ffw_norm",
    },
}
_ARCH_BLOCK["gemma3"] = _ARCH_BLOCK["gemma2"]

_LAYER = re.compile(r"^(?:model\.layers|transformer\.h|gpt_neox\.layers)\.(\d+)\.(.+)$")
_F32_PARTS = ("ffn_gate_inp", "position_embd", "token_types")  # base.py prepare_tensors


def gguf_name(arch: str, name: str) -> str | None:
    """The GGUF name of Hugging Face tensor ``name`` in ``arch`` (None: unknown).

    >>> gguf_name("llama", "model.layers.7.mlp.down_proj.weight")
    'blk.7.ffn_down.weight'
    """
    module, _, kind = name.rpartition(".")
    if kind not in ("weight", "bias"):
        module, kind = name, "weight"  # fused experts: a bare parameter
    m = _LAYER.match(module)
    if m is None:
        top = _TOP.get(module)
        return None if top is None else f"{top}.{kind}"
    part = _ARCH_BLOCK.get(arch, {}).get(m.group(2)) or _BLOCK.get(m.group(2))
    return None if part is None else f"blk.{m.group(1)}.{part}.{kind}"


def _source_type(name: str, shape: tuple[int, ...]) -> str:
    """The type convert_hf_to_gguf.py --outtype f16 writes (base.py prepare_tensors)."""
    if len(shape) <= 1 or name.endswith("_norm.weight") or not name.endswith(".weight"):
        return "F32"
    if any(part in name for part in _F32_PARTS):  # ffn_gate_inp_shexp too
        return "F32"
    return "F16"


_CONV1D = ("attn_qkv", "attn_output", "ffn_up", "ffn_down")
MAX_LAYERS = 512  # LLAMA_MAX_LAYERS, src/llama-hparams.h: llama.cpp loads no more


def _tensors(arch: str, net: Layer) -> list[GgufTensor]:
    found: list[GgufTensor] = []
    for name, shape in net.named_parameters():
        layer = _LAYER.match(name)
        if layer is not None and int(layer.group(1)) >= MAX_LAYERS:  # stop before the rest
            raise ConfigError(
                f"gguf: llama.cpp loads at most {MAX_LAYERS} layers (LLAMA_MAX_LAYERS); "
                f"this {arch} model has more"
            )
        if layer is not None and layer.group(2) == "mlp.experts.gate_up_proj":
            e, rows, cols = shape  # conversion: one tensor per half
            for half in ("ffn_gate_exps", "ffn_up_exps"):
                new = f"blk.{layer.group(1)}.{half}.weight"
                found.append(GgufTensor(new, (e, rows // 2, cols), "F16"))
            continue
        gguf = gguf_name(arch, name)
        if gguf is None:
            raise ConfigError(
                f"gguf: no GGUF name known for tensor {name[:120]!r} of a {arch} model"
            )
        size = tuple(shape)
        if arch == "gpt2" and len(size) == 2 and gguf.split(".")[-2] in _CONV1D:
            size = (size[1], size[0])  # Conv1D (in, out) -> Linear (out, in)
        found.append(GgufTensor(gguf, size, _source_type(gguf, size)))
    return found


def _rows(tensors: dict[str, GgufTensor], name: str) -> int | None:
    t = tensors.get(name)
    return None if t is None else t.shape[0]


def gguf_model(net: Layer) -> GgufModel:
    """What llama.cpp's quantizer sees of ``net``: its arch, hparams and GGUF tensors.

    ``n_head / n_head_kv`` (all the rules read is their ratio, ``n_gqa``,
    and whether it is 1) comes from the row counts of ``attn_q`` and
    ``attn_k``, or of a fused ``attn_qkv`` against the width; ``n_expert``
    from the router's rows.
    """
    cls = type(net).__name__
    arch = ARCHES.get(cls)
    if arch is None:
        raise ConfigError(
            f"gguf: no GGUF conversion known for {cls[:80]}; known: {', '.join(ARCHES)}"
        )
    tensors = _tensors(arch, net)
    by_name = {t.name: t for t in tensors}
    layers = {int(t.name.split(".")[1]) for t in tensors if t.name.startswith("blk.")}
    n_layer = max(layers) + 1 if layers else 0
    q, k = _rows(by_name, "blk.0.attn_q.weight"), _rows(by_name, "blk.0.attn_k.weight")
    qkv = _rows(by_name, "blk.0.attn_qkv.weight")
    n_head = n_head_kv = 1
    if q and k:
        n_head, n_head_kv = q, k
    elif qkv and "token_embd.weight" in by_name:
        width = by_name["token_embd.weight"].shape[-1]
        if qkv > width and (qkv - width) % 2 == 0:
            n_head, n_head_kv = width, (qkv - width) // 2
    router = _rows(by_name, "blk.0.ffn_gate_inp.weight")
    return GgufModel(arch, n_layer, n_head, n_head_kv, router or 0, tuple(tensors))


def gguf_shapes(net: Layer) -> dict[str, tuple[int, ...]]:
    """Every GGUF tensor name of ``net`` with its torch-order shape.

    >>> from paramcalc.zoo.language import llama
    >>> gguf_shapes(llama())["blk.0.ffn_down.weight"]
    (4096, 11008)
    """
    return {t.name: t.shape for t in gguf_model(net).tensors}
