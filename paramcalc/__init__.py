"""paramcalc: how big is this network?

Exact parameter counts, shapes and MACs for PyTorch-style networks, with the
working shown, and no framework needed.

>>> from paramcalc import Conv2d, Flatten, Linear, MaxPool, Sequential
>>> net = Sequential(Conv2d(1, 6, 5), MaxPool(2), Conv2d(6, 16, 5), MaxPool(2),
...                  Flatten(), Linear(400, 120), Linear(120, 84), Linear(84, 10))
>>> net.params()
61706
"""

from paramcalc.containers import Module, ModuleDict, ModuleList, Sequential
from paramcalc.errors import ConfigError, ConfigTypeError, ParamcalcError, ShapeError
from paramcalc.formula import Formula
from paramcalc.graph import Concat, Repeat, Residual, Tied
from paramcalc.layer import Layer
from paramcalc.layers.activation import (
    CELU,
    ELU,
    GELU,
    GLU,
    SELU,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LeakyReLU,
    LogSoftmax,
    Mish,
    PReLU,
    ReLU,
    ReLU6,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
    Threshold,
)
from paramcalc.layers.attention import MultiheadAttention
from paramcalc.layers.conv import (
    Conv1d,
    Conv2d,
    Conv3d,
    ConvTranspose1d,
    ConvTranspose2d,
    ConvTranspose3d,
)
from paramcalc.layers.embedding import Embedding, EmbeddingBag
from paramcalc.layers.linear import Bilinear, Identity, Linear
from paramcalc.layers.norm import (
    BatchNorm1d,
    BatchNorm2d,
    BatchNorm3d,
    GroupNorm,
    InstanceNorm1d,
    InstanceNorm2d,
    InstanceNorm3d,
    LayerNorm,
    LocalResponseNorm,
    RMSNorm,
    SyncBatchNorm,
)
from paramcalc.layers.pooling import (
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AdaptiveAvgPool3d,
    AdaptiveMaxPool1d,
    AdaptiveMaxPool2d,
    AdaptiveMaxPool3d,
    AvgPool1d,
    AvgPool2d,
    AvgPool3d,
    LPPool1d,
    LPPool2d,
    LPPool3d,
    MaxPool,
    MaxPool1d,
    MaxPool2d,
    MaxPool3d,
)
from paramcalc.layers.recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from paramcalc.layers.reshape import Dropout, Flatten
from paramcalc.layers.transformer import (
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)
from paramcalc.params import Parameter, ParameterDict, ParameterList
from paramcalc.report import Report, Row

__version__ = "0.1.0"

__all__ = [
    "CELU",
    "ELU",
    "GELU",
    "GLU",
    "GRU",
    "LSTM",
    "RNN",
    "SELU",
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
    "AdaptiveAvgPool3d",
    "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d",
    "AdaptiveMaxPool3d",
    "AvgPool1d",
    "AvgPool2d",
    "AvgPool3d",
    "BatchNorm1d",
    "BatchNorm2d",
    "BatchNorm3d",
    "Bilinear",
    "Concat",
    "ConfigError",
    "ConfigTypeError",
    "Conv1d",
    "Conv2d",
    "Conv3d",
    "ConvTranspose1d",
    "ConvTranspose2d",
    "ConvTranspose3d",
    "Dropout",
    "Embedding",
    "EmbeddingBag",
    "Flatten",
    "Formula",
    "GRUCell",
    "GroupNorm",
    "Hardsigmoid",
    "Hardswish",
    "Hardtanh",
    "Identity",
    "InstanceNorm1d",
    "InstanceNorm2d",
    "InstanceNorm3d",
    "LPPool1d",
    "LPPool2d",
    "LPPool3d",
    "LSTMCell",
    "Layer",
    "LayerNorm",
    "LeakyReLU",
    "Linear",
    "LocalResponseNorm",
    "LogSoftmax",
    "MaxPool",
    "MaxPool1d",
    "MaxPool2d",
    "MaxPool3d",
    "Mish",
    "Module",
    "ModuleDict",
    "ModuleList",
    "MultiheadAttention",
    "PReLU",
    "ParamcalcError",
    "Parameter",
    "ParameterDict",
    "ParameterList",
    "RMSNorm",
    "RNNCell",
    "ReLU",
    "ReLU6",
    "Repeat",
    "Report",
    "Residual",
    "Row",
    "Sequential",
    "ShapeError",
    "SiLU",
    "Sigmoid",
    "Softmax",
    "Softplus",
    "SyncBatchNorm",
    "Tanh",
    "Threshold",
    "Tied",
    "Transformer",
    "TransformerDecoder",
    "TransformerDecoderLayer",
    "TransformerEncoder",
    "TransformerEncoderLayer",
    "__version__",
]
