"""The modules decoder families share: attention (grouped, latent), experts, layer stacks.

Each is a paramcalc layer with ``transformers``' tensor names and shapes;
the family builders in :mod:`paramcalc.hf.decoder` and the family modules
put them together.

>>> experts = Experts(8, 4096, 14336, top_k=2)
>>> experts.params(), experts.inactive_params()  # 6 of 8 experts idle for a token
(1409286144, 1056964608)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, TypeVar

from paramcalc import _check
from paramcalc._once import once as _once
from paramcalc.errors import ConfigError, ShapeError
from paramcalc.graph import Repeat
from paramcalc.layer import Composite, Counts, Layer, Visit, _Tally
from paramcalc.shapes import Shape
from paramcalc.zoo._common import Net, Step

if TYPE_CHECKING:
    from paramcalc.formula import Formula

__all__ = [
    "Attend",
    "DecoderAttention",
    "Experts",
    "LastToken",
    "LatentAttention",
    "LayerStack",
    "PackedGatedMLP",
    "Parallel",
    "named",
    "stack",
]

_CLASSES: dict[tuple[str, type[Layer]], type[Layer]] = {}

N = TypeVar("N", bound=Net)


def named(name: str, base: type[N]) -> type[N]:
    """A subclass of ``base`` called ``name`` (``"MixtralForCausalLM"``), made once.

    Reports name each module by its class, as ``transformers`` does.

    >>> named("MixtralModel", Net).__name__
    'MixtralModel'
    """
    key = (name, base)
    made = _CLASSES.get(key)
    if made is None:
        made = type(name, (base,), {"__doc__": f"``transformers``' ``{name}``."})
        _CLASSES[key] = made
    return made  # type: ignore[return-value]


@dataclass(frozen=True, repr=False, eq=False)
class Attend(Layer):
    """``softmax(QKᵀ/√d)·V`` of ``heads`` query heads: ``(L, heads·qk_dim) -> (L, heads·v_dim)``.

    MACs are the two matrix products, ``heads·L·L·(qk_dim + v_dim)`` (a causal
    or sliding mask does not change them, as ``FlopCounterMode`` counts).

    >>> Attend(32, 128, 128).macs((10, 4096))
    819200
    """

    heads: int
    qk_dim: int
    v_dim: int

    def infer_shape(self, shape: Shape) -> Shape:
        width = self.heads * self.qk_dim
        if len(shape) != 2 or shape[-1] != width:
            raise ShapeError(
                f"expects a (L, {width}) query of {self.heads} heads of {self.qk_dim} "
                f"but receives {shape}"
            )
        return (shape[0], self.heads * self.v_dim)

    def count_macs(self, shape: Shape, output: Shape) -> int:
        length = shape[0]
        return self.heads * length * length * (self.qk_dim + self.v_dim)


@dataclass(frozen=True, repr=False, eq=False)
class LastToken(Layer):
    """The logits at the last token, ``(L, n) -> (n,)`` (sequence classification's pooling).

    >>> LastToken().output_shape((128, 2))
    (2,)
    """

    def infer_shape(self, shape: Shape) -> Shape:
        if len(shape) != 2:
            raise ShapeError(f"expects a (L, n) sequence but receives {shape}")
        return shape[1:]


def _cached(tokens: int, window: int | None) -> int:
    """Tokens a cache layer keeps after a prefill: ``DynamicSlidingWindowLayer`` keeps ``W - 1``.

    It slices ``[-W + 1:]``, so a window of 1 (``[0:]``) keeps the whole prefill.

    >>> _cached(10, 4), _cached(10, 1), _cached(10, None)
    (3, 10, 10)
    """
    _check.positive("cache_shapes", "tokens", tokens)
    if window is None or window == 1:
        return tokens
    return min(tokens, window - 1)


@dataclass(frozen=True, init=False, repr=False, eq=False)
class DecoderAttention(Net):
    """Self-attention of a decoder layer: projections, per-head norms, attention, output.

    ``inputs`` project the layer's input (``q_proj``, ``k_proj``, ``v_proj``,
    or one packed ``qkv_proj``); ``norms`` are ``(name, heads, width)``: norms
    of the queries or keys seen as ``heads`` rows of ``width`` (per head,
    ``head_dim`` wide: Qwen3, Gemma 3; one row over all heads: OLMo 2);
    ``outputs`` run on the attention's output.
    ``kind`` is the layer type of ``config.layer_types`` (``"full_attention"``,
    ``"sliding_attention"``), or ``"cross_attention"`` (keys and values of an
    encoder's output), and ``sliding_window`` the window of a sliding layer.
    """

    num_heads: int = 1
    num_kv_heads: int = 1
    head_dim: int = 1
    kind: str = "full_attention"
    sliding_window: int | None = None
    inputs: tuple[str, ...] = field(default=())
    norms: tuple[tuple[str, int, int], ...] = field(default=())
    outputs: tuple[Step, ...] = field(default=())

    def __init__(
        self,
        modules: Mapping[str, Layer],
        inputs: Iterable[str],
        outputs: Iterable[Step],
        *,
        num_heads: int,
        num_kv_heads: int,
        head_dim: int,
        norms: Iterable[tuple[str, int, int]] = (),
        kind: str = "full_attention",
        sliding_window: int | None = None,
    ) -> None:
        projections, after, per_head = tuple(inputs), tuple(outputs), tuple(norms)
        super().__init__(modules, [*projections, *(name for name, _, _ in per_head), *after])
        for key, value in (
            ("inputs", projections),
            ("outputs", after),
            ("norms", per_head),
            ("num_heads", num_heads),
            ("num_kv_heads", num_kv_heads),
            ("head_dim", head_dim),
            ("kind", kind),
            ("sliding_window", sliding_window),
        ):
            object.__setattr__(self, key, value)

    def forward_shapes(self, visit: Visit, shape: Shape | None) -> Shape | None:
        modules = dict(self.modules)
        for name, module in self.modules:  # raw tensors (gpt-oss's sinks) pass the shape by
            if module.bare_tensor:
                visit(name, module, shape)
        projected = [visit(name, modules[name], shape) for name in self.inputs]
        length = None if projected[0] is None else projected[0][0]
        for name, rows, width in self.norms:
            visit(name, modules[name], None if length is None else (length, rows, width))
        query = None if length is None else (length, self.num_heads * self.head_dim)
        out = visit("attention()", Attend(self.num_heads, self.head_dim, self.head_dim), query)
        for step in self.outputs:
            out = self._step(visit, step, out)
        return out

    def cache_shapes(self, tokens: int, encoder_tokens: int = 0) -> tuple[tuple[str, Shape], ...]:
        """Keys and values per sample: ``(kv_heads, tokens, head_dim)`` (a window keeps ``W - 1``).

        >>> DecoderAttention({}, (), (), num_heads=32, num_kv_heads=8, head_dim=128,
        ...     kind="sliding_attention", sliding_window=4096).cache_shapes(10000)[0]
        ('key', (8, 4095, 128))
        """
        window = self.sliding_window if self.kind == "sliding_attention" else None
        kept = _cached(tokens, window)
        if self.kind == "cross_attention":  # keys and values of the encoder's output
            kept = _check.positive("cache_shapes", "encoder_tokens", encoder_tokens)
        shape = (self.num_kv_heads, kept, self.head_dim)
        return (("key", shape), ("value", shape))


@dataclass(frozen=True, init=False, repr=False, eq=False)
class LatentAttention(Net):
    """DeepSeek-V3's multi-head latent attention (``DeepseekV3Attention``).

    Queries through a low-rank ``q_a_proj``/``q_b_proj`` (or one ``q_proj``);
    keys and values from a shared latent of ``kv_lora_rank`` plus a rotary key
    of ``qk_rope_head_dim``. The cache stores the latent and the rotary key,
    one "head" each, as ``transformers`` 5.23 does (``past_key_values.update(kv_nope, k_rot)``).
    """

    num_heads: int = 1
    qk_head_dim: int = 1
    v_head_dim: int = 1
    kv_lora_rank: int = 1
    qk_rope_head_dim: int = 1
    kind: str = "latent_attention"
    sliding_window: int | None = None

    def __init__(
        self,
        modules: Mapping[str, Layer],
        *,
        num_heads: int,
        qk_head_dim: int,
        v_head_dim: int,
        kv_lora_rank: int,
        qk_rope_head_dim: int,
    ) -> None:
        super().__init__(modules)
        for key, value in (
            ("num_heads", num_heads),
            ("qk_head_dim", qk_head_dim),
            ("v_head_dim", v_head_dim),
            ("kv_lora_rank", kv_lora_rank),
            ("qk_rope_head_dim", qk_rope_head_dim),
        ):
            object.__setattr__(self, key, value)

    def forward_shapes(self, visit: Visit, shape: Shape | None) -> Shape | None:
        modules = dict(self.modules)
        if "q_proj" in modules:
            query = visit("q_proj", modules["q_proj"], shape)
        else:
            low = visit("q_a_proj", modules["q_a_proj"], shape)
            low = visit("q_a_layernorm", modules["q_a_layernorm"], low)
            query = visit("q_b_proj", modules["q_b_proj"], low)
        latent = visit("kv_a_proj_with_mqa", modules["kv_a_proj_with_mqa"], shape)
        if latent is not None:
            latent = (*latent[:-1], self.kv_lora_rank)
        latent = visit("kv_a_layernorm", modules["kv_a_layernorm"], latent)
        visit("kv_b_proj", modules["kv_b_proj"], latent)
        attend = Attend(self.num_heads, self.qk_head_dim, self.v_head_dim)
        out = visit("attention()", attend, query)
        return visit("o_proj", modules["o_proj"], out)

    def cache_shapes(self, tokens: int, encoder_tokens: int = 0) -> tuple[tuple[str, Shape], ...]:
        """The latent ``(1, tokens, kv_lora_rank)``, the rotary key ``(1, tokens, rope_dim)``.

        >>> LatentAttention({}, num_heads=128, qk_head_dim=192, v_head_dim=128,
        ...     kv_lora_rank=512, qk_rope_head_dim=64).cache_shapes(10)
        (('key', (1, 10, 512)), ('value', (1, 10, 64)))
        """
        kept = _cached(tokens, None)
        return (("key", (1, kept, self.kv_lora_rank)), ("value", (1, kept, self.qk_rope_head_dim)))


@dataclass(frozen=True, repr=False, eq=False)
class Experts(Layer):
    """The routed experts of a mixture-of-experts layer, fused in 3-d tensors.

    ``layout="fused"`` (Mixtral, Qwen-MoE, DeepSeek-V3): ``gate_up_proj``
    ``(E, 2·I, H)`` and ``down_proj`` ``(E, H, I)``; ``layout="gpt_oss"``:
    ``gate_up_proj`` ``(E, H, 2·I)``, ``gate_up_proj_bias`` ``(E, 2·I)``,
    ``down_proj`` ``(E, I, H)``, ``down_proj_bias`` ``(E, H)``. A token runs
    through ``top_k`` of the ``E`` experts: the others are :meth:`inactive_params`.
    ``routing_dtype`` is the dtype of the router's top-k weights: ``"model"``
    (the activations', Qwen-MoE) or ``"fp32"`` (DeepSeek-V3's router runs in
    fp32): the weighted expert outputs take it (the inference planner's term).
    """

    num_experts: int
    hidden_size: int
    intermediate_size: int
    top_k: int = 1
    layout: str = "fused"
    routing_dtype: str = "model"

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("num_experts", "hidden_size", "intermediate_size", "top_k"):
            _check.positive("Experts", name, getattr(self, name))
        _check.one_of("Experts", "layout", self.layout, ("fused", "gpt_oss"))
        _check.one_of("Experts", "routing_dtype", self.routing_dtype, ("model", "fp32"))
        if self.top_k > self.num_experts:
            raise ConfigError(
                "Experts: `top_k` (experts per token) must be at most `num_experts`. "
                f"Received: top_k={self.top_k}, num_experts={self.num_experts}."
            )

    def parameter_shapes(self) -> tuple[tuple[str, Shape], ...]:
        e, h, i = self.num_experts, self.hidden_size, self.intermediate_size
        if self.layout == "gpt_oss":
            return (
                ("gate_up_proj", (e, h, 2 * i)),
                ("gate_up_proj_bias", (e, 2 * i)),
                ("down_proj", (e, i, h)),
                ("down_proj_bias", (e, h)),
            )
        return (("gate_up_proj", (e, 2 * i, h)), ("down_proj", (e, h, i)))

    def count_inactive(self) -> int:
        per_expert = self.params() // self.num_experts
        return (self.num_experts - self.top_k) * per_expert

    def infer_shape(self, shape: Shape) -> Shape:
        if shape[-1] != self.hidden_size:
            raise ShapeError(
                f"expects {self.hidden_size} features but receives {shape[-1]}", received=shape[-1]
            )
        return shape

    def count_macs(self, shape: Shape, output: Shape) -> int:
        tokens = 1
        for size in shape[:-1]:
            tokens *= size
        return tokens * self.top_k * 3 * self.hidden_size * self.intermediate_size


@dataclass(frozen=True, init=False, repr=False, eq=False)
class Parallel(Net):
    """Modules that each read the block's input; the block keeps its shape (a MoE block).

    The router, the routed experts and the shared experts all see the hidden
    states; their weighted sum has the input's shape.
    """

    def forward_shapes(self, visit: Visit, shape: Shape | None) -> Shape | None:
        for name, module in self.modules:
            visit(name, module, shape)
        return shape


@dataclass(frozen=True, init=False, repr=False, eq=False)
class PackedGatedMLP(Net):
    """``down(act(gate) · up)`` with gate and up packed in one ``gate_up_proj`` (Phi-3)."""

    def forward_shapes(self, visit: Visit, shape: Shape | None) -> Shape | None:
        both = visit("gate_up_proj", self.module("gate_up_proj"), shape)
        half = None if both is None else (*both[:-1], both[-1] // 2)
        half = visit("activation_fn", self.module("activation_fn"), half)
        return visit("down_proj", self.module("down_proj"), half)


Run = tuple[Layer, int]
Segment = tuple[tuple[Run, ...], int]

_FLAT = 4096
"""A stack of more runs than this lists, in ``runs``, each block once with all its copies."""


@dataclass(frozen=True, init=False, repr=False, eq=False)
class LayerStack(Composite):
    """A ``ModuleList`` of decoder layers, named ``0`` … ``n-1``, held as runs of equal layers.

    ``segments`` are ``(runs, times)``: the runs ``(block, count)`` (``count``
    distinct deep copies of ``block`` in a row) repeated ``times`` times
    (Gemma 3's five sliding layers then one global, over and over; DeepSeek-V3's
    three dense layers then 58 MoE ones). Like ``Repeat``, it costs the same for
    any count. ``runs`` lists them in order (for a stack of many short runs:
    each block once, with all its copies).

    >>> from paramcalc import Linear
    >>> stack = LayerStack([(Linear(4, 4), 2), (Linear(4, 8, bias=False), 1)])
    >>> [name for name, _ in stack.named_parameters()], stack.params()
    (['0.weight', '0.bias', '1.weight', '1.bias', '2.weight'], 72)
    >>> a, b = Linear(4, 4), Linear(4, 4, bias=False)
    >>> deep = LayerStack(segments=[(((a, 1), (b, 1)), 10**9)])
    >>> len(deep), deep.params(), deep.runs == ((a, 10**9), (b, 10**9))
    (2000000000, 36000000000, True)
    """

    distinct_copies: ClassVar[bool] = True

    segments: tuple[Segment, ...] = field(default=())

    def __init__(
        self, runs: Iterable[Run] = (), *, segments: Iterable[Segment] = (), trainable: bool = True
    ) -> None:
        given = [*((((block, count),), 1) for block, count in runs), *segments]
        merged: list[Segment] = []
        for period, times in given:
            _check.positive("LayerStack", "times", times)
            inner: list[Run] = []
            for block, count in period:
                _check.positive("LayerStack", "count", count)
                if inner and inner[-1][0] is block:
                    inner[-1] = (block, inner[-1][1] + count)
                else:
                    inner.append((block, count))
            if len(inner) == 1:
                inner, times = [(inner[0][0], inner[0][1] * times)], 1
            if not inner:
                continue
            if times == 1 and merged and merged[-1][1] == 1:
                last = list(merged[-1][0])
                if last[-1][0] is inner[0][0]:
                    last[-1] = (inner[0][0], last[-1][1] + inner[0][1])
                    inner = inner[1:]
                merged[-1] = ((*last, *inner), 1)
            else:
                merged.append((tuple(inner), times))
        if not merged:
            raise ConfigError("LayerStack: give at least one layer.")
        object.__setattr__(self, "segments", tuple(merged))
        object.__setattr__(self, "trainable", trainable)

    @property
    def runs(self) -> tuple[Run, ...]:
        """``(block, count)`` in order; past a few thousand runs, each block once."""
        if sum(len(period) * times for period, times in self.segments) <= _FLAT:
            flat: list[Run] = []
            for period, times in self.segments:
                for _ in range(times):
                    flat.extend(period)
            return tuple(flat)
        totals: dict[int, Run] = {}
        for period, times in self.segments:
            for block, count in period:
                total = totals.get(id(block), (block, 0))[1]
                totals[id(block)] = (block, total + count * times)
        return tuple(totals.values())

    def labelled(self) -> Iterator[tuple[str, Layer, int]]:
        """``(indices, block, count)`` of each run; a periodic one once, with all its copies.

        >>> from paramcalc import Linear
        >>> a, b = Linear(4, 4), Linear(4, 4, bias=False)
        >>> deep = LayerStack(segments=[(((a, 2), (b, 1)), 10**6)])
        >>> [(name, n) for name, _, n in deep.labelled()]
        [('{0..1}+3k, k<1000000', 2000000), ('{2..2}+3k, k<1000000', 1000000)]
        """
        start = 0
        if sum(len(period) * times for period, times in self.segments) <= _FLAT:  # run by run
            for block, count in self.runs:
                yield f"{{{start}..{start + count - 1}}}", block, count
                start += count
            return
        for period, times in self.segments:
            width = sum(count for _, count in period)
            for block, count in period:
                label = f"{{{start}..{start + count - 1}}}"
                yield (
                    (label if times == 1 else f"{label}+{width}k, k<{times}"),
                    block,
                    count * times,
                )
                start += count
            start += width * (times - 1)

    def first_copies(self) -> Iterator[tuple[str, Layer]]:
        """Each distinct block once, named by the index of its first copy.

        >>> from paramcalc import Linear
        >>> a, b = Linear(4, 4), Linear(4, 4, bias=False)
        >>> [name for name, _ in LayerStack(segments=[(((a, 2), (b, 1)), 10**12)]).first_copies()]
        ['0', '2']
        """
        seen: set[int] = set()
        start = 0
        for period, times in self.segments:
            width = sum(count for _, count in period)
            for block, count in period:
                if id(block) not in seen:
                    seen.add(id(block))
                    yield str(start), block
                start += count
            start += width * (times - 1)

    def first_copy_name(self, name: str) -> str:
        child = self._find_child(name)
        return next((first for first, block in self.first_copies() if block is child), name)

    def __len__(self) -> int:
        return sum(times * sum(count for _, count in period) for period, times in self.segments)

    def kinds(self) -> Iterator[tuple[int, Layer]]:
        """``(index, layer)`` of every layer, in order (lazily)."""
        index = 0
        for period, times in self.segments:
            for _ in range(times):
                for block, count in period:
                    for _ in range(count):
                        yield index, block
                        index += 1

    def children(self) -> Iterator[tuple[str, Layer]]:
        return ((str(index), block) for index, block in self.kinds())

    @_once
    def _nesting(self) -> int:
        return 1 + max(block._nesting for period, _ in self.segments for block, _ in period)

    def _child_at(self, index: int) -> Layer:
        total = len(self)
        if not -total <= index < total:
            raise IndexError(f"LayerStack index {index} is out of range")
        index %= total
        for period, times in self.segments:
            width = sum(count for _, count in period)
            if index >= width * times:
                index -= width * times
                continue
            index %= width
            for block, count in period:
                if index < count:
                    return block
                index -= count
        raise IndexError(f"LayerStack index {index} is out of range")  # pragma: no cover

    def _find_child(self, name: str) -> Layer | None:  # never int() a hostile run of digits
        if not (name.isascii() and name.isdigit()) or len(name) > len(str(len(self))):
            return None
        return self._child_at(int(name)) if int(name) < len(self) else None

    def formula(self) -> Formula:  # Σ times·count·block
        from paramcalc.formula import Formula

        return Formula.of_sum(
            times * count * block.params()
            for period, times in self.segments
            for block, count in period
        )

    def forward_shapes(self, visit: Visit, shape: Shape | None) -> Shape | None:
        start = 0
        for period, times in self.segments:
            width = sum(count for _, count in period)
            for block, count in period:  # the first period as it is, the others as copies
                shape = visit("", block, shape, copies=count, first=start)
                start += count
            if times > 1:
                for block, count in period:
                    shape = visit("", block, shape, copies=count * (times - 1), first=start)
                start += width * (times - 1)
        return shape

    def rebuild(self, children: list[Layer]) -> LayerStack:
        segments: list[Segment] = []
        start = 0
        for period, times in self.segments:
            rebuilt = [
                (children[start + sum(c for _, c in period[:i])], c)
                for i, (_, c) in enumerate(period)
            ]
            for _ in range(times):
                for new, count in rebuilt:
                    if any(child is not new for child in children[start : start + count]):
                        raise ConfigError(
                            "LayerStack: the copies of a repeated layer are identical; freeze "
                            "or unfreeze all of them or none."
                        )
                    start += count
            segments.append((tuple(rebuilt), times))
        return LayerStack(segments=segments)

    def _named(self, which: str, prefix: str, seen: set[int]) -> Iterator[tuple[str, Shape]]:
        if id(self) in seen:
            return
        seen.add(id(self))
        for index, block in self.kinds():
            path = f"{prefix}{index}."
            if isinstance(block, Composite):
                yield from block._named(which, path, set())
            else:
                shapes = block.parameter_shapes() if which == "p" else block.buffer_shapes()
                for tensor, shape in shapes:
                    yield path + tensor, shape

    def _tally(self, tally: _Tally) -> None:
        if id(self) in tally.seen:
            return
        tally.seen.add(id(self))
        for period, times in self.segments:
            for block, count in period:
                counts: Counts = block._counts
                tally.params += times * count * counts.params
                tally.trainable += times * count * counts.trainable
                tally.buffers += times * count * counts.buffers

    def _sum(self, what: str, seen: set[int]) -> int:
        if id(self) in seen:
            return 0
        seen.add(id(self))
        return sum(
            times * count * block._sum(what, set())
            for period, times in self.segments
            for block, count in period
        )

    def params_per_use(self) -> int:
        return sum(
            times * count * block.params_per_use()
            for period, times in self.segments
            for block, count in period
        )

    def __repr__(self) -> str:
        parts = []
        for period, times in self.segments:
            runs = ", ".join(f"({type(block).__name__}, {count})" for block, count in period)
            parts.append(runs if times == 1 else f"[{runs}] × {times}")
        return f"LayerStack([{', '.join(parts)}])"


def stack(runs: Iterable[Run]) -> Layer:
    """The ``layers`` ``ModuleList``: a ``Repeat`` of one layer, else a :class:`LayerStack`.

    >>> from paramcalc import Linear
    >>> type(stack([(Linear(4, 4), 3)])).__name__
    'Repeat'
    >>> type(stack([(Linear(4, 4), 1), (Linear(4, 4, bias=False), 2)])).__name__
    'LayerStack'
    """
    layers = LayerStack(runs)
    if len(layers.runs) == 1:
        block, count = layers.runs[0]
        return Repeat(block, count)
    return layers
