"""Weight formats: the bytes of the tensors a quantized checkpoint stores.

A format replaces the linear layers its library replaces (``torch.nn.Linear``
and GPT-2's ``Conv1D``) with the packed tensors that library's module
registers, and keeps every other tensor (embeddings, norms, routers, fused
experts the library does not handle) and the layers it skips by default (the
LM head: transformers' ``get_keys_to_not_convert``) in the model's ``dtype``.
Each layout and its source are in ``docs/inference-memory.md``.

>>> [name for name, _, _ in linear_tensors("gptq", 4096, 4096, False, "fp16", group_size=128)]
['qweight', 'qzeros', 'scales', 'g_idx']
>>> [(name, shape) for name, shape, _ in linear_tensors("nf4", 4096, 4096, False, "bf16")][:2]
[('weight', (8388608, 1)), ('weight.absmax', (262144,))]
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from paramcalc import _check
from paramcalc._check import shown
from paramcalc.errors import ConfigError
from paramcalc.footprint import buffer_bytes, normalize_dtype, tensor_bytes
from paramcalc.gguf.presets import preset_weights
from paramcalc.gguf.quantize import PRESETS as GGUF_PRESETS
from paramcalc.layer import Composite, Layer
from paramcalc.layers.linear import Linear
from paramcalc.plan.kv_cache import runs
from paramcalc.shapes import Shape, numel
from paramcalc.zoo._common import Conv1D

__all__ = [
    "FORMATS",
    "WeightBytes",
    "WeightFormat",
    "linear_tensors",
    "weight_bytes",
    "weight_format",
]


@dataclass(frozen=True)
class WeightFormat:
    """A way to store weights: its name, what it packs, what it keeps, and where the layout is from.

    ``checked`` says whether paramcalc's tests compare the layout with the
    library's own packer or module (True) or it is derived from the source
    cited in ``source`` (False).
    """

    name: str
    packs: str
    keeps: str
    source: str
    checked: bool


_KEEPS = "embeddings, norms, the LM head (last module), non-Linear tensors (routers, fused experts)"

FORMATS: dict[str, WeightFormat] = {
    fmt.name: fmt
    for fmt in (
        WeightFormat("fp32", "every tensor in float32", "nothing", "torch", True),
        WeightFormat("bf16", "every tensor in bfloat16", "nothing", "torch", True),
        WeightFormat("fp16", "every tensor in float16", "nothing", "torch", True),
        WeightFormat(
            "fp8",
            "Linear weights float8_e4m3fn + fp32 weight_scale_inv per 128×128 block; fused "
            "3-D experts likewise",
            "embeddings, norms, routers, the LM head",
            "transformers/integrations/finegrained_fp8.py (FP8Linear, _alloc_expert_proj)",
            True,
        ),
        WeightFormat(
            "int8",
            "Linear weights int8 + fp32 row scales SCB + a uint8 weight_format (LLM.int8)",
            _KEEPS,
            "bitsandbytes/nn/modules.py (Linear8bitLt._save_to_state_dict), "
            "transformers/integrations/bitsandbytes.py",
            True,
        ),
        *(
            WeightFormat(
                f"{kind}{suffix}",
                f"Linear weights 4-bit {kind}, two a byte, fp32 absmax per 64-block"
                + (", absmax double-quantized to uint8 with fp32 absmax per 256" if dq else ""),
                _KEEPS,
                "bitsandbytes/functional.py (quantize_4bit, QuantState.as_dict)",
                True,
            )
            for kind in ("nf4", "fp4")
            for suffix, dq in (("", False), ("-dq", True))
        ),
        WeightFormat(
            "gptq",
            "Linear weights int4 packed in int32 qweight (in/8, out); qzeros int32, fp16 "
            "scales per group; int32 g_idx",
            _KEEPS,
            "AutoGPTQ auto_gptq/nn_modules/qlinear/qlinear_cuda_old.py (QuantLinear.__init__)",
            False,
        ),
        WeightFormat(
            "awq",
            "Linear weights int4 packed in int32 qweight (in, out/8); qzeros int32, fp16 "
            "scales per group",
            _KEEPS,
            "AutoAWQ awq/modules/linear/gemm.py (WQLinear_GEMM.__init__)",
            False,
        ),
        WeightFormat(
            "mxfp4",
            "fused expert projections (3-D *_proj tensors): e2m1 blocks of 32 in 16 uint8 + "
            "one uint8 e8m0 scale a block",
            "everything but the experts (attention, router, embeddings, LM head)",
            "transformers/integrations/mxfp4.py (Mxfp4GptOssExperts; _blocks/_scales)",
            True,
        ),
        *(
            WeightFormat(
                preset,
                f"GGUF llama-quantize {preset}: each tensor in the ggml type llama.cpp's "
                f"rules give it (default {default})",
                "norms, biases, routers, position embeddings (F32 as converted)",
                "llama.cpp src/llama-quant.cpp @0c1e57098 (paramcalc/gguf/quantize.py)",
                True,
            )
            for preset, (_, default) in GGUF_PRESETS.items()
        ),
    )
}
"""Every weight format by name (``--weights``)."""

_FP8_BLOCK = 128
_BNB_BLOCK = 64
_BNB_NESTED_BLOCK = 256
_MX_BLOCK = 32


def weight_format(name: object) -> WeightFormat:
    """The format called ``name`` (``"nf4"``, ``"bfloat16"``, ``"Q4_K_M"`` …).

    GGUF presets are spelled as llama-quantize does; lower case works where
    it names no other format (``"bf16"`` is torch's bfloat16, ``"BF16"`` the
    GGUF preset).

    >>> weight_format("bfloat16").name, weight_format("NF4").checked
    ('bf16', True)
    >>> weight_format("q4_k_m").name, weight_format("BF16").name
    ('Q4_K_M', 'BF16')
    """
    if not isinstance(name, str):
        raise ConfigError(f"weights: `weights` must be a format name. Received: {shown(name)}.")
    if name.strip() in FORMATS:
        return FORMATS[name.strip()]
    key = name.strip().lower()
    if key not in FORMATS and key.upper() in GGUF_PRESETS:  # "q4_k_m"; "bf16" is torch's
        return FORMATS[key.upper()]
    if key in ("float32", "float16", "bfloat16", "half", "float"):
        key = normalize_dtype(key)
    if key not in FORMATS:
        raise ConfigError(
            f"weights: `weights` must be one of {', '.join(map(repr, FORMATS))}. "
            f"Received: weights={shown(name)}."
        )
    return FORMATS[key]


Tensor = tuple[str, Shape, str]
"""``(name, shape, dtype)`` of one stored tensor."""


def _cdiv(a: int, b: int) -> int:
    return -(-a // b)


def linear_tensors(
    fmt: str, out_features: int, in_features: int, bias: bool, dtype: str, *, group_size: int = 128
) -> tuple[Tensor, ...]:
    """The tensors a format stores for ``Linear(in_features, out_features, bias)``.

    >>> [(name, shape) for name, shape, _ in linear_tensors("int8", 8, 4, True, "bf16")]
    [('weight', (8, 4)), ('SCB', (8,)), ('weight_format', ()), ('bias', (8,))]
    """
    out, inp = out_features, in_features
    bias_t: tuple[Tensor, ...] = (("bias", (out,), dtype),) if bias else ()
    if fmt in ("fp32", "bf16", "fp16"):
        return (("weight", (out, inp), fmt), *(("bias", (out,), fmt) for _ in bias_t))
    if fmt == "fp8":
        scale = (_cdiv(out, _FP8_BLOCK), _cdiv(inp, _FP8_BLOCK))
        return (("weight", (out, inp), "fp8"), ("weight_scale_inv", scale, "fp32"), *bias_t)
    if fmt == "int8":
        return (
            ("weight", (out, inp), "int8"),
            ("SCB", (out,), "fp32"),
            ("weight_format", (), "uint8"),
            *bias_t,
        )
    if fmt.startswith(("nf4", "fp4")):
        n = out * inp
        blocks = _cdiv(n, _BNB_BLOCK)
        packed: tuple[Tensor, ...] = (("weight", (_cdiv(n, 2), 1), "uint8"),)
        if fmt.endswith("-dq"):
            stats: tuple[Tensor, ...] = (
                ("weight.absmax", (blocks,), "uint8"),
                ("weight.quant_map", (16,), "fp32"),
                ("weight.nested_absmax", (_cdiv(blocks, _BNB_NESTED_BLOCK),), "fp32"),
                ("weight.nested_quant_map", (256,), "fp32"),
            )
        else:
            stats = (("weight.absmax", (blocks,), "fp32"), ("weight.quant_map", (16,), "fp32"))
        return (*packed, *stats, *bias_t)
    if fmt in ("gptq", "awq"):
        where = f"weights: {fmt} packs 8 int4 values in an int32"
        for arg, value in (("in_features", inp), ("out_features", out)):
            if value % 8:
                raise ConfigError(f"{where}; `{arg}` must be a multiple of 8. Received: {value}.")
        group = inp if group_size == -1 else group_size
        half_bias: tuple[Tensor, ...] = (("bias", (out,), "fp16"),) if bias else ()
        if fmt == "gptq":
            groups = _cdiv(inp, group)
            return (
                ("qweight", (inp // 8, out), "int32"),
                ("qzeros", (groups, out // 8), "int32"),
                ("scales", (groups, out), "fp16"),
                ("g_idx", (inp,), "int32"),
                *half_bias,
            )
        if inp % group:
            raise ConfigError(
                f"weights: awq needs `in_features` divisible by `group_size`. "
                f"Received: in_features={inp}, group_size={group}."
            )
        return (
            ("qweight", (inp, out // 8), "int32"),
            ("qzeros", (inp // group, out // 8), "int32"),
            ("scales", (inp // group, out), "fp16"),
            *half_bias,
        )
    return (("weight", (out, inp), dtype), *bias_t)  # mxfp4 keeps Linear layers


def _expert_tensors(fmt: str, name: str, shape: Shape, dtype: str) -> tuple[Tensor, ...] | None:
    """A fused 3-D expert projection ``(experts, rows, cols)`` as fp8 or mxfp4 store it."""
    if len(shape) != 3 or not name.endswith("_proj"):
        return None
    experts, rows, cols = shape
    if fmt == "fp8":
        floor = 2 if name == "gate_up_proj" else 1  # room for both halves (min_sf_out=2)
        scale = (experts, max(_cdiv(rows, _FP8_BLOCK), floor), _cdiv(cols, _FP8_BLOCK))
        return ((name, shape, "fp8"), (f"{name}_scale_inv", scale, "fp32"))
    if fmt == "mxfp4":
        if cols % _MX_BLOCK:
            raise ConfigError(
                f"weights: mxfp4 packs blocks of 32; `{name}`'s last dim must be a multiple "
                f"of 32. Received: {shape}."
            )
        blocks = (experts, rows, cols // _MX_BLOCK)
        return ((f"{name}_blocks", (*blocks, 16), "uint8"), (f"{name}_scales", blocks, "uint8"))
    return None


@dataclass(frozen=True)
class WeightBytes:
    """The stored bytes of a network's weights in a format.

    ``packed_params`` are the parameters the format packs, ``kept_params``
    those kept in ``dtype``; ``kept`` names the layer paths with parameters
    kept in high precision (a repeated block's copies as ``{0..n-1}``).
    """

    format: str
    dtype: str
    group_size: int
    bytes: int
    packed_params: int
    kept_params: int
    kept: tuple[str, ...]
    source: str
    checked: bool

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-able data."""
        return {
            "format": self.format,
            "dtype": self.dtype,
            "group_size": self.group_size,
            "bytes": self.bytes,
            "packed_params": self.packed_params,
            "kept_params": self.kept_params,
            "kept": list(self.kept),
            "source": self.source,
            "checked_against_library": self.checked,
        }


def _leaves(
    layer: Layer, path: str, copies: int, seen: set[int]
) -> Iterator[tuple[str, Layer, int]]:
    stack = runs(layer)
    if stack is not None:  # each copy is a distinct deep copy: its own scope for sharing
        for name, block, count in stack:
            yield from _leaves(block, f"{path}.{name}" if path else name, copies * count, set())
        return
    if isinstance(layer, Composite):
        for name, child in layer.children():
            yield from _leaves(child, f"{path}.{name}" if path else name, copies, seen)
        return
    if id(layer) not in seen:
        seen.add(id(layer))
        yield path, layer, copies


_BYTES = {"fp32": 4, "int32": 4, "bf16": 2, "fp16": 2, "fp8": 1, "int8": 1, "uint8": 1}


def _tensors_bytes(tensors: tuple[Tensor, ...]) -> int:
    return sum(
        numel(shape) * _BYTES[dtype] if dtype in _BYTES else tensor_bytes(numel(shape), dtype)
        for _, shape, dtype in tensors
    )


def weight_bytes(
    net: Layer, weights: object = "bf16", dtype: object = "bf16", *, group_size: int = 128
) -> WeightBytes:
    """The bytes of ``net``'s weights (and buffers) stored in format ``weights``.

    ``dtype`` is the model's (``torch_dtype``): the dtype of every tensor
    the format keeps. ``group_size`` is GPTQ's and AWQ's (-1: one group).

    >>> from paramcalc.zoo.language import llama
    >>> w = weight_bytes(llama(), "gptq")
    >>> w.bytes, w.kept
    (3893862400, ('model.embed_tokens', 'model.layers.{0..31}.input_layernorm', \
'model.layers.{0..31}.post_attention_layernorm', 'model.norm', 'lm_head'))
    """
    fmt = weight_format(weights)
    if fmt.name in GGUF_PRESETS:
        return _gguf_bytes(net, fmt, dtype, group_size)
    kept_dtype = normalize_dtype(dtype)
    if isinstance(group_size, bool) or not isinstance(group_size, int):
        raise ConfigError(f"weights: `group_size` must be an int. Received: {shown(group_size)}.")
    if group_size != -1:
        _check.positive("weights", "group_size", group_size)
    name = fmt.name
    if name in ("fp32", "bf16", "fp16"):
        kept_dtype = name
    leaves = list(_leaves(net, "", 1, set()))
    last = next((path for path, leaf, _ in reversed(leaves) if leaf.params()), None)
    total = packed = 0
    kept: list[str] = []
    for path, leaf, copies in leaves:
        total += copies * buffer_bytes(leaf, kept_dtype)
        if not leaf.params():
            continue
        tensors: tuple[Tensor, ...] = ()
        packs = False
        if name in ("fp32", "bf16", "fp16"):
            tensors = tuple((t, s, name) for t, s in leaf.parameter_shapes())
            packs = True
        elif isinstance(leaf, Linear | Conv1D) and path != last and name != "mxfp4":
            out, inp = (
                (leaf.out_features, leaf.in_features)
                if isinstance(leaf, Linear)
                else (leaf.nf, leaf.nx)
            )
            has_bias = leaf.bias if isinstance(leaf, Linear) else True
            tensors = linear_tensors(name, out, inp, has_bias, kept_dtype, group_size=group_size)
            packed += copies * out * inp
            packs = True
        else:
            for tensor, shape in leaf.parameter_shapes():
                expert = _expert_tensors(name, tensor, shape, kept_dtype)
                if expert is not None:
                    tensors += expert
                    packed += copies * numel(shape)
                    packs = True
                else:
                    tensors += ((tensor, shape, kept_dtype),)
        total += copies * _tensors_bytes(tensors)
        if not packs:
            kept.append(path)
    if name in ("fp32", "bf16", "fp16"):
        packed = net.params()
    return WeightBytes(
        name,
        kept_dtype,
        group_size,
        total,
        packed,
        net.params() - packed,
        tuple(kept),
        fmt.source,
        fmt.checked,
    )


def _gguf_bytes(net: Layer, fmt: WeightFormat, dtype: object, group_size: int) -> WeightBytes:
    """A GGUF preset: the tensor data bytes of the file llama-quantize writes.

    Kept tensors are in the converter's type (F32 norms; F16/BF16 the rest),
    whatever ``dtype``; an importance matrix is assumed exactly where
    llama.cpp requires one.
    """
    normalize_dtype(dtype)  # still checked
    w = preset_weights(net, fmt.name)
    return WeightBytes(
        fmt.name,
        "fp32",
        group_size,
        w.bytes,
        w.quantized_params,
        w.kept_params,
        w.kept,
        fmt.source,
        fmt.checked,
    )
