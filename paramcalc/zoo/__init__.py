"""Reference networks with their published totals.

Each entry builds a network whose parameter names mirror the reference
implementation (torchvision, Hugging Face ``transformers``) and whose total
is the published one; the functions take keyword parameters, so one function
sizes a family.

>>> from paramcalc import zoo
>>> zoo.get("resnet50").params()
25557032
>>> zoo.entry("gpt2").published, zoo.entry("gpt2").input_shape
(124439808, (1024,))
>>> "llama2-7b" in zoo.names()
True
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from paramcalc.errors import ConfigError
from paramcalc.layer import Layer
from paramcalc.shapes import Shape

# Each family loads on first use: sizing Llama never imports the vision models.
_HOMES: dict[str, tuple[str, ...]] = {
    "paramcalc.zoo._common": (
        "Conv1D",
        "FirstToken",
        "Net",
        "Permute",
        "Pooled",
        "ScaledDotProductAttention",
        "StochasticDepth",
        "Tokens",
    ),
    "paramcalc.zoo.language": (
        "bert",
        "gpt2",
        "llama",
        "mistral",
        "qwen2",
    ),
    "paramcalc.zoo.vision": (
        "LayerNorm2d",
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
    ),
}
_WHERE = {name: module for module, names in _HOMES.items() for name in names}


def __getattr__(name: str) -> Any:
    """Load a model family's module the first time one of its names is used."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'paramcalc.zoo' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def _lazy(name: str, *args: Any, **preset: Any) -> Callable[..., Layer]:
    """A builder that loads ``name``'s module only when a network is built."""

    def build(**kwargs: Any) -> Layer:
        function: Callable[..., Layer] = __getattr__(name)
        return function(*args, **{**preset, **kwargs})

    return build


if TYPE_CHECKING:
    from paramcalc.zoo._common import (
        Conv1D as Conv1D,
        FirstToken as FirstToken,
        Net as Net,
        Permute as Permute,
        Pooled as Pooled,
        ScaledDotProductAttention as ScaledDotProductAttention,
        StochasticDepth as StochasticDepth,
        Tokens as Tokens,
    )
    from paramcalc.zoo.language import (
        bert as bert,
        gpt2 as gpt2,
        llama as llama,
        mistral as mistral,
        qwen2 as qwen2,
    )
    from paramcalc.zoo.vision import (
        LayerNorm2d as LayerNorm2d,
        alexnet as alexnet,
        convnext_tiny as convnext_tiny,
        densenet as densenet,
        efficientnet_b0 as efficientnet_b0,
        googlenet as googlenet,
        lenet5 as lenet5,
        mobilenet_v2 as mobilenet_v2,
        resnet as resnet,
        squeezenet as squeezenet,
        vgg as vgg,
        vit_b_16 as vit_b_16,
    )

__all__ = [
    "Conv1D",
    "Entry",
    "FirstToken",
    "LayerNorm2d",
    "Net",
    "Permute",
    "Pooled",
    "ScaledDotProductAttention",
    "StochasticDepth",
    "Tokens",
    "alexnet",
    "bert",
    "convnext_tiny",
    "densenet",
    "efficientnet_b0",
    "entry",
    "get",
    "googlenet",
    "gpt2",
    "lenet5",
    "llama",
    "mistral",
    "mobilenet_v2",
    "names",
    "qwen2",
    "resnet",
    "squeezenet",
    "vgg",
    "vit_b_16",
]


class Entry(NamedTuple):
    """A named reference network: how to build it and what its sources say."""

    name: str
    build: Callable[..., Layer]
    published: int
    input_shape: Shape
    source: str
    note: str


_IMAGE = (3, 224, 224)

