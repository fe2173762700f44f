"""Building blocks shared by the zoo: a network with a forward order, and a few ops.

:class:`Net` registers its modules in torch's order (``named_parameters()``
follows it) and runs them in the reference ``forward``'s order, with the
functional calls (``torch.flatten``, ``F.adaptive_avg_pool2d``, attention)
as unregistered steps named like calls (``"flatten()"``): they show in a
report's rows but own no parameters.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from paramcalc import _check
from paramcalc._repr import indent as _indent
from paramcalc.children import check_entry as _check_entry
from paramcalc.errors import ConfigError, ShapeError
from paramcalc.layer import Composite, Layer, Visit
from paramcalc.lifetime import NOTHING, VIEW, Keeps
from paramcalc.shapes import Shape, numel

if TYPE_CHECKING:
    from paramcalc.formula import Formula

__all__ = [
    "Conv1D",
    "FirstToken",
    "GatedMLP",
    "LogitSoftcap",
    "Net",
    "Permute",
    "Pooled",
    "ResidualNet",
    "ScaledDotProductAttention",
    "SelfAttention",
    "Step",
    "StochasticDepth",
    "SummedEmbeddings",
    "Tokens",
    "pooled",
]

Step = str | tuple[str, Layer]
"""A registered module's name, or ``(call name, layer)`` for a functional step."""


@dataclass(frozen=True, init=False, repr=False, eq=False)
class Net(Composite):
    """Registered modules (torch's names and order) and the forward's steps.

    >>> from paramcalc import Flatten, Linear
    >>> net = Net({"fc": Linear(12, 2)}, [("flatten()", Flatten()), "fc"])
    >>> net.output_shape((3, 4)), [name for name, _ in net.named_parameters()]
    ((2,), ['fc.weight', 'fc.bias'])
    """

    modules: tuple[tuple[str, Layer], ...] = field(default=())
    steps: tuple[Step, ...] = field(default=())
    output: str | None = None

    def __init__(
        self,
        modules: Mapping[str, Layer],
        steps: Iterable[Step] | None = None,
        *,
        output: str | None = None,
    ) -> None:
        kind = type(self).__name__
        if output is not None:
            object.__setattr__(self, "output", output)
        entries = tuple(_check_entry(kind, name, layer) for name, layer in modules.items())
        names = {name for name, _ in entries}
        order = tuple(name for name, _ in entries) if steps is None else tuple(steps)
        for step in order:
            if isinstance(step, str) and step not in names:
                raise KeyError(f"{kind}: step {step!r} is not a registered module")
        object.__setattr__(self, "modules", entries)
        object.__setattr__(self, "steps", order)

    def children(self) -> Iterator[tuple[str, Layer]]:
        return iter(self.modules)

    def module(self, name: str) -> Layer:
        """The registered module called ``name``."""
        return dict(self.modules)[name]

    def output_embeddings(self) -> str | None:
        """The path of ``transformers``' ``get_output_embeddings()`` module, or None.

        A builder declares it (``output=``: ``"proj_out"``, ``"cls.predictions.decoder"``;
        ``""`` for none); undeclared, ``PreTrainedModel``'s default: ``lm_head``
        when the network holds one. PEFT's ``"all-linear"`` leaves it out.

        >>> from paramcalc import Linear
        >>> Net({"lm_head": Linear(2, 3)}).output_embeddings()
        'lm_head'
        >>> Net({"proj_out": Linear(2, 3)}, output="proj_out").output_embeddings()
        'proj_out'
        """
        if self.output is not None:
            return self.output or None
        return "lm_head" if any(name == "lm_head" for name, _ in self.modules) else None

    def forward_shapes(self, visit: Visit, shape: Shape | None) -> Shape | None:
        modules = dict(self.modules)
        for step in self.steps:
            if isinstance(step, str):
                shape = visit(step, modules[step], shape)
            else:
                shape = visit(step[0], step[1], shape)
        return shape

    def rebuild(self, children: list[Layer]) -> Net:
        clone = object.__new__(type(self))
        state = {key: value for key, value in self.__dict__.items() if key != "_counts"}
        state["modules"] = tuple(
            (name, child) for (name, _), child in zip(self.modules, children, strict=True)
        )
        clone.__dict__.update(state)
        return clone

    def _step(self, visit: Visit, step: Step, shape: Shape | None) -> Shape | None:
        if isinstance(step, str):
            return visit(step, self.module(step), shape)
        return visit(step[0], step[1], shape)

    def __repr__(self) -> str:
        lines = "".join(f"\n  ({name}): {_indent(repr(layer))}" for name, layer in self.modules)
        return f"{type(self).__name__}({lines}\n)"


