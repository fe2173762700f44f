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
from paramcalc.errors import ConfigError, ConfigTypeError, ParamcalcError, ShapeError, SpecError
from paramcalc.formula import Formula
from paramcalc.layer import Layer
from paramcalc.layers.activation import ReLU
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
from paramcalc.layers.pooling import MaxPool, MaxPool1d, MaxPool2d, MaxPool3d
from paramcalc.layers.recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from paramcalc.layers.reshape import Dropout, Flatten
from paramcalc.layers.transformer import (
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)
from paramcalc.memory import Memory, memory, transformer_activation_bytes
from paramcalc.params import Parameter, ParameterDict, ParameterList
from paramcalc.report import Report, Row
from paramcalc.serial import from_dict

__version__ = "0.1.0"

__all__ = [
    "GRU",
    "LSTM",
    "RNN",
    "BatchNorm1d",
    "BatchNorm2d",
    "BatchNorm3d",
    "Bilinear",
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
    "Identity",
    "InstanceNorm1d",
    "InstanceNorm2d",
    "InstanceNorm3d",
    "LSTMCell",
    "Layer",
    "LayerNorm",
    "Linear",
    "LocalResponseNorm",
    "MaxPool",
    "MaxPool1d",
    "MaxPool2d",
    "MaxPool3d",
    "Memory",
    "Module",
    "ModuleDict",
    "ModuleList",
    "MultiheadAttention",
    "ParamcalcError",
    "Parameter",
    "ParameterDict",
    "ParameterList",
    "RMSNorm",
    "RNNCell",
    "ReLU",
    "Report",
    "Row",
    "Sequential",
    "ShapeError",
    "SpecError",
    "SyncBatchNorm",
    "Transformer",
    "TransformerDecoder",
    "TransformerDecoderLayer",
    "TransformerEncoder",
    "TransformerEncoderLayer",
    "__version__",
    "from_dict",
    "memory",
    "transformer_activation_bytes",
]
