"""The layer contract: every layer states its tensors; every count is derived.

A layer is a frozen dataclass whose constructor mirrors its ``torch.nn``
namesake. It declares the shapes of its parameter tensors exactly as PyTorch
allocates them (:meth:`Layer.parameter_shapes`) and how it maps a per-sample
input shape to an output shape; parameters, trainable parameters, buffers,
formulas and reports all follow from those declarations.

>>> from paramcalc import Linear
>>> fc = Linear(400, 120)
>>> list(fc.named_parameters())
[('weight', (120, 400)), ('bias', (120,))]
>>> fc.params(), fc.freeze().trainable_params()
(48120, 0)
>>> str(fc.explain())
'400·120 + 120 = 48,120'
"""

from __future__ import annotations

import dataclasses
import fnmatch
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple, Protocol, TypeVar, cast

from paramcalc import _check
from paramcalc.errors import ConfigError, ShapeError
from paramcalc.formula import Formula, num, product, total
from paramcalc.shapes import Shape, as_shape, numel, product_text

if TYPE_CHECKING:
    from paramcalc.footprint import Memory
    from paramcalc.report import Report

__all__ = ["MAX_NESTING", "Composite", "Counts", "Layer", "Visit", "check_nesting"]

MAX_NESTING = 100
"""The deepest nesting of containers accepted (real networks nest about ten deep).

Counting, walking and rendering recurse once per level; the limit keeps them
well inside Python's recursion limit.
"""

L = TypeVar("L", bound="Layer")


class Visit(Protocol):
    """``visit(name, child, shape) -> output shape``: how a composite runs a child.

    ``copies=k`` (an int, even 1) runs ``k`` distinct copies of ``child`` one after another (as
    torch's deep copies of a block in a ``ModuleList``), named ``f"{name}{i}"``
    for ``i`` in ``range(k)``. The walk stops walking copies once a copy maps
    its input shape to itself and multiplies the rest, so its cost does not
    grow with ``k``: a report shows the rest as one group of rows, "×N".
    """

    def __call__(
        self, name: str, child: Layer, shape: Shape | None, /, *, copies: int | None = None
    ) -> Shape | None: ...


class Counts(NamedTuple):
    """The element counts of a layer or network."""

    params: int
    trainable: int
    buffers: int


_NOTHING = Counts(0, 0, 0)
"""What the second use of a shared layer adds."""


class _Tally:
    """Adds up counts over a tree, counting each layer object once."""

    __slots__ = ("buffers", "params", "seen", "trainable")

    def __init__(self) -> None:
        self.seen: set[int] = set()
        self.params = self.trainable = self.buffers = 0


