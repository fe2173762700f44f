r"""``MultiheadAttention``, as ``torch.nn.MultiheadAttention``.

>>> mha = MultiheadAttention(512, 8)
>>> list(mha.named_parameters())
[('in_proj_weight', (1536, 512)), ('in_proj_bias', (1536,)),
 ('out_proj.weight', (512, 512)), ('out_proj.bias', (512,))]
>>> mha.params(), mha.output_shape((10, 512))
(1050624, (10, 512))

**Shapes.** The per-sample input is the query ``(L, E)``; the output is
``(L, E)``. Key and value are ``(S, kdim)`` and ``(S, vdim)``; their length
``S`` is the keyword-only ``key_len`` (``None``, the default, means
``S = L``: self-attention ``m(x, x, x)``). :meth:`MultiheadAttention.macs_for`
gives the MACs for any ``L`` and ``S`` directly.

**MACs** of one sample, with ``S' = S + add_bias_kv + add_zero_attn`` key
positions (each flag appends one position after the projections):

    q, k, v projections   L·E·E + S·kdim·E + S·vdim·E
    Q·Kᵀ (all heads)      L·S'·E
    softmax(·)·V          L·S'·E
    out_proj              L·E·E

Bias adds, scaling, softmax and dropout are not MACs. This equals
``FlopCounterMode`` / 2 on torch's module called as ``m(q, k, v)`` on the
standard path, which is what it takes with the default ``need_weights=True``
(batched ``addmm`` projections and two ``bmm``). Two cases hide work from the
counter on CPU: with ``need_weights=False`` torch calls
``scaled_dot_product_attention``, whose fused CPU kernel the counter does not
know (Q·Kᵀ and A·V vanish from its total) — under
``torch.nn.attention.sdpa_kernel(SDPBackend.MATH)`` it counts them and agrees
again; and the inference fast path (``eval()``, ``batch_first``, no grad, …)
runs ``_native_multi_head_attention``, which it does not count at all.

>>> mha.macs((10, 512))  # 10·512·(3·512 + 512) + 2·10·10·512
10588160
"""

from __future__ import annotations

from dataclasses import dataclass, field

from paramcalc import _check
from paramcalc.errors import ConfigError, ShapeError
from paramcalc.formula import Expr, Formula, num, product, total
from paramcalc.layer import Layer
from paramcalc.lifetime import Keeps
from paramcalc.shapes import Shape, numel


def check_probability(layer: str, name: str, value: object) -> float:
    """A number in ``[0, 1]`` (what ``F.dropout`` accepts)."""
    number = _check.real(layer, name, value)
    if not 0 <= number <= 1:
        raise ConfigError(
            f"{layer}: `{name}` must be a probability between 0 and 1. Received: {name}={value!r}."
        )
    return number


def check_length(layer: str, name: str, value: object) -> None:
    """``None`` or a positive int (a sequence length given for shapes and MACs)."""
    if value is not None:
        _check.positive(layer, name, value)


