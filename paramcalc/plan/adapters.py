"""The layers a PEFT LoRA model is made of: LoRA wrappers, saved copies, partly frozen leaves.

:func:`paramcalc.lora` builds networks out of these; each mirrors a module of
``peft`` 0.21.2 (``peft/tuners/lora/layer.py``, ``peft/utils/other.py``) with
its children, names and order, so ``named_parameters()`` reads as PEFT's.

>>> from paramcalc import Linear
>>> layer = LoraLinear.wrap(Linear(16, 8).freeze(), r=4, lora_bias=False, use_dora=True)
>>> [(name, shape) for name, shape in layer.named_parameters()]  # doctest: +NORMALIZE_WHITESPACE
[('base_layer.weight', (8, 16)), ('base_layer.bias', (8,)),
 ('lora_A.default.weight', (4, 16)), ('lora_B.default.weight', (8, 4)),
 ('lora_magnitude_vector.default.weight', (8,))]
>>> layer.params(), layer.trainable_params()  # 4·16 + 8·4 + 8 trainable
(240, 104)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import ClassVar

from paramcalc.children import run_child
from paramcalc.containers import ModuleDict
from paramcalc.errors import ConfigError
from paramcalc.graph import Repeat, Tied
from paramcalc.layer import Composite, Counts, Layer, Visit, _Tally
from paramcalc.layers.embedding import Embedding
from paramcalc.layers.linear import Linear
from paramcalc.params import Parameter, ParameterDict
from paramcalc.shapes import Shape, numel
from paramcalc.zoo._common import Conv1D, Net

__all__ = [
    "Copies",
    "LoraEmbedding",
    "LoraLinear",
    "LoraModel",
    "Magnitude",
    "ModulesToSaveWrapper",
    "PartlyTrainable",
    "PeftModel",
    "features",
    "named_requires_grad",
    "restack",
    "retrain",
    "stack_runs",
]


def features(layer: Layer) -> tuple[int, int] | None:
    """``(in_features, out_features)`` of a layer LoRA can wrap as a linear one, else None.

    >>> features(Conv1D(2304, 768)), features(Linear(3, 5))
    ((768, 2304), (3, 5))
    """
    base = layer
    while isinstance(base, (Tied, PartlyTrainable)):
        base = base.layer
    if isinstance(base, Linear):
        return base.in_features, base.out_features
    if isinstance(base, Conv1D):
        return base.nx, base.nf
    return None


@dataclass(frozen=True, repr=False, eq=False)
class PartlyTrainable(Layer):
    """A leaf whose tensors named in ``trained`` are trainable and the others frozen.

    PEFT's ``bias="all"``/``"lora_only"`` trains a layer's bias but not its
    weight; paramcalc's ``trainable`` flag is per layer, so this wrapper holds
    the per-tensor choice. Names, shapes and MACs are the wrapped layer's.
    :func:`paramcalc.lora` builds them with ``trainable=False`` (mostly
    frozen), which is what a report's single-device memory line reads; the
    training planner reads ``trained`` tensor by tensor.

    >>> half = PartlyTrainable(Linear(4, 2), frozenset({"bias"}))
    >>> half.params(), half.trainable_params(), list(half.named_parameters())[1]
    (10, 2, ('bias', (2,)))
    """

    layer: Layer = field(default_factory=Layer)
    trained: frozenset[str] = frozenset()

    def parameter_shapes(self) -> tuple[tuple[str, Shape], ...]:
        return self.layer.parameter_shapes()

    def buffer_shapes(self) -> tuple[tuple[str, Shape], ...]:
        return self.layer.buffer_shapes()

    def buffer_dtype(self, name: str) -> str | None:
        return self.layer.buffer_dtype(name)

    def infer_shape(self, shape: Shape) -> Shape:
        return self.layer.infer_shape(shape)

    def count_macs(self, shape: Shape, output: Shape) -> int:
        return self.layer.count_macs(shape, output)

    def count_elementwise(self, shape: Shape, output: Shape) -> int:
        return self.layer.count_elementwise(shape, output)

    def cache_shapes(self, tokens: int, encoder_tokens: int = 0) -> tuple[tuple[str, Shape], ...]:
        return self.layer.cache_shapes(tokens, encoder_tokens)

    def ties(self) -> tuple[tuple[str, str], ...]:
        return self.layer.ties()

    def params_per_use(self) -> int:
        return self.layer.params_per_use()

    @cached_property
    def _counts(self) -> Counts:
        params = trained = 0
        for name, shape in self.parameter_shapes():
            size = numel(shape)
            params += size
            if name in self.trained:
                trained += size
        return Counts(params, trained, self.layer.buffers())

    def __repr__(self) -> str:
        return f"PartlyTrainable({self.layer!r}, trained={sorted(self.trained)!r})"


@dataclass(frozen=True, repr=False, eq=False)
class Magnitude(Layer):
    """DoRA's magnitude vector (``peft``'s ``DoraLinearLayer``): one ``weight`` of ``(out,)``.

    >>> list(Magnitude(8).named_parameters())
    [('weight', (8,))]
    """

    size: int = 1

    def parameter_shapes(self) -> tuple[tuple[str, Shape], ...]:
        return (("weight", (self.size,)),)


def _adapter_dict(layer: Layer) -> ModuleDict:
    return ModuleDict({"default": layer})


@dataclass(frozen=True, init=False, repr=False, eq=False)
class _LoraLayer(Composite):
    """A frozen ``base_layer`` and its adapters, as ``peft``'s ``LoraLayer`` registers them."""

    entries: tuple[tuple[str, Layer], ...] = field(default=())
    r: int = 0

    def __init__(self, entries: tuple[tuple[str, Layer], ...], r: int) -> None:
        object.__setattr__(self, "entries", entries)
        object.__setattr__(self, "r", r)
        object.__setattr__(self, "trainable", True)

    def children(self) -> Iterator[tuple[str, Layer]]:
        return iter(self.entries)

    def rebuild(self, children: list[Layer]) -> _LoraLayer:
        names = [name for name, _ in self.entries]
        return type(self)(tuple(zip(names, children, strict=True)), self.r)

    def child(self, name: str) -> Layer:
        """The child called ``name``."""
        return dict(self.entries)[name]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.child('base_layer')!r}, r={self.r})"


