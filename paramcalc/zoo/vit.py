"""The Vision Transformer (ViT-B/16) and ConvNeXt, named as torchvision names them."""

from __future__ import annotations

from collections.abc import Sequence

from paramcalc.errors import ConfigError, ShapeError
from paramcalc.graph import Repeat
from paramcalc.layer import Layer, Visit
from paramcalc.shapes import Shape
from paramcalc.zoo import _nn as pc
from paramcalc.zoo._common import (
    FirstToken,
    Net,
    Permute,
    ResidualNet,
    StochasticDepth,
    Tokens,
)

# -- Vision Transformer -------------------------------------------------------------


class VisionTransformer(Net):
    """torchvision's ``VisionTransformer``: patches, a class token, encoder blocks, a head."""

    def forward_shapes(self, visit: Visit, shape: Shape | None) -> Shape | None:
        x = visit("conv_proj", self.module("conv_proj"), shape)
        visit("class_token", self.module("class_token"), None)
        x = visit("flatten(2); transpose(); cat(class_token)", Tokens(1), x)
        x = visit("encoder", self.module("encoder"), x)
        x = visit("[:, 0]", FirstToken(), x)
        return visit("heads", self.module("heads"), x)


class EncoderBlock(ResidualNet):
    """Torchvision's ViT ``EncoderBlock``: pre-norm attention and MLP with shortcuts."""


class ViTEncoder(Net):
    """torchvision's ViT ``Encoder``: adds the position table, runs the blocks, normalizes."""

    def forward_shapes(self, visit: Visit, shape: Shape | None) -> Shape | None:
        table = self.module("pos_embedding")
        visit("pos_embedding", table, None)
        expected = tuple(table.parameter_shapes()[0][1][1:])
        if shape is not None and shape != expected:
            raise ShapeError(
                f"adds a position table of shape {expected} to a sequence of shape {shape}"
            )
        for name in ("dropout", "layers", "ln"):
            shape = visit(name, self.module(name), shape)
        return shape


