"""The walk: runs a network on a shape, child by child, and records what it saw.

It sits above the layer contract and below the report: it yields neutral
:class:`Step` records (numbers, shapes and the layer, no bytes, no strings
built) that :func:`paramcalc.report.build_report` turns into report rows.

>>> from paramcalc import Linear, ReLU, Sequential
>>> walk = Walk(record=True)
>>> walk.visit("", Sequential(Linear(4, 3), ReLU()), (4,))
(3,)
>>> [(step.path, step.kind, step.params, step.output_shape) for step in walk.rows]
[('0', 'Linear', 15, (3,)), ('1', 'ReLU', 0, (3,))]
>>> walk.macs
12
"""

from __future__ import annotations

from typing import ClassVar, NamedTuple

from paramcalc import _check
from paramcalc.errors import ShapeError
from paramcalc.layer import Composite, Counts, Layer, Visit
from paramcalc.shapes import Shape, numel, product_text

__all__ = ["Step", "Walk"]

_NOTHING = Counts(0, 0, 0)
"""What the second use of a shared layer adds."""


class Step(NamedTuple):
    """One layer (or one container, as a subtotal) as the walk saw it, for one sample.

    The first fields of :class:`paramcalc.Row`, in the same order: the report
    scales the compute by the batch and adds the byte columns.
    """

    path: str
    kind: str
    depth: int
    params: int
    trainable: int
    buffers: int
    output_shape: Shape | None
    macs: int | None
    shared_with: str | None
    leaf: bool
    layer: Layer
    elementwise: int | None = None
    repeat: int = 1
    """How many identical consecutive copies of a repeated block this step stands for."""
    copies: int = 1
    """How many instances its figures cover: its ``repeat`` times its ancestors'."""


_PENDING = Step("", "", 0, 0, 0, 0, None, None, None, False, Layer())
"""A container's place in the rows until its subtree is walked."""


class Walk:
    """Runs a layer on a shape, child by child: shapes, MACs and (when recording) steps.

    Errors are raised once, with the failing layer's path, its type, and where
    its input came from.
    """

    __slots__ = (
        "_last",
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
        self.rows: list[Step] = []
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
                Step(
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
            name: str,
            child: Layer,
            shape: Shape | None,
            *,
            copies: int | None = None,
            first: int = 0,
        ) -> Shape | None:
            if copies is None:
                return self.visit(f"{path}.{name}" if path else name, child, shape, depth)
            return self._copies(path, layer, name, child, shape, depth, copies, first)

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
        first: int = 0,
    ) -> Shape | None:
        """Run ``copies`` distinct copies of ``child`` in a row, walking few of them.

        Each copy is a distinct object (a deep copy), so it counts in full and
        has its own scope for shared layers. Once a copy maps its input shape
        to itself, every later copy would repeat it exactly: its MACs are
        multiplied and (when recording) its rows stand for all of them ("×N").
        """
        _check.positive(type(owner).__name__, "copies", copies)
        outer = self.seen
        done = 0
        out = shape
        start = len(self.rows)
        steps = [0] * len(self.TOTALS)
        while done < copies:
            copy_name = f"{name}{first + done}"
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
            self.rows.append(_PENDING)  # filled in below, once the subtree is counted
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
            subtree = self.rows[start + 1 :]
            leaves = [row for row in subtree if row.leaf]
            self.rows[start] = Step(
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


def _repeated(row: Step, factor: int, *, top: bool) -> Step:
    """A step of the last walked copy of a repeated block, standing for ``factor`` copies."""
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
