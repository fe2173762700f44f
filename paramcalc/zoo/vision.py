"""Vision networks, named as torchvision names them.

Every function returns a network whose ``named_parameters()`` equal
torchvision's, name by name and shape by shape, so its totals are the
published ones. One module per family group: :mod:`~paramcalc.zoo.convnets`
(LeNet, AlexNet, VGG, ResNet), :mod:`~paramcalc.zoo.mobile` (MobileNetV2,
SqueezeNet, EfficientNet), :mod:`~paramcalc.zoo.branching` (DenseNet,
GoogLeNet) and :mod:`~paramcalc.zoo.vit` (ViT, ConvNeXt); this module gathers
them under their old import path.

>>> from paramcalc.zoo.vision import resnet
>>> net = resnet(50)
>>> net.params(), net.output_shape((3, 224, 224))
(25557032, (1000,))
"""

from __future__ import annotations

from paramcalc.zoo.branching import (
    DenseNet as DenseNet,
    GoogLeNet as GoogLeNet,
    densenet as densenet,
    googlenet as googlenet,
)
from paramcalc.zoo.convnets import (
    VGG as VGG,
    AlexNet as AlexNet,
    LeNet as LeNet,
    ResNet as ResNet,
    alexnet as alexnet,
    lenet5 as lenet5,
    resnet as resnet,
    vgg as vgg,
)
from paramcalc.zoo.mobile import (
    EfficientNet as EfficientNet,
    MobileNetV2 as MobileNetV2,
    SqueezeNet as SqueezeNet,
    efficientnet_b0 as efficientnet_b0,
    mobilenet_v2 as mobilenet_v2,
    squeezenet as squeezenet,
)
from paramcalc.zoo.vit import (
    ConvNeXt as ConvNeXt,
    LayerNorm2d as LayerNorm2d,
    VisionTransformer as VisionTransformer,
    convnext_tiny as convnext_tiny,
    vit_b_16 as vit_b_16,
)