@dataclass(frozen=True, repr=False, eq=False)
class Layer:
    """Base of every layer and container.

    Subclasses declare :meth:`parameter_shapes` (and :meth:`buffer_shapes`,
    :meth:`infer_shape`, :meth:`count_macs` where they apply); the public
    methods below are derived from those and are not overridden.

    ``trainable`` (keyword-only) is paramcalc's stand-in for
    ``requires_grad``: :meth:`freeze` returns a copy with it set to False.
    """

    trainable: bool = field(default=True, kw_only=True)

    bare_tensor: ClassVar[bool] = False
    """True for a raw tensor (:class:`paramcalc.Parameter`) rather than a module.

    Its one tensor is named ``""``: inside a container it takes the bare path
    (``cls_token``, not ``cls_token.weight``), and it is listed before the
    sub-modules' tensors, as torch lists a module's own parameters first. A
    walk passes shapes by it (its report row shows no output shape) and never
    names it as the source of a shape.
    """

    def __post_init__(self) -> None:
        _check.boolean(type(self).__name__, "trainable", self.trainable)
        for item in dataclasses.fields(self):
            if item.init:
                value = getattr(self, item.name, None)  # a custom __init__ may set it later
                _check.no_huge_ints(type(self).__name__, item.name, value)

    # -- what a layer declares ------------------------------------------------

    def parameter_shapes(self) -> tuple[tuple[str, Shape], ...]:
        """``(name, shape)`` of each parameter tensor, as torch allocates them."""
        return ()

    def buffer_shapes(self) -> tuple[tuple[str, Shape], ...]:
        """``(name, shape)`` of each buffer (running statistics and the like)."""
        return ()

    def infer_shape(self, shape: Shape) -> Shape:
        """The per-sample output shape; raise :class:`ShapeError` if it does not fit.

        The default keeps the shape (element-wise layers).
        """
        return shape

    def count_macs(self, shape: Shape, output: Shape) -> int:
        """Multiply-accumulates of one forward pass of one sample (default 0)."""
        return 0

    def count_elementwise(self, shape: Shape, output: Shape) -> int:
        """Element-wise FLOPs of one forward pass of one sample (default 0).

        The work that is not a dot product: bias adds, activations, norms,
        pooling, softmax. The per-element constants are in ``docs/flops.md``.
        """
        return 0

    def cache_shapes(self, tokens: int, encoder_tokens: int = 0) -> tuple[tuple[str, Shape], ...]:
        """``(name, shape)`` of the tensors an inference cache holds for this layer (default none).

        Per sample, after a prefill of ``tokens`` tokens (and, for
        cross-attention, an encoder output of ``encoder_tokens``): an attention
        layer's keys and values, as ``transformers``' cache stores them.
        KV-cache planning adds them up over a network.
        """
        return ()

    def buffer_dtype(self, name: str) -> str | None:
        """The fixed dtype of buffer ``name`` (``"int64"``), or None to follow the model's.

        torch's ``module.to(dtype)`` casts only floating-point tensors, so an
        integer buffer (BatchNorm's ``num_batches_tracked``) keeps its dtype.
        """
        return None

    def formula(self) -> Formula:
        """The working of :meth:`params`; by default, the sum of tensor sizes."""
        terms = [product(*(num(size) for size in shape)) for _, shape in self.parameter_shapes()]
        return Formula(total(*terms)) if terms else Formula(num(0))

    # -- derived: counts --------------------------------------------------------

    def named_parameters(self) -> Iterator[tuple[str, Shape]]:
        """``(name, shape)`` pairs, with torch's names and order.

        >>> from paramcalc import Conv2d
        >>> list(Conv2d(1, 6, 5).named_parameters())
        [('weight', (6, 1, 5, 5)), ('bias', (6,))]
        """
        return iter(self.parameter_shapes())

    def named_buffers(self) -> Iterator[tuple[str, Shape]]:
        """``(name, shape)`` pairs of the buffers, never counted as parameters."""
        return iter(self.buffer_shapes())

    @cached_property
    def _counts(self) -> Counts:
        params = sum(numel(shape) for _, shape in self.parameter_shapes())
        buffers = sum(numel(shape) for _, shape in self.buffer_shapes())
        return Counts(params, params if self.trainable else 0, buffers)

    def _tally(self, tally: _Tally) -> None:
        key = id(self)
        if key not in tally.seen:
            tally.seen.add(key)
            counts = self._counts
            tally.params += counts.params
            tally.trainable += counts.trainable
            tally.buffers += counts.buffers

    def params(self) -> int:
        """All parameter elements, trainable or frozen.

        torch: ``sum(p.numel() for p in net.parameters())``.
        """
        return self._counts.params

    def trainable_params(self) -> int:
        """Parameter elements that are not frozen: the ``if p.requires_grad`` count."""
        return self._counts.trainable

    def buffers(self) -> int:
        """Buffer elements (BatchNorm's running statistics, …)."""
        return self._counts.buffers

    def explain(self) -> Formula:
        """The working: ``str(Conv2d(1, 6, 5).explain()) == "(5·5·1 + 1)·6 = 156"``."""
        return self.formula()

    def params_per_use(self) -> int:
        """Parameters counting every use: shared layers and tied tensors once per use.

        :meth:`params` counts each tensor once, as ``parameters()`` does; this
        is the count a naive sum over the layers gives.

        >>> from paramcalc import Linear, Sequential
        >>> fc = Linear(10, 10)
        >>> Sequential(fc, fc).params(), Sequential(fc, fc).params_per_use()
        (110, 220)
        """
        return self._counts.params

    def ties(self) -> tuple[tuple[str, str], ...]:
        """``(tensor, target)`` pairs of tensors tied to another layer's (see ``tied_to``)."""
        return ()

    def tied_to(self, target: str, tensor: str = "weight") -> Layer:
        """A copy of this layer with its ``tensor`` tied to the parameter at path ``target``.

        The tied tensor counts once, under ``target``, as torch counts a
        shared ``Parameter`` once (GPT-2's head uses the token embedding's weight):

        >>> from paramcalc import Linear
        >>> head = Linear(768, 50257, bias=False).tied_to("transformer.wte.weight")
        >>> head.params(), head.params_per_use()
        (0, 38597376)
        """
        from paramcalc.graph import Tied

        return Tied(self, {tensor: target})

    # -- derived: shapes and compute ----------------------------------------------

    def output_shape(self, shape: Shape | Iterable[int] | int) -> Shape:
        """The per-sample output shape for a per-sample input shape.

        >>> from paramcalc import Conv2d
        >>> Conv2d(1, 6, 5).output_shape((1, 32, 32))
        (6, 28, 28)
        """
        return cast(Shape, Walk().visit("", self, as_shape(shape)))

    def macs(self, shape: Shape | Iterable[int] | int) -> int:
        """Multiply-accumulates of one forward pass of one sample.

        >>> from paramcalc import Linear
        >>> Linear(400, 120).macs((400,))
        48000
        """
        walk = Walk()
        walk.visit("", self, as_shape(shape))
        return walk.macs

    def elementwise_flops(self, shape: Shape | Iterable[int] | int) -> int:
        """Element-wise FLOPs (bias adds, activations, pooling…) of one sample.

        A separate figure from :meth:`macs`; see ``docs/flops.md``.

        >>> from paramcalc import Linear
        >>> Linear(400, 120).elementwise_flops((400,))  # one bias add per output
        120
        """
        walk = Walk()
        walk.visit("", self, as_shape(shape))
        return walk.elementwise

    # -- derived: copies and reports ----------------------------------------------

    def freeze(self: L, *patterns: str) -> L:
        """A copy whose parameters (or those under ``patterns``) are not trainable.

        Patterns are globs over dotted layer paths (``"features"``, ``"fc*"``).
        """
        return _set_trainable(self, False, patterns)

    def unfreeze(self: L, *patterns: str) -> L:
        """A copy whose parameters (or those under ``patterns``) are trainable."""
        return _set_trainable(self, True, patterns)

    def report(
        self,
        input_shape: Shape | Iterable[int] | int | None = None,
        *,
        batch_size: int = 1,
        dtype: object = "float32",
        optimizer: str = "adamw",
        mixed_precision: bool = False,
    ) -> Report:
        """A breakdown: a row per layer and the totals (see :class:`paramcalc.Report`).

        ``dtype``, ``optimizer`` and ``mixed_precision`` set the memory figures
        (see :func:`paramcalc.memory`).
        """
        from paramcalc.report import build_report

        return build_report(
            self,
            input_shape,
            batch_size=batch_size,
            dtype=dtype,
            optimizer=optimizer,
            mixed_precision=mixed_precision,
        )

    def memory(
        self,
        input_shape: Shape | Iterable[int] | int | None = None,
        *,
        batch_size: int = 1,
        dtype: object = "float32",
        optimizer: str = "adamw",
        mixed_precision: bool = False,
    ) -> Memory:
        """Bytes to store, run and train this layer: see :func:`paramcalc.memory`.

        >>> from paramcalc import Linear
        >>> Linear(400, 120).memory(dtype="bf16").parameters  # 48,120 × 2 bytes
        96240
        """
        from paramcalc.footprint import memory

        return memory(
            self,
            input_shape,
            batch_size=batch_size,
            dtype=dtype,
            optimizer=optimizer,
            mixed_precision=mixed_precision,
        )

    def children(self) -> Iterator[tuple[str, Layer]]:
        """Direct sub-layers as ``(name, layer)``; none for a leaf layer."""
        return iter(())

    @cached_property
    def _nesting(self) -> int:
        """How many levels of containers this layer holds (0 for a leaf)."""
        return 0

    def _repr_html_(self) -> str:
        """Jupyter shows a layer or network as its report (an HTML table)."""
        return self.report()._repr_html_()

    def __repr__(self) -> str:
        return _call_repr(self)

    def __str__(self) -> str:
        return repr(self)

    # Equality and hashing by value, written once here: subclasses are declared
    # with ``eq=False``, which spares generating two methods per layer class at
    # import time (the bulk of the import cost of a hundred dataclasses).
    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return _field_values(self) == _field_values(other)

    def __hash__(self) -> int:
        return hash((self.__class__, _field_values(self)))


