"""Graph blocks: ``Residual``, ``Concat``, ``Repeat`` and weight tying (``Tied``).

Real networks are not chains: ResNet adds a shortcut, Inception concatenates
branches, a transformer repeats one block dozens of times and GPT-2's head
reuses the token embedding's weight. These composites express that with
exact counts, shapes and MACs.

>>> from paramcalc import Conv2d, Linear, ReLU
>>> block = Residual({"conv1": Conv2d(8, 8, 3, padding=1), "relu": ReLU(),
...                   "conv2": Conv2d(8, 8, 3, padding=1)})
>>> block.params(), block.output_shape((8, 16, 16))
(1168, (8, 16, 16))
>>> Repeat(Linear(512, 512), 1_000_000).params()
262656000000
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, ClassVar

from paramcalc import _check
from paramcalc._check import shown
from paramcalc._repr import indent as _indent
from paramcalc.children import check_entry as _check_entry
from paramcalc.errors import ConfigError, ConfigTypeError, ShapeError
from paramcalc.layer import Composite, Counts, Layer, Visit, _Tally
from paramcalc.nesting import check_nesting
from paramcalc.shapes import Shape

if TYPE_CHECKING:
    from paramcalc.formula import Formula

Entries = tuple[tuple[str, Layer], ...]


def _entries(kind: str, argument: str, value: object, default: str) -> Entries:
    """A layer becomes ``((default, layer),)``; a mapping's entries are taken as named."""
    if isinstance(value, tuple) and all(isinstance(item, tuple) for item in value):
        value = dict(value)  # ((name, layer), ...): the form a report stores
    if isinstance(value, Mapping):
        entries = tuple(_check_entry(kind, name, layer) for name, layer in value.items())
        if not entries:
            raise ConfigError(f"{kind}: `{argument}` must hold at least one layer. Received: {{}}.")
        return entries
    if not isinstance(value, Layer):
        raise ConfigTypeError(
            f"{kind}: `{argument}` must be a paramcalc layer or a dict of named layers. "
            f"Received: {argument}={shown(value)} ({type(value).__name__})."
        )
    return ((default, check_nesting(kind, value)),)


def _unique_names(kind: str, entries: Entries) -> None:
    names = [name for name, _ in entries]
    if len(set(names)) != len(names):
        raise ConfigError(f"{kind}: layer names must be unique. Received: {names}.")


def _run(visit: Visit, entries: Entries, shape: Shape | None) -> Shape | None:
    for name, layer in entries:
        shape = visit(name, layer, shape)
    return shape


def _entries_repr(entries: Entries, default: str) -> str:
    if len(entries) == 1 and entries[0][0] == default:
        return repr(entries[0][1])
    lines = "".join(f"\n  {name!r}: {_indent(repr(layer))}," for name, layer in entries)
    return f"{{{lines}\n}}"


