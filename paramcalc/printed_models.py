"""More of the table of :mod:`paramcalc.printed_classes`: attention variants and fused experts.

Attention modules that hold tensors beside their printed projections
(XLNet's and Funnel's relative attention, RWKV's time mixing, BEiT's and EVA's
q/v biases), the layer scales of timm's BEiT, CaiT and ResMLP, and Hugging
Face's fused mixture-of-experts layers, whose sizes only the config holds:
``read_printed(text, experts=8, expert_width=14336)`` supplies them.

Where a tensor's split into heads is not printed, its shape uses the library's
default head width (64); the count does not depend on it.

>>> "XLNetRelativeAttention" in MORE_MODULES, "Beit/Block" in MORE_MODULES
(True, True)
"""

from __future__ import annotations

from paramcalc.containers import Module
from paramcalc.layer import Composite, Layer
from paramcalc.params import Parameter
from paramcalc.printed_classes import LeafRule, ModuleRule, Seen, Tensors, find
from paramcalc.printed_holding import in_width, out_width
from paramcalc.serial import add_child

__all__ = ["MORE_LEAVES", "MORE_MODULES", "moe_experts", "moe_router"]


def _child_width(seen: Seen, *names: str, output: bool = True) -> int:
    for name in names:
        layer = seen.children.get(name)
        width = (out_width(layer) if output else in_width(layer)) if layer is not None else None
        if width is not None:
            return width
    raise LookupError(f"none of {', '.join(names)} is printed")


