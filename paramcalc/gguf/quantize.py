"""llama-quantize's presets: the ggml type llama.cpp gives every tensor.

A port of ``src/llama-quant.cpp`` of ggml-org/llama.cpp@0c1e57098 (the
llama.cpp vendored by llama-cpp-python 0.3.36), line numbers from that file:
``tensor_get_category`` (119), ``tensor_allows_quantization`` (287),
``tensor_type_fallback`` (390), ``llama_tensor_get_type_impl`` (446-714),
``llama_tensor_get_type`` (717), ``tensor_requires_imatrix`` (856),
``llama_ftype_get_default_type`` (881), ``init_quantize_state_counters``
(927) and the order of the tensors, ``weight_name_comparer`` in
``src/llama-model-loader.h`` (54): by layer, then by name. The model type
``LLM_TYPE_70B`` comes from ``src/models/llama.cpp`` (28) and
``src/models/qwen2.cpp`` (14). Checked tensor by tensor against llama.cpp's
own quantizer in ``tests/golden/gguf/quant.json.gz``.

Against upstream llama.cpp as stored at 007dbbf3 the rules for these
families are the same; the vendored copy adds a Q8_0 floor for GLM5-next's
``attn_q_a``/``attn_q_b``/``nextn.eh_proj`` (not ported: no such family here),
keeps a 32-block type whose row does not divide (then F16) where upstream
throws "no tensor type fallback", and lets ``--tensor-type`` name
``per_layer_token_embd`` (paramcalc takes no overrides).

>>> m = GgufModel("llama", 1, 32, 8, 0, (
...     GgufTensor("token_embd.weight", (32000, 4096), "F16"),
...     GgufTensor("blk.0.attn_v.weight", (1024, 4096), "F16"),
...     GgufTensor("blk.0.ffn_down.weight", (4096, 14336), "F16"),
...     GgufTensor("blk.0.attn_norm.weight", (4096,), "F32"),
...     GgufTensor("output.weight", (32000, 4096), "F16")))
>>> model_types(m, "Q4_K_M")
{'token_embd.weight': 'Q4_K', 'blk.0.attn_v.weight': 'Q6_K', \
'blk.0.ffn_down.weight': 'Q6_K', 'blk.0.attn_norm.weight': 'F32', 'output.weight': 'Q6_K'}
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from paramcalc.errors import ConfigError, ConfigTypeError
from paramcalc.gguf.types import GGML_TYPES

__all__ = [
    "PRESETS",
    "GgufModel",
    "GgufTensor",
    "model_bytes",
    "model_types",
    "needs_imatrix",
    "preset",
    "tensor_data_bytes",
]

# enum llama_ftype (include/llama.h) -> the default tensor type
# (llama_ftype_get_default_type, llama-quant.cpp 881-923)
PRESETS: dict[str, tuple[int, str]] = {
    "F32": (0, "F32"),
    "F16": (1, "F16"),
    "BF16": (32, "BF16"),
    "Q8_0": (7, "Q8_0"),
    "Q6_K": (18, "Q6_K"),
    "Q5_K_M": (17, "Q5_K"),
    "Q5_K_S": (16, "Q5_K"),
    "Q5_0": (8, "Q5_0"),
    "Q5_1": (9, "Q5_1"),
    "Q4_K_M": (15, "Q4_K"),
    "Q4_K_S": (14, "Q4_K"),
    "Q4_0": (2, "Q4_0"),
    "Q4_1": (3, "Q4_1"),
    "Q3_K_L": (13, "Q3_K"),
    "Q3_K_M": (12, "Q3_K"),
    "Q3_K_S": (11, "Q3_K"),
    "Q2_K": (10, "Q2_K"),
    "Q2_K_S": (21, "Q2_K"),
    "IQ4_NL": (25, "IQ4_NL"),
    "IQ4_XS": (30, "IQ4_XS"),
    "IQ3_M": (27, "IQ3_S"),
    "IQ3_S": (26, "IQ3_S"),
    "IQ3_XS": (22, "IQ3_S"),
    "IQ3_XXS": (23, "IQ3_XXS"),
    "IQ2_M": (29, "IQ2_S"),
    "IQ2_S": (28, "IQ2_XS"),
    "IQ2_XS": (20, "IQ2_XS"),
    "IQ2_XXS": (19, "IQ2_XXS"),
    "IQ1_M": (31, "IQ1_M"),
    "IQ1_S": (24, "IQ1_S"),
    "TQ1_0": (36, "TQ1_0"),
    "TQ2_0": (37, "TQ2_0"),
    "MXFP4_MOE": (38, "MXFP4"),
}
"""Every llama-quantize preset: its ``llama_ftype`` value and default tensor type."""


@dataclass(frozen=True)
class GgufTensor:
    """One tensor of a GGUF: its name, torch-order shape and ggml type (``"F16"``)."""

    name: str
    shape: tuple[int, ...]
    type: str

    @property
    def ne(self) -> tuple[int, int, int]:
        """Ggml's ``ne[0..2]``: the row length first."""
        s = (*reversed(self.shape), 1, 1, 1)
        return s[0], s[1], s[2]

    @property
    def n_dims(self) -> int:
        """``ggml_n_dims``: trailing dimensions of size 1 do not count."""
        s = tuple(reversed(self.shape))
        n = len(s)
        while n > 1 and s[n - 1] == 1:
            n -= 1
        return max(n, 1)


