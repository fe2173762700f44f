"""More of the table of :mod:`paramcalc.printed_classes`: attention biases and position tables.

timm's LeViT, EfficientFormer (V1 and V2), TinyViT, CoAtNet, VOLO and CrossViT,
and torchvision's MViT hold attention-bias or position tables sized by the
feature map their blocks see; XCiT's and EdgeNeXt's attentions hold a
temperature per head and their blocks layer scales; timm's DeepMind NFNets a
``skipinit_gain``. None of these is printed. Each rule here follows the
class's constructor in timm 1.0.31 / torchvision 0.29.1: the feature map
follows from the printed strides and the image side, which ``print(model)``
never shows (``image_size=`` / ``--image-size``; without it the library's
default is taken and said); a head count or window the text prints (TinyViT's
``window_size=7``) or that the printed widths imply under the registered
models' configs (XCiT's, EdgeNeXt's, LeViT's ``key_dim``) is read quietly.

>>> "TinyVit/Attention" in TABLE_MODULES, "MViT/PositionalEncoding" in TABLE_LEAVES
(True, True)
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

from paramcalc.containers import Module
from paramcalc.graph import Repeat
from paramcalc.layer import Composite, Layer
from paramcalc.params import Parameter
from paramcalc.printed_classes import LeafRule, ModuleRule, Seen, Tensors, find
from paramcalc.printed_holding import Holding, in_width, out_width
from paramcalc.serial import add_child

__all__ = ["TABLE_LEAVES", "TABLE_MODULES"]

_STAGE = re.compile(r"(?:^|\.)stages\.(\d+)\.")


def _stage(seen: Seen) -> int:
    """The index of the stage a module sits in: ``stages.2.blocks.0.attn`` -> 2."""
    found = _STAGE.search(seen.path + ".")
    if found is None:
        raise LookupError("its stage is not in its path")
    return int(found[1])


def _side(seen: Seen, default: int, owner: str) -> int:
    """The image side: the ``image_size`` option, else ``default`` with a doubt."""
    if seen.image_size is not None:
        return seen.image_size
    seen.doubt(
        f"attention-bias and position tables are sized for {default}×{default} images "
        f"({owner}'s default); set image_size= (--image-size) for another size"
    )
    return default


def _width(layer: Layer | None, output: bool = True) -> int:
    width = None if layer is None else (out_width(layer) if output else in_width(layer))
    if width is None:
        raise LookupError("a projection it needs is not printed")
    return width


def _child(seen: Seen, *names: str) -> Layer:
    for name in names:
        layer = seen.children.get(name)
        if layer is not None:
            return layer
    raise LookupError(f"none of {', '.join(names)} is printed")


def _children(layer: Layer) -> list[Layer]:
    """A container's children; a repeat's block once, whatever its count."""
    if isinstance(layer, Repeat):
        return [layer.block]
    return [child for _, child in layer.children()] if isinstance(layer, Composite) else []


def _modules(layer: Layer, kind: str) -> Iterator[Module]:
    """The modules of class ``kind`` in ``layer``, in printed order (a repeat's block once)."""
    stack = [layer]
    while stack:
        current = stack.pop()
        if isinstance(current, Module) and type(current).__name__ == kind:
            yield current
        stack.extend(reversed(_children(current)))


def _convs(layer: Layer) -> list[Layer]:
    found = []
    for module in _leaves(layer):
        base = module.layer if isinstance(module, Holding) else module
        if base is not None and type(base).__name__ in ("Conv2d", "Conv3d"):
            found.append(base)
    return found


def _leaves(layer: Layer) -> Iterator[Layer]:
    if isinstance(layer, Composite):
        for child in _children(layer):
            yield from _leaves(child)
    else:
        yield layer


def _stride(conv: Layer, axis: int = 0) -> int:
    stride = getattr(conv, "stride", 1)
    return int(stride[axis] if isinstance(stride, tuple) else stride)


# -- timm NFNet ------------------------------------------------------------------------


def _norm_free(seen: Seen) -> Tensors:
    """``skipinit_gain ()`` of timm's DeepMind NFNets, read from their "same"-padded convolutions.

    ``dm_nfnet_*``, the only timm NFNets made with ``skipinit=True``, are also the
    only ones with TF "same" padding (``ScaledStdConv2dSame``).
    """
    conv = seen.children.get("conv1")
    return [("skipinit_gain", ())] if type(conv).__name__ == "ScaledStdConv2dSame" else []


# -- timm LeViT --------------------------------------------------------------------------

_LEVIT_KEY = {128: 16, 192: 32, 256: 32, 384: 32, 512: 64}
"""LeViT's ``key_dim`` by its first stage's width (timm's model_cfgs: 128S/128 16, 192-384 32,
512 64)."""


def _levit(seen: Seen) -> Tensors:
    """Each attention's ``attention_biases (heads, resolution²)``, stage by stage."""
    stem = _child(seen, "stem")
    stride = math.prod(_stride(conv) for conv in _convs(stem))
    first = _width(stem)
    key = _LEVIT_KEY.get(first)
    if key is None:
        raise LookupError(f"LeViT's key_dim for a first stage {first} wide is not known")
    side = _side(seen, 224, "timm's LeViT") // stride
    for index, stage in enumerate(_children(_child(seen, "stages"))):
        for down in _modules(stage, "AttentionDownsample"):
            heads = _width(dict(down.children()).get("q")) // key
            add_child(down, "attention_biases", Parameter((heads, side * side)))
        if index > 0:
            side = (side - 1) // 2 + 1
        for attention in _modules(stage, "Attention"):
            parts = dict(attention.children())
            qkv, proj = _width(parts.get("qkv")), _width(parts.get("proj"), output=False)
            heads = (qkv - proj) // (2 * key)
            add_child(attention, "attention_biases", Parameter((heads, side * side)))
    return []


def _hf_levit(seen: Seen) -> Tensors:
    """Hugging Face's LeViT: the same tables, each subsampling attention at the end of its stage."""
    embed = seen.siblings.get("patch_embeddings")
    if embed is None:
        raise LookupError("its patch embeddings are not printed")
    first = _width(embed)
    key = _LEVIT_KEY.get(first)
    if key is None:
        raise LookupError(f"LeViT's key_dim for a first stage {first} wide is not known")
    stride = math.prod(_stride(conv) for conv in _convs(embed))
    side = _side(seen, 224, "LevitConfig") // stride
    for stage in _children(_child(seen, "stages")):
        for attention in _modules(stage, "LevitAttention"):
            parts = dict(attention.children())
            qkv = _width(parts.get("queries_keys_values"))
            proj = _width(parts.get("projection"), output=False)
            heads = (qkv - proj) // (2 * key)
            add_child(attention, "attention_biases", Parameter((heads, side * side)))
        subsampling = list(_modules(stage, "LevitAttentionSubsample"))
        for down in subsampling:
            heads = _width(dict(down.children()).get("queries")) // key
            add_child(down, "attention_biases", Parameter((heads, side * side)))
        if subsampling:
            side = (side - 1) // 2 + 1
    return []


# -- timm EfficientFormer, EfficientFormer V2 -------------------------------------------


def _efficientformer(seen: Seen) -> Tensors:
    """V1's last-stage attention: 32-wide keys, 4× values, a bias table fixed at 7×7."""
    qkv = _width(_child(seen, "qkv"))
    proj = _width(_child(seen, "proj"), output=False)
    return [("attention_biases", ((qkv - proj) // 64, 49))]


def _v2_resolution(seen: Seen) -> int:
    """The feature side stage ``i`` of EfficientFormer V2 starts from: image / 2^(i+1)."""
    side = _side(seen, 224, "timm's EfficientFormerV2")
    return -(-side >> (_stage(seen) + 1))  # a shift: fast whatever the printed stage number


def _efficientformer_v2(seen: Seen) -> Tensors:
    heads = _width(_child(seen, "talking_head1"), output=False)
    side = -(-_v2_resolution(seen) // 2)  # after the stage's downsampling
    if "stride_conv" in seen.children:
        side = -(-side // 2)
    return [("attention_biases", (heads, side * side))]


def _efficientformer_v2_down(seen: Seen) -> Tensors:
    heads = _width(_child(seen, "k")) // 16  # Attention2dDownsample's key_dim
    side = _v2_resolution(seen)
    return [("attention_biases", (heads, side * side))]


# -- timm TinyViT ---------------------------------------------------------------------


def _tiny_vit(seen: Seen) -> Tensors:
    """``attention_biases (num_heads, window²)``: both printed by the enclosing TinyVitBlock."""
    heads, window = seen.outer.get("num_heads"), seen.outer.get("window_size")
    if not isinstance(heads, int) or not isinstance(window, int):
        raise LookupError("its TinyVitBlock's num_heads and window_size are not printed")
    return [("attention_biases", (heads, window * window))]


# -- timm XCiT, EdgeNeXt ----------------------------------------------------------------

_XCIT_HEADS = {128: 4, 192: 4, 384: 8, 512: 8, 768: 16}
"""XCiT's heads by width (nano, tiny; small; medium; large)."""
_EDGENEXT_FOUR = {(1, 48), (2, 88), (3, 168), (1, 64), (2, 100), (3, 192)}
"""(stage, width) of EdgeNeXt's xx_small and x_small, the models with 4 heads (others 8)."""


def _temperature(heads: int) -> Tensors:
    return [("temperature", (heads, 1, 1))]


def _xca(seen: Seen) -> Tensors:
    width = _width(_child(seen, "qkv"), output=False)
    if width not in _XCIT_HEADS:
        raise LookupError(f"XCiT's head count for width {width} is not known")
    return _temperature(_XCIT_HEADS[width])


def _edgenext_attention(seen: Seen) -> Tensors:
    width = _width(_child(seen, "qkv"), output=False)
    return _temperature(4 if (_stage(seen), width) in _EDGENEXT_FOUR else 8)


def _scales(child: str, *names: str, output: bool = True) -> ModuleRule:
    def rule(seen: Seen) -> Tensors:
        width = _width(_child(seen, child), output)
        return [(name, (width,)) for name in names]

    return rule


# -- timm MaxxViT / CoAtNet -------------------------------------------------------------


def _maxxvit_window(seen: Seen) -> int:
    """A partition block's window (image / 32), or a CoAtNet block's whole feature map."""
    image = _side(seen, 224, "timm's MaxxVit")
    if ".attn_block." in seen.path or ".attn_grid." in seen.path:
        return max(image // 32, 1)
    side = image // 2  # the stem
    for _ in range(_stage(seen) + 1):
        if side <= 1:
            break
        side = (side - 1) // 2 + 1
    return max(side, 1)


def _maxxvit_rel_pos(tf: bool) -> LeafRule:
    def rule(seen: Seen, layer: Layer | None) -> Tensors:
        qkv = seen.siblings.get("qkv")
        heads = _width(qkv) // 3 // 32  # dim_head 32: MaxxVitTransformerCfg's
        window = _maxxvit_window(seen)
        side = 2 * window - 1
        if tf:
            return [("relative_position_bias_table", (heads, side, side))]
        return [("relative_position_bias_table", (side * side, heads))]

    return rule


# -- timm VOLO, CrossViT ------------------------------------------------------------------


def _volo(seen: Seen) -> Tensors:
    width = _width(_child(seen, "norm"))
    proj = find(seen.children, "Conv2d", "patch_embed.proj")
    if proj is None:
        raise LookupError("its patch embedding is not printed")
    patch = 2 * _stride(proj)  # the stem's stride 2, then the projection's
    grid = _side(seen, 224, "timm's VOLO") // patch // 2  # pooling_scale 2
    found: Tensors = [("pos_embed", (1, grid, grid, width))]
    if "post_network" in seen.children:
        found.append(("cls_token", (1, 1, width)))
    return found


def _crossvit(seen: Seen) -> Tensors:
    """Per branch: ``pos_embed_i (1, 1 + patches, dim)``, ``cls_token_i (1, 1, dim)``.

    timm's CrossViTs see the image at sides ``img`` and ``int(img · 224/240)``.
    """
    branches = _child(seen, "patch_embed")
    image = _side(seen, 240, "timm's CrossViT")
    found: Tensors = []
    scales = (1.0, 224 / 240)
    for index, embed in enumerate(_children(branches)):
        convs = _convs(embed)
        if not convs or index >= len(scales):
            raise LookupError("its patch embeddings are not printed")
        patch = math.prod(_stride(conv) for conv in convs)
        width = _width(convs[-1])
        side = int(image * scales[index]) // patch
        found += [
            (f"pos_embed_{index}", (1, 1 + side * side, width)),
            (f"cls_token_{index}", (1, 1, width)),
        ]
    return found


# -- torchvision MViT ---------------------------------------------------------------------


def _mvit_input(seen: Seen) -> tuple[int, int, int, int]:
    """(embed width, frames, height, width) after the patch convolution, for 16×224×224 clips."""
    conv = seen.siblings.get("conv_proj") or seen.children.get("conv_proj")
    if conv is None:
        raise LookupError("its conv_proj is not printed")
    if seen.image_size is None:
        seen.doubt(
            "position tables are sized for 16-frame 224×224 clips (torchvision's MViT "
            "defaults); set image_size= (--image-size) for another side"
        )
    side = seen.image_size or 224
    return _width(conv), 16 // _stride(conv), side // _stride(conv, 1), side // _stride(conv, 2)


def _mvit_v2(blocks: Layer | None) -> bool:
    """MViT v2 (relative positions) widens inside its attention: qkv takes fewer than a third."""
    for attention in _modules(blocks, "MultiscaleAttention") if blocks is not None else ():
        qkv = dict(attention.children()).get("qkv")
        if qkv is not None and 3 * _width(qkv, output=False) != _width(qkv):
            return True
    return False


def _mvit_encoding(seen: Seen, layer: Layer | None) -> Tensors:
    """``class_token``; MViT v1 also its spatial, temporal and class positions."""
    found: Tensors = [("class_token", (_width(seen.siblings.get("conv_proj")),))]
    if not _mvit_v2(seen.siblings.get("blocks")):
        width, frames, height, side = _mvit_input(seen)
        found += [
            ("spatial_pos", (height * side, width)),
            ("temporal_pos", (frames, width)),
            ("class_pos", (width,)),
        ]
    return found


def _pool_stride(attention: Module, name: str) -> int:
    pool = dict(attention.children()).get(name)
    convs = _convs(pool) if pool is not None else []
    return _stride(convs[0], 1) if convs else 1


def _mvit(seen: Seen) -> Tensors:
    """MViT v2's ``rel_pos_h``/``_w``/``_t`` per attention, as the feature map shrinks."""
    blocks = seen.children.get("blocks")
    if not _mvit_v2(blocks) or blocks is None:
        return []
    _, frames, size, _ = _mvit_input(seen)
    for attention in _modules(blocks, "MultiscaleAttention"):
        pools = [_convs(pool) for name, pool in attention.children() if name.startswith("pool")]
        head = int(getattr(pools[0][0], "in_channels", 0)) if pools and pools[0] else 0
        if not head:
            raise LookupError("MultiscaleAttention's pooling is not printed")
        q_size = size // _pool_stride(attention, "pool_q")
        spatial = 2 * max(q_size, size // _pool_stride(attention, "pool_k")) - 1
        add_child(attention, "rel_pos_h", Parameter((spatial, head)))
        add_child(attention, "rel_pos_w", Parameter((spatial, head)))
        add_child(attention, "rel_pos_t", Parameter((2 * frames - 1, head)))
        size = q_size
    return []


def _none(seen: Seen) -> Tensors:
    return []


TABLE_MODULES: dict[str, ModuleRule] = {
    "NormFreeBlock": _norm_free,
    "Levit": _levit,
    "LevitDistilled": _levit,
    "Levit/Attention": _none,
    "LevitDistilled/Attention": _none,
    "Levit/AttentionDownsample": _none,
    "LevitDistilled/AttentionDownsample": _none,
    "LevitEncoder": _hf_levit,
    "LevitAttention": _none,  # its attention_biases: added by LevitEncoder's rule
    "LevitAttentionSubsample": _none,
    "EfficientFormer/Attention": _efficientformer,
    "EfficientFormerV2/Attention2d": _efficientformer_v2,
    "EfficientFormerV2/Attention2dDownsample": _efficientformer_v2_down,
    "TinyVit/Attention": _tiny_vit,
    "TinyVitBlock": _none,  # its printed num_heads, window_size: read by its Attention
    "TinyVitStage": _none,
    "Xcit": lambda seen: [("cls_token", (1, 1, _width(_child(seen, "norm"))))],
    "Xcit/XCA": _xca,
    "Xcit/XCABlock": _scales("norm1", "gamma1", "gamma3", "gamma2"),
    "Xcit/ClassAttentionBlock": _scales("norm1", "gamma1", "gamma2"),
    "EdgeNeXt/ConvBlock": _scales("mlp", "gamma"),
    "EdgeNeXt/SplitTransposeBlock": _scales("norm_xca", "gamma_xca", "gamma"),
    "EdgeNeXt/CrossCovarianceAttn": _edgenext_attention,
    "VOLO": _volo,
    "CrossVit": _crossvit,
    "MViT": _mvit,
    "MViT/MultiscaleAttention": _none,  # its relative positions: added by MViT's rule
}
"""Printed class name (or ``Root/Class``) -> the tensors it holds itself."""

TABLE_LEAVES: dict[str, tuple[str | None, LeafRule]] = {
    "MViT/PositionalEncoding": (None, _mvit_encoding),
    "MaxxVit/RelPosBias": (None, _maxxvit_rel_pos(tf=False)),
    "MaxxVit/RelPosBiasTf": (None, _maxxvit_rel_pos(tf=True)),
}
"""Leaves printed with no arguments (``PositionalEncoding()``) and the tensors they hold."""
