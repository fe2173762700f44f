"""Containers: ``Sequential``, ``ModuleList``, ``ModuleDict`` and ``Module``.

Containers are layers too. Their counts are the sum of their leaves, each
layer object counted once however often it is used, as torch's
``parameters()`` deduplicates; their parameter names are torch's dotted paths.

>>> from paramcalc import Conv2d, Linear, Sequential
>>> block = Linear(10, 10)
>>> Sequential(block, block).params()  # one layer used twice
110
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, overload

from paramcalc._check import shown
from paramcalc._repr import indent as _indent
from paramcalc.children import check_entry as _check_entry
from paramcalc.errors import ConfigError, ConfigTypeError, ShapeError
from paramcalc.layer import Composite, Layer, Visit
from paramcalc.shapes import Shape


def _check_module(container: str, name: str, layer: Layer) -> tuple[str, Layer]:
    """Containers of modules refuse a bare :class:`~paramcalc.Parameter`, as torch's do."""
    if layer.bare_tensor:
        raise ConfigTypeError(
            f"{container}: `{name}` is a {type(layer).__name__}, not a module; "
            f"assign it as an attribute of a Module or put it in a ParameterList. "
            f"Received: {name}={shown(layer)}."
        )
    return name, layer


_ORDER_NOTE = (
    " (a Module's children run in the order they were assigned; "
    "use Sequential to state the order of a forward pass)"
)


@dataclass(frozen=True, init=False, repr=False, eq=False)
class Sequential(Composite):
    """Layers applied one after another; mirrors ``torch.nn.Sequential``.

    Give the layers in order (named ``"0"``, ``"1"``, …) or as a dict of names.

    >>> from paramcalc import Conv2d, Flatten, Linear, MaxPool
    >>> net = Sequential(Conv2d(1, 6, 5), MaxPool(2), Conv2d(6, 16, 5), MaxPool(2),
    ...                  Flatten(), Linear(400, 120), Linear(120, 84), Linear(84, 10))
    >>> net.params(), net.output_shape((1, 32, 32))
    (61706, (10,))
    >>> [name for name, _ in net.named_parameters()][:2]
    ['0.weight', '0.bias']
    """

    entries: tuple[tuple[str, Layer], ...] = field(default=())

    def __init__(self, *layers: Layer | Mapping[str, Layer]) -> None:
        kind = type(self).__name__
        if len(layers) == 1 and isinstance(layers[0], Mapping):
            pairs: Iterable[tuple[object, object]] = layers[0].items()
        else:
            pairs = ((str(index), layer) for index, layer in enumerate(layers))
        entries = tuple(
            _check_module(kind, *_check_entry(kind, name, layer)) for name, layer in pairs
        )
        if len({name for name, _ in entries}) != len(entries):
            raise ConfigError(f"{kind}: layer names must be unique.")
        object.__setattr__(self, "entries", entries)

    def children(self) -> Iterator[tuple[str, Layer]]:
        return iter(self.entries)

    def rebuild(self, children: list[Layer]) -> Sequential:
        return type(self)(
            {name: child for (name, _), child in zip(self.entries, children, strict=True)}
        )

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[Layer]:
        return (layer for _, layer in self.entries)

    @overload
    def __getitem__(self, key: int | str) -> Layer: ...
    @overload
    def __getitem__(self, key: slice) -> Sequential: ...
    def __getitem__(self, key: int | str | slice) -> Layer | Sequential:
        """A layer by position or name, or a slice as a new ``Sequential``."""
        if isinstance(key, slice):
            return type(self)(dict(self.entries[key]))
        if isinstance(key, str):
            for name, layer in self.entries:
                if name == key:
                    return layer
            raise KeyError(key)
        return self.entries[key][1]

    def _numbered(self) -> bool:
        return all(name == str(index) for index, (name, _) in enumerate(self.entries))

    def __repr__(self) -> str:
        kind = type(self).__name__
        if not self.entries:
            return f"{kind}()"
        if self._numbered():
            lines = "".join(f"\n  {_indent(repr(layer))}," for layer in self)
            return f"{kind}({lines}\n)"
        lines = "".join(f"\n  {name!r}: {_indent(repr(layer))}," for name, layer in self.entries)
        return f"{kind}({{{lines}\n}})"


