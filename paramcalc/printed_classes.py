"""Well-known module classes whose ``print(model)`` line does not show all they hold.

One table, by printed class name, of the classes of torchvision, timm and
Hugging Face transformers that print differently from what they hold:

* :data:`AS_LAYER`: subclasses that print as a paramcalc layer and hold
  exactly its tensors (``LlamaRMSNorm((4096,), eps=1e-06)`` is an RMSNorm,
  ``FalconLinear(...)`` a Linear, ``Conv3DSimple(...)`` a Conv3d);
* :data:`LEAVES`: classes that print as a layer, or with no arguments at all,
  and hold tensors the line does not show (``ScaledStdConv2d``'s ``gain``,
  ``T5LayerNorm()``'s weight, layer scales), computed from the printed
  dimensions or the width of the layers beside them;
* :data:`MODULES`: modules printed with children that hold tensors of their
  own (ViT's class token and position embedding, Swin's relative position
  tables, ``logit_scale``, Mamba's ``A_log`` and ``D``).

Where the text does not determine a shape (an image size, a window size, a
head count, the experts of a fused MoE layer) the rule takes the default of
the library that prints the class and says so in a warning.

>>> AS_LAYER["FalconLinear"], AS_LAYER["BatchNormAct2d"], AS_LAYER["Conv3DSimple"]
('Linear', 'BatchNorm2d', 'Conv3d')
>>> LEAVES["ScaledStdConv2d"][0], "ViTEmbeddings" in MODULES
('Conv2d', True)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from paramcalc.layer import Composite, Layer
from paramcalc.printed_holding import Holding, in_width, out_width
from paramcalc.shapes import Shape

__all__ = [
    "AS_LAYER",
    "FROZEN",
    "FROZEN_AT",
    "LEAVES",
    "MODULES",
    "Seen",
    "base_by_name",
    "norm_rule",
]

FROZEN = frozenset({("ViTMAEEmbeddings", "position_embeddings")})
"""(class, tensor) pairs held with ``requires_grad=False`` (fixed sin-cos tables)."""
FROZEN_AT = {"Whisper": "encoder.embed_positions"}
"""Top-level class prefix -> the path of an embedding it freezes (Whisper's encoder
positions are a fixed sinusoid printed as a plain ``Embedding``; its decoder's learn)."""

Tensors = list[tuple[str, Shape]]


@dataclass
class Seen:
    """What a rule sees of one printed module: its line, its children, its neighbours."""

    kind: str
    path: str
    args: tuple[object, ...] = ()
    kwargs: Mapping[str, object] = field(default_factory=dict)
    children: Mapping[str, Layer] = field(default_factory=dict)
    siblings: Mapping[str, Layer] = field(default_factory=dict)
    width: int | None = None  # the feature width of the layers beside it
    image_size: int | None = None
    hidden: int | None = None  # the model's width: its first embedding's
    experts: int | None = None
    expert_width: int | None = None
    root: str = ""
    outer: Mapping[str, object] = field(default_factory=dict)  # arguments printed around it
    doubts: list[str] = field(default_factory=list)

    def doubt(self, message: str) -> None:
        """Record that a shape was taken from a default the text does not show."""
        self.doubts.append(f"{self.kind}: {message}")

    def need_width(self) -> int:
        """The neighbouring feature width; :class:`LookupError` when there is none."""
        if self.width is None:
            raise LookupError(f"the width of {self.kind} is not printed nor seen beside it")
        return self.width

    def image(self, default: int, owner: str) -> int:
        """The image side: the ``image_size`` option, else ``default`` with a doubt."""
        if self.image_size is not None:
            return self.image_size
        self.doubt(
            f"position embeddings assume {default}×{default} images (the default of {owner}); "
            f"set image_size= (--image-size) for another size"
        )
        return default


def _leaves(layer: Layer) -> Iterator[tuple[str, Layer]]:
    if isinstance(layer, Composite):
        for name, child in layer.children():
            for sub, leaf in _leaves(child):
                yield (f"{name}.{sub}" if sub else name), leaf
    else:
        yield "", layer


def find(layers: Mapping[str, Layer], kind: str, name: str = "") -> Layer | None:
    """The first leaf of type ``kind`` (whose path ends with ``name``) among ``layers``."""
    for top, layer in layers.items():
        for sub, leaf in _leaves(layer):
            base = leaf.layer if isinstance(leaf, Holding) and leaf.layer is not None else leaf
            path = f"{top}.{sub}" if sub else top
            if type(base).__name__ == kind and path.endswith(name):
                return base
    return None


def _int(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, tuple) and value and isinstance(value[0], int):
        return int(value[0])
    raise LookupError(f"expected a size, found {value!r}")


# -- classes that are a paramcalc layer under another name ---------------------------

_EMBEDDINGS = """BartLearnedPositionalEmbedding BartScaledWordEmbedding
BioGptLearnedPositionalEmbedding
BioGptScaledWordEmbedding BlenderbotLearnedPositionalEmbedding BlenderbotScaledWordEmbedding
Gemma2TextScaledWordEmbedding Gemma3TextScaledWordEmbedding GemmaTextScaledWordEmbedding
LEDLearnedPositionalEmbedding M2M100ScaledWordEmbedding MBartLearnedPositionalEmbedding
MBartScaledWordEmbedding MarianSinusoidalPositionalEmbedding NllbMoeScaledWordEmbedding
OPTLearnedPositionalEmbedding PegasusSinusoidalPositionalEmbedding ProphetNetPositionalEmbeddings
WhisperPositionalEmbedding PLBartScaledWordEmbedding PLBartLearnedPositionalEmbedding
BlenderbotSmallLearnedPositionalEmbedding TrOCRLearnedPositionalEmbedding
TrOCRScaledWordEmbedding XGLMScaledWordEmbedding Speech2TextScaledWordEmbedding
MvpLearnedPositionalEmbedding Kosmos2TextScaledWordEmbedding LEDScaledWordEmbedding
Gemma3nTextScaledWordEmbedding T5GemmaScaledWordEmbedding"""

_LAYER_NORMS = """ConvNextLayerNorm ConvNextV2LayerNorm BeitLayerNorm LayerNorm2d LayerNormFp32
LayerNorm2dFp32 RmsNorm2d Dinov2LayerNorm FocalNetLayerNorm DinatLayerNorm
MaskFormerSwinLayerNorm Data2VecVisionLayerNorm"""

_CONV = {
    "Conv2d": """EfficientNetDepthwiseConv2d WeightStandardizedConv2d StdConv2d StdConv2dSame
        Conv2dSame Conv2dNormActivation_ MobileViTConvLayer_ CondConv2d_""",
    "Conv3d": "Conv3DSimple Conv3DNoTemporal",
    "Conv1d": "SEWSamePadLayer_",
    "Linear": "FalconLinear NonDynamicallyQuantizableLinear LinearNoBias_",
    "GroupNorm": "PoolFormerGroupNorm GroupNorm1 GroupNorm1d_",
    "BatchNorm2d": "FrozenBatchNorm2d_",
}

AS_LAYER: dict[str, str] = dict.fromkeys(_EMBEDDINGS.split(), "Embedding")
"""Printed class name -> the paramcalc layer it is, built from its printed arguments."""
AS_LAYER.update(dict.fromkeys(_LAYER_NORMS.split(), "LayerNorm"))
for _base, _names in _CONV.items():
    AS_LAYER.update({name: _base for name in _names.split() if not name.endswith("_")})
AS_LAYER.update(
    {
        "BatchNormAct2d": "BatchNorm2d",  # timm: a norm printed with its activation as children
        "SyncBatchNormAct": "BatchNorm2d",
        "FrozenBatchNormAct2d": "BatchNorm2d",
        "GroupNormAct": "GroupNorm",
        "GroupNorm1Act": "GroupNorm",
        "LayerNormAct": "LayerNorm",
        "LayerNormAct2d": "LayerNorm",
        "BitGroupNormActivation": "GroupNorm",
        "LayerNorm2dNoBias": "LayerNorm",
        "LayerNormNoBias": "LayerNorm",
        "GroupNorm1NoBias": "GroupNorm",
    }
)
AS_LAYER["RmsNorm"] = "RMSNorm"
AS_LAYER["RmsNorm2d"] = "RMSNorm"
AS_LAYER["SimpleNorm"] = "RMSNorm"

_SUFFIXES = (
    "ConvTranspose3d", "ConvTranspose2d", "ConvTranspose1d", "BatchNorm1d", "BatchNorm2d",
    "BatchNorm3d", "InstanceNorm2d", "GroupNorm", "LayerNorm", "RMSNorm", "Embedding",
    "Conv3d", "Conv2d", "Conv1d", "Linear",
)  # fmt: skip


def base_by_name(kind: str) -> str | None:
    """The paramcalc layer a class name ends with (``MyConv2d`` -> ``Conv2d``), if any.

    A guess by name only: the reader builds it from the printed arguments and
    warns that a subclass may hold more.

    >>> base_by_name("MyFancyConv2d"), base_by_name("Block")
    ('Conv2d', None)
    """
    lower = kind.lower()
    for suffix in _SUFFIXES:
        if lower.endswith(suffix.lower()) and len(kind) > len(suffix):
            return suffix
    if lower.endswith(("rmsnorm2d", "layernorm2d")):
        return "LayerNorm"
    return None


def norm_rule(kind: str) -> bool:
    """Whether ``kind`` prints as Hugging Face's RMSNorm: ``XRMSNorm((4096,), eps=1e-06)``.

    Their ``extra_repr`` is ``f"{tuple(self.weight.shape)}, eps={eps}"``, so the
    printed shape is the weight's.

    >>> norm_rule("LlamaRMSNorm"), norm_rule("RMSNorm")
    (True, False)
    """
    return kind.endswith(("RMSNorm", "RmsNorm")) and kind not in ("RMSNorm",)


# -- leaves that hold tensors their line does not show -------------------------------

LeafRule = Callable[[Seen, Layer | None], Tensors]


def _gain(seen: Seen, layer: Layer | None) -> Tensors:
    return [("gain", (_int(getattr(layer, "out_channels", None)), 1, 1, 1))]


def _weight(seen: Seen, layer: Layer | None) -> Tensors:
    return [("weight", (seen.need_width(),))]


def _weight_bias(seen: Seen, layer: Layer | None) -> Tensors:
    width = seen.need_width()
    return [("weight", (width,)), ("bias", (width,))]


def _grn(seen: Seen, layer: Layer | None) -> Tensors:
    width = seen.need_width()
    return [("weight", (1, 1, 1, width)), ("bias", (1, 1, 1, width))]


def _grn_timm(seen: Seen, layer: Layer | None) -> Tensors:
    width = seen.need_width()
    return [("weight", (width,)), ("bias", (width,))]


def _named(name: str, channels_last: bool = True) -> LeafRule:
    def rule(seen: Seen, layer: Layer | None) -> Tensors:
        width = seen.need_width()
        return [(name, (width,) if channels_last else (width, 1, 1))]

    return rule


def _hf_swin_table(seen: Seen, layer: Layer | None) -> Tensors:
    width = seen.need_width()
    heads = max(width // 32, 1)
    seen.doubt(
        "relative_position_bias_table is read with a 7×7 window and 32-wide heads "
        "(169 × width/32), the defaults of SwinConfig (neither is printed)"
    )
    return [("relative_position_bias_table", (169, heads))]


def _router(seen: Seen, layer: Layer | None) -> Tensors:
    raise LookupError(
        "a fused mixture-of-experts router prints no sizes: its weight (experts, hidden) "
        "is not counted"
    )


LEAVES: dict[str, tuple[str | None, LeafRule]] = {
    "ScaledStdConv2d": ("Conv2d", _gain),
    "ScaledStdConv2dSame": ("Conv2d", _gain),
    "T5LayerNorm": (None, _weight),
    "MT5LayerNorm": (None, _weight),
    "UMT5LayerNorm": (None, _weight),
    "SwitchTransformersLayerNorm": (None, _weight),
    "Pop2PianoLayerNorm": (None, _weight),
    "LongT5LayerNorm": (None, _weight),
    "CohereLayerNorm": (None, _weight),
    "DebertaLayerNorm": (None, _weight_bias),
    "NoNorm": (None, _weight_bias),
    "ConvNextV2GRN": (None, _grn),
    "GlobalResponseNorm": (None, _grn_timm),
    "Dinov2LayerScale": (None, _named("lambda1")),
    "LayerScale": (None, _named("gamma")),
    "LayerScale2d": (None, _named("gamma")),
    "SwinRelativePositionBias": (None, _hf_swin_table),
    "Scale": (None, _named("scale")),
}
"""Printed class name -> (the paramcalc layer its line builds, or None; the unseen tensors)."""


# -- modules printed with children that hold tensors of their own --------------------

ModuleRule = Callable[[Seen], Tensors]


def _patch(seen: Seen) -> tuple[int, int, int]:
    """(channels, patch side, patches per side) from the patch convolution among children."""
    conv = find(seen.children, "Conv2d") or find(seen.siblings, "Conv2d")
    if conv is None:
        raise LookupError("no patch convolution is printed beside it")
    kernel = getattr(conv, "kernel_size", 16)
    side = int(kernel[0] if isinstance(kernel, tuple) else kernel)
    return _int(getattr(conv, "out_channels", None)), side, side


def _vit(
    tokens: tuple[str, ...], default: int = 224, owner: str = "ViTConfig", mask: str = ""
) -> ModuleRule:
    def rule(seen: Seen) -> Tensors:
        hidden, side, _ = _patch(seen)
        patches = (seen.image(default, owner) // side) ** 2
        found: Tensors = [(token, (1, 1, hidden)) for token in tokens]
        if mask:
            found.append(("mask_token", (1, hidden) if mask == "2d" else (1, 1, hidden)))
        found.append(("position_embeddings", (1, patches + len(tokens), hidden)))
        return found

    return rule


def _class_embedding(seen: Seen) -> Tensors:
    hidden, _, _ = _patch(seen)
    return [("class_embedding", (hidden,))]


def _blip_embeddings(seen: Seen) -> Tensors:
    hidden, side, _ = _patch(seen)
    patches = (seen.image(384, "BlipVisionConfig") // side) ** 2
    return [("class_embedding", (1, 1, hidden)), ("position_embedding", (1, patches + 1, hidden))]


def _scalar(*names: str, shape: Shape = ()) -> ModuleRule:
    return lambda seen: [(name, shape) for name in names]


def _probe(seen: Seen) -> Tensors:
    norm = find(seen.children, "LayerNorm")
    return [("probe", (1, 1, _int(getattr(norm, "normalized_shape", None))))]


def _masked_spec(seen: Seen) -> Tensors:
    projection = seen.children.get("feature_projection")
    width = out_width(projection) if projection is not None else None
    if width is None:
        raise LookupError("no feature projection is printed")
    seen.doubt(
        "masked_spec_embed is counted: it exists when mask_time_prob or mask_feature_prob "
        "is above 0 (the default)"
    )
    return [("masked_spec_embed", (width,))]


def _mamba(seen: Seen) -> Tensors:
    x_proj, dt_proj = seen.children.get("x_proj"), seen.children.get("dt_proj")
    inner = in_width(dt_proj) if dt_proj is not None else None
    width = out_width(dt_proj) if dt_proj is not None else None
    x_out = out_width(x_proj) if x_proj is not None else None
    if inner is None or width is None or x_out is None:
        raise LookupError("x_proj and dt_proj are not printed")
    state = (x_out - inner) // 2
    return [("A_log", (width, state)), ("D", (width,))]


def _layer_scale_hf(name: str, *names: str) -> ModuleRule:
    def rule(seen: Seen) -> Tensors:
        width = out_width(next(iter(seen.children.values()))) if seen.children else None
        if width is None:
            raise LookupError("no layer before the layer scale is printed")
        return [(each, (width,)) for each in (name, *names)]

    return rule


def _cn_block(seen: Seen) -> Tensors:  # torchvision ConvNeXt
    block = seen.children.get("block")
    width = out_width(block) if block is not None else None
    if width is None:
        raise LookupError("its block is not printed")
    return [("layer_scale", (width, 1, 1))]


def _tv_vit(seen: Seen) -> Tensors:  # torchvision VisionTransformer: class_token
    hidden, _, _ = _patch(seen)
    return [("class_token", (1, 1, hidden))]


def _timm_vit(tokens: tuple[str, ...]) -> ModuleRule:
    def rule(seen: Seen) -> Tensors:
        if "conv_proj" in seen.children:
            return _tv_vit(seen)
        hidden, side, _ = _patch(seen)
        patches = ((seen.image_size or 224) // side) ** 2
        size = "" if seen.image_size else " for 224×224 images (set image_size= / --image-size)"
        seen.doubt(
            f"pos_embed is read{size} with one row per patch and class token; timm models "
            f"made with no_embed_class or register tokens (not printed) differ"
        )
        found: Tensors = [(token, (1, 1, hidden)) for token in tokens]
        return [*found, ("pos_embed", (1, patches + len(tokens), hidden))]

    return rule


def _gamma(child: str, *names: str) -> ModuleRule:
    def rule(seen: Seen) -> Tensors:
        layer = seen.children.get(child)
        width = out_width(layer) if layer is not None else None
        if width is None:
            raise LookupError(f"its {child} is not printed")
        return [(name, (width,)) for name in names]

    return rule


def _timm_window(seen: Seen) -> Tensors:
    qkv = seen.children.get("qkv")
    width = in_width(qkv) if qkv is not None else None
    if width is None:
        raise LookupError("no qkv projection is printed")
    heads = max(width // 32, 1)
    if "cpb_mlp" in seen.children:  # Swin V2: q and v biases and a logit scale
        heads = _cpb_heads(seen)
        return [("logit_scale", (heads, 1, 1)), ("q_bias", (width,)), ("v_bias", (width,))]
    seen.doubt(
        "relative_position_bias_table is read with a 7×7 window and 32-wide heads "
        "(169 × width/32) as in timm's swin_*_window7 models (neither is printed)"
    )
    return [("relative_position_bias_table", (169, heads))]


def _qv_bias(seen: Seen) -> Tensors:
    projection = next(iter(seen.children.values()), None)
    width = in_width(projection) if projection is not None else None
    if width is None:
        raise LookupError("no projection is printed")
    return [("q_bias", (width,)), ("v_bias", (width,))]


def _torchvision_encoder(seen: Seen) -> bool:
    """Torchvision's ViT Encoder: beside a ``conv_proj``, its layers named ``encoder_layer_N``."""
    layers = seen.children.get("layers")
    names = [name for name, _ in layers.children()] if isinstance(layers, Composite) else []
    return "conv_proj" in seen.siblings and any(n.startswith("encoder_layer_") for n in names)


def _tv_encoder(seen: Seen) -> Tensors:  # torchvision VisionTransformer's Encoder
    hidden, side, _ = _patch(seen)
    patches = (seen.image(224, "torchvision's VisionTransformer") // side) ** 2
    return [("pos_embedding", (1, patches + 1, hidden))]


def _windows(window: tuple[int, ...], owner: str, v2: bool = False) -> ModuleRule:
    def rule(seen: Seen) -> Tensors:
        qkv = next((layer for layer in seen.children.values()), None)
        width = in_width(qkv) if qkv is not None else None
        if width is None:
            raise LookupError("no projection is printed")
        heads = max(width // 32, 1)
        if v2:
            return [("logit_scale", (_cpb_heads(seen), 1, 1))]
        rows = math.prod(2 * side - 1 for side in window)
        size = "×".join(str(side) for side in window)
        seen.doubt(
            f"relative_position_bias_table is read with a {size} window and 32-wide heads "
            f"({rows} × width/32) as in {owner} (neither is printed)"
        )
        return [("relative_position_bias_table", (rows, heads))]

    return rule


def _cpb_heads(seen: Seen) -> int:
    """Swin V2's head count: the output width of its continuous position bias MLP."""
    for name in ("cpb_mlp", "continuous_position_bias_mlp"):
        mlp = seen.children.get(name)
        heads = out_width(mlp) if mlp is not None else None
        if heads is not None:
            return heads
    raise LookupError("its position bias MLP is not printed")


def _ssd_vgg(seen: Seen) -> Tensors:
    features = seen.children.get("features")
    width = out_width(features) if features is not None else None
    if width is None:
        raise LookupError("its features are not printed")
    return [("scale_weight", (width,))]


def _convnext_hf(seen: Seen) -> Tensors:
    conv = seen.children.get("dwconv") or seen.children.get("depthwise_conv")
    width = out_width(conv) if conv is not None else None
    if width is None:
        raise LookupError("no depthwise convolution is printed")
    seen.doubt(
        "layer_scale_parameter is counted: it exists when layer_scale_init_value > 0 (the default)"
    )
    return [("layer_scale_parameter", (width,))]


def _beit_layer(seen: Seen) -> Tensors:
    norm = seen.children.get("layernorm_before")
    width = out_width(norm) if norm is not None else None
    if width is None:
        raise LookupError("no layer norm is printed")
    seen.doubt("lambda_1 and lambda_2 are counted: they exist when layer_scale_init_value > 0")
    return [("lambda_1", (width,)), ("lambda_2", (width,))]


def _poolformer_layer(seen: Seen) -> Tensors:
    norm = seen.children.get("before_norm")
    width = in_width(norm) if norm is not None else None
    if width is None:
        raise LookupError("no norm is printed")
    return [("layer_scale_1", (width,)), ("layer_scale_2", (width,))]


MODULES: dict[str, ModuleRule] = {
    "ViTEmbeddings": _vit(("cls_token",)),
    "ViTMAEEmbeddings": _vit(("cls_token",), owner="ViTMAEConfig"),
    "DeiTEmbeddings": _vit(("cls_token", "distillation_token"), owner="DeiTConfig"),
    "Dinov2Embeddings": _vit(("cls_token",), owner="Dinov2Config", mask="2d"),
    "BeitEmbeddings": lambda seen: [("cls_token", (1, 1, _patch(seen)[0]))],
    "Data2VecVisionEmbeddings": lambda seen: [("cls_token", (1, 1, _patch(seen)[0]))],
    "CLIPVisionEmbeddings": _class_embedding,
    "OwlViTVisionEmbeddings": _class_embedding,
    "XCLIPVisionEmbeddings": _class_embedding,
    "BlipVisionEmbeddings": _blip_embeddings,
    "CLIPModel": _scalar("logit_scale"),
    "OwlViTModel": _scalar("logit_scale"),
    "BlipModel": _scalar("logit_scale"),
    "AltCLIPModel": _scalar("logit_scale"),
    "SiglipModel": _scalar("logit_scale", "logit_bias", shape=(1,)),
    "Siglip2Model": _scalar("logit_scale", "logit_bias", shape=(1,)),
    "SiglipMultiheadAttentionPoolingHead": _probe,
    "Siglip2MultiheadAttentionPoolingHead": _probe,
    "Wav2Vec2Model": _masked_spec,
    "HubertModel": _masked_spec,
    "WavLMModel": _masked_spec,
    "SEWModel": _masked_spec,
    "UniSpeechModel": _masked_spec,
    "UniSpeechSatModel": _masked_spec,
    "Data2VecAudioModel": _masked_spec,
    "MambaMixer": _mamba,
    "JambaMambaMixer": _mamba,
    "ConvNextLayer": _convnext_hf,
    "ConvNextV2Layer": lambda seen: [],
    "BeitLayer": _beit_layer,
    "Data2VecVisionLayer": _beit_layer,
    "PoolFormerLayer": _poolformer_layer,
    "CNBlock": _cn_block,
    "VisionTransformer": _timm_vit(("cls_token",)),
    "VisionTransformerDistilled": _timm_vit(("cls_token", "dist_token")),
    "ConvNeXtBlock": lambda seen: (
        [] if find(seen.children, "GlobalResponseNorm") else _gamma("conv_dw", "gamma")(seen)
    ),
    "MetaNeXtBlock": _gamma("norm", "gamma"),
    "SwinTransformer/WindowAttention": _timm_window,
    "SwinTransformerV2/WindowAttention": _timm_window,
    "DisentangledSelfAttention": lambda seen: _qv_bias(seen) if "in_proj" in seen.children else [],
    "Encoder": lambda seen: _tv_encoder(seen) if _torchvision_encoder(seen) else [],
    "ShiftedWindowAttention": _windows((7, 7), "torchvision's swin_t/s/b"),
    "ShiftedWindowAttentionV2": _windows((8, 8), "torchvision's swin_v2", v2=True),
    "ShiftedWindowAttention3d": _windows((8, 7, 7), "torchvision's swin3d"),
    "RelativePositionalMultiHeadAttention": _windows((7, 7), "torchvision's maxvit_t"),
    "Swinv2SelfAttention": lambda seen: [("logit_scale", (_cpb_heads(seen), 1, 1))],
    "SSDFeatureExtractorVGG": _ssd_vgg,
}
"""Printed class name -> the tensors a module printed with children holds itself."""