@dataclass(frozen=True, init=False, repr=False, eq=False)
class Residual(Composite):
    """``block(x) + shortcut(x)``: a skip connection (ResNet, transformers).

    ``block`` is a layer (named ``"block"``) or a dict of named layers applied
    in order, whose names then sit directly under the residual's path, as in
    torchvision's blocks (``layer1.0.conv1``). ``shortcut`` is None (the
    identity), a layer (named ``"shortcut"``) or a one-entry dict naming it
    (``{"downsample": …}``). Both outputs must have the same shape.

    >>> from paramcalc import Conv2d, Sequential
    >>> down = Residual({"conv1": Conv2d(64, 128, 3, stride=2, padding=1)},
    ...                 {"downsample": Conv2d(64, 128, 1, stride=2)})
    >>> [name for name, _ in down.named_parameters()]
    ['conv1.weight', 'conv1.bias', 'downsample.weight', 'downsample.bias']
    >>> down.output_shape((64, 56, 56)), down.macs((64, 56, 56))
    ((128, 28, 28), 64225280)
    >>> Residual(Conv2d(3, 8, 3)).output_shape((3, 32, 32))
    Traceback (most recent call last):
    ...
    paramcalc.errors.ShapeError: Residual adds the block's output (8, 30, 30) to the shortcut's ...
    """

    merge: ClassVar[str] = "add"
    """The input lives until the sum, a new tensor, is made (:mod:`paramcalc.liveset`)."""

    block: Entries = field(default=())
    shortcut: Entries = field(default=())

    def __init__(
        self,
        block: Layer | Mapping[str, Layer] | Entries,
        shortcut: Layer | Mapping[str, Layer] | Entries | None = None,
        *,
        trainable: bool = True,
    ) -> None:
        body = _entries("Residual", "block", block, "block")
        short = () if not shortcut else _entries("Residual", "shortcut", shortcut, "shortcut")
        if len(short) > 1:
            raise ConfigError(
                "Residual: `shortcut` must be one layer or a dict with one named layer. "
                f"Received: {len(short)} layers ({', '.join(name for name, _ in short)})."
            )
        _unique_names("Residual", body + short)
        object.__setattr__(self, "block", body)
        object.__setattr__(self, "shortcut", short)
        object.__setattr__(self, "trainable", _check.boolean("Residual", "trainable", trainable))

    def children(self) -> Iterator[tuple[str, Layer]]:
        return iter(self.block + self.shortcut)

    def forward_shapes(self, visit: Visit, shape: Shape | None) -> Shape | None:
        main = _run(visit, self.block, shape)
        skip = _run(visit, self.shortcut, shape)
        if main is not None and skip is not None and main != skip:
            raise ShapeError(
                f"adds the block's output {main} to the shortcut's {skip}; "
                "they must have the same shape"
            )
        return main

    def rebuild(self, children: list[Layer]) -> Residual:
        names = [name for name, _ in self.block + self.shortcut]
        pairs = dict(zip(names, children, strict=True))
        body = {name: pairs[name] for name, _ in self.block}
        short = {name: pairs[name] for name, _ in self.shortcut}
        return type(self)(body, short or None)

    def __repr__(self) -> str:
        parts = [_entries_repr(self.block, "block")]
        if self.shortcut:
            parts.append(_entries_repr(self.shortcut, "shortcut"))
        return f"{type(self).__name__}({', '.join(_indent(part) for part in parts)})"


@dataclass(frozen=True, init=False, repr=False, eq=False)
class Concat(Composite):
    """Runs every branch on the same input and concatenates the outputs (Inception).

    ``dim`` is a per-sample dimension (0 = channels, the default; negative
    counts from the end); every other dimension must agree. Branches are
    named ``"0"``, ``"1"``, … or given as a dict of names.

    >>> from paramcalc import Conv2d
    >>> cat = Concat({"branch1": Conv2d(192, 64, 1), "branch2": Conv2d(192, 128, 3, padding=1)})
    >>> cat.output_shape((192, 28, 28))
    (192, 28, 28)
    >>> Concat(Conv2d(3, 4, 1), Conv2d(3, 4, 3)).output_shape((3, 8, 8))
    Traceback (most recent call last):
    ...
    paramcalc.errors.ShapeError: Concat cannot concatenate along dim 0: branch 1 gives (4, 6, 6) ...
    """

    branches: Entries = field(default=())
    dim: int = 0

    def __init__(
        self,
        *layers: Layer | Mapping[str, Layer],
        dim: int = 0,
        branches: Entries | None = None,
        trainable: bool = True,
    ) -> None:
        if branches is not None:  # ((name, layer), ...): the form a report stores
            if layers:
                raise ConfigError("Concat: give the branches as arguments or as `branches`.")
            layers = (dict(branches),)
        if len(layers) == 1 and isinstance(layers[0], Mapping):
            entries = _entries("Concat", "branches", layers[0], "0")
        else:
            entries = tuple(
                _entries("Concat", "branches", branch, str(index))[0]
                for index, branch in enumerate(layers)
            )
        if not entries:
            raise ConfigError("Concat: give at least one branch.")
        _unique_names("Concat", entries)
        _check.integer("Concat", "dim", dim)
        object.__setattr__(self, "branches", entries)
        object.__setattr__(self, "dim", dim)
        object.__setattr__(self, "trainable", _check.boolean("Concat", "trainable", trainable))

    def children(self) -> Iterator[tuple[str, Layer]]:
        return iter(self.branches)

    def forward_shapes(self, visit: Visit, shape: Shape | None) -> Shape | None:
        outputs = [(name, visit(name, branch, shape)) for name, branch in self.branches]
        return concat_shapes(outputs, self.dim)

    def rebuild(self, children: list[Layer]) -> Concat:
        names = [name for name, _ in self.branches]
        return type(self)(dict(zip(names, children, strict=True)), dim=self.dim)

    def __repr__(self) -> str:
        numbered = all(name == str(index) for index, (name, _) in enumerate(self.branches))
        if numbered:
            body = "".join(f"\n  {_indent(repr(layer))}," for _, layer in self.branches)
        else:
            body = "\n  " + _indent(_entries_repr(self.branches, ""))
        dim = f", dim={self.dim}" if self.dim else ""
        return f"{type(self).__name__}({body}{dim}\n)"