class LoraLinear(_LoraLayer):
    """``peft.tuners.lora.Linear``: ``base_layer``, ``lora_A``, ``lora_B`` (and DoRA's magnitude).

    Also GPT-2's ``Conv1D`` (``fan_in_fan_out``): the adapters are ``nn.Linear``
    whatever the base layer's layout.
    """

    @classmethod
    def wrap(cls, base: Layer, *, r: int, lora_bias: bool, use_dora: bool) -> LoraLinear:
        """The LoRA layer of rank ``r`` around ``base`` (a Linear or Conv1D, frozen here)."""
        sizes = features(base)
        if sizes is None:  # pragma: no cover - the caller checks
            raise TypeError(type(base).__name__)
        fan_in, fan_out = sizes
        entries: list[tuple[str, Layer]] = [
            ("base_layer", base),
            ("lora_A", _adapter_dict(Linear(fan_in, r, bias=False))),
            ("lora_B", _adapter_dict(Linear(r, fan_out, bias=lora_bias))),
        ]
        if use_dora:
            entries.append(("lora_magnitude_vector", _adapter_dict(Magnitude(fan_out))))
        return cls(tuple(entries), r)

    def forward_shapes(self, visit: Visit, shape: Shape | None) -> Shape | None:
        out = visit("base_layer", self.child("base_layer"), shape)
        low = visit("lora_A", self.child("lora_A"), shape)
        visit("lora_B", self.child("lora_B"), low)
        if "lora_magnitude_vector" in dict(self.entries):
            visit("lora_magnitude_vector", self.child("lora_magnitude_vector"), None)
        return out


class LoraEmbedding(_LoraLayer):
    """``peft.tuners.lora.Embedding``: ``lora_embedding_A (r, num)``, ``…_B (dim, r)``."""

    @classmethod
    def wrap(cls, base: Layer, *, r: int, use_dora: bool) -> LoraEmbedding:
        """The LoRA layer of rank ``r`` around an ``Embedding``."""
        table = base
        while isinstance(table, (Tied, PartlyTrainable)):
            table = table.layer
        if not isinstance(table, Embedding):  # pragma: no cover - the caller checks
            raise TypeError(type(base).__name__)
        entries: list[tuple[str, Layer]] = [
            ("base_layer", base),
            (
                "lora_embedding_A",
                ParameterDict([("default", Parameter((r, table.num_embeddings)))]),
            ),
            ("lora_embedding_B", ParameterDict([("default", Parameter((table.embedding_dim, r)))])),
        ]
        if use_dora:
            entries.append(("lora_magnitude_vector", _adapter_dict(Magnitude(table.embedding_dim))))
        return cls(tuple(entries), r)

    def forward_shapes(self, visit: Visit, shape: Shape | None) -> Shape | None:
        out = visit("base_layer", self.child("base_layer"), shape)
        for name, child in self.entries[1:]:
            visit(name, child, None)
        return out