def _field_values(layer: object) -> tuple[object, ...]:
    return tuple(getattr(layer, item.name) for item in dataclasses.fields(layer))  # type: ignore[arg-type]


class Composite(Layer):
    """A layer made of named sub-layers (containers and graph blocks).

    A composite declares :meth:`children` and :meth:`forward_shapes`; its
    counts are the deduplicated sum of its leaves, its shapes and MACs come
    from running its children through a :class:`Walk`.

    ``distinct_copies`` is True for a composite whose children are one block
    standing for distinct deep copies (``Repeat``): the same object under two
    of its names is not a shared layer, and :meth:`freeze` must select all
    copies or none.
    """

    distinct_copies: ClassVar[bool] = False

    def children(self) -> Iterator[tuple[str, Layer]]:  # pragma: no cover - abstract
        raise NotImplementedError

    def forward_shapes(self, visit: Visit, shape: Shape | None) -> Shape | None:
        """Run the children: ``visit(name, child, shape)`` returns the child's output.

        ``shape`` is None when no input shape was given; pass it on.
        """
        for name, child in self.children():
            shape = visit(name, child, shape)
        return shape

    def rebuild(self: L, children: list[Layer]) -> L:  # pragma: no cover - abstract
        """A copy of this composite with new children, in :meth:`children` order."""
        raise NotImplementedError

    def parameter_shapes(self) -> tuple[tuple[str, Shape], ...]:
        return tuple(self.named_parameters())

    def buffer_shapes(self) -> tuple[tuple[str, Shape], ...]:
        return tuple(self.named_buffers())

    def _named(self, which: str, prefix: str, seen: set[int]) -> Iterator[tuple[str, Shape]]:
        children = list(self.children())
        # torch's named_parameters() lists a module's own tensors before its sub-modules'
        own = [(name, child) for name, child in children if child.bare_tensor]
        for name, child in own + [entry for entry in children if not entry[1].bare_tensor]:
            path = f"{prefix}{name}."
            if isinstance(child, Composite):
                yield from child._named(which, path, seen)
            elif id(child) not in seen:
                seen.add(id(child))
                shapes = child.parameter_shapes() if which == "p" else child.buffer_shapes()
                for tensor, shape in shapes:
                    yield path + tensor if tensor else path[:-1], shape

    def named_parameters(self) -> Iterator[tuple[str, Shape]]:
        return self._named("p", "", set())

    def named_buffers(self) -> Iterator[tuple[str, Shape]]:
        return self._named("b", "", set())

    def _tally(self, tally: _Tally) -> None:
        for _, child in self.children():
            child._tally(tally)

    @cached_property
    def _counts(self) -> Counts:
        tally = _Tally()
        self._tally(tally)
        return Counts(tally.params, tally.trainable, tally.buffers)

    def formula(self) -> Formula:
        """The sum of the children's counts: ``156 + 2,416 + … = 61,706``."""
        return Formula.of_sum(_unique_child_counts(self))

    def params_per_use(self) -> int:
        return sum(child.params_per_use() for _, child in self.children())

    def _find_child(self, name: str) -> Layer | None:
        """The child called ``name``, or None (the lookup behind ``net.layer1`` and ``net[…]``)."""
        for key, child in self.children():
            if key == name:
                return child
        return None

    def __getattr__(self, name: str) -> Layer:
        """Children by name, as torch's modules: ``resnet.layer1``, ``block.conv1``.

        >>> from paramcalc import zoo
        >>> zoo.get("resnet18").layer1[0].conv1
        Conv2d(64, 64, 3, padding=1, bias=False)
        """
        fields = type(self).__dict__.get("__dataclass_fields__", {})
        if not name.startswith("_") and name not in fields:  # fields: not yet set, not children
            child = self._find_child(name)
            if child is not None:
                return child
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __getitem__(self, key: Any) -> Layer:  # Any: subclasses narrow it (ModuleDict: str)
        """A child by position (negative counts from the end) or by name, as in torch."""
        if isinstance(key, str):
            child = self._find_child(key)
            if child is None:
                raise KeyError(key)
            return child
        if isinstance(key, int) and not isinstance(key, bool):
            return self._child_at(key)
        raise TypeError(
            f"{type(self).__name__} indices must be int or str, not {type(key).__name__}"
        )

    def _child_at(self, index: int) -> Layer:
        children = [child for _, child in self.children()]
        if not -len(children) <= index < len(children):
            raise IndexError(f"{type(self).__name__} index {index} is out of range")
        return children[index]

    @cached_property
    def _nesting(self) -> int:
        seen: set[int] = set()
        deepest = 0
        for _, child in self.children():
            if id(child) not in seen:
                seen.add(id(child))
                deepest = max(deepest, child._nesting)
        return deepest + 1


