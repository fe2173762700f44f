"""Models written as text — ``"Conv2d(1, 6, 5) MaxPool2d(2) Flatten()"`` — read without eval.

The text is parsed with :mod:`ast` and only calls of layers paramcalc knows
(optionally written ``nn.Conv2d`` or ``torch.nn.Conv2d``) with literal
arguments are accepted: numbers, strings, booleans, ``None``, tuples, lists,
dicts (for ``Sequential({...})``), keyword arguments and nested calls. Nothing
in the text is ever executed; anything else is refused with its position.

>>> net = parse("Conv2d(1, 6, 5) MaxPool2d(2) Flatten() Linear(1176, 10)")
>>> net.params(), net.output_shape((1, 32, 32))
(11926, (10,))
>>> parse("nn.Linear(400, 120)").params()
48120
>>> parse("Linear(400, 120).weight")
Traceback (most recent call last):
...
paramcalc.errors.SpecError: line 1, column 1: attribute access is not allowed: \
only layer calls like Linear(400, 120) are (found `Linear(...).weight`)
"""

from __future__ import annotations

import ast
import difflib
import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from paramcalc.containers import Sequential
from paramcalc.errors import ConfigError, ParamcalcError, SpecError
from paramcalc.layer import Layer
from paramcalc.serial import layer_types

__all__ = ["MAX_DEPTH", "MAX_SIZE", "Position", "parse", "parse_layers"]

MAX_SIZE = 1_000_000
"""The longest text accepted, in characters."""

MAX_DEPTH = 64
"""The deepest nesting of brackets accepted."""

_CONSTRUCTS: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access",
    ast.Subscript: "subscripts",
    ast.Lambda: "lambda expressions",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.JoinedStr: "f-strings",
    ast.FormattedValue: "f-strings",
    ast.Starred: "starred arguments",
    ast.BinOp: "operators",
    ast.BoolOp: "operators",
    ast.Compare: "operators",
    ast.UnaryOp: "operators other than a sign on a number",
    ast.IfExp: "conditional expressions",
    ast.NamedExpr: "assignment expressions",
    ast.Set: "sets",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Slice: "slices",
}

_PREFIXES = (("nn",), ("torch", "nn"))
_DICTS = (("OrderedDict",), ("collections", "OrderedDict"), ("dict",))


@dataclass(frozen=True)
class Position:
    """Maps offsets in one piece of a text back to lines and columns of the whole text."""

    text: str
    offset: int

    def at(self, offset: int) -> tuple[int, int, str]:
        """``(line, column, line text)`` of an absolute character offset, 1-based."""
        start = self.text.rfind("\n", 0, offset) + 1
        end = self.text.find("\n", offset)
        line = self.text.count("\n", 0, offset) + 1
        return line, offset - start + 1, self.text[start : end if end >= 0 else len(self.text)]

    def error(self, message: str, offset: int) -> SpecError:
        """A :class:`SpecError` at an absolute offset."""
        line, column, source = self.at(offset)
        return SpecError(message, line=line, column=column, source=source)

    def node_offset(self, segment: str, node: ast.AST) -> int:
        """The absolute offset of ``node`` parsed from ``segment`` (at :attr:`offset`)."""
        lineno = getattr(node, "lineno", 1)
        byte_col = getattr(node, "col_offset", 0)
        lines = segment.split("\n")
        line_start = sum(len(line) + 1 for line in lines[: lineno - 1])
        column = len(lines[lineno - 1].encode("utf-8")[:byte_col].decode("utf-8", "ignore"))
        return self.offset + line_start + column


def _skip_string(text: str, start: int, where: Position) -> int:
    quote = text[start]
    triple = text.startswith(quote * 3, start)
    end_mark = quote * 3 if triple else quote
    index = start + len(end_mark)
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if text.startswith(end_mark, index):
            return index + len(end_mark)
        if char == "\n" and not triple:
            break
        index += 1
    raise where.error("this string is never closed", start)