@dataclass(frozen=True, init=False, repr=False, eq=False)
class ModuleList(Sequential):
    """A list of layers; mirrors ``torch.nn.ModuleList``.

    torch's ModuleList has no forward of its own; for shapes, paramcalc runs
    its layers in order, as a ``Sequential`` would.

    >>> from paramcalc import Linear
    >>> ModuleList([Linear(4, 4) for _ in range(3)]).params()
    60
    """

    def __init__(self, modules: Iterable[Layer] = ()) -> None:
        if isinstance(modules, Layer) or not isinstance(modules, Iterable):
            raise ConfigTypeError(
                f"ModuleList: `modules` must be an iterable of layers. Received: {shown(modules)}."
            )
        super().__init__(*modules)

    def rebuild(self, children: list[Layer]) -> ModuleList:
        return ModuleList(children)

    def __repr__(self) -> str:
        body = "".join(f"\n  {_indent(repr(layer))}," for layer in self)
        return f"ModuleList([{body}\n])" if body else "ModuleList()"


@dataclass(frozen=True, init=False, repr=False, eq=False)
class ModuleDict(Composite):
    """Layers by name; mirrors ``torch.nn.ModuleDict``.

    Give a mapping (kept in its order, as torch does) or an iterable of
    ``(name, layer)`` pairs; a repeated name replaces the earlier layer in its
    place, as in a dict. Parameters are named ``"<key>.<tensor>"``.

    torch's ModuleDict has no forward of its own; for shapes, paramcalc runs
    its values in order, as it does a ``ModuleList``'s.

    >>> from paramcalc import Linear, ReLU
    >>> heads = ModuleDict({"cls": Linear(768, 1000), "act": ReLU()})
    >>> [name for name, _ in heads.named_parameters()], list(heads)
    (['cls.weight', 'cls.bias'], ['cls', 'act'])
    """

    entries: tuple[tuple[str, Layer], ...] = field(default=())

    def __init__(
        self, modules: Mapping[str, Layer] | Iterable[tuple[str, Layer]] | None = None
    ) -> None:
        kind = type(self).__name__
        if modules is None:
            modules = {}
        if isinstance(modules, Layer) or not isinstance(modules, Iterable):
            raise ConfigTypeError(
                f"{kind}: `modules` must be a mapping or an iterable of (name, layer) pairs. "
                f"Received: {shown(modules)}."
            )
        pairs = modules.items() if isinstance(modules, Mapping) else modules
        merged: dict[str, Layer] = {}
        for index, pair in enumerate(pairs):
            if not isinstance(pair, tuple | list) or len(pair) != 2:
                raise ConfigTypeError(
                    f"{kind}: element #{index} of `modules` must be a (name, layer) pair. "
                    f"Received: {shown(pair)}."
                )
            name, layer = _check_module(kind, *_check_entry(kind, pair[0], pair[1]))
            merged[name] = layer
        object.__setattr__(self, "entries", tuple(merged.items()))

    def children(self) -> Iterator[tuple[str, Layer]]:
        return iter(self.entries)

    def rebuild(self, children: list[Layer]) -> ModuleDict:
        return type(self)(
            [(name, child) for (name, _), child in zip(self.entries, children, strict=True)]
        )

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[str]:
        """The keys, in order, as iterating a torch ``ModuleDict`` gives."""
        return (name for name, _ in self.entries)

    def __contains__(self, key: object) -> bool:
        return any(name == key for name, _ in self.entries)

    def __getitem__(self, key: str) -> Layer:
        for name, layer in self.entries:
            if name == key:
                return layer
        raise KeyError(key)

    def keys(self) -> list[str]:
        """The names, in order."""
        return [name for name, _ in self.entries]

    def values(self) -> list[Layer]:
        """The layers, in order."""
        return [layer for _, layer in self.entries]

    def items(self) -> list[tuple[str, Layer]]:
        """``(name, layer)`` pairs, in order."""
        return list(self.entries)

    def __repr__(self) -> str:
        lines = "".join(f"\n  ({name}): {_indent(repr(layer))}" for name, layer in self.entries)
        return f"ModuleDict({lines}\n)" if lines else "ModuleDict()"