@dataclass(frozen=True)
class GgufModel:
    """What llama.cpp's quantizer reads of a model: the arch, hparams and tensors.

    ``arch`` is the GGUF ``general.architecture`` (``"llama"`` for Mistral and
    Mixtral too); ``n_head``/``n_head_kv`` are layer 0's; ``n_expert`` is
    ``expert_count`` (0 for a dense model).
    """

    arch: str
    n_layer: int
    n_head: int
    n_head_kv: int
    n_expert: int
    tensors: tuple[GgufTensor, ...]

    @property
    def n_gqa(self) -> int:
        """``llama_hparams::n_gqa``: heads per KV head (0 without KV heads)."""
        return self.n_head // self.n_head_kv if self.n_head_kv else 0

    @property
    def is_70b(self) -> bool:
        """``LLM_TYPE_70B``: llama with 80 layers and GQA, or qwen2 with 80 layers."""
        if self.arch == "llama":
            return self.n_layer == 80 and self.n_head != self.n_head_kv
        return self.arch == "qwen2" and self.n_layer == 80


def preset(name: object) -> str:
    """The preset called ``name`` (any case): ``"q4_k_m"`` -> ``"Q4_K_M"``."""
    if not isinstance(name, str):
        raise ConfigTypeError(f"gguf preset: expected a name like 'Q4_K_M', got {name!r:.60}")
    key = name.strip().upper()
    if key not in PRESETS:
        raise ConfigError(f"gguf preset: unknown preset {name[:40]!r}; known: {', '.join(PRESETS)}")
    return key


# -- tensor_get_category (119-160) ------------------------------------------------

_OUTPUT, _TOKEN_EMBD, _QKV, _KV_B, _V, _K, _Q, _O = (
    "output",
    "token_embd",
    "qkv",
    "kv_b",
    "v",
    "k",
    "q",
    "attn_output",
)
_UP, _GATE, _DOWN, _OTHER = "ffn_up", "ffn_gate", "ffn_down", "other"


def _category(name: str) -> str:
    if name == "output.weight":
        return _OUTPUT
    if name in ("token_embd.weight", "per_layer_token_embd.weight"):
        return _TOKEN_EMBD
    for part, cat in (
        ("attn_qkv.weight", _QKV),
        ("attn_kv_b.weight", _KV_B),
        ("attn_v.weight", _V),
        ("attn_k.weight", _K),
        ("attn_q.weight", _Q),
        ("attn_output.weight", _O),
        ("ffn_up", _UP),
        ("ffn_gate", _GATE),
        ("ffn_down", _DOWN),
    ):
        if part in name:
            return cat
    return _OTHER


