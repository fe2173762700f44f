"""LeNet, AlexNet, VGG and ResNet, named as torchvision names them."""

from __future__ import annotations

from paramcalc.errors import ConfigError
from paramcalc.graph import Residual
from paramcalc.layer import Layer
from paramcalc.zoo import _nn as pc
from paramcalc.zoo._common import (
    Net,
    check_choice,
)


class LeNet(Net):
    """LeNet-5 as in the seed post."""


class AlexNet(Net):
    """torchvision's ``AlexNet``."""


class VGG(Net):
    """torchvision's ``VGG``."""


class ResNet(Net):
    """torchvision's ``ResNet``."""


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
    check_choice("vgg", "depth", depth, sorted(_VGG_CONFIGS))
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

    merge = "add_"
    """``out += identity``: the sum goes into the block's output (:mod:`paramcalc.liveset`)."""


class Bottleneck(Residual):
    """torchvision's ``Bottleneck``: 1×1, 3×3, 1×1 convolutions and a shortcut."""

    merge = "add_"
    """``out += identity``: the sum goes into the block's output (:mod:`paramcalc.liveset`)."""


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
    check_choice("resnet", "depth", depth, sorted(_RESNET_DEPTHS))
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