def _ends_here(text: str, index: int) -> bool:
    """After closing brackets: does a new piece (or the end) follow?"""
    while index < len(text) and text[index] in " \t\r\f":
        index += 1
    return index >= len(text) or text[index] in ",;\n#" or text[index].isidentifier()


def segments(text: str) -> list[tuple[int, str]]:
    """Split ``text`` into top-level pieces: calls separated by spaces, commas or lines.

    A piece ends where its brackets close, or at a comma, semicolon or line
    end outside brackets. Returns ``(offset, piece)`` pairs.
    """
    where = Position(text, 0)
    pieces: list[tuple[int, str]] = []
    index, size = 0, len(text)
    while index < size:
        char = text[index]
        if char.isspace() or char in ",;":
            index += 1
            continue
        if char == "#":
            newline = text.find("\n", index)
            index = size if newline < 0 else newline
            continue
        start = index
        opened: list[int] = []
        while index < size:
            char = text[index]
            if char in "([{":
                opened.append(index)
                if len(opened) > MAX_DEPTH:
                    raise where.error(f"brackets are nested deeper than {MAX_DEPTH} levels", index)
                index += 1
            elif char in ")]}":
                if not opened or "([{"[")]}".index(char)] != text[opened[-1]]:
                    raise where.error(f"unmatched {char!r}", index)
                opened.pop()
                index += 1
                if not opened and _ends_here(text, index):
                    break
            elif char in "\"'":
                index = _skip_string(text, index, where)
            elif char == "#":
                newline = text.find("\n", index)
                index = size if newline < 0 else newline
            elif not opened and char in ",;\n":
                break
            else:
                index += 1
        if opened:
            raise where.error(f"{text[opened[-1]]!r} is never closed", opened[-1])
        pieces.append((start, text[start:index]))
    return pieces


def _dotted(node: ast.expr) -> tuple[str, ...] | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return tuple(reversed(parts))


def _describe(segment: str, node: ast.AST) -> str:
    text = ast.get_source_segment(segment, node) or ""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Call):
        inner = _dotted(node.value.func)
        text = f"{'.'.join(inner) if inner else '…'}(...).{node.attr}"
    text = " ".join(text.split())
    return text if len(text) <= 40 else text[:37] + "..."