def check_nesting(owner: str, child: Layer) -> Layer:
    """``child`` if a container may hold it: at most :data:`MAX_NESTING` levels in all.

    Each container checks its children as it is built, so a network never
    grows deeper than the limit.

    >>> from paramcalc import Linear, Sequential
    >>> net = Linear(1, 1)
    >>> for _ in range(MAX_NESTING):
    ...     net = Sequential(net)
    >>> Sequential(net)
    Traceback (most recent call last):
    ...
    paramcalc.errors.ConfigError: Sequential: containers may be nested at most 100 deep ...
    """
    if child._nesting >= MAX_NESTING:
        raise ConfigError(
            f"{owner}: containers may be nested at most {MAX_NESTING} deep "
            f"(real networks nest about ten deep). Received: a child nested "
            f"{child._nesting} deep."
        )
    return child


def _unique_child_counts(layer: Composite) -> Iterator[int]:
    tally = _Tally()
    for _, child in layer.children():
        before = tally.params
        child._tally(tally)
        yield tally.params - before


class Walk:
    """Runs a layer on a shape, child by child: shapes, MACs and report rows.

    Errors are raised once, with the failing layer's path, its type, and where
    its input came from.
    """

    __slots__ = (
        "_last",
        "_row",
        "_scopes",
        "batch_size",
        "elementwise",
        "macs",
        "record",
        "rows",
        "seen",
    )

    TOTALS: ClassVar[tuple[str, ...]] = ("macs", "elementwise")
    """The per-forward sums a walk accumulates; repeated copies multiply each."""

    def __init__(self, *, record: bool = False) -> None:
        self.record = record
        self._row: Any = None
        if record:
            from paramcalc.report import Row  # report imports this module: bind it late, once

            self._row = Row
        self.rows: list[Any] = []
        self.seen: dict[int, str] = {}
        self.macs = 0
        self.elementwise = 0
        self._last: tuple[str, Layer, Shape] | None = None
        self._scopes: dict[tuple[int, int, str], dict[int, str]] = {}

    def visit(self, path: str, layer: Layer, shape: Shape | None, depth: int = 0) -> Shape | None:
        """Run ``layer`` (at ``path``) on ``shape`` and return its output shape."""
        if isinstance(layer, Composite):
            return self._composite(path, layer, shape, depth)
        out = None
        macs = elementwise = None
        if shape is not None and layer.bare_tensor:
            macs = elementwise = 0  # a raw tensor is not run: shapes pass by, its row shows none
        elif shape is not None:
            try:
                out = layer.infer_shape(shape)
                macs = layer.count_macs(shape, out)
                elementwise = layer.count_elementwise(shape, out)
            except ShapeError as error:
                raise self._locate(error, path, layer, shape) from None
            self.macs += macs
            self.elementwise += elementwise
            self._last = (path, layer, shape)
        if self.record:
            first = self.seen.get(id(layer))
            counts = layer._counts if first is None else _NOTHING
            if first is None:
                self.seen[id(layer)] = path
                ties = layer.ties()
                if ties:
                    first = ", ".join(target for _, target in ties)
            self.rows.append(
                self._row(
                    path,
                    type(layer).__name__,
                    depth,
                    counts.params,
                    counts.trainable,
                    counts.buffers,
                    out,
                    macs,
                    first,
                    True,
                    layer,
                    elementwise,
                )
            )
        return shape if layer.bare_tensor else out

    def _runner(self, path: str, layer: Composite, depth: int) -> Visit:
        """The ``visit`` callback handed to ``layer.forward_shapes``."""

        def run(
            name: str, child: Layer, shape: Shape | None, *, copies: int | None = None
        ) -> Shape | None:
            if copies is None:
                return self.visit(f"{path}.{name}" if path else name, child, shape, depth)
            return self._copies(path, layer, name, child, shape, depth, copies)

        return run

    def _copies(
        self,
        path: str,
        owner: Composite,
        name: str,
        child: Layer,
        shape: Shape | None,
        depth: int,
        copies: int,
    ) -> Shape | None:
        """Run ``copies`` distinct copies of ``child`` in a row, walking few of them.

        Each copy is a distinct object (a deep copy), so it counts in full and
        has its own scope for shared layers. Once a copy maps its input shape
        to itself, every later copy would repeat it exactly: its MACs are
        multiplied and (when recording) its rows are copied under new paths.
        """
        _check.positive(type(owner).__name__, "copies", copies)
        outer = self.seen
        done = 0
        out = shape
        start = len(self.rows)
        steps = [0] * len(self.TOTALS)
        while done < copies:
            copy_name = f"{name}{done}"
            # a copy's scope: per enclosing scope, so nested repeats get one per outer copy
            self.seen = self._scopes.setdefault((id(outer), id(owner), copy_name), {})
            given = out
            start = len(self.rows)
            before = [getattr(self, total) for total in self.TOTALS]
            try:
                out = self.visit(f"{path}.{copy_name}" if path else copy_name, child, given, depth)
            finally:
                self.seen = outer
            steps = [getattr(self, t) - b for t, b in zip(self.TOTALS, before, strict=True)]
            done += 1
            if out == given:
                break
        rest = copies - done
        if rest:
            for total, step in zip(self.TOTALS, steps, strict=True):
                setattr(self, total, getattr(self, total) + step * rest)
            if self.record:  # one group of rows for the identical copies: "×N"
                factor = rest + 1
                self.rows[start:] = [
                    _repeated(row, factor, top=index == 0)
                    for index, row in enumerate(self.rows[start:])
                ]
        return out

    def _composite(
        self, path: str, layer: Composite, shape: Shape | None, depth: int
    ) -> Shape | None:
        start = len(self.rows)
        recording = self.record and bool(path)
        if recording:
            self.rows.append(None)  # filled in below, once the subtree is counted
        macs_before = self.macs
        elementwise_before = self.elementwise
        first = self.seen.get(id(layer))
        if first is None and path:
            self.seen[id(layer)] = path
        inner = depth + 1 if path else depth
        try:
            out = layer.forward_shapes(self._runner(path, layer, inner), shape)
        except ShapeError as error:
            if error.path or error.kind:
                raise
            # raised by the composite itself (a residual or concat mismatch)
            raise ShapeError(
                error.detail, path=path, kind=type(layer).__name__, received=error.received
            ) from None
        if recording:
            from paramcalc.report import Row

            subtree = self.rows[start + 1 :]
            leaves = [row for row in subtree if row.leaf]
            self.rows[start] = Row(
                path,
                type(layer).__name__,
                depth,
                sum(row.params for row in leaves),
                sum(row.trainable for row in leaves),
                sum(row.buffers for row in leaves),
                out,
                None if shape is None else self.macs - macs_before,
                first,
                False,
                layer,
                elementwise=None if shape is None else self.elementwise - elementwise_before,
            )
        return out

    def _locate(self, error: ShapeError, path: str, layer: Layer, shape: Shape) -> ShapeError:
        if error.path or (not path and error.kind):
            return error
        detail = error.detail
        received = error.received
        source = "the input"
        if self._last is not None:
            last_path, last_layer, last_in = self._last
            name = last_path.rpartition(".")[2]
            where = f"#{last_path}" if name.isdigit() else last_path
            source = f"{where} ({type(last_layer).__name__})"
            if received is not None:
                detail += _factorization(received, last_in)
        if path:
            detail = f"{detail} from {source}"
        return ShapeError(detail, path=path, kind=type(layer).__name__, received=received)


