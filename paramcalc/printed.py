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
print(model) does not show tensors a module holds itself (like a class token); ...: Net (Net)

Each printed layer is built with the arguments it shows, looked up by name
among paramcalc's layers, then in the table of well-known classes of
torchvision, timm and transformers (:mod:`paramcalc.printed_classes`), which
also adds the tensors a class holds that its text does not show (ViT's class
token, layer scales, ``ScaledStdConv2d``'s gain). A custom module (``Net``,
``BasicBlock``) becomes a :class:`~paramcalc.Module` of that name holding its
children in order; a compressed repeat ``(0-11): 12 x Block(...)`` filling a
ModuleList is one :class:`~paramcalc.Repeat`, whatever its count. Tied weights
follow the printed top-level class (:mod:`paramcalc.printed_ties`). What the
text cannot tell — classes paramcalc does not know, sizes only a config holds —
is said in the warnings, one per cause, never guessed silently; an exact total
comes with none.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping
from typing import NamedTuple

from paramcalc import _check
from paramcalc._check import shown as _shown
from paramcalc.containers import Module, ModuleDict, ModuleList, Sequential
from paramcalc.errors import ConfigError, ParamcalcError, SpecError
from paramcalc.graph import Repeat
from paramcalc.layer import Composite, Layer
from paramcalc.params import Parameter, ParameterDict, ParameterList
from paramcalc.printed_classes import (
    AS_LAYER,
    FROZEN,
    FROZEN_AT,
    LEAVES,
    MODULES,
    LeafRule,
    Seen,
    base_by_name,
    norm_rule,
)
from paramcalc.printed_holding import holding, in_width, out_width
from paramcalc.printed_models import MORE_LEAVES, MORE_MODULES, moe_experts, moe_router
from paramcalc.printed_names import KNOWN_EMPTY
from paramcalc.printed_tables import TABLE_LEAVES, TABLE_MODULES
from paramcalc.printed_text import Node, hidden_width, looks_printed, span, structure
from paramcalc.printed_ties import tie_printed
from paramcalc.serial import add_child, custom_module, layer_types
from paramcalc.spec import MAX_SIZE, Position, _Reader, build

__all__ = ["ALIASES", "Printed", "looks_printed", "read_printed"]

ALIASES = {"NonDynamicallyQuantizableLinear": "Linear"}
"""Printed type names that are another layer under a different name."""


class Printed(NamedTuple):
    """A network read from ``print(model)`` output, and what could not be read exactly."""

    network: Layer
    warnings: tuple[str, ...]


class _Pending(NamedTuple):
    """A child whose tensors depend on the width of the layers beside it."""

    node: Node
    path: str


_MAX_COPIES = 20_000
"""Modules built for the copies of compressed repeats expanded one by one (a repeat
that is a whole ModuleList or Sequential stays one :class:`~paramcalc.Repeat`,
whatever its count)."""


_LEAVES = {**LEAVES, **MORE_LEAVES, **TABLE_LEAVES}
_MODULES = {**MODULES, **MORE_MODULES, **TABLE_MODULES}