class _Reader:
    """Turns one parsed piece into values, refusing anything but literals and layer calls."""

    def __init__(
        self,
        segment: str,
        where: Position,
        types: Mapping[str, type[Layer]],
        bare_names: bool = False,
    ) -> None:
        self.segment = segment
        self.where = where
        self.types = types
        self.bare_names = bare_names

    def error(self, message: str, node: ast.AST) -> SpecError:
        return self.where.error(message, self.where.node_offset(self.segment, node))

    def refuse(self, node: ast.AST) -> SpecError:
        construct = _CONSTRUCTS.get(type(node), f"`{type(node).__name__}` expressions")
        example = "Linear(400, 120)"
        return self.error(
            f"{construct} {'is' if construct.endswith('access') else 'are'} not allowed: "
            f"only layer calls like {example} are (found `{_describe(self.segment, node)}`)",
            node,
        )

    def value(self, node: ast.expr) -> object:
        """A literal, a container of literals, or a layer built from a call."""
        if isinstance(node, ast.Constant):
            if node.value is None or isinstance(node.value, bool | int | float | str):
                return node.value
            return self.refuse_constant(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            operand = node.operand
            number = operand.value if isinstance(operand, ast.Constant) else None
            if isinstance(number, int | float) and not isinstance(number, bool):
                return -number if isinstance(node.op, ast.USub) else number
            raise self.refuse(node)
        if isinstance(node, ast.Tuple | ast.List):
            return tuple(self.value(item) for item in self.items(node.elts))
        if isinstance(node, ast.Dict):
            result: dict[object, object] = {}
            for key, item in zip(node.keys, node.values, strict=True):
                if key is None:
                    raise self.error("`**` unpacking is not allowed in a dict", item)
                name = self.value(key)
                try:
                    result[name] = self.value(item)
                except TypeError:  # an unhashable key: a dict or list
                    raise self.error(
                        "a dict key must be a name (a string). "
                        f"Received: `{_describe(self.segment, key)}`",
                        key,
                    ) from None
            return result
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Name):
            if node.id in self.types:
                raise self.error(
                    f"`{node.id}` must be called: write {node.id}(...) with its arguments", node
                )
            if self.bare_names:
                return node.id
            raise self.error(
                f"`{node.id}` is not a layer paramcalc knows{self.hint(node.id)}", node
            )
        raise self.refuse(node)

    def refuse_constant(self, node: ast.Constant) -> object:
        kind = type(node.value).__name__
        raise self.error(f"{kind} literals are not allowed (found `{node.value!r}`)", node)

    def items(self, nodes: list[ast.expr]) -> list[ast.expr]:
        for item in nodes:
            if isinstance(item, ast.Starred):
                raise self.refuse(item)
        return nodes

    def hint(self, name: str) -> str:
        close = difflib.get_close_matches(name, list(self.types), n=1)
        return f"; did you mean {close[0]}?" if close else ""

    def callee(self, node: ast.Call) -> tuple[str, tuple[str, ...]]:
        func = node.func
        dotted = _dotted(func)
        if dotted is None:
            raise self.refuse(func)
        if dotted in _DICTS:
            return "dict", dotted
        for prefix in _PREFIXES:
            if dotted[: len(prefix)] == prefix and len(dotted) == len(prefix) + 1:
                return dotted[-1], dotted
        if len(dotted) > 1:
            raise self.error(
                f"attribute access is not allowed: only layer calls like Linear(400, 120), "
                f"optionally written nn.Linear or torch.nn.Linear, are "
                f"(found `{'.'.join(dotted)}`)",
                func,
            )
        return dotted[0], dotted

    def arguments(self, node: ast.Call) -> tuple[list[object], dict[str, object]]:
        """The positional and keyword arguments of a call, as values."""
        args = [self.value(item) for item in self.items(node.args)]
        kwargs: dict[str, object] = {}
        for keyword in node.keywords:
            if keyword.arg is None:
                raise self.error("`**` unpacking is not allowed", keyword.value)
            kwargs[keyword.arg] = self.value(keyword.value)
        return args, kwargs

    def call(self, node: ast.Call) -> object:
        name, dotted = self.callee(node)
        args, kwargs = self.arguments(node)
        if name == "dict":
            return self.mapping(node, args, kwargs)
        cls = self.types.get(name)
        if cls is None:
            raise self.error(
                f"`{'.'.join(dotted)}` is not a layer paramcalc knows{self.hint(name)}", node.func
            )
        return build(
            cls,
            name,
            args,
            kwargs,
            lambda message: self.error(message, _culprit(node, cls, message)),
        )

    def mapping(self, node: ast.Call, args: list[object], kwargs: dict[str, object]) -> object:
        if not args:
            return dict(kwargs)
        pairs = args[0]
        if (
            len(args) == 1
            and isinstance(pairs, tuple)
            and all(isinstance(pair, tuple) and len(pair) == 2 for pair in pairs)
        ):
            try:
                return {**dict(pairs), **kwargs}
            except TypeError:  # an unhashable name
                raise self.error("OrderedDict takes a list of (name, layer) pairs", node) from None
        if len(args) == 1 and isinstance(pairs, dict):
            return {**pairs, **kwargs}
        raise self.error("OrderedDict takes a list of (name, layer) pairs", node)


def _culprit(node: ast.Call, cls: type[Layer], message: str) -> ast.AST:
    """The argument a construction error names (``Received: in_features=0``), or the call."""
    import inspect

    named = re.search(r"`(\w+)`", message)
    if named is None:
        return node
    for keyword in node.keywords:
        if keyword.arg == named.group(1):
            return keyword.value
    names = list(inspect.signature(cls).parameters)
    if named.group(1) in names and names.index(named.group(1)) < len(node.args):
        return node.args[names.index(named.group(1))]
    return node


