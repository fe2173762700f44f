"""The layer classes the zoo builds with, under one short name (``pc.Linear``).

The zoo's modules import ``from paramcalc.zoo import _nn as pc`` rather than
``import paramcalc as pc``: the package's public table sits above everything,
so importing it from below would close an import cycle. Each class loads on
first use (PEP 562), so a Llama never imports the convolution or pooling families.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from paramcalc.containers import (
        Sequential as Sequential,
    )
    from paramcalc.graph import (
        Tied as Tied,
    )
    from paramcalc.layers.activation import (
        GELU as GELU,
        ReLU as ReLU,
        ReLU6 as ReLU6,
        Sigmoid as Sigmoid,
        SiLU as SiLU,
        Tanh as Tanh,
    )
    from paramcalc.layers.attention import (
        MultiheadAttention as MultiheadAttention,
    )
    from paramcalc.layers.conv import (
        Conv1d as Conv1d,
        Conv2d as Conv2d,
    )
    from paramcalc.layers.embedding import (
        Embedding as Embedding,
    )
    from paramcalc.layers.linear import (
        Identity as Identity,
        Linear as Linear,
    )
    from paramcalc.layers.norm import (
        BatchNorm2d as BatchNorm2d,
        LayerNorm as LayerNorm,
        RMSNorm as RMSNorm,
    )
    from paramcalc.layers.pooling import (
        AdaptiveAvgPool2d as AdaptiveAvgPool2d,
        AvgPool2d as AvgPool2d,
        MaxPool2d as MaxPool2d,
    )
    from paramcalc.layers.reshape import (
        Dropout as Dropout,
        Flatten as Flatten,
        PixelShuffle as PixelShuffle,
        Unflatten as Unflatten,
    )
    from paramcalc.params import (
        Parameter as Parameter,
    )

_HOMES = {
    "AdaptiveAvgPool2d": "paramcalc.layers.pooling",
    "AvgPool2d": "paramcalc.layers.pooling",
    "BatchNorm2d": "paramcalc.layers.norm",
    "Conv1d": "paramcalc.layers.conv",
    "Conv2d": "paramcalc.layers.conv",
    "Dropout": "paramcalc.layers.reshape",
    "Embedding": "paramcalc.layers.embedding",
    "Flatten": "paramcalc.layers.reshape",
    "GELU": "paramcalc.layers.activation",
    "Identity": "paramcalc.layers.linear",
    "LayerNorm": "paramcalc.layers.norm",
    "Linear": "paramcalc.layers.linear",
    "MaxPool2d": "paramcalc.layers.pooling",
    "MultiheadAttention": "paramcalc.layers.attention",
    "Parameter": "paramcalc.params",
    "PixelShuffle": "paramcalc.layers.reshape",
    "RMSNorm": "paramcalc.layers.norm",
    "ReLU": "paramcalc.layers.activation",
    "ReLU6": "paramcalc.layers.activation",
    "Sequential": "paramcalc.containers",
    "SiLU": "paramcalc.layers.activation",
    "Sigmoid": "paramcalc.layers.activation",
    "Tanh": "paramcalc.layers.activation",
    "Tied": "paramcalc.graph",
    "Unflatten": "paramcalc.layers.reshape",
}


def __getattr__(name: str) -> type:
    """Import the family module holding ``name`` on first use, then cache the class."""
    try:
        module = _HOMES[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value: type = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "GELU",
    "AdaptiveAvgPool2d",
    "AvgPool2d",
    "BatchNorm2d",
    "Conv1d",
    "Conv2d",
    "Dropout",
    "Embedding",
    "Flatten",
    "Identity",
    "LayerNorm",
    "Linear",
    "MaxPool2d",
    "MultiheadAttention",
    "Parameter",
    "PixelShuffle",
    "RMSNorm",
    "ReLU",
    "ReLU6",
    "Sequential",
    "SiLU",
    "Sigmoid",
    "Tanh",
    "Tied",
    "Unflatten",
]
