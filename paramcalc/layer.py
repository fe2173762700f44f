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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from math import prod
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple, Protocol, TypeVar

from paramcalc import _check
from paramcalc._once import once as _once
from paramcalc._repr import call_repr, field_values
from paramcalc.lifetime import SAVES_INPUT, Keeps
from paramcalc.seam import upward
from paramcalc.shapes import Shape, as_shape

__all__ = ["Composite", "Counts", "Layer", "Visit"]

if TYPE_CHECKING:
    from paramcalc.formula import Formula


L = TypeVar("L", bound="Layer")


class Visit(Protocol):
    """``visit(name, child, shape) -> output shape``: how a composite runs a child.

    ``copies=k`` (an int, even 1) runs ``k`` distinct copies of ``child`` one after another (as
    torch's deep copies of a block in a ``ModuleList``), named ``f"{name}{i}"``
    for ``i`` in ``range(first, first + k)`` (``first`` defaults to 0). The walk stops
    walking copies once one maps its input shape to itself and multiplies the rest,
    so its cost does not grow with ``k``: a report shows them as one group, "×N".
    """

    def __call__(
        self,
        name: str,
        child: Layer,
        shape: Shape | None,
        /,
        *,
        copies: int | None = None,
        first: int = 0,
    ) -> Shape | None: ...


class Counts(NamedTuple):
    """The element counts of a layer or network."""

    params: int
    trainable: int
    buffers: int


