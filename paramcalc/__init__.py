"""paramcalc: how big is this network?

Exact parameter counts, shapes and MACs for PyTorch-style networks, with the
working shown, and no framework needed.

>>> from paramcalc import Conv2d, Flatten, Linear, MaxPool, Sequential
>>> net = Sequential(Conv2d(1, 6, 5), MaxPool(2), Conv2d(6, 16, 5), MaxPool(2),
...                  Flatten(), Linear(400, 120), Linear(120, 84), Linear(84, 10))
>>> net.params()
61706
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # not typing's: importing typing would cost more than the rest

__version__ = "0.1.0"

# Where each public name lives. Modules load on first use (PEP 562), so
# ``import paramcalc`` costs next to nothing and a notebook that needs
# Conv2d never loads the renderers, the parsers or the zoo.
_HOMES: dict[str, tuple[str, ...]] = {
    "paramcalc.containers": (
        "Module",
        "ModuleDict",
        "ModuleList",
        "Sequential",
    ),
    "paramcalc.errors": (
        "ConfigError",
        "ConfigTypeError",
        "ParamcalcError",
        "ShapeError",
        "SpecError",
    ),
    "paramcalc.footprint": (
        "Memory",
        "memory",
        "transformer_activation_bytes",
    ),
    "paramcalc.formula": ("Formula",),
    "paramcalc.graph": (
        "Concat",
        "Repeat",
        "Residual",
        "Tied",
    ),
    "paramcalc.hf": ("from_hf_config",),
    "paramcalc.layer": ("Layer",),
    "paramcalc.layers.activation": (
        "CELU",
        "ELU",
        "GELU",
        "GLU",
        "Hardshrink",
        "Hardsigmoid",
        "Hardswish",
        "Hardtanh",
        "LeakyReLU",
        "LogSigmoid",
        "LogSoftmax",
        "Mish",
        "PReLU",
        "RReLU",
        "ReLU",
        "ReLU6",
        "SELU",
        "SiLU",
        "Sigmoid",
        "Softmax",
        "Softmax2d",
        "Softmin",
        "Softplus",
        "Softshrink",
        "Softsign",
        "Tanh",
        "Tanhshrink",
        "Threshold",
    ),
    "paramcalc.layers.adaptive_pool": (
        "AdaptiveAvgPool1d",
        "AdaptiveAvgPool2d",
        "AdaptiveAvgPool3d",
        "AdaptiveMaxPool1d",
        "AdaptiveMaxPool2d",
        "AdaptiveMaxPool3d",
    ),
    "paramcalc.layers.attention": ("MultiheadAttention",),
    "paramcalc.layers.conv": (
        "Conv1d",
        "Conv2d",
        "Conv3d",
        "ConvTranspose1d",
        "ConvTranspose2d",
        "ConvTranspose3d",
    ),
    "paramcalc.layers.embedding": (
        "Embedding",
        "EmbeddingBag",
    ),
    "paramcalc.layers.linear": (
        "Bilinear",
        "Identity",
        "Linear",
    ),
    "paramcalc.layers.norm": (
        "BatchNorm1d",
        "BatchNorm2d",
        "BatchNorm3d",
        "GroupNorm",
        "InstanceNorm1d",
        "InstanceNorm2d",
        "InstanceNorm3d",
        "LayerNorm",
        "LocalResponseNorm",
        "RMSNorm",
        "SyncBatchNorm",
    ),
    "paramcalc.layers.padding": (
        "CircularPad1d",
        "CircularPad2d",
        "CircularPad3d",
        "ConstantPad1d",
        "ConstantPad2d",
        "ConstantPad3d",
        "ReflectionPad1d",
        "ReflectionPad2d",
        "ReflectionPad3d",
        "ReplicationPad1d",
        "ReplicationPad2d",
        "ReplicationPad3d",
        "ZeroPad1d",
        "ZeroPad2d",
        "ZeroPad3d",
    ),
    "paramcalc.layers.pooling": (
        "AvgPool1d",
        "AvgPool2d",
        "AvgPool3d",
        "LPPool1d",
        "LPPool2d",
        "LPPool3d",
        "MaxPool",
        "MaxPool1d",
        "MaxPool2d",
        "MaxPool3d",
    ),
    "paramcalc.layers.unpool": (
        "FractionalMaxPool2d",
        "FractionalMaxPool3d",
        "MaxUnpool1d",
        "MaxUnpool2d",
        "MaxUnpool3d",
    ),
    "paramcalc.layers.recurrent": (
        "GRU",
        "GRUCell",
        "LSTM",
        "LSTMCell",
        "RNN",
        "RNNCell",
    ),
    "paramcalc.layers.reshape": (
        "AlphaDropout",
        "ChannelShuffle",
        "Dropout",
        "Dropout1d",
        "Dropout2d",
        "Dropout3d",
        "FeatureAlphaDropout",
        "Flatten",
        "Fold",
        "PixelShuffle",
        "PixelUnshuffle",
        "Unflatten",
        "Unfold",
        "Upsample",
        "UpsamplingBilinear2d",
        "UpsamplingNearest2d",
    ),
    "paramcalc.layers.transformer": (
        "Transformer",
        "TransformerDecoder",
        "TransformerDecoderLayer",
        "TransformerEncoder",
        "TransformerEncoderLayer",
    ),
    "paramcalc.params": (
        "Parameter",
        "ParameterDict",
        "ParameterList",
    ),
    "paramcalc.report": (
        "Report",
        "Row",
    ),
    "paramcalc.serial": ("from_dict",),
}

_WHERE = {name: module for module, names in _HOMES.items() for name in names}

__all__ = ["__version__", *_WHERE]  # the table is the one list of public names


def __getattr__(name: str) -> object:
    """Load a public name's module the first time the name is used."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'paramcalc' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