@dataclass(frozen=True, init=False, repr=False, eq=False)
class ModulesToSaveWrapper(Composite):
    """``peft``'s copy of a module trained in full: ``original_module`` (frozen) and a copy.

    The copy runs; the frozen original is kept (and counted, as PEFT's
    ``get_nb_trainable_parameters`` counts it).
    """

    original: Layer = field(default_factory=Layer)
    copy: Layer = field(default_factory=Layer)

    def __init__(self, original: Layer, copy: Layer) -> None:
        object.__setattr__(self, "original", original)
        object.__setattr__(self, "copy", _adapter_dict(copy))
        object.__setattr__(self, "trainable", True)

    def children(self) -> Iterator[tuple[str, Layer]]:
        yield "original_module", self.original
        yield "modules_to_save", self.copy

    def forward_shapes(self, visit: Visit, shape: Shape | None) -> Shape | None:
        visit("original_module", self.original, None)
        return visit("modules_to_save", self.copy, shape)

    def rebuild(self, children: list[Layer]) -> ModulesToSaveWrapper:
        original, saved = children
        return ModulesToSaveWrapper(original, dict(saved.children())["default"])

    def __repr__(self) -> str:
        return f"ModulesToSaveWrapper({self.original!r})"


class LoraModel(Net):
    """``peft``'s ``LoraModel``: holds the adapted network as ``model``."""


class PeftModel(Net):
    """``peft``'s ``PeftModelFor…``: holds the ``LoraModel`` as ``base_model``.

    :func:`paramcalc.lora` returns one; ``settings`` holds the resolved
    options and ``targeted`` the adapted module paths (copies of a repeated
    block summarised by the first copy and a count).
    """


def stack_runs(layer: Layer) -> tuple[tuple[Layer, int], ...] | None:
    """``(block, count)`` runs of a stack of distinct copies (``Repeat``, ``hf``'s ``LayerStack``).

    None for any other layer. Copies are named ``f"{prefix}{index}"``, ``index``
    running on over the runs.

    >>> from paramcalc import Repeat
    >>> stack_runs(Repeat(Linear(2, 2), 3))[0][1], stack_runs(Linear(2, 2))
    (3, None)
    """
    if isinstance(layer, Repeat):
        return ((layer.block, layer.n),)
    runs = getattr(layer, "runs", None)
    if isinstance(layer, Composite) and layer.distinct_copies and isinstance(runs, tuple):
        return runs
    return None


@dataclass(frozen=True, init=False, repr=False, eq=False)
class Copies(Composite):
    """Copies of a repeated block that PEFT adapted differently (``layers_to_transform``).

    Named and counted as the ``Repeat`` it replaces (``0.…``, ``1.…``), held
    as ``runs`` of ``(block, count)``: ``count`` equal copies in a row, so its
    cost follows the runs, not the depth.
    """

    distinct_copies: ClassVar[bool] = True

    runs: tuple[tuple[Layer, int], ...] = ()
    prefix: str = ""

    def __init__(self, runs: list[tuple[Layer, int]], prefix: str) -> None:
        object.__setattr__(self, "runs", tuple(runs))
        object.__setattr__(self, "prefix", prefix)
        object.__setattr__(self, "trainable", True)

    def children(self) -> Iterator[tuple[str, Layer]]:
        index = 0
        for block, count in self.runs:
            for _ in range(count):
                yield f"{self.prefix}{index}", block
                index += 1

    def _find_child(self, name: str) -> Layer | None:
        return run_child(self.runs, name, self.prefix)

    def _child_at(self, index: int) -> Layer:
        child = run_child(self.runs, index)
        if child is None:
            raise IndexError(f"Copies index {index} is out of range")
        return child

    def forward_shapes(self, visit: Visit, shape: Shape | None) -> Shape | None:
        start = 0
        for block, count in self.runs:
            shape = visit(self.prefix, block, shape, copies=count, first=start)
            start += count
        return shape

    def rebuild(self, children: list[Layer]) -> Copies:
        runs: list[tuple[Layer, int]] = []
        start = 0
        for _, count in self.runs:
            first = children[start]
            if any(child is not first for child in children[start : start + count]):
                raise ConfigError(
                    "lora: the copies of a repeated layer are identical; freeze or "
                    "unfreeze all of them or none."
                )
            runs.append((first, count))
            start += count
        return Copies(runs, self.prefix)

    def _named(self, which: str, prefix: str, seen: set[int]) -> Iterator[tuple[str, Shape]]:
        if id(self) in seen:
            return
        seen.add(id(self))
        for name, block in self.children():
            yield from ModuleDict({name: block})._named(which, prefix, set())

    def _tally(self, tally: _Tally) -> None:
        if id(self) in tally.seen:
            return
        tally.seen.add(id(self))
        for block, count in self.runs:
            counts = block._counts
            tally.params += count * counts.params
            tally.trainable += count * counts.trainable
            tally.buffers += count * counts.buffers

    def _sum(self, what: str, seen: set[int]) -> int:
        if id(self) in seen:
            return 0
        seen.add(id(self))
        return sum(count * block._sum(what, set()) for block, count in self.runs)

    def params_per_use(self) -> int:
        return sum(count * block.params_per_use() for block, count in self.runs)