_ENTRIES: tuple[Entry, ...] = (
    Entry("lenet5", _lazy("lenet5"), 61706, (1, 32, 32), "the seed post", "conv1–fc3, 10 classes"),
    Entry("alexnet", _lazy("alexnet"), 61100840, _IMAGE, "torchvision", "1000 classes"),
    Entry("vgg11", _lazy("vgg", 11), 132863336, _IMAGE, "torchvision", "no BatchNorm"),
    Entry("vgg16", _lazy("vgg", 16), 138357544, _IMAGE, "torchvision", "no BatchNorm"),
    Entry(
        "vgg16_bn",
        _lazy("vgg", 16, batch_norm=True),
        138365992,
        _IMAGE,
        "torchvision",
        "BatchNorm weights and biases; running statistics are buffers",
    ),
    Entry("resnet18", _lazy("resnet", 18), 11689512, _IMAGE, "torchvision", "BatchNorm affine"),
    Entry("resnet34", _lazy("resnet", 34), 21797672, _IMAGE, "torchvision", "BatchNorm affine"),
    Entry("resnet50", _lazy("resnet", 50), 25557032, _IMAGE, "torchvision", "BatchNorm affine"),
    Entry("resnet101", _lazy("resnet", 101), 44549160, _IMAGE, "torchvision", "BatchNorm affine"),
    Entry("resnet152", _lazy("resnet", 152), 60192808, _IMAGE, "torchvision", "BatchNorm affine"),
    Entry("mobilenet_v2", _lazy("mobilenet_v2"), 3504872, _IMAGE, "torchvision", "width 1.0"),
    Entry(
        "squeezenet1_0", _lazy("squeezenet", "1_0"), 1248424, _IMAGE, "torchvision", "version 1.0"
    ),
    Entry("densenet121", _lazy("densenet", 121), 7978856, _IMAGE, "torchvision", "growth 32"),
    Entry(
        "googlenet",
        _lazy("googlenet"),
        6624904,
        _IMAGE,
        "torchvision",
        "without the auxiliary classifiers",
    ),
    Entry(
        "efficientnet_b0",
        _lazy("efficientnet_b0"),
        5288548,
        _IMAGE,
        "torchvision",
        "with SE blocks",
    ),
    Entry(
        "vit_b_16",
        _lazy("vit_b_16"),
        86567656,
        _IMAGE,
        "torchvision",
        "class token and position table",
    ),
    Entry("convnext_tiny", _lazy("convnext_tiny"), 28589128, _IMAGE, "torchvision", "layer scales"),
    Entry(
        "bert-base", _lazy("bert"), 109482240, (128,), "Hugging Face", "BertModel with the pooler"
    ),
    Entry("gpt2", _lazy("gpt2"), 124439808, (1024,), "Hugging Face", "LM head tied to wte"),
    Entry(
        "gpt2-untied",
        _lazy("gpt2", tie_word_embeddings=False),
        163037184,
        (1024,),
        "Hugging Face",
        "LM head counted apart",
    ),
    Entry("gpt2-medium", _lazy("gpt2", "medium"), 354823168, (1024,), "Hugging Face", "tied"),
    Entry("gpt2-large", _lazy("gpt2", "large"), 774030080, (1024,), "Hugging Face", "tied"),
    Entry("gpt2-xl", _lazy("gpt2", "xl"), 1557611200, (1024,), "Hugging Face", "tied"),
    Entry(
        "llama2-7b",
        _lazy("llama", max_position_embeddings=4096),
        6738415616,
        (4096,),
        "Hugging Face",
        "untied LM head",
    ),
    Entry(
        "llama2-13b",
        _lazy(
            "llama",
            hidden_size=5120,
            intermediate_size=13824,
            num_hidden_layers=40,
            num_attention_heads=40,
            max_position_embeddings=4096,
        ),
        13015864320,
        (4096,),
        "Hugging Face",
        "untied LM head",
    ),
    Entry(
        "llama2-70b",
        _lazy(
            "llama",
            hidden_size=8192,
            intermediate_size=28672,
            num_hidden_layers=80,
            num_attention_heads=64,
            num_key_value_heads=8,
            max_position_embeddings=4096,
        ),
        68976648192,
        (4096,),
        "Hugging Face",
        "8 KV heads, untied LM head",
    ),
    Entry(
        "llama3-8b",
        _lazy(
            "llama",
            vocab_size=128256,
            intermediate_size=14336,
            num_key_value_heads=8,
            max_position_embeddings=8192,
        ),
        8030261248,
        (8192,),
        "Hugging Face",
        "128,256-token vocabulary, 8 KV heads",
    ),
    Entry(
        "mistral-7b",
        _lazy("mistral", max_position_embeddings=32768),
        7241732096,
        (4096,),
        "Hugging Face",
        "v0.1, 8 KV heads",
    ),
    Entry(
        "qwen2-0.5b",
        _lazy("qwen2"),
        494032768,
        (4096,),
        "Hugging Face",
        "tied LM head, q/k/v biases",
    ),
)


def names() -> tuple[str, ...]:
    """The registered model names, in gallery order."""
    return tuple(item.name for item in _ENTRIES)


def entry(name: str) -> Entry:
    """The registry entry for ``name`` (ignoring case, ``-`` and ``_``: ``"ResNet-50"``)."""

    def key(text: str) -> str:
        return text.lower().replace("_", "").replace("-", "")

    for item in _ENTRIES:
        if key(item.name) == key(name):
            return item
    raise ConfigError(f"zoo: unknown model {name!r}. Known: {', '.join(names())}.")


def get(name: str, **kwargs: Any) -> Layer:
    """Build the registered network ``name``; keyword arguments go to its function.

    >>> get("resnet18", num_classes=10).params()
    11181642
    """
    return entry(name).build(**kwargs)