class Pooled(Layer):
    """``F.adaptive_avg_pool2d(x, 1)`` then ``torch.flatten(x, 1)``: ``(C, H, W) -> (C,)``.

    >>> pooled().output_shape((1280, 7, 7))
    (1280,)
    """

    def keeps(self, shape: Shape, output: Shape) -> Keeps:
        """A new output (a mean: its backward reads no tensor), then a view."""
        return NOTHING

    def infer_shape(self, shape: Shape) -> Shape:
        if len(shape) != 3:
            raise ShapeError(f"expects a (C, H, W) input but receives {shape}")
        return (shape[0],)


def pooled() -> Pooled:
    """The functional global average pool and flatten ending many classifiers."""
    return Pooled()


@dataclass(frozen=True, repr=False, eq=False)
class StochasticDepth(Layer):
    """Drops whole residual branches in training; mirrors ``torchvision.ops.StochasticDepth``.

    >>> StochasticDepth(0.1, "row").output_shape((16, 8, 8))
    (16, 8, 8)
    """

    p: float = 0.0
    mode: str = "row"

    def keeps(self, shape: Shape, output: Shape) -> Keeps:
        """In training ``input * noise``, a new tensor; in eval the input."""
        return Keeps(saves_input=False, eval_view=True) if self.p else VIEW

    def __post_init__(self) -> None:
        super().__post_init__()
        _check.real("StochasticDepth", "p", self.p, minimum=0)
        _check.one_of("StochasticDepth", "mode", self.mode, ("batch", "row"))


@dataclass(frozen=True, repr=False, eq=False)
class Conv1D(Layer):
    """Hugging Face's GPT-2 ``Conv1D(nf, nx)``: a linear layer with a transposed weight.

    Parameters: ``weight (nx, nf)``, ``bias (nf,)``.

    >>> list(Conv1D(2304, 768).named_parameters())
    [('weight', (768, 2304)), ('bias', (2304,))]
    """

    nf: int
    nx: int

    def keeps(self, shape: Shape, output: Shape) -> Keeps:
        """Its input (``addmm``); 16-bit under autocast."""
        return Keeps(autocast="low")

    def __post_init__(self) -> None:
        super().__post_init__()
        _check.positive("Conv1D", "nf", self.nf)
        _check.positive("Conv1D", "nx", self.nx)

    def parameter_shapes(self) -> tuple[tuple[str, Shape], ...]:
        return (("weight", (self.nx, self.nf)), ("bias", (self.nf,)))

    def infer_shape(self, shape: Shape) -> Shape:
        if shape[-1] != self.nx:
            raise ShapeError(
                f"expects {self.nx} input features but receives {shape[-1]}", received=shape[-1]
            )
        return (*shape[:-1], self.nf)

    def count_macs(self, shape: Shape, output: Shape) -> int:
        return numel(shape) * self.nf

    def formula(self) -> Formula:
        """``nx·nf + nf``."""
        from paramcalc.formula import Formula, num, product, total

        nf = num(self.nf, "nf")
        return Formula(total(product(num(self.nx, "nx"), nf), nf))