def concat_shapes(outputs: list[tuple[str, Shape | None]], dim: int) -> Shape | None:
    """The shape of ``torch.cat`` of per-sample shapes along per-sample ``dim``.

    Raises a path-less :class:`ShapeError` naming the two disagreeing branches.

    >>> concat_shapes([("a", (64, 7, 7)), ("b", (32, 7, 7))], 0)
    (96, 7, 7)
    """
    known = [(name, out) for name, out in outputs if out is not None]
    if len(known) != len(outputs):
        return None
    first_name, first = known[0]
    rank = len(first)
    axis = dim + rank if dim < 0 else dim
    if not 0 <= axis < rank:
        raise ShapeError(
            f"cannot concatenate along dim {dim}: the branches' outputs {first} have rank {rank}"
        )
    size = 0
    for name, out in known:
        if len(out) != rank or any(
            a != b for i, (a, b) in enumerate(zip(out, first, strict=True)) if i != axis
        ):
            raise ShapeError(
                f"cannot concatenate along dim {dim}: branch {name} gives {out} but branch "
                f"{first_name} gives {first}; all other dimensions must agree"
            )
        size += out[axis]
    return (*first[:axis], size, *first[axis + 1 :])


@dataclass(frozen=True, init=False, repr=False, eq=False)
class Repeat(Composite):
    """``n`` distinct copies of ``block`` applied in order, never materialized.

    Like a ``ModuleList`` of deep copies (a transformer's layers): each copy
    has its own parameters, named ``0.…`` to ``{n-1}.…`` as torch names them.
    ``params()``, ``output_shape()`` and ``macs()`` cost the same for any
    ``n``: the block is counted once and its shape walked until it maps its
    input to itself; names are generated lazily; a report lists every copy.
    ``prefix`` names the copies ``f"{prefix}{i}"`` (torchvision's ViT:
    ``"encoder_layer_"``).

    >>> from paramcalc import Linear, ReLU, Sequential
    >>> layers = Repeat(Sequential(Linear(64, 64), ReLU()), 12)
    >>> layers.params(), layers.macs((10, 64))
    (49920, 491520)
    >>> names = layers.named_parameters()
    >>> next(names), next(names), next(names)[0]
    (('0.0.weight', (64, 64)), ('0.0.bias', (64,)), '1.0.weight')
    """

    distinct_copies: ClassVar[bool] = True

    block: Layer = field(default_factory=Layer)
    n: int = 1
    prefix: str = ""

    def __init__(self, block: Layer, n: int, *, prefix: str = "", trainable: bool = True) -> None:
        if not isinstance(block, Layer):
            raise ConfigTypeError(
                f"Repeat: `block` must be a paramcalc layer. "
                f"Received: block={shown(block)} ({type(block).__name__})."
            )
        check_nesting("Repeat", block)
        _check.integer("Repeat", "n", n, minimum=1)
        if not isinstance(prefix, str) or "." in prefix:
            raise ConfigError(
                f"Repeat: `prefix` must be a str without '.'. Received: {shown(prefix)}."
            )
        object.__setattr__(self, "block", block)
        object.__setattr__(self, "n", n)
        object.__setattr__(self, "prefix", prefix)
        object.__setattr__(self, "trainable", _check.boolean("Repeat", "trainable", trainable))

    def children(self) -> Iterator[tuple[str, Layer]]:
        """Lazily: ``("0", block)``, …, ``(str(n - 1), block)`` (after the ``prefix``)."""
        return ((f"{self.prefix}{index}", self.block) for index in range(self.n))

    def forward_shapes(self, visit: Visit, shape: Shape | None) -> Shape | None:
        return visit(self.prefix, self.block, shape, copies=self.n)

    def rebuild(self, children: list[Layer]) -> Repeat:
        first = children[0]
        if any(child is not first for child in children):
            raise ConfigError(
                "Repeat: the copies of a repeated block are identical; freeze or unfreeze "
                "all of them (the Repeat's path) or none. Received a pattern selecting "
                "some copies only."
            )
        return type(self)(first, self.n, prefix=self.prefix)

    def _named(self, which: str, prefix: str, seen: set[int]) -> Iterator[tuple[str, Shape]]:
        if id(self) in seen:
            return
        seen.add(id(self))
        block = self.block
        for index in range(self.n):
            path = f"{prefix}{self.prefix}{index}."
            if isinstance(block, Composite):
                yield from block._named(which, path, set())  # each copy is distinct
            else:
                shapes = block.parameter_shapes() if which == "p" else block.buffer_shapes()
                for tensor, shape in shapes:
                    yield path + tensor if tensor else path[:-1], shape

    def _tally(self, tally: _Tally) -> None:
        if id(self) in tally.seen:
            return
        tally.seen.add(id(self))
        counts: Counts = self.block._counts
        tally.params += self.n * counts.params
        tally.trainable += self.n * counts.trainable
        tally.buffers += self.n * counts.buffers

    @cached_property
    def _nesting(self) -> int:
        return self.block._nesting + 1

    def copy_index(self, name: str) -> int | None:
        """The index of the copy called ``name`` (``"3"``, or ``prefix + "3"``), or None.

        >>> from paramcalc import Linear
        >>> Repeat(Linear(2, 2), 4).copy_index("3"), Repeat(Linear(2, 2), 4).copy_index("4")
        (3, None)
        """
        index = name.removeprefix(self.prefix)
        if not (name.startswith(self.prefix) and index.isascii() and index.isdigit()):
            return None
        if len(index) > len(str(self.n)):  # never int() a hostile run of digits
            return None
        number = int(index)
        return number if number < self.n else None

    def _find_child(self, name: str) -> Layer | None:
        return None if self.copy_index(name) is None else self.block

    def _child_at(self, index: int) -> Layer:
        if not -self.n <= index < self.n:
            raise IndexError(f"Repeat index {index} is out of range")
        return self.block

    def params_per_use(self) -> int:
        return self.n * self.block.params_per_use()

    def _sum(self, what: str, seen: set[int]) -> int:
        if id(self) in seen:
            return 0
        seen.add(id(self))
        return self.n * self.block._sum(what, set())  # each copy is distinct

    def formula(self) -> Formula:
        """``n·block``: ``12·4,160 = 49,920``."""
        from paramcalc.formula import Formula, num, product

        return Formula(product(num(self.n, "n"), num(self.block.params())))

    def __repr__(self) -> str:
        prefix = f", prefix={self.prefix!r}" if self.prefix else ""
        return f"{type(self).__name__}({_indent(repr(self.block))}, {self.n}{prefix})"