def _repeated(row: Any, factor: int, *, top: bool) -> Any:
    """A report row of the last walked copy of a repeated block, standing for ``factor`` copies."""
    return row._replace(
        params=row.params * factor,
        trainable=row.trainable * factor,
        buffers=row.buffers * factor,
        macs=None if row.macs is None else row.macs * factor,
        elementwise=None if row.elementwise is None else row.elementwise * factor,
        repeat=row.repeat * factor if top else row.repeat,
        copies=row.copies * factor,
    )


def _factorization(size: int, before: Shape) -> str:
    """``" = 16·5·5"`` when ``size`` is the flattened tail of the previous input."""
    for start in range(len(before) - 1):
        if numel(before[start:]) == size:
            return f" = {product_text(before[start:])}"
    return ""


def _set_trainable(layer: L, value: bool, patterns: tuple[str, ...]) -> L:
    targets: set[int] = set()
    matched: set[str] = set()

    def mark(node: Layer, path: str, selected: bool) -> int:
        """Mark the leaves to change; return how many leaf uses were selected."""
        hits = {p for p in patterns if path and fnmatch.fnmatchcase(path, p)}
        matched.update(hits)
        selected = selected or bool(hits)
        if isinstance(node, Composite):
            counts = [
                mark(child, f"{path}.{name}" if path else name, selected)
                for name, child in _copies_to_mark(node, patterns)
            ]
            if node.distinct_copies and len(set(counts)) > 1:
                raise ConfigError(
                    f"{type(node).__name__} `{path}`: the copies of a repeated block are "
                    "identical; freeze or unfreeze all of them or none. "
                    f"Received patterns selecting some copies only: "
                    f"{', '.join(repr(p) for p in patterns)}."
                )
            return sum(counts)
        if selected:
            targets.add(id(node))
        return int(selected)

    mark(layer, "", not patterns)
    missing = [p for p in patterns if p not in matched]
    if missing:
        raise ConfigError(
            f"{type(layer).__name__}.{'freeze' if not value else 'unfreeze'}: no layer path "
            f"matches {', '.join(repr(p) for p in missing)}."
        )
    memo: dict[int, Layer] = {}

    def rebuild(node: Layer) -> Layer:
        key = id(node)
        if key not in memo:
            if isinstance(node, Composite):
                children = _copies_to_mark(node, ()) if node.distinct_copies else node.children()
                memo[key] = node.rebuild([rebuild(child) for _, child in children])
            elif key in targets and node.trainable != value:
                memo[key] = dataclasses.replace(node, trainable=value)
            else:
                memo[key] = node
        return memo[key]

    return cast(L, rebuild(layer))


