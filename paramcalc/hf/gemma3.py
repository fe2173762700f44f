"""Gemma 3 multimodal (``model_type: gemma3``): language model, SigLIP vision tower, projector.

As ``transformers`` 5.23's ``Gemma3ForConditionalGeneration`` builds it:
``model.vision_tower`` (a SigLIP vision model, :func:`~paramcalc.hf.vision.siglip_vision`),
``model.multi_modal_projector`` (an RMS norm over the vision width and a
``(vision width, text width)`` projection matrix, after an average pool of
the patch grid to ``mm_tokens_per_image`` tokens), ``model.language_model``
(a ``Gemma3TextModel``, built by the ``gemma3_text`` builder of
:mod:`paramcalc.hf.dense`) and ``lm_head``, tied to the token table.

The sub-configs take their config classes' defaults for the keys they leave
out (published Gemma 3 configs leave out most), as ``Gemma3TextConfig`` and
``SiglipVisionConfig`` do. The walk reads token ids; the vision tower is
walked on one image of ``(num_channels, image_size, image_size)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

from paramcalc.errors import ConfigError
from paramcalc.hf.blocks import named
from paramcalc.hf.config import HFConfig
from paramcalc.hf.dense import build_gemma3_text
from paramcalc.hf.heads import num_labels
from paramcalc.hf.parts import head, model
from paramcalc.hf.vision import siglip_vision
from paramcalc.layer import Layer, Visit
from paramcalc.shapes import Shape
from paramcalc.zoo import _nn as pc
from paramcalc.zoo._common import Net

__all__ = ["Gemma3Multimodal", "build_gemma3"]

TEXT_DEFAULTS = {
    "vocab_size": 262_208,
    "hidden_size": 2304,
    "intermediate_size": 9216,
    "num_hidden_layers": 26,
    "num_attention_heads": 8,
    "num_key_value_heads": 4,
    "head_dim": 256,
}
"""``Gemma3TextConfig``'s default sizes (``configuration_gemma3.py``)."""

VISION_DEFAULTS = {"model_type": "siglip_vision_model"}
"""What ``Gemma3Config`` gives a vision config that leaves it out (``SiglipVisionConfig``'s
defaults do the rest: published configs say ``vision_use_head: false``)."""


@dataclass(frozen=True, init=False, repr=False, eq=False)
class Gemma3Multimodal(Net):
    """``Gemma3Model``'s forward: the vision tower on one image, the projector, the text model."""

    image: tuple[int, int, int] = field(default=(3, 896, 896))

    def __init__(
        self,
        modules: dict[str, Layer],
        steps: None = None,
        *,
        image: tuple[int, int, int] = (3, 896, 896),
    ) -> None:
        super().__init__(modules, steps)
        object.__setattr__(self, "image", image)

    def forward_shapes(self, visit: Visit, shape: Shape | None) -> Shape | None:
        visit("vision_tower", self.module("vision_tower"), self.image)
        visit("multi_modal_projector", self.module("multi_modal_projector"), None)
        return visit("language_model", self.module("language_model"), shape)


def build_gemma3(config: HFConfig) -> Layer:
    """``Gemma3ForConditionalGeneration``, ``Gemma3Model`` or ``…ForSequenceClassification``."""
    heads = ("Model", "ForConditionalGeneration", "ForSequenceClassification")
    suffix = head(config, "Gemma3", heads)
    config.ignore("boi_token_index", "eoi_token_index", "image_token_index", "initializer_range")
    text = config.sub("text_config", optional=True)
    text.data = {**TEXT_DEFAULTS, "model_type": "gemma3_text", **text.data}
    text.data["architectures"] = ["Gemma3TextModel"]
    language = build_gemma3_text(text)
    vision_config = config.sub("vision_config", optional=True)
    vision_config.data = {**VISION_DEFAULTS, **vision_config.data}
    vision_config.ignore("model_type")
    vision = siglip_vision(vision_config)
    width = vision_config.size("hidden_size", 768)  # read again, with siglip_vision's defaults
    size = vision_config.size("image_size", 224)
    patch = vision_config.size("patch_size", 16)
    channels = vision_config.size("num_channels", 3)
    eps = vision_config.option("layer_norm_eps", 1e-6)
    text_width = text.size("hidden_size")
    tokens = config.size("mm_tokens_per_image", 256)
    side = round(tokens**0.5)
    patches = size // patch
    if side * side != tokens or side > patches or patches // side == 0:
        raise ConfigError(
            f"from_hf_config: {config.where}: `mm_tokens_per_image` must be a square of at most "
            f"(image_size // patch_size)² tokens. Received: mm_tokens_per_image={tokens}, "
            f"image_size={size}, patch_size={patch}."
        )
    kernel = patches // side
    projector = model(
        "Gemma3MultiModalProjector",
        {
            "mm_input_projection_weight": pc.Parameter((width, text_width)),
            "mm_soft_emb_norm": pc.RMSNorm(width, eps=eps),
            "avg_pool": pc.AvgPool2d(kernel, stride=kernel),
        },
        ["avg_pool", "mm_soft_emb_norm"],
    )
    body = cast(type[Gemma3Multimodal], named("Gemma3Model", Gemma3Multimodal))(
        {"vision_tower": vision, "multi_modal_projector": projector, "language_model": language},
        image=(channels, size, size),
    )
    if suffix == "Model":
        return body
    if suffix == "ForSequenceClassification":
        score = pc.Linear(text_width, num_labels(config), bias=False)
        return model("Gemma3ForSequenceClassification", {"model": body, "score": score})
    tie = config.option("tie_word_embeddings", True)
    lm_head: Layer = pc.Linear(text_width, text.size("vocab_size"), bias=False)
    if tie:
        lm_head = lm_head.tied_to("model.language_model.embed_tokens.weight")
    return model("Gemma3ForConditionalGeneration", {"model": body, "lm_head": lm_head})