def _tie_pairs(targets: object) -> tuple[tuple[str, str], ...]:
    """``targets`` as ``(tensor, path)`` pairs: a dict, or an iterable of pairs of strings."""
    items: object = targets
    if isinstance(targets, Mapping):
        items = tuple(targets.items())
    elif isinstance(targets, list | tuple):
        items = tuple(targets)
    if not isinstance(items, tuple) or not all(
        isinstance(pair, tuple | list)
        and len(pair) == 2
        and all(isinstance(part, str) for part in pair)
        for pair in items
    ):
        raise ConfigTypeError(
            "Tied: `targets` must be a dict of tensor name to parameter path, such as "
            f"{{'weight': 'transformer.wte.weight'}}. Received: targets={shown(targets)} "
            f"({type(targets).__name__})."
        )
    return tuple((str(tensor), str(target)) for tensor, target in items)


@dataclass(frozen=True, init=False, repr=False, eq=False)
class Tied(Layer):
    """A layer some of whose tensors are another layer's parameters (weight tying).

    ``targets`` maps a tensor of ``layer`` to the dotted path of the parameter it
    uses (``{"weight": "transformer.wte.weight"}``). The tied tensors count
    once, under the target, as torch's ``parameters()`` yields a shared
    ``Parameter`` once; :meth:`params_per_use` counts them again here. The
    report names the tie on the row (``shared_with``) and checks that the
    target exists with the same shape. ``layer.tied_to(target)`` is short for
    ``Tied(layer, {"weight": target})``.

    >>> from paramcalc import Linear
    >>> head = Tied(Linear(768, 50257), {"weight": "transformer.wte.weight"})
    >>> list(head.named_parameters()), head.output_shape((1024, 768))
    ([('bias', (50257,))], (1024, 50257))
    """

    layer: Layer = field(default_factory=Layer)
    targets: tuple[tuple[str, str], ...] = ()

    def __init__(
        self,
        layer: Layer,
        targets: Mapping[str, str] | Iterable[tuple[str, str]],
        *,
        trainable: bool | None = None,
    ) -> None:
        if not isinstance(layer, Layer) or isinstance(layer, Composite):
            raise ConfigTypeError(
                "Tied: `layer` must be a paramcalc leaf layer (tie tensors of a container's "
                f"layers one by one). Received: layer={shown(layer)} ({type(layer).__name__})."
            )
        pairs = _tie_pairs(targets)
        if not pairs:
            raise ConfigError(
                "Tied: `targets` must be a non-empty dict of tensor name to parameter path. "
                f"Received: targets={shown(targets)}."
            )
        own = dict(layer.parameter_shapes())
        for tensor, target in pairs:
            if tensor not in own:
                raise ConfigError(
                    f"Tied: {type(layer).__name__} has no parameter {shown(tensor)} to tie "
                    f"(it has {', '.join(repr(name) for name in own) or 'none'})."
                )
            if not isinstance(target, str) or not target or target.startswith("."):
                raise ConfigError(
                    f"Tied: the target of {shown(tensor)} must be a dotted parameter path such as "
                    f"'transformer.wte.weight'. Received: {shown(target)}."
                )
        object.__setattr__(self, "layer", layer)
        object.__setattr__(self, "targets", pairs)
        object.__setattr__(self, "trainable", layer.trainable if trainable is None else trainable)
        self.__post_init__()

    def parameter_shapes(self) -> tuple[tuple[str, Shape], ...]:
        tied = {tensor for tensor, _ in self.targets}
        return tuple((name, s) for name, s in self.layer.parameter_shapes() if name not in tied)

    def buffer_shapes(self) -> tuple[tuple[str, Shape], ...]:
        return self.layer.buffer_shapes()

    def infer_shape(self, shape: Shape) -> Shape:
        return self.layer.infer_shape(shape)

    def count_macs(self, shape: Shape, output: Shape) -> int:
        return self.layer.count_macs(shape, output)

    def ties(self) -> tuple[tuple[str, str], ...]:
        return self.targets

    def tied_shapes(self) -> tuple[tuple[str, Shape], ...]:
        """``(target, shape)`` of each tied tensor, for checking against the target."""
        own = dict(self.layer.parameter_shapes())
        return tuple((target, own[tensor]) for tensor, target in self.targets)

    def params_per_use(self) -> int:
        return self.layer.params()

    def __repr__(self) -> str:
        return f"Tied({self.layer!r}, {dict(self.targets)!r})"


