"""The live-set memory model: the most bytes alive at once in a forward pass or a training step.

The network is run on its shape, leaf by leaf, as torch would run it, and
every tensor gets a life: it is made by a layer, used by the layers after
it, and freed when its last user has run — unless autograd saved it for the
backward pass (what each layer saves is its :meth:`~paramcalc.Layer.keeps`
declaration, from torch's ``derivatives.yaml``). Graph blocks keep their
input alive until they merge (a residual sum, a concatenation, a gate).
The backward pass is walked in reverse: gradients of activations live from
their consumer's backward to their producer's, weight gradients accumulate,
saved tensors are freed as their op's backward runs. The optimizer step adds
its scratch (AdamW's foreach ``sqrt`` of the second moments).
``docs/memory.md`` lists the conventions and the measured checks.

>>> from paramcalc import Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential
>>> net = Sequential(Conv2d(3, 8, 3, padding=1), ReLU(inplace=True), MaxPool2d(2),
...                  Flatten(), Linear(8 * 16 * 16, 10))
>>> peak = live_peaks(net, (3, 32, 32), batch_size=4)
>>> peak.inference, peak.training, peak.training_phase   # at the max pool, in the ReLU's backward
(361384, 773088, 'backward')
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from paramcalc.errors import ConfigError, ShapeError
from paramcalc.layer import Composite, Layer
from paramcalc.lifetime import Keeps
from paramcalc.shapes import Shape, numel

__all__ = ["LivePeaks", "live_peaks", "unique_leaves"]

_WIDTH = {"fp64": 8, "fp32": 4, "fp16": 2, "bf16": 2, "fp8": 1, "int8": 1, "int64": 8}
_HALF = ("fp16", "bf16")
_BULK = 4
"""Copies of a repeated block walked one by one before the rest are taken as one."""


@dataclass(frozen=True)
class LivePeaks:
    """Peak bytes of a no-grad forward and of one training step (second step, state allocated).

    ``inference``: weights, buffers, the input batch and the most activations
    alive at once in ``eval()`` under ``no_grad``. ``training``: the largest
    of the forward, backward and optimizer-step live sets (``training_phase``),
    with the optimizer's states, the gradients and the targets. ``saved``:
    the activations alive at the end of the forward pass (what autograd keeps,
    and the output), the input batch apart. ``fixed``: what
    lives through the step (weights, buffers, optimizer states, input, targets).
    ``inference_at`` / ``training_at``: the layer running at each peak.
    """

    inference: int
    training: int
    training_phase: str
    saved: int
    fixed: int
    inference_at: str
    training_at: str


@dataclass
class _Op:
    path: str
    inputs: list[int]  # tensor indices used (one use each)
    out: int  # tensor index made (or aliased)
    saved: list[int] = field(default_factory=list)  # storages kept for backward
    extra: int = 0  # bytes of new tensors kept for backward
    scratch: int = 0
    wgrad: int = 0  # bytes of weight gradients
    wcast: int = 0  # autocast's 16-bit weight copies (kept for backward)
    grad: str = "new"  # backward: "new" gradients, "pass" the output's on, "share" it (sum, cat)
    bulk: tuple[int, int, int] | None = None  # (copies, first op, end op) of a repeated block


class _Recorder:
    """Runs a network on handles (shape objects) and records ops over tensors and storages."""

    def __init__(
        self, batch: int, dtype: str, low: str | None, grad_dtype: str, train: bool, rounding: int
    ) -> None:
        self.batch, self.low, self.grad_dtype, self.train = batch, low, grad_dtype, train
        self.rounding, self.dtype = rounding, dtype
        self.handles: dict[int, int] = {}
        self.objects: list[object] = []  # keeps handles alive: their ids stay unique
        self.storage: list[int] = []  # bytes per storage
        self.tensors: list[tuple[int, str, bool]] = []  # (storage, dtype, requires grad)
        self.ops: list[_Op] = []
        self.output: Shape = ()
        self.final = 0

    def size(self, elements: int, dtype: str, per_sample: bool = True) -> int:
        raw = elements * (self.batch if per_sample else 1) * _WIDTH[dtype]
        return -(-raw // self.rounding) * self.rounding

    def tensor(self, shape: Shape, dtype: str, grad: bool, storage: int | None = None) -> Shape:
        handle = (*shape,)
        if storage is None:
            storage = len(self.storage)
            self.storage.append(self.size(numel(shape), dtype))
        self.handles[id(handle)] = len(self.tensors)
        self.objects.append(handle)
        self.tensors.append((storage, dtype, grad))
        return handle

    def index(self, handle: Shape) -> int:
        index = self.handles.get(id(handle))
        if index is None:  # pragma: no cover - every handle comes from the recorder
            raise ShapeError("lost track of a tensor")
        return index

    def glue(
        self,
        path: str,
        shape: Shape,
        sources: list[Shape],
        *,
        gate: bool = False,
        into: bool = False,
    ) -> Shape:
        """A tensor made by a block's own code: a sum, a concatenation, a gate's product.

        ``into``: written into the first source's storage (``out += identity``).
        """
        used = sorted({self.handles[id(s)] for s in sources if id(s) in self.handles})
        dtypes = [self.tensors[i][1] for i in used]
        dtype = max(dtypes, key=lambda d: _WIDTH[d]) if dtypes else self.dtype
        grad = self.train and any(self.tensors[i][2] for i in used)
        storage = self.tensors[self.index(sources[0])][0] if into else None
        out = self.tensor(shape, dtype, grad, storage)
        op = _Op(path, used, self.index(out), grad="new" if gate else "share")
        if gate and grad:  # x · scale: the backward reads both factors
            op.saved = [self.tensors[i][0] for i in used]
        self.ops.append(op)
        return out

    def cast(self, path: str, handle: Shape, dtype: str) -> Shape:
        index = self.index(handle)
        if self.tensors[index][1] == dtype:
            return handle
        out = self.tensor(handle, dtype, self.tensors[index][2])
        self.ops.append(_Op(f"{path} (cast)", [index], self.index(out)))
        return out

    def leaf(self, path: str, layer: Layer, handle: Shape) -> Shape:
        if layer.bare_tensor:
            return handle
        path = path or type(layer).__name__
        output = layer.infer_shape(handle)
        keeps: Keeps = layer.keeps(handle, output)
        if self.low is not None and keeps.autocast != "keep":
            handle = self.cast(path, handle, self.low if keeps.autocast == "low" else "fp32")
        index = self.index(handle)
        storage, dtype, grad = self.tensors[index]
        trained = layer.trainable_params()
        needs = self.train and (trained > 0 or grad)
        view = not keeps.new_output or (not self.train and keeps.eval_view)
        out = self.tensor(output, dtype, needs, storage if view else None)
        op = _Op(path, [index], self.index(out), scratch=self.size(keeps.scratch, dtype))
        if view and not (self.train and (keeps.saves_input or keeps.saves_output)):
            op.grad = "pass"
        params = layer.params()
        if self.low is not None and keeps.autocast == "low" and params:
            op.wcast = self.size(params, self.low, per_sample=False)
        if needs:
            op.wgrad = self.size(trained, self.grad_dtype, per_sample=False)
            if keeps.saves_input and (trained or not params):
                op.saved.append(storage)
            if keeps.saves_output:
                op.saved.append(self.tensors[op.out][0])
            if keeps.clone_input:
                op.extra += self.storage[storage]
            for elements, kind in keeps.per_batch:
                op.extra += self.size(elements, kind, per_sample=False)
        if needs or not (self.train or keeps.eval_view):  # made in eval too, and freed at once
            for elements, kind in keeps.saved:
                op.extra += self.size(elements, dtype if kind == "like" else kind)
        self.ops.append(op)
        return out

    def run(self, path: str, layer: Layer, handle: Shape) -> Shape:
        if isinstance(layer, Composite):
            return self.composite(path, layer, handle)
        return self.leaf(path, layer, handle)

    def copies(self, path: str, child: Layer, handle: Shape, copies: int, first: int) -> Shape:
        """Run ``copies`` copies; once they repeat, the middle ones are one op (cost bounded).

        The last copy is run again after them: the forward's peak is in it and
        the backward's starts in it, with every other copy's saved tensors alive.
        """
        done, out = 0, handle
        while done < copies:
            start, given = len(self.ops), out
            out = self.run(f"{path}{first + done}", child, given)
            done += 1
            if out == given and done >= _BULK and copies - done > 1:
                rest = copies - done - 1
                where = f"{path}{first + done}..{first + copies - 2}"
                self.ops.append(_Op(where, [], -1, bulk=(rest, start, len(self.ops))))
                out = self.run(f"{path}{first + copies - 1}", child, out)
                break
        return out

    def composite(self, path: str, layer: Composite, handle: Shape) -> Shape:
        """Run a block: its caller holds its input until it returns (a Python frame's reference).

        ``merge`` (a block's declaration): ``"add"`` a new sum of the output and
        the shortcut; ``"add_"`` the sum written into the output (``out += identity``);
        ``"steps"`` each residual step added to a running sum; ``"features"`` every
        child's output kept until the end (DenseNet's list of features). Otherwise a
        shape no child made is a new tensor (a concatenation) and an input
        returned with other outputs pending is a gate's product (``x · scale``).
        """
        merge = str(getattr(layer, "merge", ""))
        pending: list[Shape] = []
        held: list[Shape] = []
        stream = [handle]  # the running sum of a block of residual steps

        def visit(
            name: str,
            child: Layer,
            given: Shape | None,
            *,
            copies: int | None = None,
            first: int = 0,
        ) -> Shape | None:
            if given is None:
                return None
            where = f"{path}.{name}" if path else name
            if id(given) not in self.handles:  # made by the block's code (a concatenation)
                given = self.glue(f"{where} (merge)", given, [*pending, *held, handle])
                pending.clear()
            elif merge == "steps" and given is handle:
                if pending:
                    stream[0] = self.glue(f"{where} (add)", given, [stream[0], *pending])
                    pending.clear()
                given = stream[0]
            pending[:] = [p for p in pending if p is not given]
            if copies is not None:
                out = self.copies(where, child, given, copies, first)
            else:
                out = self.run(where, child, given)
            (held if merge == "features" else pending).append(out)
            return out

        result = layer.forward_shapes(visit, handle)
        if result is None:  # pragma: no cover - a composite given a shape returns one
            raise ShapeError("gave no output shape", path=path)
        rest = [p for p in pending if p is not result]
        if merge in ("add", "add_"):
            sources = [result, *rest, handle]
            result = self.glue(f"{path} (add)", result, sources, into=merge == "add_")
        elif merge == "steps":
            result = self.glue(f"{path} (add)", result, [stream[0], *rest]) if rest else stream[0]
        elif id(result) not in self.handles:
            result = self.glue(f"{path} (merge)", result, [*rest, *held, handle])
        elif result is handle and rest:
            result = self.glue(f"{path} (gate)", result, [handle, *rest], gate=True)
        for kept in (*held, handle):  # references held until the block returns
            index = self.index(kept)
            if kept is not result:
                self.ops.append(_Op(f"{path} (end)", [index], index, grad="pass"))
        return result


@dataclass
class _Replay:
    forward: int = 0
    forward_at: str = "input"
    backward: int = 0
    backward_at: str = ""
    saved: int = 0


def _replay(rec: _Recorder, fixed: int, *, train: bool, loss: int) -> _Replay:
    """Walk the recorded ops forward (and backward when training): the peaks and where."""
    ops = rec.ops
    users = [0] * len(rec.storage)
    savers = [0] * len(rec.storage)
    for op in ops:
        for i in op.inputs:
            users[rec.tensors[i][0]] += 1
        for s in set(op.saved):
            savers[s] += 1
    alive = [False] * len(rec.storage)
    final = rec.tensors[rec.final][0]
    alive[0] = True
    live = fixed + rec.storage[0]
    out = _Replay(forward=live)
    live_at: list[int] = []
    bulk_saved: dict[int, int] = {}

    def release(s: int) -> None:
        nonlocal live
        if alive[s] and users[s] == 0 and savers[s] == 0 and s not in (0, final):
            alive[s] = False
            live -= rec.storage[s]

    for n, op in enumerate(ops):
        if op.bulk is not None:
            copies, start, end = op.bulk
            step = live_at[end - 1] - (live_at[start - 1] if start else out.forward)
            bulk_saved[n] = copies * max(step, 0) if train else 0
            live += bulk_saved[n]
            live_at.append(live)
            continue
        s = rec.tensors[op.out][0]
        if not alive[s]:
            alive[s] = True
            live += rec.storage[s]
        live += op.extra + op.scratch + op.wcast
        if live > out.forward:
            out.forward, out.forward_at = live, op.path
        live -= op.scratch if train else op.scratch + op.extra  # autocast's copies stay cached
        for i in op.inputs:
            users[rec.tensors[i][0]] -= 1
        for i in op.inputs:
            release(rec.tensors[i][0])
        release(s)
        live_at.append(live)
    if not train:
        return out
    out.saved = live - fixed - rec.storage[0]
    live += loss  # the loss's fp32 log-softmax, kept for backward
    if live > out.forward:
        out.forward, out.forward_at = live, "loss"
    grads: dict[int, int] = {rec.final: rec.storage[final]}  # tensor -> bytes of its gradient
    live += rec.storage[final] - loss
    out.backward, out.backward_at = live, "loss"
    for n in range(len(ops) - 1, -1, -1):
        op = ops[n]
        if op.bulk is not None:
            copies, start, end = op.bulk
            # each copy adds its weight gradients and frees what it saved: the live
            # bytes move in equal steps, so their largest value is at an end
            live += copies * sum(o.wgrad for o in ops[start:end]) - bulk_saved[n]
            if live > out.backward:
                out.backward, out.backward_at = live, op.path
            continue
        out_grad = grads.pop(op.out, 0)
        targets = [t for t in op.inputs if rec.tensors[t][2]]
        made = transient = 0
        if op.grad in ("pass", "share"):  # the output's gradient goes on: to the earliest input
            if targets and out_grad:
                owner = min(targets)
                if grads.get(owner):
                    transient = 0  # added in place into the one already there
                else:
                    grads[owner] = out_grad
                    out_grad = 0
        else:
            for t in targets:
                size = rec.storage[rec.tensors[t][0]]
                if grads.get(t):
                    transient += size  # made, then added into the gradient already there
                else:
                    grads[t] = size
                    made += size
        cast_grad = op.wcast if op.wgrad else 0  # the 16-bit weight gradient before its cast
        live += made + transient + op.wgrad + cast_grad
        if live > out.backward:
            out.backward, out.backward_at = live, op.path
        live -= transient + cast_grad + out_grad + op.extra + op.wcast
        for s in set(op.saved):
            savers[s] -= 1
            release(s)
    return out


def live_peaks(
    net: Layer,
    input_shape: Shape,
    *,
    batch_size: int = 1,
    dtype: str = "fp32",
    optimizer: str = "adamw",
    mixed_precision: bool = False,
    autocast: str | None = None,
    round_to: int = 1,
    foreach: bool = True,
    workspace: int = 0,
) -> LivePeaks:
    """The peaks of ``net`` on a batch of ``input_shape`` (see :class:`LivePeaks`).

    ``dtype``: weights and activations (``"fp32"``, ``"bf16"`` …); with
    ``mixed_precision`` 16-bit weights and gradients and fp32 masters and
    states; ``autocast`` (``"bf16"``/``"fp16"``, ``dtype="fp32"``): fp32
    weights, each op in the dtype torch's autocast lists give it.
    ``round_to``: every tensor rounded up (the CUDA caching allocator: 512).
    ``foreach``: AdamW's multi-tensor step (torch's default on CUDA), whose
    ``_foreach_sqrt`` makes a copy of every second moment; without it (the
    default on CPU), one tensor at a time: its ``sqrt`` and quotient.
    ``workspace``: bytes a device's libraries hold throughout (cuBLAS: 32 MiB on
    Hopper), added to every peak.
    """
    if autocast is not None and (autocast not in _HALF or dtype != "fp32"):
        raise ConfigError(
            "memory: `autocast` runs an fp32 network's ops in 'bf16' or 'fp16'; give "
            f"dtype='fp32' and autocast='bf16'. Received: dtype={dtype!r}, autocast={autocast!r}."
        )
    if dtype not in _WIDTH or dtype in ("int8", "int64", "fp8"):
        raise ConfigError(
            f"memory: the live-set peaks run in a floating dtype ('fp32', 'bf16', 'fp16', "
            f"'fp64'). Received: dtype={dtype!r}."
        )
    state_dtype = "fp32" if mixed_precision else dtype
    slots = {"sgd": 0, "sgd_momentum": 1, "adam": 2, "adamw": 2}[optimizer]
    weights = buffers = state = masters = trainable = largest = 0

    def rounded(nbytes: int) -> int:
        return -(-nbytes // round_to) * round_to

    for leaf, copies in unique_leaves(net, set()):
        for _, shape in leaf.parameter_shapes():
            n = numel(shape)
            weights += copies * rounded(n * _WIDTH[dtype])
            if leaf.trainable:
                trainable += copies * n
                largest = max(largest, n)
                state += copies * slots * rounded(n * _WIDTH[state_dtype])
                masters += copies * rounded(n * 4) if mixed_precision else 0
        for name, shape in leaf.buffer_shapes():
            kind = leaf.buffer_dtype(name) or dtype
            buffers += copies * rounded(numel(shape) * _WIDTH.get(kind, 4))

    def record(train: bool) -> _Recorder:
        rec = _Recorder(batch_size, dtype, autocast, dtype, train, round_to)
        start = rec.tensor(input_shape, dtype, False)
        rec.output = rec.run("", net, start)
        rec.final = rec.index(rec.output)
        return rec

    inference = _replay(record(False), weights + buffers + workspace, train=False, loss=0)
    rec = record(True)
    targets = rounded(8 * batch_size)
    fixed = weights + buffers + state + masters + targets + workspace
    logits = numel(rec.output) * batch_size
    loss = rounded(logits * 4)  # log_softmax's output, fp32 (autocast's fp32 list)
    if rec.tensors[rec.final][1] != "fp32":
        loss += rounded(logits * 4)  # the fp32 copy it reads
    run = _replay(rec, fixed, train=True, loss=loss)
    gradients = rounded(trainable * _WIDTH[dtype])
    scratch = 0
    if optimizer in ("adam", "adamw"):
        scratch = rounded(trainable * _WIDTH[state_dtype]) if foreach else 2 * rounded(largest * 4)
    step = fixed + rec.storage[0] + gradients + scratch
    phases = {"forward": run.forward, "backward": run.backward, "step": step}
    phase = max(phases, key=lambda name: phases[name])
    where = {"forward": run.forward_at, "backward": run.backward_at, "step": "optimizer"}
    return LivePeaks(
        inference=inference.forward,
        training=phases[phase],
        training_phase=phase,
        saved=run.saved,
        fixed=fixed + rec.storage[0],
        inference_at=inference.forward_at,
        training_at=where[phase],
    )


def unique_leaves(layer: Layer, seen: set[int]) -> Iterator[tuple[Layer, int]]:
    """Each leaf layer object once, in order, as ``parameters()`` deduplicates, and its copies.

    A repeated block (``Repeat``) stands for ``n`` distinct deep copies: its
    leaves come once, with ``n`` copies, whatever ``n`` is.
    """
    if not _is_composite(layer):
        if id(layer) not in seen:
            seen.add(id(layer))
            yield layer, 1
        return
    if getattr(layer, "distinct_copies", False):  # Repeat: each copy is a distinct deep copy
        if id(layer) in seen:
            return
        seen.add(id(layer))
        for block, copies in _runs(layer):
            for leaf, count in unique_leaves(block, set()):
                yield leaf, count * copies
        return
    for _, child in layer.children():
        yield from unique_leaves(child, seen)


def _runs(layer: Layer) -> tuple[tuple[Layer, int], ...]:
    """``(block, copies)`` of a composite of distinct copies (``Repeat``, hf's ``LayerStack``)."""
    runs: tuple[tuple[Layer, int], ...] | None = getattr(layer, "runs", None)
    if runs is not None:
        return tuple(runs)
    if hasattr(layer, "block") and hasattr(layer, "n"):
        return ((layer.block, layer.n),)
    return tuple((child, 1) for _, child in layer.children())


def _is_composite(layer: Layer) -> bool:
    return isinstance(layer, Composite)