def _heads(width: int, head: int = 64) -> tuple[int, int]:
    return (width // head, head) if width % head == 0 else (1, width)


def _xlnet_attention(seen: Seen) -> Tensors:
    width = _child_width(seen, "layer_norm")
    heads = _heads(width)
    found: Tensors = [(name, (width, *heads)) for name in ("q", "k", "v", "o", "r")]
    found += [(name, heads) for name in ("r_r_bias", "r_s_bias", "r_w_bias")]
    return [*found, ("seg_embed", (2, *heads))]


def _funnel_attention(seen: Seen) -> Tensors:
    width = _child_width(seen, "q_head")
    heads = _heads(width)
    return [
        ("r_w_bias", heads),
        ("r_r_bias", heads),
        ("r_kernel", (width, *heads)),
        ("r_s_bias", heads),
        ("seg_embed", (2, *heads)),
    ]


def _rwkv_attention(seen: Seen) -> Tensors:
    hidden = _child_width(seen, "key", output=False)
    inner = _child_width(seen, "key")
    mixes = [(name, (1, 1, hidden)) for name in ("time_mix_key", "time_mix_value")]
    return [
        ("time_decay", (inner,)),
        ("time_first", (inner,)),
        *mixes,
        ("time_mix_receptance", (1, 1, hidden)),
    ]


def _rwkv_feed_forward(seen: Seen) -> Tensors:
    hidden = _child_width(seen, "key", output=False)
    return [("time_mix_key", (1, 1, hidden)), ("time_mix_receptance", (1, 1, hidden))]


def _xlnet_model(seen: Seen) -> Tensors:
    return [("mask_emb", (1, 1, _child_width(seen, "word_embedding")))]


def _patch_side(seen: Seen) -> tuple[int, int]:
    conv = find(seen.children, "Conv2d")
    if conv is None:
        raise LookupError("no patch convolution is printed")
    kernel = getattr(conv, "kernel_size", (16,))
    side = int(kernel[0]) if isinstance(kernel, tuple) else int(kernel)
    return int(getattr(conv, "out_channels", 0)), side


def _image(seen: Seen, what: str) -> int:
    if seen.image_size is None:
        seen.doubt(f"{what} assume 224×224 images; set image_size= (--image-size) for another")
        return 224
    return seen.image_size


def _timm_tokens(class_in_pos: bool, *tokens: str) -> ModuleRule:
    def rule(seen: Seen) -> Tensors:
        hidden, side = _patch_side(seen)
        patches = (_image(seen, "pos_embed rows") // side) ** 2
        rows = patches + (len(tokens) if class_in_pos else 0)
        found: Tensors = [(token, (1, 1, hidden)) for token in tokens]
        return [*found, ("pos_embed", (1, rows, hidden))]

    return rule


def _beit(seen: Seen) -> Tensors:
    hidden, _ = _patch_side(seen)
    return [("cls_token", (1, 1, hidden))]


def _beit_attention(seen: Seen) -> Tensors:
    width = _child_width(seen, "qkv", output=False)
    heads, _ = _heads(width)
    window = _image(seen, "BEiT's relative position tables") // 16
    rows = (2 * window - 1) ** 2 + 3
    return [
        ("q_bias", (width,)),
        ("v_bias", (width,)),
        ("relative_position_bias_table", (rows, heads)),
    ]


def _gammas(child: str, *names: str) -> ModuleRule:
    def rule(seen: Seen) -> Tensors:
        width = _child_width(seen, child)
        return [(name, (width,)) for name in names]

    return rule


def _qv_biases(seen: Seen) -> Tensors:
    width = _child_width(seen, "qkv", "q_proj", output=False)
    return [("q_bias", (width,)), ("v_bias", (width,))]


def _affine(seen: Seen, layer: Layer | None) -> Tensors:
    mlp = seen.siblings.get("mlp_channels")  # ResMLP: the channels, not the tokens beside it
    width = (in_width(mlp) if mlp is not None else None) or seen.need_width()
    return [("alpha", (1, 1, width)), ("beta", (1, 1, width))]


def _learnable_affine(seen: Seen, layer: Layer | None) -> Tensors:
    return [("scale", (1,)), ("bias", (1,))]


def _sinks(seen: Seen) -> Tensors:
    width = _child_width(seen, "q_proj")
    seen.doubt("sinks are read with 64-wide heads (GptOssConfig's head_dim; not printed)")
    return [("sinks", (width // 64,))]


def _gemma3_projector(seen: Seen) -> Tensors:
    vision = _child_width(seen, "mm_soft_emb_norm")
    if seen.hidden is None:
        raise LookupError("the language model's width is not printed")
    return [("mm_input_projection_weight", (vision, seen.hidden))]


def _rglru(seen: Seen, layer: Layer | None) -> Tensors:
    width = seen.need_width()
    heads = 10
    seen.doubt(
        f"RG-LRU gates are read with {heads} heads (RecurrentGemmaConfig's num_attention_heads; "
        "not printed)"
    )
    block = width // heads
    return [
        ("recurrent_param", (width,)),
        ("input_gate_weight", (heads, block, block)),
        ("input_gate_bias", (heads, block)),
        ("recurrent_gate_weight", (heads, block, block)),
        ("recurrent_gate_bias", (heads, block)),
    ]


def _rel_pos(tf: bool) -> LeafRule:
    def rule(seen: Seen, layer: Layer | None) -> Tensors:
        qkv = seen.siblings.get("qkv")
        width = in_width(qkv) if qkv is not None else None
        if width is None:
            raise LookupError("no qkv projection is printed beside it")
        heads = max(width // 32, 1)
        seen.doubt(
            "timm's relative position tables are read with a 7×7 window and 32-wide heads "
            "(neither is printed; timm's maxvit/gcvit defaults)"
        )
        if tf:
            return [("relative_position_bias_table", (heads, 13, 13))]
        return [("relative_position_bias_table", (169, heads))]

    return rule


def _conv(seen: Seen, kind: str = "Conv2d") -> tuple[int, tuple[int, ...], tuple[int, ...]]:
    """(out channels, kernel, stride) of the patch convolution among the children."""
    conv = find(seen.children, kind)
    if conv is None:
        raise LookupError("no patch convolution is printed")
    kernel, stride = getattr(conv, "kernel_size", ()), getattr(conv, "stride", ())
    return int(getattr(conv, "out_channels", 0)), _as_tuple(kernel), _as_tuple(stride)


def _as_tuple(value: object) -> tuple[int, ...]:
    if isinstance(value, tuple):
        return tuple(int(size) for size in value)
    return (int(value),) if isinstance(value, int) else ()


def _ast(seen: Seen) -> Tensors:
    hidden, kernel, stride = _conv(seen)
    rows = ((128 - kernel[0]) // stride[0] + 1) * ((1024 - kernel[-1]) // stride[-1] + 1)
    seen.doubt("position_embeddings are read for 128 mel bins and 1024 frames (ASTConfig's)")
    tokens = [(name, (1, 1, hidden)) for name in ("cls_token", "distillation_token")]
    return [*tokens, ("position_embeddings", (1, rows + 2, hidden))]


def _video(frames: int, owner: str, time: bool) -> ModuleRule:
    def rule(seen: Seen) -> Tensors:
        kind = "Conv2d" if time else "Conv3d"
        hidden, kernel, _ = _conv(seen, kind)
        side = _image(seen, "position embeddings") // kernel[-1]
        seen.doubt(f"video embeddings are read for {frames} frames ({owner}'s num_frames)")
        found: Tensors = [("cls_token", (1, 1, hidden))]
        if time:
            found.append(("position_embeddings", (1, side * side + 1, hidden)))
            return [*found, ("time_embeddings", (1, frames, hidden))]
        patches = frames // kernel[0] * side * side
        return [*found, ("position_embeddings", (1, patches + 1, hidden))]

    return rule


def _pit(seen: Seen) -> Tensors:
    hidden, kernel, stride = _conv(seen)
    side = (_image(seen, "pos_embed") - kernel[-1]) // stride[-1] + 1
    return [("pos_embed", (1, hidden, side, side)), ("cls_token", (1, 1, hidden))]


def _gru_rel_pos(seen: Seen) -> Tensors:
    heads = _child_width(seen, "q_proj") // _child_width(seen, "gru_rel_pos_linear", output=False)
    return [("gru_rel_pos_const", (1, heads, 1, 1))]


def _stages(seen: Seen, name: str) -> list[Layer]:
    stages = seen.children.get(name)
    if not isinstance(stages, Composite):
        raise LookupError(f"its {name} are not printed")
    return [stage for _, stage in stages.children()]


def _cvt_encoder(seen: Seen) -> Tensors:
    last = _stages(seen, "stages")[-1]
    width = out_width(last) if isinstance(last, Module) else None
    if width is None or not isinstance(last, Module):
        raise LookupError("its last stage is not printed")
    seen.doubt("CvtStage: the class token is read on the last stage only (CvtConfig's cls_token)")
    add_child(last, "cls_token", Parameter((1, 1, width)))
    return []


def _pvt_encoder(seen: Seen) -> Tensors:
    stages = _stages(seen, "patch_embeddings")
    side = _image(seen, "PVT position embeddings")
    for index, stage in enumerate(stages):
        conv = find({"stage": stage}, "Conv2d")
        stride = getattr(conv, "stride", None)
        if not isinstance(stage, Module) or conv is None or not isinstance(stride, tuple):
            raise LookupError("its patch embeddings are not printed")
        side //= int(stride[0])
        width = int(getattr(conv, "out_channels", 0))
        last = index == len(stages) - 1
        add_child(stage, "position_embeddings", Parameter((1, side * side + last, width)))
        if last:
            add_child(stage, "cls_token", Parameter((1, 1, width)))
    return []


def _tnt(seen: Seen) -> Tensors:
    pixel = seen.children.get("pixel_embed")
    unfold = find({"pixel": pixel}, "Unfold") if pixel is not None else None
    conv = find({"pixel": pixel}, "Conv2d") if pixel is not None else None
    kernel = getattr(unfold, "kernel_size", None)
    stride = getattr(conv, "stride", None)
    if not isinstance(kernel, tuple) or not isinstance(stride, tuple):
        raise LookupError("its pixel embedding is not printed")
    patch, inner = int(kernel[0]), int(getattr(conv, "out_channels", 0))
    width = _child_width(seen, "proj")
    side = -(-patch // int(stride[0]))
    rows = (_image(seen, "patch_pos") // patch) ** 2 + 1
    return [
        ("cls_token", (1, 1, width)),
        ("patch_pos", (1, rows, width)),
        ("pixel_pos", (1, inner, side, side)),
    ]


_YOLOS = (512, 864)  # YolosConfig's image_size


def _yolos_rows(seen: Seen, patch: int) -> int:
    if seen.image_size is not None:
        return (seen.image_size // patch) ** 2 + 101
    seen.doubt(
        "YOLOS position embeddings are read for 512×864 images and 100 detection tokens "
        "(YolosConfig's); set image_size= for square images"
    )
    return (_YOLOS[0] // patch) * (_YOLOS[1] // patch) + 101


def _yolos(seen: Seen) -> Tensors:
    hidden, kernel, _ = _conv(seen)
    rows = _yolos_rows(seen, kernel[-1])
    return [
        ("cls_token", (1, 1, hidden)),
        ("detection_tokens", (1, 100, hidden)),
        ("position_embeddings", (1, rows, hidden)),
    ]


_LM_HEADS = """AlbertMLMHead BertGenerationOnlyLMHead BertLMPredictionHead BigBirdLMPredictionHead
BlipTextLMPredictionHead BridgeTowerMLMHead CamembertLMHead CanineLMPredictionHead
Data2VecTextLMHead EntityPredictionHead ErnieLMPredictionHead EsmLMHead FNetLMPredictionHead
FlavaMaskedPredictionHead IBertLMHead JinaEmbeddingsV3LMHead LayoutLMLMPredictionHead
LegacyDebertaLMPredictionHead LegacyDebertaV2LMPredictionHead LongformerLMHead LukeLMHead
LxmertLMPredictionHead MPNetLMHead MarkupLMLMPredictionHead MegatronBertLMPredictionHead
MobileBertLMPredictionHead MraLMPredictionHead NomicBertLMPredictionHead
NystromformerLMPredictionHead RoCBertLMPredictionHead RoFormerLMPredictionHead
RobertaLMHead RobertaPreLayerNormLMHead SqueezeBertLMPredictionHead TapasLMPredictionHead
VisualBertLMPredictionHead XLMRobertaLMHead XLMRobertaXLLMHead XmodLMHead YosoLMPredictionHead"""


def _lm_head(seen: Seen) -> Tensors:
    """A masked-LM head's own ``bias`` (vocab,): transformers ties ``decoder.bias`` to it.

    The tie (``_tied_weights_keys``) holds when the head's weight is tied to the
    input embedding, as :func:`~paramcalc.printed_ties.tie_printed` decides.
    """
    return [("bias", (_child_width(seen, "decoder"),))]


def _yolos_mid(seen: Seen, layer: Layer | None) -> Tensors:
    layers = seen.siblings.get("layer")
    count = getattr(layers, "n", None) or len(list(getattr(layers, "children", list)()))
    hidden = out_width(layers) if layers is not None else None
    if not count or hidden is None:
        raise LookupError("its encoder layers are not printed")
    rows = _yolos_rows(seen, 16)
    return [("mid_position_embeddings", (count - 1, 1, rows, hidden))]


MORE_MODULES: dict[str, ModuleRule] = {
    "TNT": _tnt,
    "YolosEmbeddings": _yolos,
    "ASTEmbeddings": _ast,
    "VivitEmbeddings": _video(32, "VivitConfig", time=False),
    "TimesformerEmbeddings": _video(8, "TimesformerConfig", time=True),
    "PoolingVisionTransformer": _pit,
    "WavLMAttention": _gru_rel_pos,
    "ReformerOnlyLMHead": _lm_head,
    **dict.fromkeys(_LM_HEADS.split(), _lm_head),
    "CvtEncoder": _cvt_encoder,
    "CvtStage": lambda seen: [],
    "PvtEncoder": _pvt_encoder,
    "PvtPatchEmbeddings": lambda seen: [],
    "StarReLU": lambda seen: [("scale", (1,)), ("bias", (1,))],
    "GptOssAttention": _sinks,
    "Gemma3MultiModalProjector": _gemma3_projector,
    "XLNetRelativeAttention": _xlnet_attention,
    "XLNetModel": _xlnet_model,
    "FunnelRelMultiheadAttention": _funnel_attention,
    "RwkvSelfAttention": _rwkv_attention,
    "RwkvFeedForward": _rwkv_feed_forward,
    "Beit": _beit,
    "Beit/Block": _gammas("norm1", "gamma_1", "gamma_2"),
    "Beit/Attention": _beit_attention,
    "Eva": _timm_tokens(True, "cls_token"),
    "EvaAttention": _qv_biases,
    "Cait": _timm_tokens(False, "cls_token"),
    "LayerScaleBlock": _gammas("norm1", "gamma_1", "gamma_2"),
    "LayerScaleBlockClassAttn": _gammas("norm1", "gamma_1", "gamma_2"),
    "ConVit": _timm_tokens(False, "cls_token"),
    "GPSA": lambda seen: [("gating_param", (_child_width(seen, "pos_proj"),))],
    "MlpMixer/ResBlock": _gammas("mlp_channels", "ls1", "ls2"),
}
"""Printed class name (or ``Root/Class`` where a name means different things) -> own tensors."""

MORE_LEAVES: dict[str, tuple[str | None, LeafRule]] = {
    "Affine": (None, _affine),
    "LearnableAffineBlock": (None, _learnable_affine),
    "RecurrentGemmaRglru": (None, _rglru),
    "RelPosBiasTf": (None, _rel_pos(tf=True)),
    "InterpolateMidPositionEmbeddings": (None, _yolos_mid),
    "RelPosBias": (None, _rel_pos(tf=False)),
}


_OPTIONS = "pass experts= and expert_width= (--experts, --expert-width) to count them"


def moe_router(seen: Seen, layer: Layer | None) -> Tensors:
    """A fused MoE router ``XTopKRouter()``: weight ``(experts, hidden)`` (and GPT-OSS's bias)."""
    if seen.experts is None or seen.hidden is None:
        raise LookupError(f"fused mixture-of-experts layers print no sizes: {_OPTIONS}")
    found: Tensors = [("weight", (seen.experts, seen.hidden))]
    if seen.kind.startswith("GptOss"):
        found.append(("bias", (seen.experts,)))
    return found


def moe_experts(seen: Seen) -> Tensors:
    """Fused experts: ``gate_up_proj (E, 2I, H)`` and ``down_proj (E, H, I)`` (GPT-OSS: biases)."""
    experts, width, hidden = seen.experts, seen.expert_width, seen.hidden
    if experts is None or width is None or hidden is None:
        raise LookupError(f"fused mixture-of-experts layers print no sizes: {_OPTIONS}")
    if seen.kind.startswith("GptOss"):
        return [
            ("gate_up_proj", (experts, hidden, 2 * width)),
            ("gate_up_proj_bias", (experts, 2 * width)),
            ("down_proj", (experts, width, hidden)),
            ("down_proj_bias", (experts, hidden)),
        ]
    return [("gate_up_proj", (experts, 2 * width, hidden)), ("down_proj", (experts, hidden, width))]