def restack(layer: Layer, runs: list[tuple[Layer, int]]) -> Layer:
    """A stack like ``layer`` with new runs (a ``Repeat`` takes one)."""
    if isinstance(layer, Repeat):
        ((block, count),) = runs
        return Repeat(block, count, prefix=layer.prefix)
    if isinstance(layer, Copies):
        return Copies(runs, layer.prefix)
    rebuilt: Layer = type(layer)(runs)  # type: ignore[call-arg,arg-type]
    return rebuilt


def retrain(layer: Layer, value: bool, *, untie: bool = False) -> Layer:
    """A structural copy of ``layer`` with every leaf a new object, trainable or frozen.

    New objects matter: paramcalc counts a layer object once, so a copy that
    shared leaves with its original would not add to the count. ``untie``
    replaces tied layers by the full layer (``copy.deepcopy`` of a tied module
    gives it its own weight).

    >>> from paramcalc import Sequential
    >>> net = Sequential(Linear(2, 2))
    >>> copy = retrain(net, False)
    >>> copy[0] is net[0], copy.trainable_params()
    (False, 0)
    """
    runs = stack_runs(layer)
    if runs is not None:
        return restack(layer, [(retrain(block, value, untie=untie), n) for block, n in runs])
    if isinstance(layer, Composite):
        return layer.rebuild([retrain(child, value, untie=untie) for _, child in layer.children()])
    if untie and isinstance(layer, Tied):
        return dataclasses.replace(layer.layer, trainable=value)
    if isinstance(layer, PartlyTrainable):
        return retrain(layer.layer, value, untie=untie)
    return dataclasses.replace(layer, trainable=value)


def named_requires_grad(net: Layer) -> Iterator[tuple[str, Shape, bool]]:
    """``(name, shape, requires_grad)`` of each parameter, in ``named_parameters()`` order.

    >>> from paramcalc import Sequential
    >>> list(named_requires_grad(Sequential(PartlyTrainable(Linear(2, 1), frozenset({"bias"})))))
    [('0.weight', (1, 2), False), ('0.bias', (1,), True)]
    """
    yield from _walk_named(net, "", set())


def _leaf_flags(layer: Layer) -> Iterator[tuple[str, Shape, bool]]:
    for tensor, shape in layer.parameter_shapes():
        if isinstance(layer, PartlyTrainable):
            yield tensor, shape, tensor in layer.trained
        else:
            yield tensor, shape, layer.trainable


def _walk_named(node: Layer, prefix: str, seen: set[int]) -> Iterator[tuple[str, Shape, bool]]:
    if not isinstance(node, Composite):
        if id(node) not in seen:
            seen.add(id(node))
            for tensor, shape, flag in _leaf_flags(node):
                yield (
                    (prefix + tensor if tensor else prefix[:-1]) if prefix else tensor,
                    shape,
                    flag,
                )
        return
    if node.distinct_copies:  # Repeat: each copy is a distinct deep copy
        if id(node) in seen:
            return
        seen.add(id(node))
        for name, child in node.children():
            yield from _walk_named(child, f"{prefix}{name}.", set())
        return
    children = list(node.children())
    own = [(name, child) for name, child in children if child.bare_tensor]
    for name, child in own + [entry for entry in children if not entry[1].bare_tensor]:
        yield from _walk_named(child, f"{prefix}{name}.", seen)