@dataclass(frozen=True, repr=False, eq=False)
class MultiheadAttention(Layer):
    """Multi-head scaled dot-product attention; mirrors ``torch.nn.MultiheadAttention``.

    Parameters, in torch's order: ``in_proj_weight`` ``(3E, E)`` if
    ``kdim == vdim == E``, else ``q_proj_weight`` ``(E, E)``, ``k_proj_weight``
    ``(E, kdim)``, ``v_proj_weight`` ``(E, vdim)``; ``in_proj_bias`` ``(3E,)``
    if ``bias``; ``bias_k`` and ``bias_v`` ``(1, 1, E)`` if ``add_bias_kv``;
    ``out_proj.weight`` ``(E, E)`` and ``out_proj.bias`` ``(E,)`` if ``bias``.
    ``kdim`` and ``vdim`` default to ``embed_dim``, as in torch.

    ``key_len`` (keyword-only, not a torch argument) is the length ``S`` of key
    and value for :meth:`macs`; ``None`` means the query's length.

    >>> cross = MultiheadAttention(8, 2, kdim=3, vdim=4, add_bias_kv=True)
    >>> [name for name, _ in cross.named_parameters()]
    ['q_proj_weight', 'k_proj_weight', 'v_proj_weight', 'in_proj_bias', 'bias_k', 'bias_v',
     'out_proj.weight', 'out_proj.bias']
    >>> cross.macs_for(5, 7)  # 5·8·8 + 7·3·8 + 7·4·8 + 2·5·8·8 + 5·8·8
    1672
    """

    embed_dim: int
    num_heads: int
    dropout: float = 0.0
    bias: bool = True
    add_bias_kv: bool = False
    add_zero_attn: bool = False
    kdim: int | None = None
    vdim: int | None = None
    batch_first: bool = False
    key_len: int | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        super().__post_init__()
        name = "MultiheadAttention"
        _check.positive(name, "embed_dim", self.embed_dim)
        _check.positive(name, "num_heads", self.num_heads)
        for dim in ("kdim", "vdim"):
            value = getattr(self, dim)
            if value is None:
                object.__setattr__(self, dim, self.embed_dim)
            else:
                _check.positive(name, dim, value)
        if self.embed_dim % self.num_heads:
            raise ConfigError(
                f"{name}: `embed_dim` must be divisible by `num_heads`. "
                f"Received: embed_dim={self.embed_dim}, num_heads={self.num_heads}."
            )
        check_probability(name, "dropout", self.dropout)
        _check.boolean(name, "bias", self.bias)
        _check.boolean(name, "add_bias_kv", self.add_bias_kv)
        _check.boolean(name, "add_zero_attn", self.add_zero_attn)
        _check.boolean(name, "batch_first", self.batch_first)
        check_length(name, "key_len", self.key_len)

    @property
    def head_dim(self) -> int:
        """``embed_dim // num_heads``."""
        return self.embed_dim // self.num_heads

    @property
    def key_dim(self) -> int:
        """``kdim`` as an int (torch resolves ``None`` to ``embed_dim``)."""
        return self.embed_dim if self.kdim is None else self.kdim

    @property
    def value_dim(self) -> int:
        """``vdim`` as an int (torch resolves ``None`` to ``embed_dim``)."""
        return self.embed_dim if self.vdim is None else self.vdim

    def keeps(self, shape: Shape, output: Shape) -> Keeps:
        """Self-attention as ``F.multi_head_attention_forward`` runs it without weights.

        Kept: the input (the packed in-projection's), the contiguous ``q|k|v``
        (``_in_projection_packed``'s copy, which sdpa reads), sdpa's output and
        fp32 log-sum-exp per head and position, and the output's contiguous
        copy that ``out_proj`` reads; the projection before its copy is scratch.
        """
        length, width = numel(shape[:-1]), self.embed_dim
        like = (
            (3 * length * width, "like"),
            (length * width, "like"),
            (length * width, "like"),
            (self.num_heads * length, "fp32"),
        )
        return Keeps(saved=like, autocast="low", scratch=3 * length * width)

    def parameter_shapes(self) -> tuple[tuple[str, Shape], ...]:
        e = self.embed_dim
        shapes: list[tuple[str, Shape]]
        if self.key_dim == e and self.value_dim == e:
            shapes = [("in_proj_weight", (3 * e, e))]
        else:
            shapes = [
                ("q_proj_weight", (e, e)),
                ("k_proj_weight", (e, self.key_dim)),
                ("v_proj_weight", (e, self.value_dim)),
            ]
        if self.bias:
            shapes.append(("in_proj_bias", (3 * e,)))
        if self.add_bias_kv:
            shapes += [("bias_k", (1, 1, e)), ("bias_v", (1, 1, e))]
        shapes.append(("out_proj.weight", (e, e)))
        if self.bias:
            shapes.append(("out_proj.bias", (e,)))
        return tuple(shapes)

    def formula(self) -> Formula:
        """``E·(E + kdim + vdim + E) + 4·E`` (q, k, v, out weights; biases if ``bias``).

        ``add_bias_kv`` adds ``2·E``.

        >>> str(MultiheadAttention(512, 8).explain())
        '512·(512 + 512 + 512 + 512) + 4·512 = 1,050,624'
        """
        embed = num(self.embed_dim, "E")
        weights = product(
            embed, total(embed, num(self.key_dim, "kdim"), num(self.value_dim, "vdim"), embed)
        )
        terms: list[Expr] = [weights]
        if self.bias:
            terms.append(product(num(4), embed))
        if self.add_bias_kv:
            terms.append(product(num(2), embed))
        return Formula(total(*terms))

    def infer_shape(self, shape: Shape) -> Shape:
        if len(shape) != 2:
            raise ShapeError(
                f"expects a per-sample query (L, E), a sequence of L steps, "
                f"but receives shape {shape}"
            )
        if shape[-1] != self.embed_dim:
            raise ShapeError(
                f"expects {self.embed_dim} input features but receives {shape[-1]}",
                received=shape[-1],
            )
        return shape

    def macs_for(self, query_len: int, key_len: int | None = None) -> int:
        """MACs of one sample for a query of ``query_len`` and key/value of ``key_len``.

        ``key_len`` defaults to ``query_len`` (self-attention).

        >>> MultiheadAttention(8, 2).macs_for(5)  # 5·8·(3·8 + 8) + 2·5·5·8
        1680
        """
        _check.positive("MultiheadAttention", "query_len", query_len)
        check_length("MultiheadAttention", "key_len", key_len)
        e, length = self.embed_dim, query_len
        source = length if key_len is None else key_len
        keys = source + self.add_bias_kv + self.add_zero_attn
        projections = length * e * e + source * (self.key_dim + self.value_dim) * e
        attention = 2 * length * keys * e  # Q·Kᵀ and A·V over all heads
        return projections + attention + length * e * e

    def count_macs(self, shape: Shape, output: Shape) -> int:
        return self.macs_for(shape[0], self.key_len)

    def count_elementwise(self, shape: Shape, output: Shape) -> int:
        """Bias adds of the four projections, the query's 1/√d scale, softmax 5 per score.

        >>> MultiheadAttention(8, 2).elementwise_flops((5, 8))  # 4·5·8 + 5·8 + 5·2·5·5
        450
        """
        e, length = self.embed_dim, shape[0]
        source = length if self.key_len is None else self.key_len
        keys = source + self.add_bias_kv + self.add_zero_attn
        biases = (2 * length + 2 * source) * e if self.bias else 0
        return biases + length * e + 5 * self.num_heads * length * keys

    def __repr__(self) -> str:
        parts = [repr(self.embed_dim), repr(self.num_heads)]
        defaults = (
            ("dropout", 0.0),
            ("bias", True),
            ("add_bias_kv", False),
            ("add_zero_attn", False),
            ("kdim", self.embed_dim),
            ("vdim", self.embed_dim),
            ("batch_first", False),
            ("key_len", None),
            ("trainable", True),
        )
        for name, default in defaults:
            value = getattr(self, name)
            if value != default:
                parts.append(f"{name}={value!r}")
        return f"MultiheadAttention({', '.join(parts)})"