if TYPE_CHECKING:  # the same names, eagerly, for type checkers and IDEs
    from paramcalc.containers import (
        Module as Module,
        ModuleDict as ModuleDict,
        ModuleList as ModuleList,
        Sequential as Sequential,
    )
    from paramcalc.errors import (
        ConfigError as ConfigError,
        ConfigTypeError as ConfigTypeError,
        ParamcalcError as ParamcalcError,
        ShapeError as ShapeError,
        SpecError as SpecError,
    )
    from paramcalc.footprint import (
        Memory as Memory,
        memory as memory,
        transformer_activation_bytes as transformer_activation_bytes,
    )
    from paramcalc.formula import Formula as Formula
    from paramcalc.graph import (
        Concat as Concat,
        Repeat as Repeat,
        Residual as Residual,
        Tied as Tied,
    )
    from paramcalc.hf import from_hf_config as from_hf_config
    from paramcalc.layer import Layer as Layer
    from paramcalc.layers.activation import (
        CELU as CELU,
        ELU as ELU,
        GELU as GELU,
        GLU as GLU,
        SELU as SELU,
        Hardshrink as Hardshrink,
        Hardsigmoid as Hardsigmoid,
        Hardswish as Hardswish,
        Hardtanh as Hardtanh,
        LeakyReLU as LeakyReLU,
        LogSigmoid as LogSigmoid,
        LogSoftmax as LogSoftmax,
        Mish as Mish,
        PReLU as PReLU,
        ReLU as ReLU,
        ReLU6 as ReLU6,
        RReLU as RReLU,
        Sigmoid as Sigmoid,
        SiLU as SiLU,
        Softmax as Softmax,
        Softmax2d as Softmax2d,
        Softmin as Softmin,
        Softplus as Softplus,
        Softshrink as Softshrink,
        Softsign as Softsign,
        Tanh as Tanh,
        Tanhshrink as Tanhshrink,
        Threshold as Threshold,
    )
    from paramcalc.layers.adaptive_pool import (
        AdaptiveAvgPool1d as AdaptiveAvgPool1d,
        AdaptiveAvgPool2d as AdaptiveAvgPool2d,
        AdaptiveAvgPool3d as AdaptiveAvgPool3d,
        AdaptiveMaxPool1d as AdaptiveMaxPool1d,
        AdaptiveMaxPool2d as AdaptiveMaxPool2d,
        AdaptiveMaxPool3d as AdaptiveMaxPool3d,
    )
    from paramcalc.layers.attention import MultiheadAttention as MultiheadAttention
    from paramcalc.layers.conv import (
        Conv1d as Conv1d,
        Conv2d as Conv2d,
        Conv3d as Conv3d,
        ConvTranspose1d as ConvTranspose1d,
        ConvTranspose2d as ConvTranspose2d,
        ConvTranspose3d as ConvTranspose3d,
    )
    from paramcalc.layers.embedding import Embedding as Embedding, EmbeddingBag as EmbeddingBag
    from paramcalc.layers.linear import Bilinear as Bilinear, Identity as Identity, Linear as Linear
    from paramcalc.layers.norm import (
        BatchNorm1d as BatchNorm1d,
        BatchNorm2d as BatchNorm2d,
        BatchNorm3d as BatchNorm3d,
        GroupNorm as GroupNorm,
        InstanceNorm1d as InstanceNorm1d,
        InstanceNorm2d as InstanceNorm2d,
        InstanceNorm3d as InstanceNorm3d,
        LayerNorm as LayerNorm,
        LocalResponseNorm as LocalResponseNorm,
        RMSNorm as RMSNorm,
        SyncBatchNorm as SyncBatchNorm,
    )
    from paramcalc.layers.padding import (
        CircularPad1d as CircularPad1d,
        CircularPad2d as CircularPad2d,
        CircularPad3d as CircularPad3d,
        ConstantPad1d as ConstantPad1d,
        ConstantPad2d as ConstantPad2d,
        ConstantPad3d as ConstantPad3d,
        ReflectionPad1d as ReflectionPad1d,
        ReflectionPad2d as ReflectionPad2d,
        ReflectionPad3d as ReflectionPad3d,
        ReplicationPad1d as ReplicationPad1d,
        ReplicationPad2d as ReplicationPad2d,
        ReplicationPad3d as ReplicationPad3d,
        ZeroPad1d as ZeroPad1d,
        ZeroPad2d as ZeroPad2d,
        ZeroPad3d as ZeroPad3d,
    )
    from paramcalc.layers.pooling import (
        AvgPool1d as AvgPool1d,
        AvgPool2d as AvgPool2d,
        AvgPool3d as AvgPool3d,
        LPPool1d as LPPool1d,
        LPPool2d as LPPool2d,
        LPPool3d as LPPool3d,
        MaxPool as MaxPool,
        MaxPool1d as MaxPool1d,
        MaxPool2d as MaxPool2d,
        MaxPool3d as MaxPool3d,
    )
    from paramcalc.layers.recurrent import (
        GRU as GRU,
        LSTM as LSTM,
        RNN as RNN,
        GRUCell as GRUCell,
        LSTMCell as LSTMCell,
        RNNCell as RNNCell,
    )
    from paramcalc.layers.reshape import (
        AlphaDropout as AlphaDropout,
        ChannelShuffle as ChannelShuffle,
        Dropout as Dropout,
        Dropout1d as Dropout1d,
        Dropout2d as Dropout2d,
        Dropout3d as Dropout3d,
        FeatureAlphaDropout as FeatureAlphaDropout,
        Flatten as Flatten,
        Fold as Fold,
        PixelShuffle as PixelShuffle,
        PixelUnshuffle as PixelUnshuffle,
        Unflatten as Unflatten,
        Unfold as Unfold,
        Upsample as Upsample,
        UpsamplingBilinear2d as UpsamplingBilinear2d,
        UpsamplingNearest2d as UpsamplingNearest2d,
    )
    from paramcalc.layers.transformer import (
        Transformer as Transformer,
        TransformerDecoder as TransformerDecoder,
        TransformerDecoderLayer as TransformerDecoderLayer,
        TransformerEncoder as TransformerEncoder,
        TransformerEncoderLayer as TransformerEncoderLayer,
    )
    from paramcalc.layers.unpool import (
        FractionalMaxPool2d as FractionalMaxPool2d,
        FractionalMaxPool3d as FractionalMaxPool3d,
        MaxUnpool1d as MaxUnpool1d,
        MaxUnpool2d as MaxUnpool2d,
        MaxUnpool3d as MaxUnpool3d,
    )
    from paramcalc.params import (
        Parameter as Parameter,
        ParameterDict as ParameterDict,
        ParameterList as ParameterList,
    )
    from paramcalc.report import Report as Report, Row as Row
    from paramcalc.serial import from_dict as from_dict