_new_tuple = tuple.__new__


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

    def keeps(self, shape: Shape, output: Shape) -> Keeps:
        """What one run allocates and autograd keeps (:class:`paramcalc.lifetime.Keeps`)."""
        return SAVES_INPUT

    def buffer_dtype(self, name: str) -> str | None:
        """The fixed dtype of buffer ``name`` (``"int64"``), or None to follow the model's.

        torch's ``module.to(dtype)`` casts only floating-point tensors, so an
        integer buffer (BatchNorm's ``num_batches_tracked``) keeps its dtype.
        """
        return None

    def formula(self) -> Formula:
        """The working of :meth:`params`; by default, the sum of tensor sizes."""
        from paramcalc.formula import Formula, num, product, total

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

    @_once
    def _counts(self) -> Counts:
        params = buffers = 0
        for _, shape in self.parameter_shapes():
            params += prod(shape)  # shapes.numel, inlined: this runs once per layer
        for _, shape in self.buffer_shapes():
            buffers += prod(shape)
        # tuple.__new__ skips the named tuple's Python-level __new__: one frame less per layer
        return _new_tuple(Counts, (params, params if self.trainable else 0, buffers))

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

    input_table: ClassVar[bool] = False
    """True for an input embedding table (``Embedding``): ``active_params(embeddings=False)``."""

    def count_inactive(self) -> int:
        """Parameters of this leaf one token does not run through (default 0).

        A mixture-of-experts layer returns its routed experts not chosen for a
        token; every other layer runs all its parameters.
        """
        return 0

    def _sum(self, what: str, seen: set[int]) -> int:
        """A sum over the leaves, each object once: ``"inactive"`` params or input ``"tables"``."""
        if id(self) in seen:
            return 0
        seen.add(id(self))
        if what == "tables":
            return self._counts.params if self.input_table else 0
        return self.count_inactive()

    def inactive_params(self) -> int:
        """Parameters one token does not run through (the routed experts not chosen for it).

        >>> from paramcalc import Linear
        >>> Linear(4, 4).inactive_params()
        0
        """
        return self._sum("inactive", set())

    def active_params(self, *, embeddings: bool = True) -> int:
        """Parameters one token runs through: :meth:`params` less :meth:`inactive_params`.

        ``embeddings=False`` also leaves out the input embedding tables (a head
        tied to one goes with it, as "non-embedding" counts do); see ``docs/hf.md``.

        >>> from paramcalc import Embedding, Linear, Sequential
        >>> net = Sequential(Embedding(10, 4), Linear(4, 10))
        >>> net.active_params(), net.active_params(embeddings=False)
        (90, 50)
        """
        tables = 0 if embeddings else self._sum("tables", set())
        return self.params() - self.inactive_params() - tables

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
        tied: Layer = upward("tie")(self, {tensor: target})
        return tied

    # -- derived: shapes and compute ----------------------------------------------

    def output_shape(self, shape: Shape | Iterable[int] | int) -> Shape:
        """The per-sample output shape for a per-sample input shape.

        >>> from paramcalc import Conv2d
        >>> Conv2d(1, 6, 5).output_shape((1, 32, 32))
        (6, 28, 28)
        """
        out: Shape = upward("walk")().visit("", self, as_shape(shape))
        return out

    def macs(self, shape: Shape | Iterable[int] | int) -> int:
        """Multiply-accumulates of one forward pass of one sample.

        >>> from paramcalc import Linear
        >>> Linear(400, 120).macs((400,))
        48000
        """
        walk = upward("walk")()
        walk.visit("", self, as_shape(shape))
        macs: int = walk.macs
        return macs

    def elementwise_flops(self, shape: Shape | Iterable[int] | int) -> int:
        """Element-wise FLOPs (bias adds, activations, pooling…) of one sample.

        A separate figure from :meth:`macs`; see ``docs/flops.md``.

        >>> from paramcalc import Linear
        >>> Linear(400, 120).elementwise_flops((400,))  # one bias add per output
        120
        """
        walk = upward("walk")()
        walk.visit("", self, as_shape(shape))
        flops: int = walk.elementwise
        return flops

    # -- derived: copies and reports ----------------------------------------------

    def freeze(self: L, *patterns: str) -> L:
        """A copy whose parameters (or those under ``patterns``) are not trainable.

        Patterns are globs over dotted layer paths (``"features"``, ``"fc*"``).
        """
        frozen: L = upward("set_trainable")(self, False, patterns)
        return frozen

    def unfreeze(self: L, *patterns: str) -> L:
        """A copy whose parameters (or those under ``patterns``) are trainable."""
        thawed: L = upward("set_trainable")(self, True, patterns)
        return thawed

    def report(
        self,
        input_shape: Shape | Iterable[int] | int | None = None,
        *,
        batch_size: int = 1,
        dtype: object = "float32",
        optimizer: str = "adamw",
        mixed_precision: bool = False,
    ) -> Any:
        """A breakdown: a row per layer and the totals (see :class:`paramcalc.Report`).

        ``dtype``, ``optimizer`` and ``mixed_precision`` set the memory figures
        (see :func:`paramcalc.memory`).
        """
        options = {"batch_size": batch_size, "dtype": dtype, "optimizer": optimizer}
        return upward("build_report")(self, input_shape, mixed_precision=mixed_precision, **options)

    def memory(
        self,
        input_shape: Shape | Iterable[int] | int | None = None,
        *,
        batch_size: int = 1,
        dtype: object = "float32",
        optimizer: str = "adamw",
        mixed_precision: bool = False,
    ) -> Any:
        """Bytes to store, run and train this layer: see :func:`paramcalc.memory`.

        >>> from paramcalc import Linear
        >>> Linear(400, 120).memory(dtype="bf16").parameters  # 48,120 × 2 bytes
        96240
        """
        options = {"batch_size": batch_size, "dtype": dtype, "optimizer": optimizer}
        return upward("memory")(self, input_shape, mixed_precision=mixed_precision, **options)

    def kv_cache_bytes(
        self, context: int, batch: int = 1, dtype: object = "bfloat16", *, encoder_tokens: int = 0
    ) -> int:
        """Bytes of the key-value cache after a prefill: see :func:`paramcalc.plan.kv_cache_bytes`.

        A thin delegate through :mod:`paramcalc.seam`.

        >>> from paramcalc.zoo.language import mistral
        >>> mistral().kv_cache_bytes(1)  # 32 layers · 2 · 8 heads · 128 · 2 bytes
        131072
        """
        delegate = upward("kv_cache_bytes")
        return int(delegate(self, context, batch, dtype, encoder_tokens=encoder_tokens))

    def children(self) -> Iterator[tuple[str, Layer]]:
        """Direct sub-layers as ``(name, layer)``; none for a leaf layer."""
        return iter(())

    @_once
    def _nesting(self) -> int:
        """How many levels of containers this layer holds (0 for a leaf)."""
        return 0

    def _repr_html_(self) -> str:
        """Jupyter shows a layer or network as its report (an HTML table)."""
        html: str = self.report()._repr_html_()
        return html

    def __repr__(self) -> str:
        return call_repr(self)

    def __str__(self) -> str:
        return repr(self)

    # Equality and hashing by value, written once here: subclasses are declared
    # with ``eq=False``, which spares generating two methods per layer class at
    # import time (the bulk of the import cost of a hundred dataclasses).
    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return field_values(self) == field_values(other)

    def __hash__(self) -> int:
        return hash((self.__class__, field_values(self)))