def _is_attn_v(cat: str) -> bool:  # category_is_attn_v (163)
    return cat in (_V, _QKV, _KV_B)


# -- tensor_allows_quantization (287-385) ------------------------------------------

_NEVER = (
    "_norm.weight",
    "ffn_gate_inp.weight",
    "ffn_gate_tid2eid.weight",
    "altup",
    "laurel",
    "per_layer_model_proj",
    "ssm_conv1d",
    "shortconv.conv.weight",
    "indexer.k_proj.weight",
    "indexer.q_proj.weight",
    *(
        f"time_mix_{w}.weight"
        for w in (
            [
                "first",
                "w0",
                "w1",
                "w2",
                "v0",
                "v1",
                "v2",
                "a0",
                "a1",
                "a2",
                "g1",
                "g2",
                "decay_w1",
                "decay_w2",
                "lerp_fused",
            ]
        )
    ),
    "attn_rel_b.weight",
    ".position_embd",
    "sam.pos_embd",
    "sam.neck.",
    "sam.net_",
    ".rel_pos",
    ".patch_embd",
    ".patch_merger",
    "a.rvq.codebook",
    "mm.a.code_embd",
)


def _allows_quantization(t: GgufTensor) -> bool:
    if t.n_dims < 2 or not t.name.endswith("weight"):
        return False
    if t.name in ("position_embd.weight", "token_types.weight"):  # LLM_TN POS_EMBD, TOKEN_TYPES
        return False
    return not any(part in t.name for part in _NEVER)


# -- tensor_type_fallback (390-443) ------------------------------------------------

_FALLBACK = {
    **dict.fromkeys(("IQ1_S", "IQ1_M", "IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ3_XXS"), "IQ4_NL"),
    "IQ3_S": "IQ4_NL",
    "IQ4_XS": "IQ4_NL",
    **dict.fromkeys(("Q2_0", "Q2_K", "Q3_K", "TQ1_0", "TQ2_0"), "Q4_0"),
    "Q4_K": "Q5_0",
    "Q5_K": "Q5_1",
    "Q6_K": "Q8_0",
}


def _block(type_: str) -> int:
    return GGML_TYPES[type_.lower() if type_.lower() in GGML_TYPES else _ggml_name(type_)].block


def _ggml_name(type_: str) -> str:
    # type_traits names: "q4_K", "iq2_xxs", "f16", "bf16"
    low = type_.lower()
    return low[:-1] + "K" if low.endswith("_k") else low


def _fallback(t: GgufTensor, target: str) -> str:
    ncols = t.ne[0]
    qk = _block(target)
    if ncols % qk == 0:
        return target
    if target in _FALLBACK:
        new = _FALLBACK[target]
    elif qk <= 32:
        new = target
    else:
        raise ConfigError(f"gguf: llama.cpp defines no fallback for type {target}")
    return new if ncols % _block(new) == 0 else "F16"


# -- llama_tensor_get_type_impl (446-714) ------------------------------------------


