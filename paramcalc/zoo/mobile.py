"""MobileNetV2, SqueezeNet and EfficientNet-B0, named as torchvision names them."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from paramcalc.errors import ShapeError
from paramcalc.graph import Residual, concat_shapes
from paramcalc.layer import Layer, Visit
from paramcalc.shapes import Shape
from paramcalc.zoo import _nn as pc
from paramcalc.zoo._common import (
    Net,
    StochasticDepth,
    check_choice,
    pooled,
)

# -- MobileNetV2 --------------------------------------------------------------------


class MobileNetV2(Net):
    """torchvision's ``MobileNetV2``."""


class SqueezeNet(Net):
    """torchvision's ``SqueezeNet``."""


class EfficientNet(Net):
    """torchvision's ``EfficientNet``."""


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
    check_choice("squeezenet", "version", version, ["1_0", "1_1"])

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

    @property
    def merge(self) -> str:
        """``result += input`` with the shortcut, in place (:mod:`paramcalc.liveset`)."""
        return "add_" if self.residual else ""

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
