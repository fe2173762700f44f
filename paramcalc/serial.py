"""Layers as plain data and back: the ``spec`` entries of a JSON report.

A layer's spec is its type name and its constructor arguments, read
generically from its dataclass fields; containers are rebuilt from the rows
that follow them in a report. :func:`from_dict` turns a report's
``to_dict()`` back into a network:

>>> from paramcalc import Conv2d, Flatten, Linear, Sequential, from_dict
>>> net = Sequential(Conv2d(1, 6, 5), Flatten(), Linear(3456, 10))
>>> layer_spec(net[0])
{'type': 'Conv2d', 'args': {'in_channels': 1, 'out_channels': 6, 'kernel_size': [5, 5], \
'stride': [1, 1], 'padding': [0, 0], 'dilation': [1, 1], 'groups': 1, 'bias': True, \
'padding_mode': 'zeros', 'trainable': True}}
>>> copy = from_dict(net.report().to_dict())
>>> copy == net, copy.params()
(True, 34726)

Layer names are looked up in the registry of layer families
(:func:`paramcalc.registry.layer_types`), so every layer paramcalc offers is
known here without importing the package's public table or the zoo.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, cast

from paramcalc import _check
from paramcalc._check import shown
from paramcalc.children import check_entry
from paramcalc.conform import check_fields
from paramcalc.containers import Module, ModuleDict, ModuleList, Sequential
from paramcalc.errors import ConfigError, ParamcalcError, ShapeError
from paramcalc.layer import Composite, Layer
from paramcalc.nesting import MAX_NESTING, check_nesting
from paramcalc.params import ParameterDict, ParameterList
from paramcalc.registry import layer_types
from paramcalc.shapes import as_shape

__all__ = ["custom_module", "from_dict", "layer_spec", "layer_types"]

_CHILD = "$child"
_MAX_ARGS_DEPTH = 2 * MAX_NESTING
"""The deepest nesting of a spec's arguments (``$layer`` specs within specs, lists)."""
_LAYER = "$layer"


def custom_module(name: str, classes: dict[str, type[Module]] | None = None) -> Module:
    """An empty :class:`~paramcalc.Module` whose type is named ``name``.

    It stands for a custom ``nn.Module`` subclass (``BasicBlock``, ``Net``)
    seen in a report or in ``print(model)`` output; fill it with
    :func:`add_child`. ``classes`` shares one class per name within a network.

    >>> block = custom_module("BasicBlock")
    >>> type(block).__name__, block.params()
    ('BasicBlock', 0)
    """
    if not name.isidentifier():
        raise ConfigError(f"a module type name must be an identifier. Received: {shown(name)}.")
    known = {} if classes is None else classes
    if name not in known:
        known[name] = cast(
            "type[Module]",
            type(name, (Module,), {"__doc__": f"``{name}``, rebuilt from its children."}),
        )
    return known[name]()


def add_child(module: Module, name: str, child: Layer) -> None:
    """Register ``child`` under ``name``, as ``setattr`` in ``__init__`` would.

    Names that would hide a method (``params``, ``report``) are registered
    without becoming attributes.
    """
    if hasattr(type(module), name) or name.startswith("_"):
        check_entry(type(module).__name__, name, child)
        module._modules[name] = child
        module.__dict__.pop("_counts", None)
    else:
        setattr(module, name, child)


def _encode(value: object, names: Mapping[int, str]) -> object:
    if isinstance(value, Layer):
        name = names.get(id(value))
        return {_CHILD: name} if name is not None else {_LAYER: layer_spec(value)}
    if isinstance(value, tuple | list):
        return [_encode(item, names) for item in value]
    if isinstance(value, dict):
        return {str(key): _encode(item, names) for key, item in value.items()}
    return value


def _decode(value: object, children: Mapping[str, Layer], depth: int = 0) -> object:
    if depth > _MAX_ARGS_DEPTH:
        raise ConfigError(
            f"from_dict: layer arguments are nested deeper than {_MAX_ARGS_DEPTH} levels."
        )
    if isinstance(value, list):
        return tuple(_decode(item, children, depth + 1) for item in value)
    if isinstance(value, dict):
        if set(value) == {_CHILD}:
            return children[cast(str, value[_CHILD])]
        if set(value) == {_LAYER}:
            spec = cast(Mapping[str, Any], value[_LAYER])
            return _build(spec, [], layer_types(), {}, depth + 1)
        return {key: _decode(item, children, depth + 1) for key, item in value.items()}
    return value