class _Builder:
    def __init__(self, text: str, types: Mapping[str, type[Layer]], image_size: int | None) -> None:
        self.text = text
        self.types = types
        self.image_size = image_size
        self.warnings: list[str] = []
        self.classes: dict[str, type[Module]] = {}
        self.unknown: dict[str, list[str]] = {}
        self.guessed: dict[str, list[str]] = {}
        self.custom: dict[str, list[str]] = {}
        self.missed: dict[str, dict[str, list[str]]] = {}  # reason -> class -> places
        self.unread: dict[str, tuple[str, list[str]]] = {}  # class -> (its text, places)
        self.doubted: dict[str, int] = {}  # a default taken -> parameters counted with it
        self.copies = 0
        self.root = ""
        self.attentions: list[str] = []
        self.hidden: int | None = None
        self.experts: int | None = None
        self.expert_width: int | None = None
        self.outer: list[dict[str, object]] = []  # arguments printed by enclosing modules

    def doubt(self, seen: Seen, tensors: list[tuple[str, tuple[int, ...]]]) -> None:
        """Record the doubts of a rule with the parameters it counted under them."""
        counted = sum(math.prod(shape) for _, shape in tensors)
        for message in seen.doubts:
            self.doubted[message] = self.doubted.get(message, 0) + counted

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def arguments(
        self, node: Node, text: str, offset: int
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
        except ValueError:  # Python 3.10's ast.parse on a NUL character
            raise Position(self.text, 0).error(
                f"cannot read the arguments of {node.kind}: they hold a NUL character", offset
            ) from None
        except (MemoryError, RecursionError):
            raise Position(self.text, 0).error(
                f"cannot read the arguments of {node.kind}: they are nested too deeply", offset
            ) from None
        call = tree.body
        if not isinstance(call, ast.Call) or call.func is None:  # pragma: no cover
            raise Position(self.text, 0).error(f"cannot read the arguments of {node.kind}", offset)
        return _Reader(segment, where, self.types, bare_names=True).arguments(call)

    def printed_arguments(self, node: Node) -> tuple[str, list[object], dict[str, object]]:
        if node.args is not None:
            text, offset = node.args, node.args_offset
        elif node.extra:
            text, offset = ", ".join(line for _, line in node.extra), node.extra[0][0]
        else:
            text, offset = "", 0
        args, kwargs = self.arguments(node, text, offset) if text else ([], {})
        return text, args, kwargs

    def make(self, node: Node, path: str, base: str) -> Layer | None:
        """``base`` (a paramcalc layer's name) built from ``node``'s printed arguments."""
        cls = self.types.get(base)
        if cls is None:
            return None
        text, args, kwargs = self.printed_arguments(node)
        try:
            return build(cls, base, args, kwargs, lambda message: SpecError(message))
        except SpecError as problem:
            self.warn(
                f"{path or node.kind} (line {node.line}): {node.kind}({text}) cannot be built by "
                f"paramcalc ({problem.message}); left out, its parameters are not counted"
            )
            return None

    def miss(self, kind: str, path: str, reason: str) -> None:
        self.missed.setdefault(reason, {}).setdefault(kind, []).append(path or kind)

    def seen(self, kind: str, where: str) -> Seen:
        """What a rule of the table is told about the module at ``where``."""
        return Seen(
            kind,
            where,
            image_size=self.image_size,
            hidden=self.hidden,
            experts=self.experts,
            expert_width=self.expert_width,
            root=self.root,
            outer={key: value for kwargs in self.outer for key, value in kwargs.items()},
        )

    def leaf_rule(self, kind: str) -> tuple[str | None, LeafRule] | None:
        """The rule of a leaf class, looked up with the top-level class first (``MViT/...``)."""
        return _LEAVES.get(f"{self.root}/{kind}") or _LEAVES.get(kind)

    def printed_kwargs(self, node: Node) -> dict[str, object]:
        """The keyword arguments a module prints before its children (TinyViT's window_size)."""
        if not node.extra:
            return {}
        try:
            return self.printed_arguments(node)[2]
        except ParamcalcError:
            return {}

    def leaf(
        self,
        node: Node,
        path: str,
        width: int | None = None,
        siblings: Mapping[str, Layer] | None = None,
    ) -> Layer | None:
        kind = ALIASES.get(node.kind, node.kind)
        where = path or node.kind
        moe = kind.endswith(("Router", "TopkRouter", "Experts")) and kind not in self.types
        if moe and (node.args or node.extra):  # Phi-MoE's router prints as a Linear
            return self.make(node, where, "Linear")
        found = self.leaf_rule(kind)
        if found is not None or moe:
            base, rule = found or (None, moe_router)
            if kind.endswith("Experts"):
                rule = _experts
            layer = self.make(node, where, base) if base is not None else None
            seen = self.seen(kind, where)
            seen.width, seen.siblings = width, siblings or {}
            try:
                extra = rule(seen, layer)
            except LookupError as problem:
                self.miss(kind, where, str(problem))
                return layer
            self.doubt(seen, extra)
            return holding(kind, layer, tuple(extra))
        if kind in self.types:
            layer = self.make(node, where, kind)
            fixed = [path for root, path in FROZEN_AT.items() if self.root.startswith(root)]
            if layer is not None and fixed and where.endswith(fixed[0]):
                return layer.freeze()
            return layer
        if kind in AS_LAYER:
            layer = self.make(node, where, AS_LAYER[kind])
            return layer.freeze() if layer is not None and "Sinusoidal" in kind else layer
        if norm_rule(kind) and (node.args or node.extra):
            _, args, _ = self.printed_arguments(node)
            shape = args[0] if args else None
            if isinstance(shape, int) and not isinstance(shape, bool):
                shape = (shape,)
            norm = self.types.get("RMSNorm")
            if isinstance(shape, tuple) and all(isinstance(size, int) for size in shape):
                try:
                    inner = build(norm, "RMSNorm", [shape], {}, SpecError) if norm else None
                except SpecError:
                    inner = None
                return holding(kind, inner, () if inner else (("weight", shape),))
        if kind in KNOWN_EMPTY or (kind.endswith("RotaryEmbedding") and not node.args):
            return custom_module(kind, self.classes)  # rotary tables are buffers, not parameters
        base = base_by_name(kind)
        if base is not None and (node.args or node.extra):
            layer = self.make(node, where, base)
            if layer is not None:
                self.guessed.setdefault(f"{kind}|{base}", []).append(where)
                return layer
        self.unknown.setdefault(node.kind, []).append(where)
        return None

    def attention(self, node: Node, path: str, children: list[tuple[str, Layer]]) -> Layer | None:
        where = path or node.kind
        cls = self.types.get("MultiheadAttention")
        projection = dict(children).get("out_proj")
        if cls is None or not isinstance(projection, Layer):
            self.unknown.setdefault(node.kind, []).append(where)
            return None
        embed = getattr(projection, "out_features", None)
        bias = getattr(projection, "bias", True)
        self.attentions.append(where)
        try:
            make: Callable[..., Layer] = cls
            return make(embed, 1, bias=bias)
        except (ParamcalcError, TypeError) as problem:
            self.warn(f"{where}: MultiheadAttention({embed}) cannot be built ({problem}); left out")
            return None

    def children(
        self, node: Node, path: str, siblings: Mapping[str, Layer]
    ) -> list[tuple[str, Layer]]:
        built: list[tuple[str, Layer | _Pending | None]] = []
        lines: dict[str, int] = {}
        for child in node.children:
            if child.count > 1:
                self.copies += child.count * _modules(child)
                if self.copies > _MAX_COPIES:
                    raise SpecError(
                        f"({child.name}): {child.count} x {child.kind}: the repeats beside other "
                        f"children expand to more than {_MAX_COPIES:,} modules; paramcalc keeps "
                        f"a repeat compressed only when it fills its ModuleList or Sequential",
                        line=child.line,
                        column=child.column,
                    )
            for name in self.names(child):
                if name in lines:
                    raise SpecError(
                        f"two children are named `{name}` (lines {lines[name]} and {child.line}): "
                        f"torch's names are unique, so the text has been edited",
                        line=child.line,
                        column=child.column,
                    )
                lines[name] = child.line
                sub = f"{path}.{name}" if path else name
                if self.needs_width(child):
                    built.append((name, _Pending(child, sub)))
                else:
                    done = {key: value for key, value in built if isinstance(value, Layer)}
                    built.append((name, self.layer(child, sub, done)))
        found: list[tuple[str, Layer]] = []
        for index, (name, value) in enumerate(built):
            if isinstance(value, _Pending):
                done = {key: value for key, value in built if isinstance(value, Layer)}
                value = self.leaf(value.node, value.path, _neighbour(built, index), done)
            if value is not None:
                found.append((name, value))
        return found

    def container(self, node: Node, path: str, siblings: Mapping[str, Layer]) -> Layer | None:
        kind, where = node.kind, path or node.kind
        cls = self.types.get(kind)
        only = node.children[0] if len(node.children) == 1 else None
        if (
            only is not None
            and only.count > 1
            and cls is not None
            and issubclass(cls, (ModuleList, Sequential))
            and span(only) == (0, only.count - 1)
        ):
            block = self.layer(only, f"{where}.0", {})
            return Repeat(block, only.count) if block is not None else None
        if kind.startswith("Parametrized") and node.extra:
            return self.parametrized(node, where)
        self.outer.append(self.printed_kwargs(node))
        try:
            children = self.children(node, path, siblings)
        finally:
            self.outer.pop()
        if kind == "MultiheadAttention":
            return self.attention(node, path, children)
        if cls is not None and issubclass(cls, ParameterList):
            return cls([layer for _, layer in children if isinstance(layer, Parameter)])
        if cls is not None and issubclass(cls, (ParameterDict, ModuleDict)):
            return cls(children)  # type: ignore[arg-type]
        contiguous = [name for name, _ in children] == [str(i) for i in range(len(children))]
        if cls is not None and issubclass(cls, ModuleList):
            return cls([layer for _, layer in children]) if contiguous else ModuleDict(children)
        if cls is not None and issubclass(cls, Sequential):
            return cls(dict(children))
        if not kind.isidentifier():
            raise SpecError(f"`{kind}` is not a module name", line=node.line, column=node.column)
        module = custom_module(kind, self.classes)
        for name, shape in self.own(node, where, children, siblings):
            add_child(module, name, Parameter(shape, requires_grad=(kind, name) not in FROZEN))
        for name, layer in children:
            add_child(module, name, layer)
        return module

    def parametrized(self, node: Node, where: str) -> Layer | None:
        """A ``weight_norm`` parametrized layer: its weight is ``original0`` and ``original1``."""
        kind = node.kind
        layer = self.make(node, where, kind.removeprefix("Parametrized"))
        norms = [child.kind for child in node.children for child in child.children]
        if layer is None or norms != ["ParametrizationList"] or "_WeightNorm(" not in self.text:
            self.miss(kind, where, "its parametrizations are not weight_norm's")
            return layer
        shapes = dict(layer.parameter_shapes())
        weight = shapes.pop("weight")
        dim = 2 if where.endswith("pos_conv_embed.conv") else 0
        if dim == 0:
            self.warn(
                f"{kind} at {where}: weight_norm's g is read for dim=0 (torch's default); "
                f"another dim gives it another shape"
            )
        g = tuple(size if axis == dim else 1 for axis, size in enumerate(weight))
        module = custom_module(kind, self.classes)
        for name, shape in shapes.items():
            add_child(module, name, Parameter(shape))
        holder = custom_module("ParametrizationList", self.classes)
        add_child(holder, "original0", Parameter(g))
        add_child(holder, "original1", Parameter(weight))
        add_child(module, "parametrizations", ModuleDict({"weight": holder}))
        return module

    def own(
        self,
        node: Node,
        where: str,
        children: list[tuple[str, Layer]],
        siblings: Mapping[str, Layer],
    ) -> list[tuple[str, tuple[int, ...]]]:
        """The tensors a module printed with children holds itself."""
        kind = node.kind
        seen = self.seen(kind, where)
        seen.children, seen.siblings = dict(children), siblings
        rule = _MODULES.get(f"{self.root}/{kind}") or _MODULES.get(kind)
        if rule is None and kind.endswith("Experts") and not any(c.params() for _, c in children):
            rule = moe_experts  # fused: its experts are tensors, not printed modules
        if rule is not None:
            try:
                found = rule(seen)
            except LookupError as problem:
                self.miss(kind, where, str(problem))
                return []
            self.doubt(seen, found)
            return found
        base = AS_LAYER.get(kind) or base_by_name(kind)
        if node.extra and base is not None:  # timm's BatchNormAct2d: a norm with children
            layer = self.make(node, where, base)
            if layer is not None:
                if kind not in AS_LAYER:
                    self.guessed.setdefault(f"{kind}|{base}", []).append(where)
                return list(layer.parameter_shapes())
        if node.extra:
            self.unread.setdefault(kind, (node.extra[0][1][:40], []))[1].append(where)
        if kind in self.types and not issubclass(self.types[kind], Composite):
            self.warn(
                f"{where}: {kind} is printed with sub-modules; read as a container of them, "
                f"without parameters of its own"
            )
        elif kind not in self.types and kind not in KNOWN_EMPTY:
            if f"{self.root}/{kind}" in KNOWN_EMPTY:
                return []
            self.custom.setdefault(kind, []).append(where)
        return []

    def needs_width(self, node: Node) -> bool:
        """Whether ``node`` is a leaf whose tensors take the width of the layers beside it."""
        rule = self.leaf_rule(node.kind)
        return not node.children and node.size is None and rule is not None and rule[0] is None

    def names(self, node: Node) -> list[str]:
        first_last = span(node)
        if first_last is None:
            return [node.name]
        return [str(index) for index in range(first_last[0], first_last[1] + 1)]

    def layer(self, node: Node, path: str, siblings: Mapping[str, Layer]) -> Layer | None:
        if node.size is not None:
            return Parameter(node.size)
        if node.children or node.kind == "MultiheadAttention":
            return self.container(node, path, siblings)
        return self.leaf(node, path)


def _neighbour(built: list[tuple[str, Layer | _Pending | None]], index: int) -> int | None:
    """The width beside child ``index``: what the one before gives, else what the next takes."""
    for _, value in reversed(built[:index]):
        if isinstance(value, Layer):
            width = out_width(value)
            if width is not None:
                return width
    for _, value in built[index + 1 :]:
        if isinstance(value, Layer):
            width = in_width(value)
            if width is not None:
                return width
    return None


def _experts(seen: Seen, layer: Layer | None) -> list[tuple[str, tuple[int, ...]]]:
    return moe_experts(seen)


def _modules(node: Node) -> int:
    """How many modules ``node`` prints, itself included (a repeat's block once)."""
    count, stack = 0, [node]
    while stack:
        count += 1
        stack.extend(stack.pop().children)
    return count


def _places(paths: list[str]) -> str:
    return ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")


def read_printed(
    text: str,
    *,
    types: Mapping[str, type[Layer]] | None = None,
    tied: bool | None = None,
    image_size: int | None = None,
    experts: int | None = None,
    expert_width: int | None = None,
) -> Printed:
    """The network in ``print(model)`` output, and warnings about what it could not read.

    ``tied`` settles whether a language model's output head shares the input
    embedding's weight where the printed class does not (``LlamaForCausalLM``);
    ``image_size`` sets the image side that position embeddings are sized for
    (ViT's, by default the library's 224); ``experts`` and ``expert_width`` size
    the fused mixture-of-experts layers of Hugging Face models, which print no
    sizes (``num_local_experts`` and ``intermediate_size`` of Mixtral's config).
    Raises :class:`~paramcalc.SpecError`
    (with line and column) when the text is not ``print(model)`` output at all.
    """
    if len(text) > MAX_SIZE:
        raise SpecError(f"the text is {len(text):,} characters long; the limit is {MAX_SIZE:,}")
    if tied is not None and not isinstance(tied, bool):
        raise ConfigError(
            f"read_printed: `tied` must be True, False or None. Received: {_shown(tied)}."
        )
    for name, value in (
        ("image_size", image_size),
        ("experts", experts),
        ("expert_width", expert_width),
    ):
        if value is not None:
            _check.positive("read_printed", name, value)
    text = text.replace("\r\n", "\n")
    builder = _Builder(text, layer_types() if types is None else types, image_size)
    root = structure(text)
    builder.root = root.kind
    builder.hidden = hidden_width(root)
    builder.experts, builder.expert_width = experts, expert_width
    network = builder.layer(root, "", {})
    warnings: list[str] = []
    for kind, paths in builder.unknown.items():
        warnings.append(
            f"{kind} is not a layer paramcalc knows: left out at {_places(paths)}; "
            f"its parameters, if any, are not counted"
        )
    for key, paths in builder.guessed.items():
        kind, base = key.split("|")
        warnings.append(
            f"{kind} is read as {base} from its printed arguments (by its name) at "
            f"{_places(paths)}; tensors a subclass adds are not counted"
        )
    for reason, kinds in builder.missed.items():
        places = "; ".join(f"{kind} at {_places(paths)}" for kind, paths in kinds.items())
        warnings.append(f"{places}: {reason}; not counted")
    for kind, (shown, paths) in builder.unread.items():
        warnings.append(
            f"the arguments printed for {kind} itself ({shown}) are not read, at {_places(paths)}"
        )
    if builder.custom:
        named = ", ".join(f"{kind} ({_places(paths)})" for kind, paths in builder.custom.items())
        warnings.append(
            f"print(model) does not show tensors a module holds itself (like a class token); "
            f"these classes are not ones paramcalc knows, and any such tensors of theirs are "
            f"not counted: {named}"
        )
    if builder.attentions:
        warnings.append(
            f"MultiheadAttention at {_places(builder.attentions)} is read from its out_proj "
            f"with kdim = vdim = embed_dim and add_bias_kv=False, torch's defaults: print(model) "
            f"does not show them, and other values hold other tensors"
        )
    for message, counted in builder.doubted.items():
        warnings.append(
            f"{message} ({counted:,} parameters in the tensors read so)" if counted else message
        )
    warnings += builder.warnings
    if network is None:
        raise SpecError(f"nothing paramcalc knows was found: {' '.join(warnings)}")
    network, notes = tie_printed(network, root.kind, tied)
    warnings += notes
    return Printed(network, tuple(warnings))
