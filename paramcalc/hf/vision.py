"""Vision transformers: ViT, CLIP (and its text and vision towers) and the SigLIP vision tower.

Tensors as ``transformers`` 5.23's ``modeling_vit.py``, ``modeling_clip.py``
and ``modeling_siglip.py`` allocate them. The input of a vision model is an
image ``(num_channels, image_size, image_size)``; of a text tower, token ids.

>>> from paramcalc.hf import from_hf_config
>>> vit = from_hf_config({"model_type": "vit", "architectures": ["ViTForImageClassification"],
...     "hidden_size": 768, "intermediate_size": 3072, "num_hidden_layers": 12,
...     "num_attention_heads": 12, "num_labels": 1000})
>>> vit.params(), vit.output_shape((3, 224, 224))
(86567656, (1000,))
"""

from __future__ import annotations

from paramcalc.errors import ConfigError
from paramcalc.graph import Repeat
from paramcalc.hf.config import HFConfig
from paramcalc.hf.heads import num_labels
from paramcalc.hf.parts import WithTables, attention, head, mlp, model, typed
from paramcalc.layer import Layer
from paramcalc.zoo import _nn as pc
from paramcalc.zoo._common import FirstToken, Net, ResidualNet, SelfAttention, Tokens

__all__ = [
    "build_clip",
    "build_clip_text_model",
    "build_clip_vision_model",
    "build_siglip_vision_model",
    "build_vit",
    "siglip_vision",
]

_NO_TENSOR = ("hidden_act", "attention_dropout", "initializer_factor", "initializer_range")