def _use_more_bits(i_layer: int, n_layers: int) -> bool:  # 452
    return (
        i_layer < n_layers // 8
        or i_layer >= 7 * n_layers // 8
        or _c_mod(i_layer - n_layers // 8, 3) == 2
    )


def _c_mod(a: int, b: int) -> int:
    """C's ``%``: the sign of the dividend."""
    r = abs(a) % b
    return -r if a < 0 else r


_LAYER = re.compile(r"blk\.(-?\d+)\.")


def _layer_of(name: str) -> int:
    m = _LAYER.match(name)
    return int(m.group(1)) if m else -1


class _State:
    """``quantize_state_impl``: the counters the rules read and advance."""

    def __init__(self, model: GgufModel, imatrix: bool) -> None:
        self.model = model
        self.has_imatrix = imatrix
        cats = [_category(t.name) for t in model.tensors]
        self.n_attention_wv = sum(1 for c in cats if _is_attn_v(c))
        self.has_tied_embeddings = _OUTPUT not in cats
        self.n_layer = model.n_layer  # n_ffn_down = n_ffn_gate = n_ffn_up = n_layer_all
        self.i_attention_wv = self.i_ffn_down = self.i_ffn_gate = self.i_ffn_up = 0

    def layer_info(self, i_layer: int, name: str) -> tuple[int, int]:
        if max(1, self.model.n_expert) > 1:
            i_layer = _layer_of(name)
            if not name.startswith("blk.") or i_layer < 0 or i_layer >= self.n_layer:
                raise ConfigError(f"gguf: cannot tell the layer of tensor {name[:80]!r}")
        return i_layer, self.n_layer


_IQ_LOW = ("IQ2_XXS", "IQ2_XS", "IQ1_S", "IQ2_S", "IQ2_M", "IQ1_M")


def _impl(qs: _State, new: str, t: GgufTensor, ftype: str, cat: str) -> str:
    hp = qs.model
    arch = hp.arch
    n_expert = hp.n_expert
    if cat == _OUTPUT or (qs.has_tied_embeddings and cat == _TOKEN_EMBD):  # 490
        nx = t.ne[0]
        if ftype == "MXFP4_MOE" or arch == "falcon" or nx % _block(new):
            new = "Q8_0"
        elif ftype in ("IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S", "IQ2_S", "IQ2_M", "IQ1_M"):
            new = "Q5_K"
        elif new != "Q8_0":
            new = "Q6_K"
    elif ftype == "MXFP4_MOE":  # 512 (bailingmoe3's exception does not apply here)
        new = "MXFP4" if t.ne[2] > 1 else "Q8_0"
    elif cat == _TOKEN_EMBD:  # 525
        if ftype in ("IQ2_XXS", "IQ2_XS", "IQ1_S", "IQ1_M"):
            new = "Q2_K"
        elif ftype in ("IQ2_S", "IQ2_M", "IQ3_XXS"):
            new = "IQ3_S"
        elif ftype in ("TQ1_0", "TQ2_0"):
            new = "Q4_K"
    elif ftype in _IQ_LOW:  # 543
        s_or_m = ftype in ("IQ2_S", "IQ2_M")
        if _is_attn_v(cat):
            low = "IQ3_S" if s_or_m else "Q2_K"
            new = "Q4_K" if hp.n_gqa >= 4 or n_expert >= 4 else low
            qs.i_attention_wv += 1
        elif n_expert == 8 and cat == _K:
            new = "Q4_K"
        elif cat == _DOWN:
            if qs.i_ffn_down < qs.n_layer // 8:
                new = "IQ3_S" if s_or_m else "Q2_K"
            qs.i_ffn_down += 1
        elif cat == _O:
            if n_expert == 8:
                new = "Q5_K"
            elif ftype in ("IQ1_S", "IQ1_M"):
                new = "IQ2_XXS"
            elif s_or_m:
                new = "IQ3_S"
    elif _is_attn_v(cat):  # 567
        gqa4 = hp.n_gqa >= 4
        if ftype == "Q2_K":
            new = "Q4_K" if gqa4 else "Q3_K"
        elif ftype == "Q2_K_S" and gqa4:
            new = "Q4_K"
        elif ftype == "IQ3_XXS":
            new = "Q4_K" if gqa4 else ("IQ3_S" if not qs.has_imatrix else "IQ3_XXS")
        elif (ftype in ("IQ3_XS", "IQ3_S") and gqa4) or ftype == "IQ3_M":
            new = "Q4_K"
        elif ftype == "Q3_K_M":
            new = "Q5_K" if qs.i_attention_wv < 2 else "Q4_K"
        elif ftype == "Q3_K_L" or (ftype in ("IQ4_NL", "IQ4_XS") and gqa4):
            new = "Q5_K"
        elif ftype in ("Q4_K_M", "Q5_K_M") and _use_more_bits(qs.i_attention_wv, qs.n_attention_wv):
            new = "Q6_K"
        elif ftype == "Q4_K_S" and qs.i_attention_wv < 4:
            new = "Q5_K"
        if hp.is_70b and new in ("Q3_K", "Q4_K"):  # 593
            new = "Q5_K"
        if n_expert == 8:  # 599
            new = "Q8_0"
        qs.i_attention_wv += 1
    elif cat == _K:  # 605
        if n_expert == 8:
            new = "Q8_0"
        elif ftype == "IQ3_XS":
            new = "IQ3_XXS"
        elif ftype == "IQ3_XXS":
            new = "IQ2_S"
    elif cat == _Q:  # 617
        if ftype == "IQ3_XS":
            new = "IQ3_XXS"
        elif ftype == "IQ3_XXS":
            new = "IQ2_S"
    elif cat == _DOWN:  # 624
        i_layer, n_layer = qs.layer_info(qs.i_ffn_down, t.name)
        first8 = i_layer < n_layer // 8
        more = _use_more_bits(i_layer, n_layer)
        if ftype == "Q2_K":
            new = "Q3_K"
        elif ftype == "Q2_K_S":
            if first8:
                new = "Q4_K"
        elif ftype == "IQ3_XXS" and not qs.has_imatrix:
            new = "Q4_K" if first8 else "Q3_K"
        elif ftype == "Q3_K_M":
            if i_layer < n_layer // 16:
                new = "Q5_K"
            else:
                new = "Q4_K" if arch != "falcon" or more else "Q3_K"
        elif ftype == "IQ3_M" and (first8 or (n_expert == 8 and more)):
            new = "Q4_K"
        elif ftype == "Q3_K_L":
            new = "Q4_K" if arch == "falcon" else "Q5_K"
        elif ftype == "Q4_K_M":
            if arch == "falcon":
                new = "Q6_K" if i_layer < n_layer // 16 else "Q5_K" if more else "Q4_K"
            elif more:
                new = "Q6_K"
        elif first8 and ftype in ("IQ4_NL", "IQ4_XS") and not qs.has_imatrix:
            new = "Q5_K"
        elif ftype == "Q5_K_M" and more:
            new = "Q6_K"
        elif ftype == "Q4_K_S" and arch != "falcon" and first8:
            new = "Q5_K"
        elif ftype in ("Q4_0", "Q5_0") and qs.has_imatrix and first8:
            new = "Q4_1" if ftype == "Q4_0" else "Q5_1"
        qs.i_ffn_down += 1
    elif cat == _O:  # 669
        if arch != "falcon":
            if n_expert == 8:
                if ftype in (
                    "Q2_K", "IQ3_XS", "IQ3_XXS", "Q3_K_S", "Q3_K_M", "IQ4_NL",
                    "Q4_K_S", "Q4_K_M", "IQ3_S", "IQ3_M", "IQ4_XS",
                ):  # fmt: skip
                    new = "Q5_K"
            else:
                new = {
                    "Q2_K": "Q3_K",
                    "IQ3_XXS": "IQ3_S",
                    "Q3_K_M": "Q4_K",
                    "Q3_K_L": "Q5_K",
                    "IQ3_M": "Q4_K",
                }.get(ftype, new)
        elif ftype == "Q3_K_L":
            new = "Q4_K"
    elif cat == _QKV:  # 689: unreachable, category_is_attn_v took it above
        pass
    elif cat in (_GATE, _UP):  # 696, 704
        counter = qs.i_ffn_gate if cat == _GATE else qs.i_ffn_up
        i_layer, n_layer = qs.layer_info(counter, t.name)
        if ftype == "IQ3_XS" and n_layer // 8 <= i_layer < 7 * n_layer // 8:
            new = "IQ3_XXS"
        if cat == _GATE:
            qs.i_ffn_gate += 1
        else:
            qs.i_ffn_up += 1
    return new


_NEEDS_IMATRIX = ("IQ3_XXS", "IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ1_M", "IQ1_S")


def _requires_imatrix(name: str, type_: str, ftype: str) -> bool:  # 856
    if name in ("token_embd.weight", "per_layer_token_embd.weight", "output.weight"):
        return False
    return type_ in _NEEDS_IMATRIX or (type_ == "Q2_K" and ftype == "Q2_K_S")


def _ordered(model: GgufModel) -> list[GgufTensor]:
    """``weights_map``'s order (weight_name_comparer): by layer, then by name."""
    return sorted(model.tensors, key=lambda t: (_layer_of(t.name), t.name))


def _types(model: GgufModel, ftype: str, imatrix: bool) -> tuple[dict[str, str], str | None]:
    default = PRESETS[ftype][1]
    quantized = GGML_TYPES[_ggml_name(default)].quantized
    qs = _State(model, imatrix)
    found: dict[str, str] = {}
    refused: str | None = None
    for t in _ordered(model):
        if not _allows_quantization(t):
            found[t.name] = t.type
            continue
        new = default
        if quantized:
            new = _fallback(t, _impl(qs, new, t, ftype, _category(t.name)))
        found[t.name] = new
        if refused is None and not imatrix and _requires_imatrix(t.name, new, ftype):
            refused = f"{t.name} -> {new}"
    return {t.name: found[t.name] for t in model.tensors}, refused


def needs_imatrix(model: GgufModel, name: str) -> bool:
    """Whether llama.cpp refuses preset ``name`` without an importance matrix.

    llama-quantize stops with "this quantization requires an importance
    matrix!" (llama-quant.cpp 1131-1143) when a tensor other than
    ``token_embd``/``output`` would be IQ1_S/M, IQ2_XXS/XS/S or IQ3_XXS, or
    Q2_K in a Q2_K_S file.
    """
    return _types(model, preset(name), False)[1] is not None


def model_types(model: GgufModel, name: str, imatrix: bool | None = None) -> dict[str, str]:
    """The ggml type (``"Q4_K"``) llama.cpp gives each tensor under preset ``name``.

    ``imatrix``: whether an importance matrix is given (``--imatrix``); it
    changes some rules. None: with one exactly when the preset needs one.
    ``False`` for a preset that needs one raises :class:`ConfigError`, as
    llama-quantize refuses it.
    """
    ftype = preset(name)
    if imatrix is not None and not isinstance(imatrix, bool):
        raise ConfigTypeError(f"gguf: `imatrix` must be a bool or None, got {imatrix!r:.60}")
    types, refused = _types(model, ftype, bool(imatrix))
    if refused is not None:
        if imatrix is False:
            raise ConfigError(
                f"gguf preset {ftype}: llama.cpp requires an importance matrix for it "
                f"({refused}); pass imatrix=True"
            )
        types = _types(model, ftype, True)[0]
    return types


def tensor_data_bytes(t: GgufTensor, type_: str) -> int:
    """The bytes of tensor ``t`` stored as ggml type ``type_`` (``ggml_nbytes``)."""
    g = GGML_TYPES[_ggml_name(type_)]
    rows = 1
    for d in t.shape[:-1]:
        rows *= d
    return rows * (t.ne[0] // g.block) * g.bytes


def model_bytes(model: GgufModel, types: dict[str, str]) -> int:
    """The tensor data bytes of ``model`` stored in ``types`` (no padding)."""
    return sum(tensor_data_bytes(t, types[t.name]) for t in model.tensors)