def _check_cycle(module: Layer, name: str, value: Layer) -> None:
    """Refuse ``module.name = value`` when ``module`` is inside ``value``: a cycle."""
    stack, seen = [value], set()
    while stack:
        node = stack.pop()
        if node is module:
            raise ConfigError(
                f"{type(module).__name__}: `{name}` would contain the module itself "
                f"(a cycle). Received: {name}={type(value).__name__}(...)."
            )
        if id(node) in seen or not isinstance(node, Composite):
            continue
        seen.add(id(node))
        children = node.children()
        if node.distinct_copies:  # one block under many names (Repeat): look at it once
            children = iter([next(children)])
        stack.extend(child for _, child in children)


class Module(Composite):
    """Base class for networks written the torch way: assign layers as attributes.

    Layers (and containers) assigned in ``__init__`` are registered in
    assignment order, so the seed post's code runs after ``import paramcalc as nn``:

    >>> import paramcalc as nn
    >>> class Net(nn.Module):
    ...     def __init__(self):
    ...         super(Net, self).__init__()
    ...         self.conv1 = nn.Conv2d(1, 6, 5)
    ...         self.conv2 = nn.Conv2d(6, 16, 5)
    ...         self.fc1 = nn.Linear(400, 120)
    ...         self.fc2 = nn.Linear(120, 84)
    ...         self.fc3 = nn.Linear(84, 10)
    >>> Net().params()
    61706

    A Module has no ``forward`` here: for shapes and MACs its children run in
    registration order, as in a ``Sequential``. Unlike other layers, a Module
    is mutable while it is being built, so it compares by identity.
    """

    _modules: dict[str, Layer]

    def __init__(self) -> None:
        object.__setattr__(self, "_modules", {})

    def __setattr__(self, name: str, value: Any) -> None:
        modules = self.__dict__.get("_modules")
        if isinstance(value, Layer):
            if modules is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            _check_entry(type(self).__name__, name, value)
            _check_cycle(self, name, value)
            modules[name] = value
        elif modules is not None:
            modules.pop(name, None)
        object.__setattr__(self, name, value)
        self.__dict__.pop("_counts", None)
        self.__dict__.pop("_nesting", None)

    def __delattr__(self, name: str) -> None:
        self.__dict__.get("_modules", {}).pop(name, None)
        object.__delattr__(self, name)
        self.__dict__.pop("_counts", None)
        self.__dict__.pop("_nesting", None)

    def children(self) -> Iterator[tuple[str, Layer]]:
        modules = self.__dict__.get("_modules")
        if modules is None:
            raise AttributeError(
                f"{type(self).__name__}: call super().__init__() before assigning layers"
            )
        return iter(list(modules.items()))

    def forward_shapes(self, visit: Visit, shape: Shape | None) -> Shape | None:
        """Run the children in registration order; a misfit says that is what ran."""
        try:
            return super().forward_shapes(visit, shape)
        except ShapeError as error:
            if error.detail.endswith(_ORDER_NOTE):
                raise
            raise ShapeError(
                f"{error.detail}{_ORDER_NOTE}", path=error.path, kind=error.kind
            ) from None

    def rebuild(self, children: list[Layer]) -> Module:
        clone = copy.copy(self)
        object.__setattr__(clone, "__dict__", dict(self.__dict__))
        modules = dict(zip(self._modules, children, strict=True))
        clone.__dict__.update(modules)
        clone.__dict__["_modules"] = modules
        clone.__dict__.pop("_counts", None)
        clone.__dict__.pop("_nesting", None)
        return clone

    __eq__ = object.__eq__
    __hash__ = object.__hash__

    def __repr__(self) -> str:
        lines = "".join(
            f"\n  ({name}): {_indent(repr(layer))}" for name, layer in self._modules.items()
        )
        return f"{type(self).__name__}({lines}\n)" if lines else f"{type(self).__name__}()"