def check_ties(network: Layer) -> None:
    """Check that every tie in ``network`` names one of its parameters, of the same shape.

    >>> from paramcalc import Linear, Sequential
    >>> check_ties(Sequential({"fc": Linear(4, 4).tied_to("emb.weight")}))
    Traceback (most recent call last):
    ...
    paramcalc.errors.ConfigError: Tied: fc ties its weight to 'emb.weight', which is not a ...
    """
    found: list[tuple[str, Tied]] = []

    def collect(node: Layer, path: str) -> None:
        if isinstance(node, Repeat):  # the copies are alike: check the first
            first = f"{node.prefix}0"
            collect(node.block, f"{path}.{first}" if path else first)
        elif isinstance(node, Composite):  # a stack of copies alike: each block once
            for name, child in node.first_copies():
                collect(child, f"{path}.{name}" if path else name)
        elif isinstance(node, Tied):
            found.append((path, node))

    collect(network, "")
    if not found:
        return
    names = dict(_first_copy_child(network, "", set()))
    for path, tied in found:
        for (tensor, target), (_, shape) in zip(tied.targets, tied.tied_shapes(), strict=True):
            known = names.get(_first_copy_path(network, target))
            if known is None:
                raise ConfigError(
                    f"Tied: {path} ties its {tensor} to {shown(target)}, which is not a "
                    "parameter of the network."
                )
            if known != shape:
                raise ConfigError(
                    f"Tied: {path} ties its {tensor} of shape {shape} to {shown(target)} "
                    f"of shape {known}; the shapes must be equal."
                )


