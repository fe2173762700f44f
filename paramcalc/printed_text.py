"""The structure of ``print(model)`` text: one node per printed module, nothing built.

>>> root = structure('''Net(
...   (fc): Linear(in_features=4, out_features=2, bias=True)
... )''')
>>> root.kind, [(child.name, child.kind, child.args) for child in root.children]
('Net', [('fc', 'Linear', 'in_features=4, out_features=2, bias=True')])
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from paramcalc.errors import SpecError
from paramcalc.spec import MAX_DEPTH, Position

__all__ = ["Node", "hidden_width", "looks_printed", "span", "structure"]

_CHILD = re.compile(r"\((?P<name>[^()]*)\): (?:(?P<count>\d+) x )?(?P<rest>.*)")
_CALL = re.compile(r"(?P<kind>[A-Za-z_][\w.]*)\((?P<args>.*)")
_RANGE = re.compile(r"(\d+)-(\d+)")
_PARAMETER = re.compile(r"Parameter containing: \[[\w.]+ of size (?P<size>(?:\d+(?:x\d+)*)?)\]")
_ONE_PARAMETER = re.compile(r"\s*\((?P<name>[^()]*)\): (?P<rest>Parameter containing: .*)\)")


@dataclass
class Node:
    kind: str
    name: str
    line: int
    column: int
    args: str | None = None  # the text inside the parentheses of a one-line layer
    args_offset: int = 0
    count: int = 1
    children: list[Node] = field(default_factory=list)
    extra: list[tuple[int, str]] = field(default_factory=list)
    size: tuple[int, ...] | None = None  # a ``Parameter containing: [... of size 2x3]`` line


def _parameter_node(name: str, body: str, line: int, column: int) -> Node | None:
    """A ParameterList/ParameterDict entry: ``Parameter containing: [torch.float32 of size 4]``."""
    match = _PARAMETER.fullmatch(body)
    if match is None:
        return None
    size = tuple(int(part) for part in match["size"].split("x")) if match["size"] else ()
    return Node("Parameter", name, line, column, size=size)


def looks_printed(text: str) -> bool:
    """Whether ``text`` looks like ``print(model)`` output (``(name): Layer(...)`` lines)."""
    pattern = r"^\s*\([^()\n]*\): (?:\d+ x )?[A-Za-z_]\w*\("
    return re.search(pattern, text, re.MULTILINE) is not None


def structure(text: str) -> Node:
    where = Position(text, 0)
    root: Node | None = None
    stack: list[Node] = []
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
        node = Node(call["kind"], name, number, body_column + 1, count=count)
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


def span(node: Node) -> tuple[int, int] | None:
    """``(first, last)`` of a compressed repeat ``(0-11): 12 x Block``, None for one child."""
    span = _RANGE.fullmatch(node.name)
    if node.count == 1 and span is None:
        return None
    if span is None or int(span[2]) - int(span[1]) + 1 != node.count:
        raise SpecError(
            f"a repeat must read `(first-last): count x Layer`, found `({node.name}): "
            f"{node.count} x {node.kind}`",
            line=node.line,
            column=node.column,
        )
    return int(span[1]), int(span[2])


def hidden_width(root: Node) -> int | None:
    """The model's width: its token embedding's dimension (else the first embedding's)."""
    stack, first = [root], None
    while stack:
        node = stack.pop()
        if node.kind.endswith("Embedding") and node.args:
            parts = [part.strip() for part in node.args.split(",")]
            if len(parts) > 1 and parts[1].isdigit():
                if node.name in ("embed_tokens", "word_embeddings", "wte", "shared"):
                    return int(parts[1])
                first = first or int(parts[1])
        stack.extend(reversed(node.children))
    return first
