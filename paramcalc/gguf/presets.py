"""A network in a llama-quantize preset: the type of every GGUF tensor, the bytes.

``tensor_types(net, "Q4_K_M")`` names each tensor as llama.cpp's converter
does (:mod:`paramcalc.gguf.names`) and types it by llama.cpp's rules
(:mod:`paramcalc.gguf.quantize`); ``preset_weights`` adds up the bytes: the
tensor data of the GGUF ``llama-quantize`` writes from the F16 (or BF16) GGUF
``convert_hf_to_gguf.py`` writes (alignment padding and metadata are not
tensor data).

>>> from paramcalc.zoo.language import llama
>>> types = tensor_types(llama(), "Q4_K_M")
>>> types["blk.0.attn_v.weight"], types["blk.4.attn_v.weight"], types["output.weight"]
('Q6_K', 'Q4_K', 'Q6_K')
>>> preset_weights(llama(), "Q4_K_M").bytes
4080263168
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from paramcalc.gguf.names import gguf_model
from paramcalc.gguf.quantize import model_types, needs_imatrix, preset, tensor_data_bytes
from paramcalc.layer import Layer

__all__ = ["PresetWeights", "preset_weights", "tensor_types"]


def tensor_types(net: Layer, name: str, imatrix: bool | None = None) -> dict[str, str]:
    """The ggml type (``"Q4_K"``) of each GGUF tensor of ``net`` under preset ``name``.

    ``imatrix``: whether llama-quantize is given an importance matrix; None
    (the default): with one exactly when llama.cpp refuses the preset
    without (IQ1/IQ2 presets, IQ3_XS, IQ3_XXS, Q2_K_S). ``False`` on such a
    preset raises :class:`~paramcalc.errors.ConfigError`, as llama-quantize
    stops.
    """
    return model_types(gguf_model(net), name, imatrix)


@dataclass(frozen=True)
class PresetWeights:
    """``net``'s tensor data in a GGUF preset: bytes, and how many values each type holds."""

    preset: str
    bytes: int
    imatrix: bool
    quantized_params: int
    kept_params: int
    kept: tuple[str, ...]
    by_type: tuple[tuple[str, int, int], ...]
    """``(type, values, bytes)`` for each ggml type used, largest first."""


_BLK = re.compile(r"^blk\.\d+\.")


def preset_weights(net: Layer, name: str, imatrix: bool | None = None) -> PresetWeights:
    """The tensor data bytes of ``net`` quantized to preset ``name`` by llama.cpp.

    ``kept`` lists the tensors llama.cpp leaves as the converter wrote them
    (norms, biases, routers, position embeddings: ``blk.*`` for every block).
    """
    model = gguf_model(net)
    key = preset(name)
    types = model_types(model, key, imatrix)
    used = needs_imatrix(model, key) if imatrix is None else imatrix
    counts: dict[str, list[int]] = {}
    kept: list[str] = []
    quantized = kept_params = 0
    for t in model.tensors:
        n = 1
        for d in t.shape:
            n *= d
        type_ = types[t.name]
        row = counts.setdefault(type_, [0, 0])
        row[0] += n
        row[1] += tensor_data_bytes(t, type_)
        if type_ == t.type:
            kept_params += n
            pattern = _BLK.sub("blk.*.", t.name)
            if pattern not in kept:
                kept.append(pattern)
        else:
            quantized += n
    by_type = tuple(
        sorted(((k, v[0], v[1]) for k, v in counts.items()), key=lambda r: (-r[2], r[0]))
    )
    return PresetWeights(
        key,
        sum(row[2] for row in by_type),
        used,
        quantized,
        kept_params,
        tuple(kept),
        by_type,
    )