@dataclass(frozen=True, repr=False, eq=False)
class ScaledDotProductAttention(Layer):
    """``softmax(QKᵀ/√d)·V`` over the heads of a projected ``(L, heads·head_dim)`` query.

    Self-attention: keys and values have the query's length. Its MACs are the
    two matrix products, ``2·L·L·head_dim`` per head (a causal mask does not
    change them, as ``FlopCounterMode`` counts); it has no parameters.

    >>> ScaledDotProductAttention(12, 64).macs((1024, 768))
    1610612736
    """

    num_heads: int
    head_dim: int

    def __post_init__(self) -> None:
        super().__post_init__()
        _check.positive("ScaledDotProductAttention", "num_heads", self.num_heads)
        _check.positive("ScaledDotProductAttention", "head_dim", self.head_dim)

    def infer_shape(self, shape: Shape) -> Shape:
        width = self.num_heads * self.head_dim
        if len(shape) != 2 or shape[-1] != width:
            raise ShapeError(
                f"expects a (L, {width}) query of {self.num_heads} heads of {self.head_dim} "
                f"but receives {shape}"
            )
        return shape

    def count_macs(self, shape: Shape, output: Shape) -> int:
        length = shape[0]
        return 2 * self.num_heads * length * length * self.head_dim


@dataclass(frozen=True, init=False, repr=False, eq=False)
class ResidualNet(Net):
    """A block whose forward adds each group of steps to its input (pre-norm transformers).

    ``groups`` lists the steps of each residual branch, e.g. GPT-2's
    ``(("ln_1", "attn"), ("ln_2", "mlp"))``; each branch's output must have
    its input's shape.
    """

    merge: ClassVar[str] = "steps"
    """Each group's output is added to the running input (:mod:`paramcalc.liveset`)."""

    groups: tuple[tuple[Step, ...], ...] = field(default=())

    def __init__(self, modules: Mapping[str, Layer], groups: Iterable[Iterable[Step]]) -> None:
        branches = tuple(tuple(group) for group in groups)
        super().__init__(modules, [step for group in branches for step in group])
        object.__setattr__(self, "groups", branches)

    def forward_shapes(self, visit: Visit, shape: Shape | None) -> Shape | None:
        for group in self.groups:
            out = shape
            for step in group:
                out = self._step(visit, step, out)
            if shape is not None and out is not None and out != shape:
                raise ShapeError(
                    f"adds the branch's output {out} to its input {shape}; "
                    "they must have the same shape"
                )
        return shape


