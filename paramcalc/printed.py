"""Networks read back from the text ``print(model)`` shows in PyTorch.

>>> text = '''Net(
...   (conv1): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))
...   (pool): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
...   (fc): Sequential(
...     (0): Linear(in_features=400, out_features=120, bias=True)
...     (1): ReLU(inplace=True)
...     (2): Dropout(p=0.5, inplace=False)
...   )
... )'''
>>> net, warnings = read_printed(text)
>>> type(net).__name__, net.params(), [name for name, _ in net.named_parameters()][-2:]
('Net', 48276, ['fc.0.weight', 'fc.0.bias'])
>>> print(warnings[0])  # doctest: +ELLIPSIS
print(model) does not show parameters assigned directly to a custom module (Net)...

Each printed layer is built with the arguments it shows, looked up by name
among paramcalc's layers; a custom module (``Net``, ``BasicBlock``) becomes a
:class:`~paramcalc.Module` of that name holding its children in order, and the
compressed repeats of recent torch (``(0-11): 12 x Block(...)``) become that
many separate copies. What the text cannot tell — layer types paramcalc does
not know, arguments it does not show — is said in the warnings, never guessed
silently.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from paramcalc.containers import Module, ModuleDict, ModuleList, Sequential
from paramcalc.errors import ParamcalcError, SpecError
from paramcalc.layer import Composite, Layer
from paramcalc.params import Parameter, ParameterDict, ParameterList
from paramcalc.serial import add_child, custom_module, layer_types
from paramcalc.spec import MAX_DEPTH, MAX_SIZE, Position, _Reader, build

__all__ = ["ALIASES", "Printed", "looks_printed", "read_printed"]

ALIASES = {"NonDynamicallyQuantizableLinear": "Linear"}
"""Printed type names that are another layer under a different name."""

_CHILD = re.compile(r"\((?P<name>[^()]*)\): (?:(?P<count>\d+) x )?(?P<rest>.*)")
_CALL = re.compile(r"(?P<kind>[A-Za-z_][\w.]*)\((?P<args>.*)")
_RANGE = re.compile(r"(\d+)-(\d+)")
_PARAMETER = re.compile(r"Parameter containing: \[[\w.]+ of size (?P<size>(?:\d+(?:x\d+)*)?)\]")
_ONE_PARAMETER = re.compile(r"\s*\((?P<name>[^()]*)\): (?P<rest>Parameter containing: .*)\)")


class Printed(NamedTuple):
    """A network read from ``print(model)`` output, and what could not be read exactly."""

    network: Layer
    warnings: tuple[str, ...]


@dataclass
class _Node:
    kind: str
    name: str
    line: int
    column: int
    args: str | None = None  # the text inside the parentheses of a one-line layer
    args_offset: int = 0
    count: int = 1
    children: list[_Node] = field(default_factory=list)
    extra: list[tuple[int, str]] = field(default_factory=list)
    size: tuple[int, ...] | None = None  # a ``Parameter containing: [... of size 2x3]`` line


def _parameter_node(name: str, body: str, line: int, column: int) -> _Node | None:
    """A ParameterList/ParameterDict entry: ``Parameter containing: [torch.float32 of size 4]``."""
    match = _PARAMETER.fullmatch(body)
    if match is None:
        return None
    size = tuple(int(part) for part in match["size"].split("x")) if match["size"] else ()
    return _Node("Parameter", name, line, column, size=size)


def looks_printed(text: str) -> bool:
    """Whether ``text`` looks like ``print(model)`` output (``(name): Layer(...)`` lines)."""
    return re.search(r"^\s*\([^()\n]*\): [A-Za-z_]\w*\(", text, re.MULTILINE) is not None


def _structure(text: str) -> _Node:
    where = Position(text, 0)
    root: _Node | None = None
    stack: list[_Node] = []
    offset = 0
    for number, raw in enumerate(text.split("\n"), start=1):
        start = offset
        offset += len(raw) + 1
        line = raw.rstrip()
        stripped = line.lstrip()
        if not stripped:
            continue
        column = len(line) - len(stripped)
        if root is not None and not stack:
            raise where.error("text after the end of the model", start + column)
        if stripped == ")" and stack:
            stack.pop()
            continue
        name, count = "", 1
        body, body_column = stripped, column
        child = _CHILD.fullmatch(stripped) if stack else None
        if child is not None:
            name = child["name"]
            count = int(child["count"] or 1)
            body_column = column + child.start("rest")
            body = child["rest"]
        elif stack:
            stack[-1].extra.append((start + column, stripped))
            continue
        parameter = _parameter_node(name, body, number, body_column + 1) if stack else None
        if parameter is not None:
            stack[-1].children.append(parameter)
            continue
        call = _CALL.fullmatch(body)
        if call is None:
            raise where.error(
                f"expected a layer like `Linear(in_features=4, out_features=2, bias=True)`, "
                f"found `{body[:40]}`",
                start + body_column,
            )
        node = _Node(call["kind"], name, number, body_column + 1, count=count)
        args = call["args"]
        single = _ONE_PARAMETER.fullmatch(args) if args else None
        if single is not None:  # torch prints a one-entry ParameterList on one line
            entry = _parameter_node(single["name"], single["rest"], number, body_column + 1)
            if entry is not None:
                node.children.append(entry)
                args = ""
        if args:
            if not args.endswith(")"):
                raise where.error(f"`{call['kind']}(` is never closed", start + body_column)
            node.args = args[:-1]
            node.args_offset = start + body_column + call.start("args")
        if stack:
            stack[-1].children.append(node)
        else:
            root = node
        if not args and not node.children:
            if len(stack) >= MAX_DEPTH:
                raise where.error(f"modules are nested deeper than {MAX_DEPTH} levels", start)
            stack.append(node)
    if root is None:
        raise SpecError("no model found: expected the text print(model) shows")
    if stack:
        raise SpecError(
            f"`{stack[-1].kind}(` opened on line {stack[-1].line} is never closed",
            line=stack[-1].line,
            column=stack[-1].column,
        )
    return root


class _Builder:
    def __init__(self, text: str, types: Mapping[str, type[Layer]]) -> None:
        self.text = text
        self.types = types
        self.warnings: list[str] = []
        self.classes: dict[str, type[Module]] = {}
        self.unknown: dict[str, list[str]] = {}

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def arguments(
        self, node: _Node, text: str, offset: int
    ) -> tuple[list[object], dict[str, object]]:
        where = Position(self.text, offset - 2)
        segment = f"_({text})"
        try:
            tree = ast.parse(segment, mode="eval")
        except SyntaxError as problem:
            column = max((problem.offset or 1) - 3, 0)
            message = (problem.msg or "invalid syntax").rstrip(".")
            raise Position(self.text, 0).error(
                f"cannot read the arguments of {node.kind}: {message}", offset + column
            ) from None
        except (MemoryError, RecursionError):
            raise Position(self.text, 0).error(
                f"cannot read the arguments of {node.kind}: they are nested too deeply", offset
            ) from None
        call = tree.body
        if not isinstance(call, ast.Call) or call.func is None:  # pragma: no cover
            raise Position(self.text, 0).error(f"cannot read the arguments of {node.kind}", offset)
        return _Reader(segment, where, self.types, bare_names=True).arguments(call)

    def leaf(self, node: _Node, path: str) -> Layer | None:
        kind = ALIASES.get(node.kind, node.kind)
        where = path or node.kind
        cls = self.types.get(kind)
        if cls is None:
            self.unknown.setdefault(node.kind, []).append(where)
            return None
        if node.args is not None:
            text, offset = node.args, node.args_offset
        elif node.extra:
            text, offset = ", ".join(line for _, line in node.extra), node.extra[0][0]
        else:
            text, offset = "", 0
        args, kwargs = self.arguments(node, text, offset) if text else ([], {})
        try:
            return build(cls, kind, args, kwargs, lambda message: SpecError(message))
        except SpecError as problem:
            self.warn(
                f"{where} (line {node.line}): {node.kind}({text}) cannot be built by paramcalc "
                f"({problem.message}); left out, its parameters are not counted"
            )
            return None

    def attention(self, node: _Node, path: str, children: list[tuple[str, Layer]]) -> Layer | None:
        where = path or node.kind
        cls = self.types.get("MultiheadAttention")
        projection = dict(children).get("out_proj")
        if cls is None or not isinstance(projection, Layer):
            self.unknown.setdefault(node.kind, []).append(where)
            return None
        embed = getattr(projection, "out_features", None)
        bias = getattr(projection, "bias", True)
        try:
            make: Callable[..., Layer] = cls
            layer = make(embed, 1, bias=bias)
        except (ParamcalcError, TypeError) as problem:
            self.warn(f"{where}: MultiheadAttention({embed}) cannot be built ({problem}); left out")
            return None
        self.warn(
            f"{where}: print(model) shows MultiheadAttention only through its out_proj; "
            f"read as MultiheadAttention({embed}, num_heads=1, bias={bias}) — the head count "
            f"does not change the counts, but kdim/vdim other than embed_dim or "
            f"add_bias_kv=True would"
        )
        return layer

    def container(self, node: _Node, path: str) -> Layer | None:
        children: list[tuple[str, Layer]] = []
        for child in node.children:
            for name in self.names(child):
                layer = self.layer(child, f"{path}.{name}" if path else name)
                if layer is not None:
                    children.append((name, layer))
        if node.kind == "MultiheadAttention":
            return self.attention(node, path, children)
        cls = self.types.get(node.kind)
        if cls is not None and issubclass(cls, ParameterList):
            return cls([layer for _, layer in children if isinstance(layer, Parameter)])
        if cls is not None and issubclass(cls, (ParameterDict, ModuleDict)):
            return cls(children)  # type: ignore[arg-type]
        if cls is not None and issubclass(cls, ModuleList):
            return cls([layer for _, layer in children])
        if cls is not None and issubclass(cls, Sequential):
            return cls(dict(children))
        if cls is not None and not issubclass(cls, Composite):
            self.warn(
                f"{path or node.kind}: {node.kind} is printed with sub-modules; read as a "
                f"container of them, without parameters of its own"
            )
        if node.extra:
            self.warn(
                f"{path or node.kind}: the text shown for {node.kind} itself "
                f"({node.extra[0][1][:40]}) is not used"
            )
        if not node.kind.isidentifier():
            raise SpecError(
                f"`{node.kind}` is not a module name", line=node.line, column=node.column
            )
        module = custom_module(node.kind, self.classes)
        for name, layer in children:
            add_child(module, name, layer)
        return module

    def names(self, node: _Node) -> list[str]:
        span = _RANGE.fullmatch(node.name)
        if node.count == 1 and span is None:
            return [node.name]
        if span is None or int(span[2]) - int(span[1]) + 1 != node.count:
            raise SpecError(
                f"a repeat must read `(first-last): count x Layer`, found `({node.name}): "
                f"{node.count} x {node.kind}`",
                line=node.line,
                column=node.column,
            )
        return [str(index) for index in range(int(span[1]), int(span[2]) + 1)]

    def layer(self, node: _Node, path: str) -> Layer | None:
        if node.size is not None:
            return Parameter(node.size)
        if node.children or node.kind == "MultiheadAttention":
            return self.container(node, path)
        return self.leaf(node, path)


def read_printed(text: str, *, types: Mapping[str, type[Layer]] | None = None) -> Printed:
    """The network in ``print(model)`` output, and warnings about what it could not read.

    Raises :class:`~paramcalc.SpecError` (with line and column) when the text
    is not ``print(model)`` output at all.
    """
    if len(text) > MAX_SIZE:
        raise SpecError(f"the text is {len(text):,} characters long; the limit is {MAX_SIZE:,}")
    text = text.replace("\r\n", "\n")
    builder = _Builder(text, layer_types() if types is None else types)
    root = _structure(text)
    network = builder.layer(root, "")
    warnings: list[str] = []
    for kind, paths in builder.unknown.items():
        places = ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
        warnings.append(
            f"{kind} is not a layer paramcalc knows: left out at {places}; "
            f"its parameters, if any, are not counted"
        )
    if builder.classes:
        warnings.append(
            f"print(model) does not show parameters assigned directly to a custom module "
            f"({', '.join(builder.classes)}): such parameters (like ViT's class token) "
            f"are not counted"
        )
    warnings += builder.warnings
    if network is None:
        raise SpecError(f"nothing paramcalc knows was found: {' '.join(warnings)}")
    return Printed(network, tuple(warnings))