def layer_spec(layer: Layer) -> dict[str, Any]:
    """``{"type": name, "args": {...}}``: what it takes to build ``layer`` again.

    Arguments come from the dataclass fields (tuples become lists); a
    sub-layer argument of a composite is ``{"$child": name}``. Containers
    (``Sequential``, ``ModuleList``, ``ModuleDict``, ``Module``,
    ``ParameterList``, ``ParameterDict``) have no ``args``: their children are
    the report rows below them. A sub-layer argument that is not
    a child is written out in full as ``{"$layer": spec}``.
    """
    kind = type(layer).__name__
    if isinstance(layer, Sequential | Module | ModuleDict | ParameterList | ParameterDict):
        return {"type": kind}
    names: dict[int, str] = {}
    if isinstance(layer, Composite) and layer.distinct_copies:  # blocks named by their first copy
        runs = getattr(layer, "runs", None) or ((getattr(layer, "block", None), 1),)
        offset, prefix = 0, getattr(layer, "prefix", "")
        for block, count in runs:
            names.setdefault(id(block), f"{prefix}{offset}")
            offset += count
    else:
        for name, child in layer.children():
            names.setdefault(id(child), name)
    fields = [item for item in dataclasses.fields(layer) if item.init]
    fields.sort(key=lambda item: item.kw_only is True)  # `trainable` (keyword-only) last
    args = {item.name: _encode(getattr(layer, item.name), names) for item in fields}
    return {"type": kind, "args": args}


class _Node:
    __slots__ = ("children", "row")

    def __init__(self, row: Mapping[str, Any]) -> None:
        self.row = row
        self.children: list[_Node] = []


def _build(
    spec: Mapping[str, Any],
    children: list[tuple[str, Layer]],
    types: Mapping[str, type[Layer]],
    classes: dict[str, type[Module]],
    depth: int = 0,
) -> Layer:
    kind = spec.get("type")
    if not isinstance(kind, str):
        raise ConfigError(f"a layer spec needs a 'type' name. Received: {shown(dict(spec))}.")
    cls = types.get(kind)
    if cls is None and "args" in spec:
        inner = _zoo_blocks().get(kind)
        if inner is not None:  # a zoo block (BasicBlock, GPT2Attention): its fields as stored
            return _restore(inner, spec, children, depth)
    containers = (Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict)
    # no "args": a container, or a custom module that may share a layer's name ("Transformer")
    if cls is None or cls is Module or ("args" not in spec and not issubclass(cls, containers)):
        module = custom_module(kind, classes)
        for name, child in children:
            add_child(module, name, child)
        return module
    if issubclass(cls, ModuleList | ParameterList):
        return cls([child for _, child in children])  # type: ignore[misc]
    if issubclass(cls, ModuleDict | ParameterDict):
        return cls(children)  # type: ignore[arg-type]
    if issubclass(cls, Sequential):
        return cls(dict(children))
    args = spec.get("args", {})
    if not isinstance(args, Mapping):
        raise ConfigError(f"{kind}: 'args' must be an object. Received: {shown(args)}.")
    try:
        return cls(**cast(dict[str, Any], _decode(dict(args), dict(children), depth)))
    except TypeError as error:
        raise ConfigError(f"{kind}: cannot be built from {shown(dict(args))}: {error}") from None


def _zoo_blocks() -> dict[str, type[Layer]]:
    """The composite classes of the zoo's networks (``ResNet``, ``BasicBlock``), by name.

    They are not exported (their constructors build a whole block from a few
    sizes), so a report names them but :func:`layer_types` does not know them.
    """
    import importlib

    zoo = importlib.import_module("paramcalc.zoo")  # by name: the zoo sits above this reader
    for module in zoo._HOMES:
        importlib.import_module(module)
    found: dict[str, type[Layer]] = {}
    stack: list[type[Layer]] = [Layer]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        # the zoo's and the Hugging Face builders' classes, some made by name (hf.blocks.named);
        # not the custom modules rebuilt here (Module subclasses named after a report's types)
        home = cls.__module__
        if (
            home.startswith(("paramcalc.zoo", "paramcalc.hf"))
            and dataclasses.is_dataclass(cls)
            and not issubclass(cls, Module)
        ):
            found.setdefault(cls.__name__, cls)
    return found