class Composite(Layer):
    """A layer made of named sub-layers (containers and graph blocks).

    A composite declares :meth:`children` and :meth:`forward_shapes`; its
    counts are the deduplicated sum of its leaves, its shapes and MACs come
    from running its children through a :class:`paramcalc.walk.Walk`.

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
        # leaves inline (the loop ``params()`` spends its time in), composites recurse
        seen = tally.seen
        params = trainable = buffers = 0
        for _, child in self.children():
            if isinstance(child, Composite):
                child._tally(tally)
                continue
            key = id(child)
            if key not in seen:
                seen.add(key)
                counts = child._counts
                params += counts[0]
                trainable += counts[1]
                buffers += counts[2]
        tally.params += params
        tally.trainable += trainable
        tally.buffers += buffers

    def _sum(self, what: str, seen: set[int]) -> int:
        if id(self) in seen:
            return 0
        seen.add(id(self))
        return sum(child._sum(what, seen) for _, child in self.children())

    @_once
    def _counts(self) -> Counts:
        tally = _Tally()
        self._tally(tally)
        return Counts(tally.params, tally.trainable, tally.buffers)

    def formula(self) -> Formula:
        """The sum of the children's counts: ``156 + 2,416 + … = 61,706``."""
        from paramcalc.formula import Formula

        return Formula.of_sum(_unique_child_counts(self))

    def params_per_use(self) -> int:
        return sum(child.params_per_use() for _, child in self.children())

    def first_copies(self) -> Iterator[tuple[str, Layer]]:
        """Each child that stands for copies alike once, named as its first copy.

        What a check needs that is the same for every copy (ties): a stack of
        repeated layers lists each distinct block once, so its cost does not
        grow with the repeat counts. Every child, by default.
        """
        return self.children()

    def first_copy_name(self, name: str) -> str:
        """The name of the first copy of the child called ``name`` (itself, by default)."""
        return name

    def _find_child(self, name: str) -> Layer | None:
        """The child called ``name``, or None (the lookup behind ``net.layer1`` and ``net[…]``)."""
        for key, child in self.children():
            if key == name:
                return child
        return None

    def __getattr__(self, name: str) -> Layer:
        """Children by name, as torch's modules: ``resnet.layer1[0].conv1`` (see README)."""
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

    def _child_at(self, index: int) -> Layer:  # Repeat's does not list its copies
        children = [child for _, child in self.children()]
        if not -len(children) <= index < len(children):
            raise IndexError(f"{type(self).__name__} index {index} is out of range")
        return children[index]

    @_once
    def _nesting(self) -> int:
        seen: set[int] = set()
        deepest = 0
        for _, child in self.children():
            if id(child) not in seen:
                seen.add(id(child))
                deepest = max(deepest, child._nesting)
        return deepest + 1


def _unique_child_counts(layer: Composite) -> Iterator[int]:
    tally = _Tally()
    for _, child in layer.children():
        before = tally.params
        child._tally(tally)
        yield tally.params - before


def __getattr__(name: str) -> Any:
    """``Walk`` moved to :mod:`paramcalc.walk`; the old import path still works."""
    if name == "Walk":
        return upward("walk")
    raise AttributeError(f"module 'paramcalc.layer' has no attribute {name!r}")
