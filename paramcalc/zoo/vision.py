"""Vision networks, named as torchvision names them.

Every function returns a network whose ``named_parameters()`` equal
torchvision's, name by name and shape by shape, so its totals are the
published ones:

>>> from paramcalc.zoo.vision import resnet
>>> net = resnet(50)
>>> net.params(), net.output_shape((3, 224, 224))
(25557032, (1000,))
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import paramcalc as pc
from paramcalc.errors import ConfigError, ShapeError
from paramcalc.graph import Concat, Repeat, Residual, concat_shapes
from paramcalc.layer import Layer, Visit
from paramcalc.shapes import Shape
from paramcalc.zoo._common import (
    FirstToken,
    Net,
    Permute,
    ResidualNet,
    Step,
    StochasticDepth,
    Tokens,
    pooled,
)

__all__ = [
    "VGG",
    "AlexNet",
    "ConvNeXt",
    "DenseNet",
    "EfficientNet",
    "GoogLeNet",
    "LayerNorm2d",
    "LeNet",
    "MobileNetV2",
    "ResNet",
    "SqueezeNet",
    "VisionTransformer",
    "alexnet",
    "convnext_tiny",
    "densenet",
    "efficientnet_b0",
    "googlenet",
    "lenet5",
    "mobilenet_v2",
    "resnet",
    "squeezenet",
    "vgg",
    "vit_b_16",
]


class LeNet(Net):
    """LeNet-5 as in the seed post."""


class AlexNet(Net):
    """torchvision's ``AlexNet``."""


class VGG(Net):
    """torchvision's ``VGG``."""


class ResNet(Net):
    """torchvision's ``ResNet``."""


class MobileNetV2(Net):
    """torchvision's ``MobileNetV2``."""


class SqueezeNet(Net):
    """torchvision's ``SqueezeNet``."""


class DenseNet(Net):
    """torchvision's ``DenseNet``."""


class GoogLeNet(Net):
    """torchvision's ``GoogLeNet`` (without the auxiliary classifiers)."""


class EfficientNet(Net):
    """torchvision's ``EfficientNet``."""


def _check_choice(model: str, name: str, value: object, options: Sequence[object]) -> None:
    if value not in options:
        listed = ", ".join(repr(option) for option in options)
        raise ConfigError(f"{model}: `{name}` must be one of {listed}. Received: {name}={value!r}.")


def lenet5(num_classes: int = 10) -> LeNet:
    """The seed's LeNet-5 for 1×32×32 images: 61,706 parameters.

    >>> lenet5().params(), lenet5().macs((1, 32, 32))
    (61706, 416520)
    """
    return LeNet(
        {
            "conv1": pc.Conv2d(1, 6, 5),
            "relu1": pc.ReLU(),
            "pool1": pc.MaxPool2d(2),
            "conv2": pc.Conv2d(6, 16, 5),
            "relu2": pc.ReLU(),
            "pool2": pc.MaxPool2d(2),
            "flatten": pc.Flatten(),
            "fc1": pc.Linear(16 * 5 * 5, 120),
            "relu3": pc.ReLU(),
            "fc2": pc.Linear(120, 84),
            "relu4": pc.ReLU(),
            "fc3": pc.Linear(84, num_classes),
        }
    )


def alexnet(num_classes: int = 1000, dropout: float = 0.5) -> AlexNet:
    """Torchvision's ``alexnet()``: 61,100,840 parameters at 1000 classes."""
    return AlexNet(
        {
            "features": pc.Sequential(
                pc.Conv2d(3, 64, kernel_size=11, stride=4, padding=2),
                pc.ReLU(inplace=True),
                pc.MaxPool2d(kernel_size=3, stride=2),
                pc.Conv2d(64, 192, kernel_size=5, padding=2),
                pc.ReLU(inplace=True),
                pc.MaxPool2d(kernel_size=3, stride=2),
                pc.Conv2d(192, 384, kernel_size=3, padding=1),
                pc.ReLU(inplace=True),
                pc.Conv2d(384, 256, kernel_size=3, padding=1),
                pc.ReLU(inplace=True),
                pc.Conv2d(256, 256, kernel_size=3, padding=1),
                pc.ReLU(inplace=True),
                pc.MaxPool2d(kernel_size=3, stride=2),
            ),
            "avgpool": pc.AdaptiveAvgPool2d((6, 6)),
            "classifier": pc.Sequential(
                pc.Dropout(p=dropout),
                pc.Linear(256 * 6 * 6, 4096),
                pc.ReLU(inplace=True),
                pc.Dropout(p=dropout),
                pc.Linear(4096, 4096),
                pc.ReLU(inplace=True),
                pc.Linear(4096, num_classes),
            ),
        },
        ["features", "avgpool", ("flatten()", pc.Flatten()), "classifier"],
    )