@dataclass(frozen=True, init=False, repr=False, eq=False)
class SelfAttention(Net):
    """Projections of one input, scaled dot-product attention, then output steps.

    ``inputs`` are the projections applied to the input: three (query, key,
    value) or one packed ``q|k|v`` projection (GPT-2's ``c_attn``). Keys and
    values may have fewer heads (grouped-query attention); the attention's
    MACs count every query head.

    ``kv_cache=True`` marks a decoder's attention, whose keys and values
    ``transformers`` caches in generation: ``num_key_value_heads`` heads
    (default ``num_heads``) of ``head_dim``, per sample ``(heads, tokens,
    head_dim)`` each, as ``DynamicLayer`` concatenates them
    (``transformers/cache_utils.py``). With a ``sliding_window`` ``w`` the
    cache keeps the last ``min(tokens, w - 1)`` positions, as
    ``DynamicSlidingWindowLayer`` does.

    >>> from paramcalc import Linear
    >>> attn = SelfAttention({"qkv": Linear(64, 96)}, ["qkv"], [], num_heads=4, head_dim=16,
    ...                      num_key_value_heads=1, kv_cache=True)
    >>> attn.cache_shapes(10)
    (('keys', (1, 10, 16)), ('values', (1, 10, 16)))
    """

    inputs: tuple[str, ...] = field(default=())
    outputs: tuple[Step, ...] = field(default=())
    num_heads: int = 1
    head_dim: int = 1
    num_key_value_heads: int | None = None
    kv_cache: bool = False
    sliding_window: int | None = None

    def __init__(
        self,
        modules: Mapping[str, Layer],
        inputs: Iterable[str],
        outputs: Iterable[Step],
        *,
        num_heads: int,
        head_dim: int,
        num_key_value_heads: int | None = None,
        kv_cache: bool = False,
        sliding_window: int | None = None,
    ) -> None:
        kind = type(self).__name__
        _check.positive(kind, "num_heads", num_heads)
        _check.positive(kind, "head_dim", head_dim)
        if num_key_value_heads is not None:
            _check.positive(kind, "num_key_value_heads", num_key_value_heads)
        _check.boolean(kind, "kv_cache", kv_cache)
        if sliding_window is not None:
            _check.integer(kind, "sliding_window", sliding_window, minimum=2)
        projections = tuple(inputs)
        after = tuple(outputs)
        super().__init__(modules, [*projections, *after])
        object.__setattr__(self, "inputs", projections)
        object.__setattr__(self, "outputs", after)
        object.__setattr__(self, "num_heads", num_heads)
        object.__setattr__(self, "head_dim", head_dim)
        object.__setattr__(self, "num_key_value_heads", num_key_value_heads)
        object.__setattr__(self, "kv_cache", kv_cache)
        object.__setattr__(self, "sliding_window", sliding_window)

    def cache_shapes(self, tokens: int, encoder_tokens: int = 0) -> tuple[tuple[str, Shape], ...]:
        if not self.kv_cache:
            return ()
        heads = self.num_heads if self.num_key_value_heads is None else self.num_key_value_heads
        if self.sliding_window is not None:
            tokens = min(tokens, self.sliding_window - 1)
        shape = (heads, tokens, self.head_dim)
        return (("keys", shape), ("values", shape))

    def forward_shapes(self, visit: Visit, shape: Shape | None) -> Shape | None:
        projected = [visit(name, self.module(name), shape) for name in self.inputs]
        query = projected[0]
        width = self.num_heads * self.head_dim
        if query is not None:
            if any(out is not None and out[:-1] != query[:-1] for out in projected):
                raise ShapeError(f"projects the query to {query} but keys or values differ")
            if len(projected) == 1:  # packed q|k|v: the query is the first slice
                query = (*query[:-1], width)
        out = visit(
            "scaled_dot_product_attention()",
            ScaledDotProductAttention(self.num_heads, self.head_dim),
            query,
        )
        for step in self.outputs:
            out = self._step(visit, step, out)
        return out


@dataclass(frozen=True, init=False, repr=False, eq=False)
class GatedMLP(Net):
    """``down(act(gate(x)) · up(x))``: the SwiGLU feed-forward of Llama, Mistral and Qwen2."""

    def forward_shapes(self, visit: Visit, shape: Shape | None) -> Shape | None:
        gate = visit("gate_proj", self.module("gate_proj"), shape)
        up = visit("up_proj", self.module("up_proj"), shape)
        gate = visit("act_fn", self.module("act_fn"), gate)
        if gate is not None and up is not None and gate != up:
            raise ShapeError(f"multiplies the gate {gate} by the up projection {up}")
        return visit("down_proj", self.module("down_proj"), gate)


@dataclass(frozen=True, repr=False, eq=False)
class LogitSoftcap(Layer):
    """``tanh(logits / cap) · cap``: Gemma 2/3's ``final_logit_softcapping``, no tensor.

    ``transformers`` applies it after ``lm_head`` when the config's value is
    not null: three element-wise operations a logit. A planner reads it from
    the network (it makes logits-sized temporaries).

    >>> LogitSoftcap(30.0).output_shape((7, 256)), LogitSoftcap(30.0).elementwise_flops((7, 256))
    ((7, 256), 5376)
    """

    cap: float = 30.0

    def count_elementwise(self, shape: Shape, output: Shape) -> int:
        return 3 * numel(output)


class FirstToken(Layer):
    """``hidden[:, 0]``: the first position of a sequence, ``(L, E) -> (E,)``.

    >>> FirstToken().output_shape((128, 768))
    (768,)
    """

    def keeps(self, shape: Shape, output: Shape) -> Keeps:
        """A view (``hidden[:, 0]``)."""
        return VIEW

    def infer_shape(self, shape: Shape) -> Shape:
        if len(shape) != 2:
            raise ShapeError(f"expects a (L, E) sequence but receives {shape}")
        return shape[1:]