def vit_b_16(
    num_classes: int = 1000,
    *,
    image_size: int = 224,
    patch_size: int = 16,
    num_layers: int = 12,
    num_heads: int = 12,
    hidden_dim: int = 768,
    mlp_dim: int = 3072,
    dropout: float = 0.0,
    attention_dropout: float = 0.0,
) -> VisionTransformer:
    """Torchvision's ``vit_b_16`` (ViT-L/H through the keywords): 86,567,656 parameters.

    >>> vit_b_16().params()
    86567656
    """
    if image_size % patch_size:
        raise ConfigError(
            "vit: `image_size` must be divisible by `patch_size`. "
            f"Received: image_size={image_size}, patch_size={patch_size}."
        )
    length = (image_size // patch_size) ** 2 + 1
    block = EncoderBlock(
        {
            "ln_1": pc.LayerNorm(hidden_dim, eps=1e-6),
            "self_attention": pc.MultiheadAttention(
                hidden_dim, num_heads, dropout=attention_dropout, batch_first=True
            ),
            "dropout": pc.Dropout(dropout),
            "ln_2": pc.LayerNorm(hidden_dim, eps=1e-6),
            "mlp": pc.Sequential(
                pc.Linear(hidden_dim, mlp_dim),
                pc.GELU(),
                pc.Dropout(dropout),
                pc.Linear(mlp_dim, hidden_dim),
                pc.Dropout(dropout),
            ),
        },
        [["ln_1", "self_attention", "dropout"], ["ln_2", "mlp"]],
    )
    encoder = ViTEncoder(
        {
            "pos_embedding": pc.Parameter((1, length, hidden_dim)),
            "dropout": pc.Dropout(dropout),
            "layers": Repeat(block, num_layers, prefix="encoder_layer_"),
            "ln": pc.LayerNorm(hidden_dim, eps=1e-6),
        }
    )
    return VisionTransformer(
        {
            "class_token": pc.Parameter((1, 1, hidden_dim)),
            "conv_proj": pc.Conv2d(3, hidden_dim, kernel_size=patch_size, stride=patch_size),
            "encoder": encoder,
            "heads": pc.Sequential({"head": pc.Linear(hidden_dim, num_classes)}),
        }
    )


# -- ConvNeXt -----------------------------------------------------------------------


class ConvNeXt(Net):
    """torchvision's ``ConvNeXt``."""


class CNBlock(Net):
    """torchvision's ``CNBlock``: depthwise 7×7, LayerNorm, MLP, layer scale, shortcut."""

    def forward_shapes(self, visit: Visit, shape: Shape | None) -> Shape | None:
        out = visit("block", self.module("block"), shape)
        visit("layer_scale", self.module("layer_scale"), None)
        out = visit("stochastic_depth", self.module("stochastic_depth"), out)
        if shape is not None and out is not None and out != shape:
            raise ShapeError(f"adds the block's output {out} to its input {shape}")
        return out


class LayerNorm2d(pc.LayerNorm):
    """torchvision's ``LayerNorm2d``: a LayerNorm over the channels of ``(C, H, W)``.

    >>> LayerNorm2d(96, eps=1e-6).output_shape((96, 56, 56))
    (96, 56, 56)
    """

    def infer_shape(self, shape: Shape) -> Shape:
        channels = self.normalized_shape
        expected = channels[0] if isinstance(channels, tuple) else channels
        if len(shape) != 3 or shape[0] != expected:
            raise ShapeError(f"expects a ({expected}, H, W) input but receives {shape}")
        return shape


def _layer_norm_2d(channels: int) -> Layer:
    return LayerNorm2d(channels, eps=1e-6)


def convnext_tiny(
    num_classes: int = 1000,
    *,
    depths: Sequence[int] = (3, 3, 9, 3),
    dims: Sequence[int] = (96, 192, 384, 768),
    stochastic_depth_prob: float = 0.1,
    layer_scale: float = 1e-6,
) -> ConvNeXt:
    """Torchvision's ``convnext_tiny`` (small/base/large through depths and dims): 28,589,128.

    >>> convnext_tiny().params()
    28589128
    """
    features: list[Layer] = [
        pc.Sequential(
            pc.Conv2d(3, dims[0], kernel_size=4, stride=4, padding=0, bias=True),
            _layer_norm_2d(dims[0]),
        )
    ]
    total = sum(depths)
    block_id = 0
    for stage, (depth, dim) in enumerate(zip(depths, dims, strict=True)):
        blocks: list[Layer] = []
        for _ in range(depth):
            sd_prob = stochastic_depth_prob * block_id / (total - 1.0)
            blocks.append(
                CNBlock(
                    {
                        "block": pc.Sequential(
                            pc.Conv2d(dim, dim, kernel_size=7, padding=3, groups=dim, bias=True),
                            Permute([0, 2, 3, 1]),
                            pc.LayerNorm(dim, eps=1e-6),
                            pc.Linear(dim, 4 * dim, bias=True),
                            pc.GELU(),
                            pc.Linear(4 * dim, dim, bias=True),
                            Permute([0, 3, 1, 2]),
                        ),
                        "layer_scale": pc.Parameter((dim, 1, 1)),
                        "stochastic_depth": StochasticDepth(sd_prob, "row"),
                    }
                )
            )
            block_id += 1
        features.append(pc.Sequential(*blocks))
        if stage + 1 < len(dims):
            features.append(
                pc.Sequential(
                    _layer_norm_2d(dim), pc.Conv2d(dim, dims[stage + 1], kernel_size=2, stride=2)
                )
            )
    return ConvNeXt(
        {
            "features": pc.Sequential(*features),
            "avgpool": pc.AdaptiveAvgPool2d(1),
            "classifier": pc.Sequential(
                _layer_norm_2d(dims[-1]), pc.Flatten(1), pc.Linear(dims[-1], num_classes)
            ),
        }
    )