_VGG_CONFIGS: dict[int, list[int | str]] = {
    11: [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    13: [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    16: [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    19: [
        64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M",
        512, 512, 512, 512, "M", 512, 512, 512, 512, "M",
    ],
}  # fmt: skip


def vgg(
    depth: int = 16, *, batch_norm: bool = False, num_classes: int = 1000, dropout: float = 0.5
) -> VGG:
    """Torchvision's ``vgg11/13/16/19`` (and ``_bn``): VGG-16 has 138,357,544 parameters.

    >>> vgg(11).params(), vgg(16, batch_norm=True).params()
    (132863336, 138365992)
    """
    _check_choice("vgg", "depth", depth, sorted(_VGG_CONFIGS))
    layers: list[Layer] = []
    channels = 3
    for item in _VGG_CONFIGS[depth]:
        if item == "M":
            layers.append(pc.MaxPool2d(kernel_size=2, stride=2))
            continue
        assert isinstance(item, int)
        layers.append(pc.Conv2d(channels, item, kernel_size=3, padding=1))
        if batch_norm:
            layers.append(pc.BatchNorm2d(item))
        layers.append(pc.ReLU(inplace=True))
        channels = item
    return VGG(
        {
            "features": pc.Sequential(*layers),
            "avgpool": pc.AdaptiveAvgPool2d((7, 7)),
            "classifier": pc.Sequential(
                pc.Linear(512 * 7 * 7, 4096),
                pc.ReLU(True),
                pc.Dropout(p=dropout),
                pc.Linear(4096, 4096),
                pc.ReLU(True),
                pc.Dropout(p=dropout),
                pc.Linear(4096, num_classes),
            ),
        },
        ["features", "avgpool", ("flatten()", pc.Flatten()), "classifier"],
    )


# -- ResNet -----------------------------------------------------------------------


class BasicBlock(Residual):
    """torchvision's ``BasicBlock``: two 3×3 convolutions and a shortcut."""


class Bottleneck(Residual):
    """torchvision's ``Bottleneck``: 1×1, 3×3, 1×1 convolutions and a shortcut."""


def _downsample(inplanes: int, outplanes: int, stride: int) -> dict[str, Layer] | None:
    if stride == 1 and inplanes == outplanes:
        return None
    return {
        "downsample": pc.Sequential(
            pc.Conv2d(inplanes, outplanes, kernel_size=1, stride=stride, bias=False),
            pc.BatchNorm2d(outplanes),
        )
    }


def _basic_block(inplanes: int, planes: int, stride: int, groups: int, width: int) -> BasicBlock:
    if groups != 1 or width != 64:
        raise ConfigError("resnet: BasicBlock only supports groups=1 and width_per_group=64.")
    return BasicBlock(
        {
            "conv1": pc.Conv2d(inplanes, planes, 3, stride=stride, padding=1, bias=False),
            "bn1": pc.BatchNorm2d(planes),
            "relu": pc.ReLU(inplace=True),
            "conv2": pc.Conv2d(planes, planes, 3, padding=1, bias=False),
            "bn2": pc.BatchNorm2d(planes),
        },
        _downsample(inplanes, planes, stride),
    )


def _bottleneck(inplanes: int, planes: int, stride: int, groups: int, width: int) -> Bottleneck:
    inner = int(planes * (width / 64.0)) * groups
    return Bottleneck(
        {
            "conv1": pc.Conv2d(inplanes, inner, 1, bias=False),
            "bn1": pc.BatchNorm2d(inner),
            "conv2": pc.Conv2d(
                inner, inner, 3, stride=stride, padding=1, groups=groups, bias=False
            ),
            "bn2": pc.BatchNorm2d(inner),
            "conv3": pc.Conv2d(inner, planes * 4, 1, bias=False),
            "bn3": pc.BatchNorm2d(planes * 4),
            "relu": pc.ReLU(inplace=True),
        },
        _downsample(inplanes, planes * 4, stride),
    )


_RESNET_DEPTHS: dict[int, tuple[bool, tuple[int, int, int, int]]] = {
    18: (False, (2, 2, 2, 2)),
    34: (False, (3, 4, 6, 3)),
    50: (True, (3, 4, 6, 3)),
    101: (True, (3, 4, 23, 3)),
    152: (True, (3, 8, 36, 3)),
}


def resnet(
    depth: int = 50,
    *,
    num_classes: int = 1000,
    groups: int = 1,
    width_per_group: int = 64,
) -> ResNet:
    """Torchvision's ``resnet18/34/50/101/152`` (and ResNeXt / wide variants via the widths).

    >>> [resnet(depth).params() for depth in (18, 34, 50, 101, 152)]
    [11689512, 21797672, 25557032, 44549160, 60192808]
    """
    _check_choice("resnet", "depth", depth, sorted(_RESNET_DEPTHS))
    bottleneck, counts = _RESNET_DEPTHS[depth]
    make = _bottleneck if bottleneck else _basic_block
    expansion = 4 if bottleneck else 1
    modules: dict[str, Layer] = {
        "conv1": pc.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False),
        "bn1": pc.BatchNorm2d(64),
        "relu": pc.ReLU(inplace=True),
        "maxpool": pc.MaxPool2d(kernel_size=3, stride=2, padding=1),
    }
    inplanes = 64
    for stage, (planes, blocks) in enumerate(zip((64, 128, 256, 512), counts, strict=True)):
        stride = 1 if stage == 0 else 2
        layer = []
        for index in range(blocks):
            layer.append(
                make(inplanes, planes, stride if index == 0 else 1, groups, width_per_group)
            )
            inplanes = planes * expansion
        modules[f"layer{stage + 1}"] = pc.Sequential(*layer)
    modules["avgpool"] = pc.AdaptiveAvgPool2d((1, 1))
    modules["fc"] = pc.Linear(512 * expansion, num_classes)
    steps = [name for name in modules if name != "fc"]
    return ResNet(modules, [*steps, ("flatten()", pc.Flatten()), "fc"])


# -- MobileNetV2 --------------------------------------------------------------------


def _make_divisible(value: float, divisor: int, min_value: int | None = None) -> int:
    """Torchvision's ``_make_divisible``: round to a multiple, never 10 % below."""
    minimum = divisor if min_value is None else min_value
    new = max(minimum, int(value + divisor / 2) // divisor * divisor)
    if new < 0.9 * value:
        new += divisor
    return new


def _conv_norm_act(
    cin: int,
    cout: int,
    kernel: int = 3,
    stride: int = 1,
    groups: int = 1,
    activation: Callable[..., Layer] | None = None,
) -> pc.Sequential:
    """Torchvision's ``Conv2dNormActivation`` with BatchNorm (conv bias off)."""
    layers: list[Layer] = [
        pc.Conv2d(cin, cout, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False),
        pc.BatchNorm2d(cout),
    ]
    if activation is not None:
        layers.append(activation(inplace=True))
    return pc.Sequential(*layers)


def mobilenet_v2(
    num_classes: int = 1000, width_mult: float = 1.0, round_nearest: int = 8, dropout: float = 0.2
) -> MobileNetV2:
    """Torchvision's ``mobilenet_v2()``: 3,504,872 parameters at 1000 classes.

    >>> mobilenet_v2().params()
    3504872
    """
    relu6 = pc.ReLU6
    settings = [
        (1, 16, 1, 1),
        (6, 24, 2, 2),
        (6, 32, 3, 2),
        (6, 64, 4, 2),
        (6, 96, 3, 1),
        (6, 160, 3, 2),
        (6, 320, 1, 1),
    ]
    channels = _make_divisible(32 * width_mult, round_nearest)
    last = _make_divisible(1280 * max(1.0, width_mult), round_nearest)
    features: list[Layer] = [_conv_norm_act(3, channels, stride=2, activation=relu6)]
    for expand, c, n, s in settings:
        out = _make_divisible(c * width_mult, round_nearest)
        for index in range(n):
            stride = s if index == 0 else 1
            hidden = round(channels * expand)
            layers: list[Layer] = []
            if expand != 1:
                layers.append(_conv_norm_act(channels, hidden, kernel=1, activation=relu6))
            layers += [
                _conv_norm_act(hidden, hidden, stride=stride, groups=hidden, activation=relu6),
                pc.Conv2d(hidden, out, 1, 1, 0, bias=False),
                pc.BatchNorm2d(out),
            ]
            body = {"conv": pc.Sequential(*layers)}
            if stride == 1 and channels == out:
                features.append(Residual(body))
            else:
                features.append(Net(body))
            channels = out
    features.append(_conv_norm_act(channels, last, kernel=1, activation=relu6))
    return MobileNetV2(
        {
            "features": pc.Sequential(*features),
            "classifier": pc.Sequential(pc.Dropout(p=dropout), pc.Linear(last, num_classes)),
        },
        ["features", ("adaptive_avg_pool2d(); flatten()", pooled()), "classifier"],
    )


# -- SqueezeNet ---------------------------------------------------------------------


@dataclass(frozen=True, init=False, repr=False, eq=False)
class Fire(Net):
    """torchvision's ``Fire``: squeeze, then 1×1 and 3×3 expands concatenated."""

    def forward_shapes(self, visit: Visit, shape: Shape | None) -> Shape | None:
        modules = dict(self.modules)
        shape = visit("squeeze", modules["squeeze"], shape)
        shape = visit("squeeze_activation", modules["squeeze_activation"], shape)
        outputs = []
        for kind in ("expand1x1", "expand3x3"):
            out = visit(kind, modules[kind], shape)
            outputs.append((kind, visit(f"{kind}_activation", modules[f"{kind}_activation"], out)))
        return concat_shapes(outputs, 0)


def _fire(inplanes: int, squeeze: int, expand1x1: int, expand3x3: int) -> Fire:
    return Fire(
        {
            "squeeze": pc.Conv2d(inplanes, squeeze, kernel_size=1),
            "squeeze_activation": pc.ReLU(inplace=True),
            "expand1x1": pc.Conv2d(squeeze, expand1x1, kernel_size=1),
            "expand1x1_activation": pc.ReLU(inplace=True),
            "expand3x3": pc.Conv2d(squeeze, expand3x3, kernel_size=3, padding=1),
            "expand3x3_activation": pc.ReLU(inplace=True),
        }
    )


def squeezenet(version: str = "1_0", num_classes: int = 1000, dropout: float = 0.5) -> SqueezeNet:
    """Torchvision's ``squeezenet1_0`` / ``squeezenet1_1``: 1,248,424 parameters for 1.0.

    >>> squeezenet("1_0").params(), squeezenet("1_1").params()
    (1248424, 1235496)
    """
    _check_choice("squeezenet", "version", version, ["1_0", "1_1"])

    def pool() -> Layer:
        return pc.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True)

    if version == "1_0":
        features: list[Layer] = [
            pc.Conv2d(3, 96, kernel_size=7, stride=2), pc.ReLU(inplace=True), pool(),
            _fire(96, 16, 64, 64), _fire(128, 16, 64, 64), _fire(128, 32, 128, 128), pool(),
            _fire(256, 32, 128, 128), _fire(256, 48, 192, 192), _fire(384, 48, 192, 192),
            _fire(384, 64, 256, 256), pool(), _fire(512, 64, 256, 256),
        ]  # fmt: skip
    else:
        features = [
            pc.Conv2d(3, 64, kernel_size=3, stride=2), pc.ReLU(inplace=True), pool(),
            _fire(64, 16, 64, 64), _fire(128, 16, 64, 64), pool(),
            _fire(128, 32, 128, 128), _fire(256, 32, 128, 128), pool(),
            _fire(256, 48, 192, 192), _fire(384, 48, 192, 192),
            _fire(384, 64, 256, 256), _fire(512, 64, 256, 256),
        ]  # fmt: skip
    return SqueezeNet(
        {
            "features": pc.Sequential(*features),
            "classifier": pc.Sequential(
                pc.Dropout(p=dropout),
                pc.Conv2d(512, num_classes, kernel_size=1),
                pc.ReLU(inplace=True),
                pc.AdaptiveAvgPool2d((1, 1)),
            ),
        },
        ["features", "classifier", ("flatten()", pc.Flatten())],
    )


# -- DenseNet -----------------------------------------------------------------------


@dataclass(frozen=True, init=False, repr=False, eq=False)
class DenseBlock(Net):
    """torchvision's ``_DenseBlock``: each layer sees all earlier feature maps, concatenated."""

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
    _check_choice("densenet", "depth", depth, sorted(configs))
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


# -- EfficientNet -------------------------------------------------------------------


@dataclass(frozen=True, init=False, repr=False, eq=False)
class SqueezeExcitation(Net):
    """torchvision's ``SqueezeExcitation``: ``x · sigmoid(fc2(act(fc1(avgpool(x)))))``."""

    def forward_shapes(self, visit: Visit, shape: Shape | None) -> Shape | None:
        modules = dict(self.modules)
        scale = shape
        for name in ("avgpool", "fc1", "activation", "fc2", "scale_activation"):
            scale = visit(name, modules[name], scale)
        if shape is not None and scale is not None and scale != (shape[0], 1, 1):
            raise ShapeError(f"scales an input {shape} by {scale}; expected ({shape[0]}, 1, 1)")
        return shape


@dataclass(frozen=True, init=False, repr=False, eq=False)
class MBConv(Net):
    """torchvision's ``MBConv``: expand, depthwise, squeeze-excite, project (+ shortcut)."""

    residual: bool = field(default=False)

    def forward_shapes(self, visit: Visit, shape: Shape | None) -> Shape | None:
        out = super().forward_shapes(visit, shape)
        if self.residual and out is not None and out != shape:
            raise ShapeError(f"adds the block's output {out} to its input {shape}")
        return out


def _mbconv(
    expand_ratio: float, kernel: int, stride: int, cin: int, cout: int, sd_prob: float
) -> MBConv:
    silu = pc.SiLU
    layers: list[Layer] = []
    expanded = _make_divisible(cin * expand_ratio, 8)
    if expanded != cin:
        layers.append(_conv_norm_act(cin, expanded, kernel=1, activation=silu))
    layers.append(
        _conv_norm_act(expanded, expanded, kernel, stride, groups=expanded, activation=silu)
    )
    squeeze = max(1, cin // 4)
    layers.append(
        SqueezeExcitation(
            {
                "avgpool": pc.AdaptiveAvgPool2d(1),
                "fc1": pc.Conv2d(expanded, squeeze, 1),
                "fc2": pc.Conv2d(squeeze, expanded, 1),
                "activation": pc.SiLU(inplace=True),
                "scale_activation": pc.Sigmoid(),
            }
        )
    )
    layers.append(_conv_norm_act(expanded, cout, kernel=1, activation=None))
    block = MBConv(
        {"block": pc.Sequential(*layers), "stochastic_depth": StochasticDepth(sd_prob, "row")}
    )
    object.__setattr__(block, "residual", stride == 1 and cin == cout)
    return block


def efficientnet_b0(
    num_classes: int = 1000,
    *,
    width_mult: float = 1.0,
    depth_mult: float = 1.0,
    dropout: float = 0.2,
    stochastic_depth_prob: float = 0.2,
) -> EfficientNet:
    """Torchvision's ``efficientnet_b0`` (B1–B7 through the multipliers): 5,288,548 parameters.

    >>> efficientnet_b0().params()
    5288548
    """
    settings = [
        (1, 3, 1, 32, 16, 1),
        (6, 3, 2, 16, 24, 2),
        (6, 5, 2, 24, 40, 2),
        (6, 3, 2, 40, 80, 3),
        (6, 5, 1, 80, 112, 3),
        (6, 5, 2, 112, 192, 4),
        (6, 3, 1, 192, 320, 1),
    ]
    stages = [
        (e, k, s, _make_divisible(i * width_mult, 8), _make_divisible(o * width_mult, 8))
        for e, k, s, i, o, _ in settings
    ]
    repeats = [math.ceil(n * depth_mult) for *_, n in settings]
    first = stages[0][3]
    features: list[Layer] = [_conv_norm_act(3, first, 3, stride=2, activation=pc.SiLU)]
    total = sum(repeats)
    block_id = 0
    for (expand, kernel, stride, cin, cout), count in zip(stages, repeats, strict=True):
        stage: list[Layer] = []
        for index in range(count):
            sd_prob = stochastic_depth_prob * float(block_id) / total
            stage.append(
                _mbconv(
                    expand,
                    kernel,
                    stride if index == 0 else 1,
                    cin if index == 0 else cout,
                    cout,
                    sd_prob,
                )
            )
            block_id += 1
        features.append(pc.Sequential(*stage))
    last_in = stages[-1][4]
    last = 4 * last_in
    features.append(_conv_norm_act(last_in, last, kernel=1, activation=pc.SiLU))
    return EfficientNet(
        {
            "features": pc.Sequential(*features),
            "avgpool": pc.AdaptiveAvgPool2d(1),
            "classifier": pc.Sequential(
                pc.Dropout(p=dropout, inplace=True), pc.Linear(last, num_classes)
            ),
        },
        ["features", "avgpool", ("flatten()", pc.Flatten()), "classifier"],
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


@dataclass(frozen=True, repr=False, eq=False)
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