def _signature(cls: type[Layer], name: str) -> str:
    import inspect

    parts = []
    star = False
    for parameter in inspect.signature(cls).parameters.values():
        if parameter.kind is parameter.KEYWORD_ONLY and not star:
            parts.append("*")
            star = True
        if parameter.kind is parameter.VAR_POSITIONAL:
            parts.append(f"*{parameter.name}")
            star = True
        elif parameter.default is parameter.empty:
            parts.append(parameter.name)
        else:
            parts.append(f"{parameter.name}={parameter.default!r}")
    return f"{name}({', '.join(parts)})"


def build(
    cls: type[Layer],
    name: str,
    args: list[object],
    kwargs: dict[str, object],
    error: Callable[[str], SpecError],
) -> Layer:
    """``cls(*args, **kwargs)``; a rejected argument becomes ``error(message)``."""
    make: Callable[..., Layer] = cls
    try:
        return make(*args, **kwargs)
    except ParamcalcError as problem:
        raise error(str(problem)) from None
    except TypeError as problem:
        message = re.sub(r"^\S*__init__\(\) ", "", str(problem))
        raise error(f"{name}: {message}; the signature is {_signature(cls, name)}") from None
    except ValueError as problem:  # pragma: no cover - layers raise ConfigError
        raise error(f"{name}: {problem}") from None


def parse_layers(text: str, *, types: Mapping[str, type[Layer]] | None = None) -> list[Layer]:
    """The layers written in ``text``, in order (see :func:`parse`)."""
    if not isinstance(text, str):
        raise ConfigError(f"parse: the model must be text. Received: {type(text).__name__}.")
    if len(text) > MAX_SIZE:
        raise SpecError(f"the text is {len(text):,} characters long; the limit is {MAX_SIZE:,}")
    # Python ends a line at "\r" too; positions count lines by "\n" only
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    known = layer_types() if types is None else types
    layers = []
    for offset, segment in segments(text):
        where = Position(text, offset)
        try:
            with warnings.catch_warnings():  # "invalid escape sequence" and the like
                warnings.simplefilter("ignore", SyntaxWarning)
                warnings.simplefilter("ignore", DeprecationWarning)
                tree = ast.parse(segment, mode="eval")
        except SyntaxError as problem:
            line = (problem.lineno or 1) - 1
            lines = segment.split("\n")
            column = min(max((problem.offset or 1) - 1, 0), len(lines[min(line, len(lines) - 1)]))
            start = sum(len(item) + 1 for item in lines[:line]) + column
            message = (problem.msg or "invalid syntax").rstrip(".")
            raise where.error(f"cannot read this: {message}", offset + start) from None
        except ValueError as problem:
            raise where.error(f"cannot read this: {problem}", offset) from None
        except (MemoryError, RecursionError):
            raise where.error("cannot read this: it is nested too deeply", offset) from None
        reader = _Reader(segment, where, known)
        try:
            value = reader.value(tree.body)
        except RecursionError:
            raise where.error("cannot read this: it is nested too deeply", offset) from None
        if not isinstance(value, Layer):
            found = _describe(segment, tree.body)
            raise reader.error(
                f"expected a layer call like Linear(400, 120), found `{found}`", tree.body
            )
        layers.append(value)
    if not layers:
        raise SpecError("no layers given: write calls like `Conv2d(1, 6, 5) Linear(400, 120)`")
    return layers


def parse(text: str) -> Layer:
    """The network written in ``text``: one layer call, or several in a ``Sequential``.

    Calls may be separated by spaces, commas or line breaks; ``#`` starts a
    comment. Errors are :class:`~paramcalc.SpecError` with the line and column.

    >>> parse('''
    ... Sequential({"conv1": Conv2d(1, 6, 5), "pool": nn.MaxPool2d(2)})
    ... torch.nn.Flatten(), Linear(in_features=1176, out_features=10, bias=False)
    ... ''').params()
    11916
    """
    layers = parse_layers(text)
    return layers[0] if len(layers) == 1 else Sequential(*layers)