def _restore(
    cls: type[Layer], spec: Mapping[str, Any], children: list[tuple[str, Layer]], depth: int
) -> Layer:
    """A zoo block from its stored fields, set as its constructor left them."""
    args = spec["args"]
    if not isinstance(args, Mapping):
        raise ConfigError(f"{cls.__name__}: 'args' must be an object. Received: {shown(args)}.")
    values = cast(dict[str, Any], _decode(dict(args), dict(children), depth))
    check_fields(cls, values)  # no constructor runs: each value must have its field's type
    if not issubclass(cls, Composite):  # a leaf (hf's Attend): its constructor checks it
        try:
            return cls(**values)
        except TypeError as error:
            raise ConfigError(
                f"{cls.__name__}: cannot be built from {shown(values)}: {error}"
            ) from None
    fields = {item.name for item in dataclasses.fields(cls) if item.init}
    if set(values) != fields:
        raise ConfigError(
            f"{cls.__name__}: a stored block needs the arguments {sorted(fields)}. "
            f"Received: {sorted(values)}."
        )
    layer = object.__new__(cls)
    for name, value in values.items():
        object.__setattr__(layer, name, value)
    for _, child in layer.children():
        if not isinstance(child, Layer):
            raise ConfigError(f"{cls.__name__}: a stored block holds a non-layer child.")
        check_nesting(cls.__name__, child)
    layer.report()  # its steps name its children: a malformed block fails here
    return layer


def from_dict(data: Mapping[str, Any]) -> Layer:
    """Rebuild the network of a report's :meth:`~paramcalc.Report.to_dict` (schema 1).

    Custom module types (``Net``, ``BasicBlock``) come back as
    :class:`~paramcalc.Module` subclasses of the same name; a layer used twice
    comes back as one object used twice.

    >>> from paramcalc import Linear, Sequential
    >>> fc = Linear(4, 4)
    >>> copy = from_dict(Sequential(fc, fc).report().to_dict())
    >>> copy[0] is copy[1], copy.params()
    (True, 20)
    """
    try:
        network = _from_dict(data)
    except ParamcalcError:
        raise
    except (KeyError, TypeError, AttributeError, ValueError, IndexError) as problem:
        detail = ", ".join(shown(arg) for arg in problem.args)
        raise ConfigError(
            f"from_dict: a malformed report ({type(problem).__name__}: {detail})."
        ) from None
    _check_shapes(data, network)
    return network


def _check_shapes(data: Mapping[str, Any], network: Layer) -> None:
    """The report's ``batch_size``, and its ``input_shape`` run through the network it describes.

    A report holds the shapes it was made with; one whose input does not fit
    its own network, or gives another output, is malformed, and is refused
    here rather than when it is used.
    """
    batch = data.get("batch_size")
    if batch is not None:
        _check.integer("from_dict", "batch_size", batch, minimum=1)
    given = data.get("input_shape")
    if given is None:
        return
    shape = as_shape(given, name="input_shape")
    try:
        output = network.output_shape(shape)
    except ShapeError as problem:
        raise ConfigError(
            f"from_dict: the report's `input_shape` {shape} does not fit the network it "
            f"describes: {problem}"
        ) from None
    stored = data.get("output_shape")
    if stored is not None and (not isinstance(stored, list) or tuple(stored) != output):
        raise ConfigError(
            f"from_dict: the report's `output_shape` {shown(stored)} is not what its network "
            f"gives for `input_shape` {shape}: {output}."
        )


def _from_dict(data: Mapping[str, Any]) -> Layer:
    schema = data.get("schema")
    if schema != 1:
        raise ConfigError(f"from_dict: unknown report schema {shown(schema)}; expected 1.")
    rows = data.get("rows")
    root_spec = data.get("spec")
    if not isinstance(rows, list) or not isinstance(root_spec, Mapping):
        raise ConfigError("from_dict: a report needs 'rows' (a list) and 'spec' (an object).")
    types = layer_types()
    classes: dict[str, type[Module]] = {}
    if len(rows) == 1 and rows[0].get("path") == "":
        return _build(root_spec, [], types, classes)
    root = _Node({})
    stack: list[tuple[int, _Node]] = [(-1, root)]
    for row in rows:
        depth = row["depth"]
        if not isinstance(depth, int) or not 0 <= depth <= stack[-1][0] + 1 or depth > 200:
            raise ConfigError(
                f"from_dict: row {shown(row.get('path'))} has a wrong depth {shown(depth)}."
            )
        while stack[-1][0] >= depth:
            stack.pop()
        node = _Node(row)
        stack[-1][1].children.append(node)
        stack.append((depth, node))
    built: dict[str, Layer] = {}

    def make(node: _Node) -> tuple[str, Layer]:
        row = node.row
        path: str = row["path"]
        name = path.rpartition(".")[2]
        shared = row.get("shared_with")
        spec = row.get("spec")
        tied = isinstance(spec, Mapping) and spec.get("type") == "Tied"
        if shared is not None and not tied:  # a Tied row names the tensor it uses instead
            if shared not in built:
                raise ConfigError(f"from_dict: {path} is shared with unknown {shown(shared)}.")
            return name, built[shared]
        layer = _build(row["spec"], [make(child) for child in node.children], types, classes)
        built[path] = layer
        return name, layer

    return _build(root_spec, [make(child) for child in root.children], types, classes)
