"""DenseNet and GoogLeNet: networks whose blocks concatenate branches."""

from __future__ import annotations

from dataclasses import dataclass

from paramcalc.graph import Concat, concat_shapes
from paramcalc.layer import Layer, Visit
from paramcalc.shapes import Shape
from paramcalc.zoo import _nn as pc
from paramcalc.zoo._common import (
    Net,
    Step,
    check_choice,
    pooled,
)

# -- DenseNet -----------------------------------------------------------------------


class DenseNet(Net):
    """torchvision's ``DenseNet``."""


class GoogLeNet(Net):
    """torchvision's ``GoogLeNet`` (without the auxiliary classifiers)."""


@dataclass(frozen=True, init=False, repr=False, eq=False)
class DenseBlock(Net):
    """torchvision's ``_DenseBlock``: each layer sees all earlier feature maps, concatenated."""

    merge = "features"
    """Every layer's output lives until the block returns (:mod:`paramcalc.liveset`)."""

    def forward_shapes(self, visit: Visit, shape: Shape | None) -> Shape | None:
        for name, layer in self.modules:
            out = visit(name, layer, shape)
            shape = concat_shapes([("input", shape), (name, out)], 0)
        return shape


def densenet(
    depth: int = 121,
    *,
    growth_rate: int = 32,
    num_init_features: int = 64,
    bn_size: int = 4,
    num_classes: int = 1000,
) -> DenseNet:
    """Torchvision's ``densenet121/161/169/201``: DenseNet-121 has 7,978,856 parameters.

    ``densenet161`` is ``densenet(161, growth_rate=48, num_init_features=96)``.

    >>> densenet(121).params()
    7978856
    """
    configs = {
        121: (6, 12, 24, 16),
        161: (6, 12, 36, 24),
        169: (6, 12, 32, 32),
        201: (6, 12, 48, 32),
    }
    check_choice("densenet", "depth", depth, sorted(configs))
    features: dict[str, Layer] = {
        "conv0": pc.Conv2d(3, num_init_features, kernel_size=7, stride=2, padding=3, bias=False),
        "norm0": pc.BatchNorm2d(num_init_features),
        "relu0": pc.ReLU(inplace=True),
        "pool0": pc.MaxPool2d(kernel_size=3, stride=2, padding=1),
    }
    channels = num_init_features
    blocks = configs[depth]
    for index, count in enumerate(blocks):
        layers: dict[str, Layer] = {}
        for i in range(count):
            cin = channels + i * growth_rate
            layers[f"denselayer{i + 1}"] = pc.Sequential(
                {
                    "norm1": pc.BatchNorm2d(cin),
                    "relu1": pc.ReLU(inplace=True),
                    "conv1": pc.Conv2d(cin, bn_size * growth_rate, 1, stride=1, bias=False),
                    "norm2": pc.BatchNorm2d(bn_size * growth_rate),
                    "relu2": pc.ReLU(inplace=True),
                    "conv2": pc.Conv2d(
                        bn_size * growth_rate, growth_rate, 3, stride=1, padding=1, bias=False
                    ),
                }
            )
        features[f"denseblock{index + 1}"] = DenseBlock(layers)
        channels += count * growth_rate
        if index != len(blocks) - 1:
            features[f"transition{index + 1}"] = pc.Sequential(
                {
                    "norm": pc.BatchNorm2d(channels),
                    "relu": pc.ReLU(inplace=True),
                    "conv": pc.Conv2d(channels, channels // 2, 1, stride=1, bias=False),
                    "pool": pc.AvgPool2d(kernel_size=2, stride=2),
                }
            )
            channels //= 2
    features["norm5"] = pc.BatchNorm2d(channels)
    return DenseNet(
        {"features": pc.Sequential(features), "classifier": pc.Linear(channels, num_classes)},
        [
            "features",
            ("relu()", pc.ReLU()),
            ("adaptive_avg_pool2d(); flatten()", pooled()),
            "classifier",
        ],
    )


# -- GoogLeNet ----------------------------------------------------------------------


class BasicConv2d(Net):
    """Torchvision's GoogLeNet ``BasicConv2d``: conv (no bias), BN (eps 0.001), ReLU."""


def _basic_conv(cin: int, cout: int, kernel: int, stride: int = 1, padding: int = 0) -> BasicConv2d:
    return BasicConv2d(
        {
            "conv": pc.Conv2d(cin, cout, kernel, stride=stride, padding=padding, bias=False),
            "bn": pc.BatchNorm2d(cout, eps=0.001),
        },
        ["conv", "bn", ("relu()", pc.ReLU())],
    )


class Inception(Concat):
    """torchvision's ``Inception``: four branches concatenated along the channels."""


def _inception(
    cin: int, ch1x1: int, ch3x3red: int, ch3x3: int, ch5x5red: int, ch5x5: int, pool_proj: int
) -> Inception:
    return Inception(
        {
            "branch1": _basic_conv(cin, ch1x1, 1),
            "branch2": pc.Sequential(
                _basic_conv(cin, ch3x3red, 1), _basic_conv(ch3x3red, ch3x3, 3, padding=1)
            ),
            # torchvision uses a 3×3 kernel here too (a known quirk kept for its weights)
            "branch3": pc.Sequential(
                _basic_conv(cin, ch5x5red, 1), _basic_conv(ch5x5red, ch5x5, 3, padding=1)
            ),
            "branch4": pc.Sequential(
                pc.MaxPool2d(kernel_size=3, stride=1, padding=1, ceil_mode=True),
                _basic_conv(cin, pool_proj, 1),
            ),
        }
    )


def googlenet(num_classes: int = 1000, dropout: float = 0.2) -> GoogLeNet:
    """Torchvision's ``googlenet(aux_logits=False)``: 6,624,904 parameters.

    >>> googlenet().params()
    6624904
    """

    def pool(kernel: int = 3) -> Layer:
        return pc.MaxPool2d(kernel, stride=2, ceil_mode=True)

    modules: dict[str, Layer] = {
        "conv1": _basic_conv(3, 64, 7, stride=2, padding=3),
        "maxpool1": pool(),
        "conv2": _basic_conv(64, 64, 1),
        "conv3": _basic_conv(64, 192, 3, padding=1),
        "maxpool2": pool(),
        "inception3a": _inception(192, 64, 96, 128, 16, 32, 32),
        "inception3b": _inception(256, 128, 128, 192, 32, 96, 64),
        "maxpool3": pool(),
        "inception4a": _inception(480, 192, 96, 208, 16, 48, 64),
        "inception4b": _inception(512, 160, 112, 224, 24, 64, 64),
        "inception4c": _inception(512, 128, 128, 256, 24, 64, 64),
        "inception4d": _inception(512, 112, 144, 288, 32, 64, 64),
        "inception4e": _inception(528, 256, 160, 320, 32, 128, 128),
        "maxpool4": pool(2),
        "inception5a": _inception(832, 256, 160, 320, 32, 128, 128),
        "inception5b": _inception(832, 384, 192, 384, 48, 128, 128),
        "avgpool": pc.AdaptiveAvgPool2d((1, 1)),
        "dropout": pc.Dropout(p=dropout),
        "fc": pc.Linear(1024, num_classes),
    }
    steps: list[Step] = [*list(modules)[:-2], ("flatten()", pc.Flatten()), "dropout", "fc"]
    return GoogLeNet(modules, steps)