def _patches(config: HFConfig, image_default: int, patch_default: int) -> tuple[int, int, int]:
    """``(num_channels, patch_size, number of patches)`` of a square image."""
    channels = config.size("num_channels", 3)
    image = config.size("image_size", image_default)
    patch = config.size("patch_size", patch_default)
    if image < patch:
        raise ConfigError(
            f"from_hf_config: {config.where}: `image_size` must be at least `patch_size`. "
            f"Received: image_size={image}, patch_size={patch}."
        )
    return channels, patch, (image // patch) ** 2


def _tower_sizes(config: HFConfig, defaults: tuple[int, int, int, int] | None) -> tuple[int, ...]:
    """Width, MLP width, layers, heads: required of a model's config, defaulted in a tower's."""
    if defaults is None:
        return tuple(
            config.size(key)
            for key in (
                "hidden_size",
                "intermediate_size",
                "num_hidden_layers",
                "num_attention_heads",
            )
        )
    hidden, inner, layers, heads = defaults
    return (
        config.size("hidden_size", hidden),
        config.size("intermediate_size", inner),
        config.size("num_hidden_layers", layers),
        config.size("num_attention_heads", heads),
    )


# -- ViT -------------------------------------------------------------------------------


def build_vit(config: HFConfig) -> Layer:
    """``ViTModel`` (with pooler), ``ViTForImageClassification`` or ``…ForMaskedImageModeling``."""
    suffix = head(config, "ViT", ("Model", "ForImageClassification", "ForMaskedImageModeling"))
    width, inner, layers, heads = _tower_sizes(config, None)
    channels, patch, count = _patches(config, 224, 16)
    eps = config.option("layer_norm_eps", 1e-12)
    qkv_bias = config.option("qkv_bias", True)
    config.ignore(*_NO_TENSOR, "hidden_dropout_prob", "attention_probs_dropout_prob")
    biases = "qkvo" if qkv_bias else "o"
    layer = typed("ViTLayer", ResidualNet)(
        {
            "attention": attention(
                "qkvo",
                width,
                heads,
                names=("q_proj", "k_proj", "v_proj", "o_proj"),
                biases=biases,
                kind=typed("ViTAttention", SelfAttention),
            ),
            "layernorm_before": pc.LayerNorm(width, eps=eps),
            "layernorm_after": pc.LayerNorm(width, eps=eps),
            "mlp": mlp(width, inner, name="ViTMLP"),
        },
        [["layernorm_before", "attention"], ["layernorm_after", "mlp"]],
    )
    tables: dict[str, Layer] = {"cls_token": pc.Parameter((1, 1, width))}
    if suffix == "ForMaskedImageModeling":
        tables["mask_token"] = pc.Parameter((1, 1, width))
    tables["position_embeddings"] = pc.Parameter((1, count + 1, width))
    tables["patch_embeddings"] = model(
        "ViTPatchEmbeddings", {"projection": pc.Conv2d(channels, width, patch, stride=patch)}
    )
    modules: dict[str, Layer] = {
        "embeddings": typed("ViTEmbeddings", WithTables)(
            tables, ["patch_embeddings", ("flatten()", Tokens(1))]
        ),
        "layers": Repeat(layer, layers),
        "layernorm": pc.LayerNorm(width, eps=eps),
    }
    if suffix == "Model":
        pooled = config.size("pooler_output_size", width)
        config.choice("pooler_act", "tanh", ("tanh",))  # an activation of no tensor
        modules["pooler"] = model(
            "ViTPooler",
            {"dense": pc.Linear(width, pooled), "activation": pc.Tanh()},
            [("first_token()", FirstToken()), "dense", "activation"],
        )
        return model("ViTModel", modules)
    config.ignore("pooler_output_size", "pooler_act")
    vit = model("ViTModel", modules)
    if suffix == "ForImageClassification":
        config.ignore("encoder_stride")
        labels = num_labels(config)
        classifier: Layer = pc.Linear(width, labels) if labels > 0 else pc.Identity()
        return model(
            "ViTForImageClassification",
            {"vit": vit, "classifier": classifier},
            ["vit", ("first_token()", FirstToken()), "classifier"],
        )
    stride = config.size("encoder_stride", 16)
    decoder = pc.Sequential(pc.Conv2d(width, stride**2 * channels, 1), pc.PixelShuffle(stride))
    return model("ViTForMaskedImageModeling", {"vit": vit, "decoder": decoder}, ["vit"])


# -- CLIP ------------------------------------------------------------------------------


def _clip_layer(width: int, inner: int, heads: int, eps: float) -> ResidualNet:
    return typed("CLIPEncoderLayer", ResidualNet)(
        {
            "self_attn": attention(
                "kvqo", width, heads, kind=typed("CLIPAttention", SelfAttention)
            ),
            "layer_norm1": pc.LayerNorm(width, eps=eps),
            "mlp": mlp(width, inner, name="CLIPMLP"),
            "layer_norm2": pc.LayerNorm(width, eps=eps),
        },
        [["layer_norm1", "self_attn"], ["layer_norm2", "mlp"]],
    )


def _clip_text(config: HFConfig) -> tuple[Net, int]:
    """``CLIPTextModel`` and its width."""
    width, inner, layers, heads = _tower_sizes(config, (512, 2048, 12, 8))
    vocab = config.size("vocab_size", 49408)
    positions = config.size("max_position_embeddings", 77)
    eps = config.option("layer_norm_eps", 1e-5)
    config.ignore(*_NO_TENSOR, "projection_dim", "dropout")
    embeddings = typed("CLIPTextEmbeddings", WithTables)(
        {
            "token_embedding": pc.Embedding(vocab, width),
            "position_embedding": pc.Embedding(positions, width),
        },
        ["token_embedding"],
    )
    network = model(
        "CLIPTextModel",
        {
            "embeddings": embeddings,
            "encoder": model(
                "CLIPEncoder", {"layers": Repeat(_clip_layer(width, inner, heads, eps), layers)}
            ),
            "final_layer_norm": pc.LayerNorm(width, eps=eps),
        },
        ["embeddings", "encoder", "final_layer_norm", ("eos_token()", FirstToken())],
    )
    return network, width


def _clip_vision(config: HFConfig) -> tuple[Net, int]:
    """``CLIPVisionModel`` and its width."""
    width, inner, layers, heads = _tower_sizes(config, (768, 3072, 12, 12))
    channels, patch, count = _patches(config, 224, 32)
    eps = config.option("layer_norm_eps", 1e-5)
    config.ignore(*_NO_TENSOR, "projection_dim", "dropout")
    embeddings = typed("CLIPVisionEmbeddings", WithTables)(
        {
            "class_embedding": pc.Parameter(width),
            "patch_embedding": pc.Conv2d(channels, width, patch, stride=patch, bias=False),
            "position_embedding": pc.Embedding(count + 1, width),
        },
        ["class_embedding", "patch_embedding", ("flatten()", Tokens(1))],
    )
    network = model(
        "CLIPVisionModel",
        {
            "embeddings": embeddings,
            "pre_layrnorm": pc.LayerNorm(width, eps=eps),
            "encoder": model(
                "CLIPEncoder", {"layers": Repeat(_clip_layer(width, inner, heads, eps), layers)}
            ),
            "post_layernorm": pc.LayerNorm(width, eps=eps),
        },
        [
            "embeddings",
            "pre_layrnorm",
            "encoder",
            ("first_token()", FirstToken()),
            "post_layernorm",
        ],
    )
    return network, width


def _clip_sub(config: HFConfig, tower: str) -> HFConfig:
    """``{tower}_config``, or the older ``{tower}_config_dict``, which replaces it when given.

    ``CLIPConfig`` builds a ``CLIP…Config`` from the ``_dict`` (its defaults
    filling the rest) and lets every value of it override ``{tower}_config``.
    """
    if f"{tower}_config_dict" in config:
        config.ignore(f"{tower}_config")
        return config.sub(f"{tower}_config_dict")
    config.ignore(f"{tower}_config_dict")
    return config.sub(f"{tower}_config", optional=True)


def build_clip(config: HFConfig) -> Layer:
    """``CLIPModel`` (towers, projections, ``logit_scale``) or ``CLIPForImageClassification``."""
    suffix = head(config, "CLIP", ("Model", "ForImageClassification"))
    vision, vision_width = _clip_vision(_clip_sub(config, "vision"))
    if suffix == "ForImageClassification":
        config.ignore("text_config", "projection_dim", "logit_scale_init_value")
        labels = num_labels(config)
        classifier: Layer = pc.Linear(vision_width, labels) if labels > 0 else pc.Identity()
        return model(
            "CLIPForImageClassification", {"vision_model": vision, "classifier": classifier}
        )
    text, text_width = _clip_text(_clip_sub(config, "text"))
    projection = config.size("projection_dim", 512)
    config.ignore("logit_scale_init_value", "initializer_factor")
    return model(
        "CLIPModel",
        {
            "logit_scale": pc.Parameter(()),
            "text_model": text,
            "vision_model": vision,
            "visual_projection": pc.Linear(vision_width, projection, bias=False),
            "text_projection": pc.Linear(text_width, projection, bias=False),
        },
        ["vision_model", "visual_projection"],
    )


def build_clip_text_model(config: HFConfig) -> Layer:
    """``CLIPTextModel`` or ``CLIPTextModelWithProjection``."""
    suffix = head(config, "CLIP", ("TextModel", "TextModelWithProjection"), "TextModel")
    projection = config.size("projection_dim", 512)
    text, width = _clip_text(config)
    if suffix == "TextModel":
        return text
    return model(
        "CLIPTextModelWithProjection",
        {"text_model": text, "text_projection": pc.Linear(width, projection, bias=False)},
    )


def build_clip_vision_model(config: HFConfig) -> Layer:
    """``CLIPVisionModel`` or ``CLIPVisionModelWithProjection``."""
    suffix = head(config, "CLIP", ("VisionModel", "VisionModelWithProjection"), "VisionModel")
    projection = config.size("projection_dim", 512)
    vision, width = _clip_vision(config)
    if suffix == "VisionModel":
        return vision
    return model(
        "CLIPVisionModelWithProjection",
        {"vision_model": vision, "visual_projection": pc.Linear(width, projection, bias=False)},
    )


# -- SigLIP ----------------------------------------------------------------------------


def siglip_vision(config: HFConfig) -> Net:
    """``SiglipVisionModel``: patches, position table, pre-norm layers, optional pooling head.

    Also Gemma 3's vision tower (``vision_use_head: false``).
    """
    width, inner, layers, heads = _tower_sizes(config, (768, 3072, 12, 12))
    channels, patch, count = _patches(config, 224, 16)
    eps = config.option("layer_norm_eps", 1e-6)
    use_head = config.option("vision_use_head", True)
    config.ignore(*_NO_TENSOR)
    layer = typed("SiglipEncoderLayer", ResidualNet)(
        {
            "layer_norm1": pc.LayerNorm(width, eps=eps),
            "self_attn": attention(
                "kvqo", width, heads, kind=typed("SiglipAttention", SelfAttention)
            ),
            "layer_norm2": pc.LayerNorm(width, eps=eps),
            "mlp": mlp(width, inner, pc.GELU(approximate="tanh"), "SiglipMLP"),
        },
        [["layer_norm1", "self_attn"], ["layer_norm2", "mlp"]],
    )
    embeddings = typed("SiglipVisionEmbeddings", WithTables)(
        {
            "patch_embedding": pc.Conv2d(channels, width, patch, stride=patch),
            "position_embedding": pc.Embedding(count, width),
        },
        ["patch_embedding", ("flatten()", Tokens())],
    )
    modules: dict[str, Layer] = {
        "embeddings": embeddings,
        "encoder": model("SiglipEncoder", {"layers": Repeat(layer, layers)}),
        "post_layernorm": pc.LayerNorm(width, eps=eps),
    }
    if use_head:
        modules["head"] = model(
            "SiglipMultiheadAttentionPoolingHead",
            {
                "probe": pc.Parameter((1, 1, width)),
                "attention": pc.MultiheadAttention(width, heads, batch_first=True, key_len=count),
                "layernorm": pc.LayerNorm(width, eps=eps),
                "mlp": mlp(width, inner, pc.GELU(approximate="tanh"), "SiglipMLP"),
            },
            [
                ("probe()", FirstToken()),
                ("unsqueeze()", pc.Unflatten(1, (1, width))),
                "attention",
                "layernorm",
                "mlp",
                ("[:, 0]", FirstToken()),
            ],
        )
    return model("SiglipVisionModel", modules)


def build_siglip_vision_model(config: HFConfig) -> Layer:
    """``SiglipVisionModel``."""
    head(config, "Siglip", ("VisionModel",), "VisionModel")
    return siglip_vision(config)