@dataclass(frozen=True, repr=False, eq=False)
class Tokens(Layer):
    """``x.flatten(2).transpose(1, 2)`` plus ``extra`` tokens: ``(C, H, W) -> (HW+extra, C)``.

    ViT's patch tokens (``extra=1`` for the class token):

    >>> Tokens(1).output_shape((768, 14, 14))
    (197, 768)
    """

    def keeps(self, shape: Shape, output: Shape) -> Keeps:
        """A new tensor (``torch.cat`` with the class token); cat's backward reads none."""
        return NOTHING

    extra: int = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        _check.non_negative("Tokens", "extra", self.extra)

    def infer_shape(self, shape: Shape) -> Shape:
        if len(shape) != 3:
            raise ShapeError(f"expects a (C, H, W) feature map but receives {shape}")
        return (shape[1] * shape[2] + self.extra, shape[0])


@dataclass(frozen=True, repr=False, eq=False)
class Permute(Layer):
    """``torch.permute`` with torch's dims (0 = batch); mirrors ``torchvision.ops.Permute``.

    >>> Permute([0, 2, 3, 1]).output_shape((96, 56, 56))
    (56, 56, 96)
    """

    def keeps(self, shape: Shape, output: Shape) -> Keeps:
        """A view (``torch.permute``)."""
        return VIEW

    dims: tuple[int, ...] | list[int] = ()

    def __post_init__(self) -> None:
        super().__post_init__()
        dims = tuple(self.dims)
        for dim in dims:
            _check.integer("Permute", "dims", dim)
        if sorted(dims) != list(range(len(dims))) or (dims and dims[0] != 0):
            raise ConfigError(
                "Permute: `dims` must be a permutation of 0..n-1 keeping the batch dim 0 first. "
                f"Received: dims={list(dims)}."
            )
        object.__setattr__(self, "dims", dims)

    def infer_shape(self, shape: Shape) -> Shape:
        if len(shape) + 1 != len(self.dims):
            raise ShapeError(
                f"permutes {len(self.dims)} dims but receives a per-sample input of rank "
                f"{len(shape)}: {shape}"
            )
        full = (1, *shape)
        return tuple(full[dim] for dim in self.dims[1:])


def check_choice(model: str, name: str, value: object, options: Sequence[object]) -> None:
    """Raise :class:`ConfigError` unless ``value`` is one of ``options``."""
    if value not in options:
        listed = ", ".join(repr(option) for option in options)
        raise ConfigError(f"{model}: `{name}` must be one of {listed}. Received: {name}={value!r}.")


@dataclass(frozen=True, init=False, repr=False, eq=False)
class SummedEmbeddings(Net):
    """Token, position (and token-type) embeddings of the same ids, added up, then the rest.

    ``embeddings`` name the tables looked up with the input's ids (shape
    ``(L,)``); ``positions`` those indexed by position, whose size bounds ``L``.
    """

    embeddings: tuple[str, ...] = field(default=())
    positions: tuple[str, ...] = field(default=())

    def __init__(
        self,
        modules: Mapping[str, Layer],
        embeddings: Iterable[str],
        positions: Iterable[str] = (),
    ) -> None:
        tables = tuple(embeddings)
        super().__init__(modules, [name for name in modules if name not in tables])
        object.__setattr__(self, "embeddings", tables)
        object.__setattr__(self, "positions", tuple(positions))

    def forward_shapes(self, visit: Visit, shape: Shape | None) -> Shape | None:
        out: Shape | None = None
        for name in self.embeddings:
            table = self.module(name)
            if name in self.positions and shape is not None:
                limit = getattr(table, "num_embeddings", None)
                if isinstance(limit, int) and shape[0] > limit:
                    raise ShapeError(
                        f"has {limit} positions in `{name}` but receives a sequence of {shape[0]}",
                        received=shape[0],
                    )
            given = visit(name, table, shape)
            if out is not None and given is not None and given != out:
                raise ShapeError(f"adds embeddings of shapes {out} and {given}")
            out = given
        for step in self.steps:
            out = self._step(visit, step, out)
        return out