def _first_copy_parameters(
    node: Composite, prefix: str, seen: set[int]
) -> Iterator[tuple[str, Shape]]:
    """``named_parameters()`` with each ``Repeat`` listing its first copy only.

    The copies of a repeated block are alike, so a tie's target is checked
    against copy 0 (see :func:`_first_copy_path`): the cost is the size of the
    network as written, whatever the repeat counts.
    """
    if isinstance(node, Repeat):
        if id(node) not in seen:
            seen.add(id(node))
            yield from _first_copy_child(node.block, f"{prefix}{node.prefix}0.", set())
        return
    children = list(node.first_copies())
    own = [(name, child) for name, child in children if child.bare_tensor]
    for name, child in own + [entry for entry in children if not entry[1].bare_tensor]:
        yield from _first_copy_child(child, f"{prefix}{name}.", seen)


def _first_copy_child(child: Layer, path: str, seen: set[int]) -> Iterator[tuple[str, Shape]]:
    if isinstance(child, Composite):
        yield from _first_copy_parameters(child, path, seen)
    elif id(child) not in seen:
        seen.add(id(child))
        for tensor, shape in child.parameter_shapes():
            yield path + tensor if tensor else path[:-1], shape


def _first_copy_path(network: Layer, target: str) -> str:
    """``target`` with the index of every repeated copy on its way replaced by the first's.

    >>> from paramcalc import Linear, Sequential
    >>> _first_copy_path(Sequential({"h": Repeat(Linear(2, 2), 10**12)}), "h.999999999999.weight")
    'h.0.weight'
    """
    parts = target.split(".")
    node = network
    for index, part in enumerate(parts):
        if isinstance(node, Repeat):
            if node.copy_index(part) is None:
                break
            parts[index] = f"{node.prefix}0"
            node = node.block
        elif isinstance(node, Composite):
            child = node._find_child(part)
            if child is None:
                break
            parts[index] = node.first_copy_name(part)
            node = child
        else:
            break
    return ".".join(parts)
