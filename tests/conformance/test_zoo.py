"""Zoo networks against hand-written torch.nn mirrors of the reference implementations.

torchvision and transformers are not installed (and must not be); these
mirrors copy their module structure (names, registration order, forward)
so that live torch checks names, shapes, totals, buffers and
FlopCounterMode/2 MACs of the zoo's networks.
"""

from __future__ import annotations

import copy
import math
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import pytest

from paramcalc import zoo
from paramcalc.layer import Layer

from .compare import assert_matches, torch_buffers, torch_parameters

# ----------------------------------------------------------------------------- vision


def _resnet(torch: Any, depth: int) -> Any:
    nn: Any = torch.nn

    def conv3x3(cin: int, cout: int, stride: int = 1, groups: int = 1) -> Any:
        return nn.Conv2d(cin, cout, 3, stride, 1, groups=groups, bias=False)

    class BasicBlock(nn.Module):  # type: ignore[misc]
        expansion = 1

        def __init__(self, inplanes: int, planes: int, stride: int, downsample: Any) -> None:
            super().__init__()
            self.conv1 = conv3x3(inplanes, planes, stride)
            self.bn1 = nn.BatchNorm2d(planes)
            self.relu = nn.ReLU(inplace=True)
            self.conv2 = conv3x3(planes, planes)
            self.bn2 = nn.BatchNorm2d(planes)
            self.downsample = downsample

        def forward(self, x: Any) -> Any:
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            identity = x if self.downsample is None else self.downsample(x)
            return self.relu(out + identity)

    class Bottleneck(nn.Module):  # type: ignore[misc]
        expansion = 4

        def __init__(self, inplanes: int, planes: int, stride: int, downsample: Any) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(planes)
            self.conv2 = conv3x3(planes, planes, stride)
            self.bn2 = nn.BatchNorm2d(planes)
            self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
            self.bn3 = nn.BatchNorm2d(planes * 4)
            self.relu = nn.ReLU(inplace=True)
            self.downsample = downsample

        def forward(self, x: Any) -> Any:
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.relu(self.bn2(self.conv2(out)))
            out = self.bn3(self.conv3(out))
            identity = x if self.downsample is None else self.downsample(x)
            return self.relu(out + identity)

    block: Any
    layers: list[int]
    block, layers = {
        18: (BasicBlock, [2, 2, 2, 2]),
        50: (Bottleneck, [3, 4, 6, 3]),
    }[depth]

    class ResNet(nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.inplanes = 64
            self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
            self.bn1 = nn.BatchNorm2d(64)
            self.relu = nn.ReLU(inplace=True)
            self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
            self.layer1 = self._make_layer(64, layers[0])
            self.layer2 = self._make_layer(128, layers[1], 2)
            self.layer3 = self._make_layer(256, layers[2], 2)
            self.layer4 = self._make_layer(512, layers[3], 2)
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(512 * block.expansion, 1000)

        def _make_layer(self, planes: int, blocks: int, stride: int = 1) -> Any:
            downsample = None
            if stride != 1 or self.inplanes != planes * block.expansion:
                downsample = nn.Sequential(
                    nn.Conv2d(self.inplanes, planes * block.expansion, 1, stride, bias=False),
                    nn.BatchNorm2d(planes * block.expansion),
                )
            out = [block(self.inplanes, planes, stride, downsample)]
            self.inplanes = planes * block.expansion
            out += [block(self.inplanes, planes, 1, None) for _ in range(1, blocks)]
            return nn.Sequential(*out)

        def forward(self, x: Any) -> Any:
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
            return self.fc(torch.flatten(self.avgpool(x), 1))

    return ResNet()


def _vgg11(torch: Any) -> Any:
    nn: Any = torch.nn
    layers: list[Any] = []
    channels = 3
    config: list[Any] = [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]
    for item in config:
        if item == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            layers += [nn.Conv2d(channels, item, kernel_size=3, padding=1), nn.ReLU(inplace=True)]
            channels = item

    class VGG(nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.features = nn.Sequential(*layers)
            self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
            self.classifier = nn.Sequential(
                nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(),
                nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(), nn.Linear(4096, 1000),
            )  # fmt: skip

        def forward(self, x: Any) -> Any:
            return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))

    return VGG()


def _conv_bn_act(torch: Any, cin: int, cout: int, kernel: int, stride: int, groups: int,
                 act: Any) -> Any:  # fmt: skip
    nn: Any = torch.nn
    layers = [
        nn.Conv2d(cin, cout, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False),
        nn.BatchNorm2d(cout),
    ]
    if act is not None:
        layers.append(act(inplace=True))
    return nn.Sequential(*layers)