_FEW_COPIES = 1000
"""Up to this many copies of a repeated block, freezing looks at every copy's path."""


def _copies_to_mark(node: Composite, patterns: tuple[str, ...]) -> Iterable[tuple[str, Layer]]:
    """The children whose paths a freeze pattern is matched against.

    A repeated block's copies are one object: a few hundred are looked at one
    by one; of more, the first, second and last, and every index a pattern
    names or that has as many digits as one it names (``"h.1*"``, ``"h.[0-5]"``),
    so a pattern selecting some copies is still caught, at a cost set by the patterns.
    """
    if not node.distinct_copies:
        return node.children()
    children = node.children()
    first = next(children)
    count: int = getattr(node, "n", 1)
    if count <= _FEW_COPIES:
        return [first, *children]
    prefix = first[0].rstrip("0123456789")
    numbers = {int(text) for pattern in patterns for text in re.findall(r"\d+", pattern)}
    widths = {len(str(number)) for number in numbers}
    picked = {0, 1, count - 1} | {n for n in numbers if n < count}
    picked |= {10 ** (width - 1) for width in widths if 10 ** (width - 1) < count}
    return [(f"{prefix}{index}", first[1]) for index in sorted(picked)]


def _collapse(value: object) -> object:
    if isinstance(value, tuple) and value and all(item == value[0] for item in value):
        return value[0]
    return value


def _call_repr(layer: Layer) -> str:
    """``Conv2d(1, 6, 5, stride=2)``: positional required arguments, changed defaults."""
    positional, keywords = [], []
    for item in dataclasses.fields(layer):
        if not item.repr or not item.init:
            continue
        value = getattr(layer, item.name)
        if item.default is dataclasses.MISSING and item.default_factory is dataclasses.MISSING:
            positional.append(repr(_collapse(value)))
        elif _collapse(value) != _collapse(item.default):
            keywords.append(f"{item.name}={_collapse(value)!r}")
    return f"{type(layer).__name__}({', '.join(positional + keywords)})"