def _mobilenet_v2(torch: Any) -> Any:
    nn: Any = torch.nn

    class InvertedResidual(nn.Module):  # type: ignore[misc]
        def __init__(self, inp: int, oup: int, stride: int, expand: int) -> None:
            super().__init__()
            hidden = round(inp * expand)
            self.use_res_connect = stride == 1 and inp == oup
            layers = []
            if expand != 1:
                layers.append(_conv_bn_act(torch, inp, hidden, 1, 1, 1, nn.ReLU6))
            layers += [
                _conv_bn_act(torch, hidden, hidden, 3, stride, hidden, nn.ReLU6),
                nn.Conv2d(hidden, oup, 1, 1, 0, bias=False),
                nn.BatchNorm2d(oup),
            ]
            self.conv = nn.Sequential(*layers)

        def forward(self, x: Any) -> Any:
            return x + self.conv(x) if self.use_res_connect else self.conv(x)

    class MobileNetV2(nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            settings = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                        (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]  # fmt: skip
            channels = 32
            features = [_conv_bn_act(torch, 3, channels, 3, 2, 1, nn.ReLU6)]
            for t, c, n, s in settings:
                for i in range(n):
                    features.append(InvertedResidual(channels, c, s if i == 0 else 1, t))
                    channels = c
            features.append(_conv_bn_act(torch, channels, 1280, 1, 1, 1, nn.ReLU6))
            self.features = nn.Sequential(*features)
            self.classifier = nn.Sequential(nn.Dropout(p=0.2), nn.Linear(1280, 1000))

        def forward(self, x: Any) -> Any:
            x = nn.functional.adaptive_avg_pool2d(self.features(x), (1, 1))
            return self.classifier(torch.flatten(x, 1))

    return MobileNetV2()


def _googlenet(torch: Any) -> Any:
    nn: Any = torch.nn
    functional = nn.functional

    class BasicConv2d(nn.Module):  # type: ignore[misc]
        def __init__(self, cin: int, cout: int, **kwargs: Any) -> None:
            super().__init__()
            self.conv = nn.Conv2d(cin, cout, bias=False, **kwargs)
            self.bn = nn.BatchNorm2d(cout, eps=0.001)

        def forward(self, x: Any) -> Any:
            return functional.relu(self.bn(self.conv(x)), inplace=True)

    class Inception(nn.Module):  # type: ignore[misc]
        def __init__(self, cin: int, c1: int, c3r: int, c3: int, c5r: int, c5: int, pp: int):
            super().__init__()
            self.branch1 = BasicConv2d(cin, c1, kernel_size=1)
            self.branch2 = nn.Sequential(
                BasicConv2d(cin, c3r, kernel_size=1), BasicConv2d(c3r, c3, kernel_size=3, padding=1)
            )
            self.branch3 = nn.Sequential(
                BasicConv2d(cin, c5r, kernel_size=1), BasicConv2d(c5r, c5, kernel_size=3, padding=1)
            )
            self.branch4 = nn.Sequential(
                nn.MaxPool2d(kernel_size=3, stride=1, padding=1, ceil_mode=True),
                BasicConv2d(cin, pp, kernel_size=1),
            )

        def forward(self, x: Any) -> Any:
            branches = (self.branch1, self.branch2, self.branch3, self.branch4)
            return torch.cat([branch(x) for branch in branches], 1)

    class GoogLeNet(nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = BasicConv2d(3, 64, kernel_size=7, stride=2, padding=3)
            self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
            self.conv2 = BasicConv2d(64, 64, kernel_size=1)
            self.conv3 = BasicConv2d(64, 192, kernel_size=3, padding=1)
            self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
            self.inception3a = Inception(192, 64, 96, 128, 16, 32, 32)
            self.inception3b = Inception(256, 128, 128, 192, 32, 96, 64)
            self.maxpool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
            self.inception4a = Inception(480, 192, 96, 208, 16, 48, 64)
            self.inception4b = Inception(512, 160, 112, 224, 24, 64, 64)
            self.inception4c = Inception(512, 128, 128, 256, 24, 64, 64)
            self.inception4d = Inception(512, 112, 144, 288, 32, 64, 64)
            self.inception4e = Inception(528, 256, 160, 320, 32, 128, 128)
            self.maxpool4 = nn.MaxPool2d(2, stride=2, ceil_mode=True)
            self.inception5a = Inception(832, 256, 160, 320, 32, 128, 128)
            self.inception5b = Inception(832, 384, 192, 384, 48, 128, 128)
            self.aux1 = None
            self.aux2 = None
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.dropout = nn.Dropout(p=0.2)
            self.fc = nn.Linear(1024, 1000)

        def forward(self, x: Any) -> Any:
            for name in ("conv1", "maxpool1", "conv2", "conv3", "maxpool2", "inception3a",
                         "inception3b", "maxpool3", "inception4a", "inception4b", "inception4c",
                         "inception4d", "inception4e", "maxpool4", "inception5a", "inception5b",
                         "avgpool"):  # fmt: skip
                x = getattr(self, name)(x)
            return self.fc(self.dropout(torch.flatten(x, 1)))

    return GoogLeNet()


def _densenet121(torch: Any) -> Any:
    nn: Any = torch.nn
    functional = nn.functional

    class DenseLayer(nn.Module):  # type: ignore[misc]
        def __init__(self, cin: int) -> None:
            super().__init__()
            self.norm1 = nn.BatchNorm2d(cin)
            self.relu1 = nn.ReLU(inplace=True)
            self.conv1 = nn.Conv2d(cin, 128, kernel_size=1, stride=1, bias=False)
            self.norm2 = nn.BatchNorm2d(128)
            self.relu2 = nn.ReLU(inplace=True)
            self.conv2 = nn.Conv2d(128, 32, kernel_size=3, stride=1, padding=1, bias=False)

        def forward(self, features: list[Any]) -> Any:
            x = self.conv1(self.relu1(self.norm1(torch.cat(features, 1))))
            return self.conv2(self.relu2(self.norm2(x)))

    class DenseBlock(nn.ModuleDict):  # type: ignore[misc]
        def __init__(self, layers: int, cin: int) -> None:
            super().__init__()
            for i in range(layers):
                self.add_module(f"denselayer{i + 1}", DenseLayer(cin + i * 32))

        def forward(self, x: Any) -> Any:
            features = [x]
            for layer in self.values():
                features.append(layer(features))
            return torch.cat(features, 1)

    class DenseNet(nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.features = nn.Sequential()
            self.features.add_module("conv0", nn.Conv2d(3, 64, 7, 2, 3, bias=False))
            self.features.add_module("norm0", nn.BatchNorm2d(64))
            self.features.add_module("relu0", nn.ReLU(inplace=True))
            self.features.add_module("pool0", nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
            channels = 64
            for i, layers in enumerate((6, 12, 24, 16)):
                self.features.add_module(f"denseblock{i + 1}", DenseBlock(layers, channels))
                channels += layers * 32
                if i != 3:
                    transition = nn.Sequential()
                    transition.add_module("norm", nn.BatchNorm2d(channels))
                    transition.add_module("relu", nn.ReLU(inplace=True))
                    transition.add_module(
                        "conv", nn.Conv2d(channels, channels // 2, 1, stride=1, bias=False)
                    )
                    transition.add_module("pool", nn.AvgPool2d(kernel_size=2, stride=2))
                    self.features.add_module(f"transition{i + 1}", transition)
                    channels //= 2
            self.features.add_module("norm5", nn.BatchNorm2d(channels))
            self.classifier = nn.Linear(channels, 1000)

        def forward(self, x: Any) -> Any:
            out = functional.relu(self.features(x), inplace=True)
            out = functional.adaptive_avg_pool2d(out, (1, 1))
            return self.classifier(torch.flatten(out, 1))

    return DenseNet()


def _squeezenet(torch: Any) -> Any:
    nn: Any = torch.nn

    class Fire(nn.Module):  # type: ignore[misc]
        def __init__(self, cin: int, squeeze: int, e1: int, e3: int) -> None:
            super().__init__()
            self.squeeze = nn.Conv2d(cin, squeeze, kernel_size=1)
            self.squeeze_activation = nn.ReLU(inplace=True)
            self.expand1x1 = nn.Conv2d(squeeze, e1, kernel_size=1)
            self.expand1x1_activation = nn.ReLU(inplace=True)
            self.expand3x3 = nn.Conv2d(squeeze, e3, kernel_size=3, padding=1)
            self.expand3x3_activation = nn.ReLU(inplace=True)

        def forward(self, x: Any) -> Any:
            x = self.squeeze_activation(self.squeeze(x))
            return torch.cat(
                [
                    self.expand1x1_activation(self.expand1x1(x)),
                    self.expand3x3_activation(self.expand3x3(x)),
                ],
                1,
            )

    class SqueezeNet(nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()

            def pool() -> Any:
                return nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True)

            self.features = nn.Sequential(
                nn.Conv2d(3, 96, kernel_size=7, stride=2), nn.ReLU(inplace=True), pool(),
                Fire(96, 16, 64, 64), Fire(128, 16, 64, 64), Fire(128, 32, 128, 128), pool(),
                Fire(256, 32, 128, 128), Fire(256, 48, 192, 192), Fire(384, 48, 192, 192),
                Fire(384, 64, 256, 256), pool(), Fire(512, 64, 256, 256),
            )  # fmt: skip
            self.classifier = nn.Sequential(
                nn.Dropout(p=0.5), nn.Conv2d(512, 1000, kernel_size=1), nn.ReLU(inplace=True),
                nn.AdaptiveAvgPool2d((1, 1)),
            )  # fmt: skip

        def forward(self, x: Any) -> Any:
            return torch.flatten(self.classifier(self.features(x)), 1)

    return SqueezeNet()


def _efficientnet_b0(torch: Any) -> Any:
    nn: Any = torch.nn

    def divisible(value: float) -> int:
        new = max(8, int(value + 4) // 8 * 8)
        return new + 8 if new < 0.9 * value else new

    class SqueezeExcitation(nn.Module):  # type: ignore[misc]
        def __init__(self, channels: int, squeeze: int) -> None:
            super().__init__()
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            self.fc1 = nn.Conv2d(channels, squeeze, 1)
            self.fc2 = nn.Conv2d(squeeze, channels, 1)
            self.activation = nn.SiLU(inplace=True)
            self.scale_activation = nn.Sigmoid()

        def forward(self, x: Any) -> Any:
            scale = self.fc2(self.activation(self.fc1(self.avgpool(x))))
            return self.scale_activation(scale) * x

    class StochasticDepth(nn.Module):  # type: ignore[misc]
        def __init__(self, p: float) -> None:
            super().__init__()
            self.p = p

        def forward(self, x: Any) -> Any:
            return x

    class MBConv(nn.Module):  # type: ignore[misc]
        def __init__(self, expand: int, kernel: int, stride: int, cin: int, cout: int,
                     sd_prob: float) -> None:  # fmt: skip
            super().__init__()
            self.use_res_connect = stride == 1 and cin == cout
            layers = []
            expanded = divisible(cin * expand)
            if expanded != cin:
                layers.append(_conv_bn_act(torch, cin, expanded, 1, 1, 1, nn.SiLU))
            layers.append(
                _conv_bn_act(torch, expanded, expanded, kernel, stride, expanded, nn.SiLU)
            )
            layers.append(SqueezeExcitation(expanded, max(1, cin // 4)))
            layers.append(_conv_bn_act(torch, expanded, cout, 1, 1, 1, None))
            self.block = nn.Sequential(*layers)
            self.stochastic_depth = StochasticDepth(sd_prob)

        def forward(self, x: Any) -> Any:
            out = self.stochastic_depth(self.block(x))
            return out + x if self.use_res_connect else out

    class EfficientNet(nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            settings = [(1, 3, 1, 32, 16, 1), (6, 3, 2, 16, 24, 2), (6, 5, 2, 24, 40, 2),
                        (6, 3, 2, 40, 80, 3), (6, 5, 1, 80, 112, 3), (6, 5, 2, 112, 192, 4),
                        (6, 3, 1, 192, 320, 1)]  # fmt: skip
            layers = [_conv_bn_act(torch, 3, 32, 3, 2, 1, nn.SiLU)]
            total = sum(s[-1] for s in settings)
            block_id = 0
            for expand, kernel, stride, cin, cout, count in settings:
                stage = []
                for i in range(count):
                    sd = 0.2 * block_id / total
                    stage.append(
                        MBConv(
                            expand,
                            kernel,
                            stride if i == 0 else 1,
                            cin if i == 0 else cout,
                            cout,
                            sd,
                        )
                    )
                    block_id += 1
                layers.append(nn.Sequential(*stage))
            layers.append(_conv_bn_act(torch, 320, 1280, 1, 1, 1, nn.SiLU))
            self.features = nn.Sequential(*layers)
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            self.classifier = nn.Sequential(nn.Dropout(p=0.2, inplace=True), nn.Linear(1280, 1000))

        def forward(self, x: Any) -> Any:
            return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))

    return EfficientNet()


def _vit_b_16(torch: Any) -> Any:
    nn: Any = torch.nn
    hidden, heads, mlp_dim, layers, length = 768, 12, 3072, 12, 197

    class EncoderBlock(nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.ln_1 = nn.LayerNorm(hidden, eps=1e-6)
            self.self_attention = nn.MultiheadAttention(
                hidden, heads, dropout=0.0, batch_first=True
            )
            self.dropout = nn.Dropout(0.0)
            self.ln_2 = nn.LayerNorm(hidden, eps=1e-6)
            self.mlp = nn.Sequential(
                nn.Linear(hidden, mlp_dim), nn.GELU(), nn.Dropout(0.0),
                nn.Linear(mlp_dim, hidden), nn.Dropout(0.0),
            )  # fmt: skip

        def forward(self, inputs: Any) -> Any:
            x = self.ln_1(inputs)
            # need_weights=True takes the bmm path, which FlopCounterMode counts on CPU
            x, _ = self.self_attention(x, x, x, need_weights=True)
            x = self.dropout(x) + inputs
            return x + self.mlp(self.ln_2(x))

    class Encoder(nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.pos_embedding = nn.Parameter(torch.zeros(1, length, hidden))
            self.dropout = nn.Dropout(0.0)
            self.layers = nn.Sequential(
                OrderedDict((f"encoder_layer_{i}", EncoderBlock()) for i in range(layers))
            )
            self.ln = nn.LayerNorm(hidden, eps=1e-6)

        def forward(self, x: Any) -> Any:
            return self.ln(self.layers(self.dropout(x + self.pos_embedding)))

    class VisionTransformer(nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.conv_proj = nn.Conv2d(3, hidden, kernel_size=16, stride=16)
            self.class_token = nn.Parameter(torch.zeros(1, 1, hidden))
            self.encoder = Encoder()
            self.heads = nn.Sequential(OrderedDict(head=nn.Linear(hidden, 1000)))

        def forward(self, x: Any) -> Any:
            x = self.conv_proj(x).reshape(x.shape[0], hidden, -1).permute(0, 2, 1)
            x = torch.cat([self.class_token.expand(x.shape[0], -1, -1), x], dim=1)
            return self.heads(self.encoder(x)[:, 0])

    return VisionTransformer()


def _convnext_tiny(torch: Any) -> Any:
    nn: Any = torch.nn
    functional = nn.functional

    class LayerNorm2d(nn.LayerNorm):  # type: ignore[misc]
        def forward(self, x: Any) -> Any:
            x = x.permute(0, 2, 3, 1)
            x = functional.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
            return x.permute(0, 3, 1, 2)

    class Permute(nn.Module):  # type: ignore[misc]
        def __init__(self, dims: list[int]) -> None:
            super().__init__()
            self.dims = dims

        def forward(self, x: Any) -> Any:
            return torch.permute(x, self.dims)

    class CNBlock(nn.Module):  # type: ignore[misc]
        def __init__(self, dim: int) -> None:
            super().__init__()
            self.block = nn.Sequential(
                nn.Conv2d(dim, dim, kernel_size=7, padding=3, groups=dim, bias=True),
                Permute([0, 2, 3, 1]), nn.LayerNorm(dim, eps=1e-6),
                nn.Linear(dim, 4 * dim, bias=True), nn.GELU(),
                nn.Linear(4 * dim, dim, bias=True), Permute([0, 3, 1, 2]),
            )  # fmt: skip
            self.layer_scale = nn.Parameter(torch.ones(dim, 1, 1) * 1e-6)
            self.stochastic_depth = nn.Identity()

        def forward(self, x: Any) -> Any:
            return self.stochastic_depth(self.layer_scale * self.block(x)) + x

    class ConvNeXt(nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            dims, depths = (96, 192, 384, 768), (3, 3, 9, 3)
            layers: list[Any] = [
                nn.Sequential(
                    nn.Conv2d(3, 96, kernel_size=4, stride=4, padding=0, bias=True),
                    LayerNorm2d(96, eps=1e-6),
                )
            ]
            for i, (dim, depth) in enumerate(zip(dims, depths, strict=True)):
                layers.append(nn.Sequential(*(CNBlock(dim) for _ in range(depth))))
                if i < 3:
                    layers.append(
                        nn.Sequential(
                            LayerNorm2d(dim, eps=1e-6),
                            nn.Conv2d(dim, dims[i + 1], kernel_size=2, stride=2),
                        )
                    )
            self.features = nn.Sequential(*layers)
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            self.classifier = nn.Sequential(
                LayerNorm2d(768, eps=1e-6), nn.Flatten(1), nn.Linear(768, 1000)
            )

        def forward(self, x: Any) -> Any:
            return self.classifier(self.avgpool(self.features(x)))

    return ConvNeXt()


VISION: dict[str, Callable[[Any], Any]] = {
    "resnet18": lambda torch: _resnet(torch, 18),
    "resnet50": lambda torch: _resnet(torch, 50),
    "vgg11": _vgg11,
    "mobilenet_v2": _mobilenet_v2,
    "googlenet": _googlenet,
    "densenet121": _densenet121,
    "squeezenet1_0": _squeezenet,
    "efficientnet_b0": _efficientnet_b0,
    "vit_b_16": _vit_b_16,
    "convnext_tiny": _convnext_tiny,
}


@pytest.mark.parametrize("name", list(VISION))
def test_vision_matches_torch_mirror(torch: Any, name: str) -> None:
    """Names, buffers, totals, output shape and FlopCounterMode/2 MACs at 3×224×224."""
    theirs = VISION[name](torch)
    # eval() would send MultiheadAttention down its fused fast path, which FlopCounterMode
    # does not count; with dropout 0 and no BatchNorm, train() computes the same thing
    theirs.train(name == "vit_b_16")
    ours = zoo.get(name)
    assert_matches(torch, ours, theirs, (3, 224, 224))


def test_resnet50_published_macs(torch: Any) -> None:
    """The mirror reproduces the issue's FlopCounterMode figure, so the mirror is torchvision's."""
    from .compare import torch_macs

    assert torch_macs(torch, _resnet(torch, 50).eval(), (3, 224, 224)) == 4_089_184_256


# --------------------------------------------------------------------------- language


def _attention(torch: Any, q: Any, k: Any, v: Any, heads: int, kv_heads: int) -> Any:
    """Causal scaled dot-product attention by explicit matmuls (as FlopCounterMode sees)."""
    batch, length, _ = q.shape
    dim = q.shape[-1] // heads
    q = q.view(batch, length, heads, dim).transpose(1, 2)
    k = k.view(batch, length, kv_heads, dim).transpose(1, 2)
    v = v.view(batch, length, kv_heads, dim).transpose(1, 2)
    k = k.repeat_interleave(heads // kv_heads, dim=1)
    v = v.repeat_interleave(heads // kv_heads, dim=1)
    scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(dim)
    mask = torch.ones(length, length, dtype=torch.bool).tril()
    scores = scores.masked_fill(~mask, float("-inf")).softmax(-1)
    return torch.matmul(scores, v).transpose(1, 2).reshape(batch, length, heads * dim)


def _gpt2(torch: Any, layers: int, width: int, heads: int, vocab: int, positions: int,
          tied: bool) -> Any:  # fmt: skip
    nn: Any = torch.nn

    class Conv1D(nn.Module):  # type: ignore[misc]
        def __init__(self, nf: int, nx: int) -> None:
            super().__init__()
            self.nf = nf
            self.weight = nn.Parameter(torch.empty(nx, nf))
            self.bias = nn.Parameter(torch.zeros(nf))

        def forward(self, x: Any) -> Any:
            out = torch.addmm(self.bias, x.reshape(-1, x.size(-1)), self.weight)
            return out.view(*x.shape[:-1], self.nf)

    class Attention(nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.c_attn = Conv1D(3 * width, width)
            self.c_proj = Conv1D(width, width)
            self.attn_dropout = nn.Dropout(0.1)
            self.resid_dropout = nn.Dropout(0.1)

        def forward(self, x: Any) -> Any:
            q, k, v = self.c_attn(x).split(width, dim=2)
            return self.resid_dropout(self.c_proj(_attention(torch, q, k, v, heads, heads)))

    class MLP(nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.c_fc = Conv1D(4 * width, width)
            self.c_proj = Conv1D(width, 4 * width)
            self.act = nn.GELU(approximate="tanh")
            self.dropout = nn.Dropout(0.1)

        def forward(self, x: Any) -> Any:
            return self.dropout(self.c_proj(self.act(self.c_fc(x))))

    class Block(nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.ln_1 = nn.LayerNorm(width)
            self.attn = Attention()
            self.ln_2 = nn.LayerNorm(width)
            self.mlp = MLP()

        def forward(self, x: Any) -> Any:
            x = x + self.attn(self.ln_1(x))
            return x + self.mlp(self.ln_2(x))

    class GPT2Model(nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.wte = nn.Embedding(vocab, width)
            self.wpe = nn.Embedding(positions, width)
            self.drop = nn.Dropout(0.1)
            self.h = nn.ModuleList([Block() for _ in range(layers)])
            self.ln_f = nn.LayerNorm(width)

        def forward(self, ids: Any) -> Any:
            positions_ = torch.arange(ids.shape[-1]).unsqueeze(0)
            x = self.drop(self.wte(ids) + self.wpe(positions_))
            for block in self.h:
                x = block(x)
            return self.ln_f(x)

    class GPT2LMHeadModel(nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.transformer = GPT2Model()
            self.lm_head = nn.Linear(width, vocab, bias=False)
            if tied:
                self.lm_head.weight = self.transformer.wte.weight

        def forward(self, ids: Any) -> Any:
            return self.lm_head(self.transformer(ids))

    return GPT2LMHeadModel()


def _llama(torch: Any, cfg: dict[str, Any]) -> Any:
    nn: Any = torch.nn
    hidden, heads, kv = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
    dim = hidden // heads
    qkv_bias = cfg.get("qkv_bias", False)

    class Attention(nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.q_proj = nn.Linear(hidden, heads * dim, bias=qkv_bias)
            self.k_proj = nn.Linear(hidden, kv * dim, bias=qkv_bias)
            self.v_proj = nn.Linear(hidden, kv * dim, bias=qkv_bias)
            self.o_proj = nn.Linear(heads * dim, hidden, bias=False)

        def forward(self, x: Any) -> Any:
            q, k, v = self.q_proj(x), self.k_proj(x), self.v_proj(x)
            return self.o_proj(_attention(torch, q, k, v, heads, kv))

    class MLP(nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            inter = cfg["intermediate_size"]
            self.gate_proj = nn.Linear(hidden, inter, bias=False)
            self.up_proj = nn.Linear(hidden, inter, bias=False)
            self.down_proj = nn.Linear(inter, hidden, bias=False)
            self.act_fn = nn.SiLU()

        def forward(self, x: Any) -> Any:
            return self.down_proj(self.act_fn(self.gate_proj(x)) * self.up_proj(x))

    class DecoderLayer(nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.self_attn = Attention()
            self.mlp = MLP()
            self.input_layernorm = nn.RMSNorm(hidden, eps=1e-6)
            self.post_attention_layernorm = nn.RMSNorm(hidden, eps=1e-6)

        def forward(self, x: Any) -> Any:
            x = x + self.self_attn(self.input_layernorm(x))
            return x + self.mlp(self.post_attention_layernorm(x))

    class Model(nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.embed_tokens = nn.Embedding(cfg["vocab_size"], hidden)
            self.layers = nn.ModuleList([DecoderLayer() for _ in range(cfg["num_hidden_layers"])])
            self.norm = nn.RMSNorm(hidden, eps=1e-6)

        def forward(self, ids: Any) -> Any:
            x = self.embed_tokens(ids)
            for layer in self.layers:
                x = layer(x)
            return self.norm(x)

    class ForCausalLM(nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.model = Model()
            self.lm_head = nn.Linear(hidden, cfg["vocab_size"], bias=False)
            if cfg.get("tie_word_embeddings"):
                self.lm_head.weight = self.model.embed_tokens.weight

        def forward(self, ids: Any) -> Any:
            return self.lm_head(self.model(ids))

    return ForCausalLM()


def _assert_lm_matches(torch: Any, ours: Layer, theirs: Any, length: int) -> None:
    from torch.utils.flop_counter import FlopCounterMode

    assert list(ours.named_parameters()) == torch_parameters(theirs)
    assert list(ours.named_buffers()) == torch_buffers(theirs)
    assert ours.params() == sum(p.numel() for p in theirs.parameters())
    per_use = sum(p.numel() for m in theirs.modules() for p in m.parameters(recurse=False))
    assert ours.params_per_use() == per_use
    ids = torch.zeros((1, length), dtype=torch.long)
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        out = theirs(ids)
    assert ours.output_shape((length,)) == tuple(out.shape[1:])
    assert ours.macs((length,)) == counter.get_total_flops() // 2
    report = ours.report((length,))
    assert report.params == sum(row.params for row in report.leaves())
    assert report.params_per_use == per_use  # a tied tensor counts in each module using it


@pytest.mark.parametrize("tied", [True, False])
@pytest.mark.parametrize(("layers", "width", "heads"), [(2, 64, 4), (3, 48, 6), (1, 32, 1)])
def test_gpt2_matches_torch_mirror(
    torch: Any, layers: int, width: int, heads: int, tied: bool
) -> None:
    """Small GPT-2 configurations, tied or not: names, totals, shapes and MACs."""
    theirs = _gpt2(torch, layers, width, heads, 97, 40, tied).eval()
    ours = zoo.gpt2(
        n_layer=layers, n_embd=width, n_head=heads, vocab_size=97, n_positions=40,
        tie_word_embeddings=tied,
    )  # fmt: skip
    _assert_lm_matches(torch, ours, theirs, 13)


LLAMA_CONFIGS = [
    {"vocab_size": 101, "hidden_size": 64, "intermediate_size": 96, "num_hidden_layers": 2,
     "num_attention_heads": 8, "num_key_value_heads": 2},
    {"vocab_size": 50, "hidden_size": 48, "intermediate_size": 40, "num_hidden_layers": 3,
     "num_attention_heads": 4, "num_key_value_heads": 4, "tie_word_embeddings": True},
    {"vocab_size": 77, "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
     "num_attention_heads": 4, "num_key_value_heads": 1, "qkv_bias": True,
     "tie_word_embeddings": True},
]  # fmt: skip


@pytest.mark.parametrize("cfg", LLAMA_CONFIGS)
def test_llama_matches_torch_mirror(torch: Any, cfg: dict[str, Any]) -> None:
    """Small Llama / Mistral (GQA) / Qwen2 (q/k/v bias, tied) configurations."""
    theirs = _llama(torch, cfg).eval()
    ours = zoo.llama(**cfg)
    _assert_lm_matches(torch, ours, theirs, 11)


def test_mirrors_are_independent(torch: Any) -> None:
    """A deep copy of a mirror is a separate module (sanity of the harness)."""
    model = _gpt2(torch, 1, 8, 2, 10, 4, True)
    assert copy.deepcopy(model) is not model


def _bert(torch: Any, layers: int, width: int, heads: int, inter: int, vocab: int) -> Any:
    nn: Any = torch.nn

    class SelfAttention(nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.query = nn.Linear(width, width)
            self.key = nn.Linear(width, width)
            self.value = nn.Linear(width, width)
            self.dropout = nn.Dropout(0.1)

        def forward(self, x: Any) -> Any:
            q, k, v = self.query(x), self.key(x), self.value(x)
            batch, length, _ = x.shape
            dim = width // heads
            q, k, v = (t.view(batch, length, heads, dim).transpose(1, 2) for t in (q, k, v))
            scores = torch.matmul(q, k.transpose(-1, -2)).softmax(-1)
            out = torch.matmul(self.dropout(scores), v)
            return out.transpose(1, 2).reshape(batch, length, width)

    class Output(nn.Module):  # type: ignore[misc]
        def __init__(self, cin: int) -> None:
            super().__init__()
            self.dense = nn.Linear(cin, width)
            self.LayerNorm = nn.LayerNorm(width, eps=1e-12)
            self.dropout = nn.Dropout(0.1)

        def forward(self, x: Any, residual: Any) -> Any:
            return self.LayerNorm(self.dropout(self.dense(x)) + residual)

    class Attention(nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.self = SelfAttention()
            self.output = Output(width)

        def forward(self, x: Any) -> Any:
            return self.output(self.self(x), x)

    class Intermediate(nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.dense = nn.Linear(width, inter)
            self.intermediate_act_fn = nn.GELU()

        def forward(self, x: Any) -> Any:
            return self.intermediate_act_fn(self.dense(x))

    class BertLayer(nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.attention = Attention()
            self.intermediate = Intermediate()
            self.output = Output(inter)

        def forward(self, x: Any) -> Any:
            x = self.attention(x)
            return self.output(self.intermediate(x), x)

    class Embeddings(nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.word_embeddings = nn.Embedding(vocab, width, padding_idx=0)
            self.position_embeddings = nn.Embedding(64, width)
            self.token_type_embeddings = nn.Embedding(2, width)
            self.LayerNorm = nn.LayerNorm(width, eps=1e-12)
            self.dropout = nn.Dropout(0.1)

        def forward(self, ids: Any) -> Any:
            positions = torch.arange(ids.shape[1]).unsqueeze(0)
            types = torch.zeros_like(ids)
            x = self.word_embeddings(ids) + self.position_embeddings(positions)
            return self.dropout(self.LayerNorm(x + self.token_type_embeddings(types)))

    class Encoder(nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.layer = nn.ModuleList([BertLayer() for _ in range(layers)])

        def forward(self, x: Any) -> Any:
            for layer in self.layer:
                x = layer(x)
            return x

    class Pooler(nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.dense = nn.Linear(width, width)
            self.activation = nn.Tanh()

        def forward(self, x: Any) -> Any:
            return self.activation(self.dense(x[:, 0]))

    class BertModel(nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.embeddings = Embeddings()
            self.encoder = Encoder()
            self.pooler = Pooler()

        def forward(self, ids: Any) -> Any:
            return self.pooler(self.encoder(self.embeddings(ids)))

    return BertModel()


@pytest.mark.parametrize(("layers", "width", "heads", "inter"), [(2, 64, 4, 96), (1, 48, 6, 32)])
def test_bert_matches_torch_mirror(
    torch: Any, layers: int, width: int, heads: int, inter: int
) -> None:
    """Small BertModel configurations: names, totals, pooled output shape and MACs."""
    theirs = _bert(torch, layers, width, heads, inter, 91).eval()
    ours = zoo.bert(
        vocab_size=91, hidden_size=width, num_hidden_layers=layers, num_attention_heads=heads,
        intermediate_size=inter, max_position_embeddings=64,
    )  # fmt: skip
    _assert_lm_matches(torch, ours, theirs, 17)
