r"""The transformer family, as ``torch.nn.modules.transformer``.

``TransformerEncoderLayer``, ``TransformerDecoderLayer``, ``TransformerEncoder``,
``TransformerDecoder`` and ``Transformer`` are composites with torch's child
names, so their parameter names are torch's (``self_attn.in_proj_weight``,
``linear1.weight``, ``norm1.weight``, ``layers.0.…``):

>>> from paramcalc import Transformer
>>> Transformer().params()  # torch.nn.Transformer()
44140544

**Shapes.** A layer's per-sample input is a sequence ``(L, E)`` (torch's
``(L, N, E)`` or, with ``batch_first``, ``(N, L, E)`` without the batch); the
output has the same shape. The decoder's second input, the memory ``(S, E)``,
is not part of the shape walk: its length ``S`` is the keyword-only
``memory_len`` of ``TransformerDecoderLayer`` (``None``, the default, means
``S = T``, the target's length). ``Transformer``'s per-sample input is the
target ``(T, E)`` (its output has the target's shape); the source length is
its keyword-only ``src_len`` (``None`` means ``S = T``), which it passes to
the decoder layers it builds as their ``memory_len``.

**MACs** are those of the attention blocks (see
:class:`paramcalc.MultiheadAttention`) and the two feed-forward ``Linear``
layers; norms, dropout, activations and residual adds are not MACs. They
equal ``FlopCounterMode`` / 2 on torch's modules on the standard path: in
``train()`` mode, and under ``sdpa_kernel(SDPBackend.MATH)``, because these
layers call attention with ``need_weights=False`` and the counter does not see
the fused CPU attention kernel (it would miss Q·Kᵀ and A·V). In ``eval()``
mode with ``batch_first`` and no grad torch takes its fused fast path
(``_transformer_encoder_layer_fwd``), which the counter does not count.

>>> from paramcalc import TransformerEncoderLayer
>>> TransformerEncoderLayer(512, 8).macs((10, 512))  # attention + 2·10·512·2048
31559680
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import cast

from paramcalc import _check
from paramcalc.containers import ModuleList
from paramcalc.errors import ConfigError, ConfigTypeError
from paramcalc.layer import Composite, Layer, Visit
from paramcalc.layers.attention import MultiheadAttention, check_length, check_probability
from paramcalc.layers.linear import Linear
from paramcalc.layers.norm import LayerNorm
from paramcalc.layers.reshape import Dropout
from paramcalc.nesting import check_nesting
from paramcalc.shapes import Shape

ACTIVATIONS = ("relu", "gelu")

Children = tuple[tuple[str, Layer], ...]


def _check_layer_args(layer: str, args: _TransformerLayer | Transformer) -> None:
    """The arguments a transformer layer passes to MultiheadAttention, Linear, LayerNorm."""
    d_model, nhead, dropout, activation = args.d_model, args.nhead, args.dropout, args.activation
    width = _check.positive(layer, "d_model", d_model)
    heads = _check.positive(layer, "nhead", nhead)
    if width % heads:
        raise ConfigError(
            f"{layer}: `d_model` must be divisible by `nhead`. "
            f"Received: d_model={d_model}, nhead={nhead}."
        )
    _check.positive(layer, "dim_feedforward", args.dim_feedforward)
    check_probability(layer, "dropout", dropout)
    if isinstance(activation, str):
        if activation not in ACTIVATIONS:
            raise ConfigError(
                f"{layer}: `activation` must be 'relu', 'gelu' or a layer. "
                f"Received: activation={activation!r}."
            )
    elif not isinstance(activation, Layer):
        raise ConfigTypeError(
            f"{layer}: `activation` must be 'relu', 'gelu' or a layer. "
            f"Received: activation={activation!r} ({type(activation).__name__})."
        )
    _check.real(layer, "layer_norm_eps", args.layer_norm_eps)
    _check.boolean(layer, "bias", args.bias)


def _check_child(layer: str, name: str, value: object, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if isinstance(value, Layer):
        check_nesting(layer, value)
        return
    raise ConfigTypeError(
        f"{layer}: `{name}` must be a paramcalc layer. "
        f"Received: {name}={value!r} ({type(value).__name__})."
    )


def clone(layer: Layer, memo: dict[int, Layer] | None = None) -> Layer:
    """A copy of ``layer`` with new objects throughout, as torch's ``copy.deepcopy``.

    Layers shared inside ``layer`` stay shared inside the copy; nothing is
    shared with the original, so the copy's parameters count on their own.

    >>> block = TransformerEncoderLayer(8, 2, 16)
    >>> copy_ = clone(block)
    >>> copy_ == block, copy_ is block, copy_.self_attn is block.self_attn
    (True, False, False)
    """
    memo = {} if memo is None else memo
    key = id(layer)
    if key not in memo:
        if isinstance(layer, Composite):
            copied = layer.rebuild([clone(child, memo) for _, child in layer.children()])
            if isinstance(copied, TransformerDecoderLayer) and isinstance(copied.activation, Layer):
                # torch's TransformerDecoderLayer.__setstate__ finds no "activation" in the
                # copied __dict__ (a module lives in _modules) and sets F.relu over it
                object.__setattr__(copied, "relu_replaces_activation", True)
            memo[key] = copied
        else:
            memo[key] = copy.copy(layer)
    return memo[key]


class _Block(Composite):
    """A composite whose children are built from its arguments, as in torch's ``__init__``.

    Children are kept in torch's registration order (which fixes the order of
    the parameter names); :meth:`forward_shapes` runs them in forward order.
    """

    _children: Children

    def children(self) -> Iterator[tuple[str, Layer]]:
        return iter(self._children)

    def __getattr__(self, name: str) -> Layer:
        """Children by torch's attribute names: ``layer.linear1``, ``layer.norm2``, ….

        (``dropout`` is the argument, a probability, as in the constructor.)

        >>> TransformerEncoderLayer(512, 8).linear1
        Linear(512, 2048)
        """
        if not name.startswith("_"):  # copy and pickle probe private names first
            children: Children = self.__dict__.get("_children", ())
            for key, layer in children:
                if key == name:
                    return layer
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _child(self, name: str) -> Layer:
        for key, layer in self._children:
            if key == name:
                return layer
        raise AttributeError(name)

    def _run(self, visit: Visit, names: tuple[str, ...], shape: Shape | None) -> Shape | None:
        for name in names:
            if name.startswith("skipped "):  # registered but not run: a row, no shape
                name = name.removeprefix("skipped ")
                visit(name, self._child(name), None)
            else:
                shape = visit(name, self._child(name), shape)
        return shape

    def rebuild(self, children: list[Layer]) -> _Block:
        new = tuple(
            (name, child) for (name, _), child in zip(self._children, children, strict=True)
        )
        result = copy.copy(self)
        object.__setattr__(result, "_children", new)
        for name, child in new:
            if name in ("norm", "activation"):  # children that are arguments too
                object.__setattr__(result, name, child)
        result.__dict__.pop("_counts", None)
        result.__dict__.pop("_nesting", None)
        result.__dict__.pop("_nesting", None)
        return result


def _activation_names(layer: _Block) -> tuple[str, ...]:
    return ("activation",) if any(name == "activation" for name, _ in layer._children) else ()


@dataclass(frozen=True, repr=False, eq=False)
class _TransformerLayer(_Block):
    """The arguments and sub-layers the encoder and decoder layers share."""

    d_model: int
    nhead: int
    dim_feedforward: int = 2048
    dropout: float = 0.1
    activation: str | Layer = "relu"
    layer_norm_eps: float = 1e-5
    batch_first: bool = False
    norm_first: bool = False
    bias: bool = True

    def _check_args(self, name: str) -> None:
        _check_layer_args(name, self)
        _check.boolean(name, "batch_first", self.batch_first)
        _check.boolean(name, "norm_first", self.norm_first)

    def _assemble(self, attention: Children, norms: int) -> None:
        """Register torch's children: the attention blocks, the feed-forward, the norms.

        Then ``dropout1`` … one per norm, and ``activation`` when it is a layer.
        """
        d, p, eps, bias = self.d_model, self.dropout, self.layer_norm_eps, self.bias
        children: list[tuple[str, Layer]] = [
            *attention,
            ("linear1", Linear(d, self.dim_feedforward, bias=bias)),
            ("dropout", Dropout(p)),
            ("linear2", Linear(self.dim_feedforward, d, bias=bias)),
        ]
        children += [(f"norm{i}", LayerNorm(d, eps=eps, bias=bias)) for i in range(1, norms + 1)]
        children += [(f"dropout{i}", Dropout(p)) for i in range(1, norms + 1)]
        if isinstance(self.activation, Layer):
            children.append(("activation", self.activation))
        object.__setattr__(self, "_children", tuple(children))

    def _attention(self, key_len: int | None = None) -> MultiheadAttention:
        return MultiheadAttention(
            self.d_model,
            self.nhead,
            self.dropout,
            self.bias,
            batch_first=self.batch_first,
            key_len=key_len,
        )


@dataclass(frozen=True, repr=False, eq=False)
class TransformerEncoderLayer(_TransformerLayer):
    """Self-attention and a feed-forward block; mirrors ``torch.nn.TransformerEncoderLayer``.

    Children, in torch's order: ``self_attn`` (MultiheadAttention), ``linear1``
    ``(d_model → dim_feedforward)``, ``dropout``, ``linear2``, ``norm1``, ``norm2``
    (LayerNorm), ``dropout1``, ``dropout2``, and ``activation`` when it is a
    layer rather than ``'relu'``/``'gelu'``. The per-sample input is ``(L, d_model)``.

    >>> layer = TransformerEncoderLayer(512, 8)
    >>> layer.params(), [name for name, _ in layer.named_parameters()][:3]
    (3152384, ['self_attn.in_proj_weight', 'self_attn.in_proj_bias', 'self_attn.out_proj.weight'])
    """

    _children: Children = field(default=(), init=False, repr=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        self._check_args("TransformerEncoderLayer")
        self._assemble((("self_attn", self._attention()),), norms=2)

    @property
    def self_attn(self) -> MultiheadAttention:
        """The self-attention child."""
        return cast(MultiheadAttention, self._child("self_attn"))

    def forward_shapes(self, visit: Visit, shape: Shape | None) -> Shape | None:
        """Torch's ``forward``: ``norm_first`` moves the norms before each block."""
        feed_forward = ("linear1", *_activation_names(self), "dropout", "linear2", "dropout2")
        if self.norm_first:
            order = ("norm1", "self_attn", "dropout1", "norm2", *feed_forward)
        else:
            order = ("self_attn", "dropout1", "norm1", *feed_forward, "norm2")
        return self._run(visit, order, shape)


@dataclass(frozen=True, repr=False, eq=False)
class TransformerDecoderLayer(_TransformerLayer):
    """Self-attention, cross-attention and a feed-forward block.

    Mirrors ``torch.nn.TransformerDecoderLayer``. Children, in torch's order:
    ``self_attn``, ``multihead_attn`` (MultiheadAttention), ``linear1``,
    ``dropout``, ``linear2``, ``norm1``, ``norm2``, ``norm3``, ``dropout1``,
    ``dropout2``, ``dropout3``, and ``activation`` when it is a layer.

    The per-sample input is the target ``(T, d_model)``. ``memory_len``
    (keyword-only, not a torch argument) is the memory's length ``S`` for the
    cross-attention MACs; ``None`` means ``S = T``.

    A torch quirk, mirrored: a copy of a decoder layer whose ``activation`` is
    a module (the copies ``TransformerDecoder`` makes) runs ``F.relu`` instead
    of it, because ``TransformerDecoderLayer.__setstate__`` sets
    ``activation = F.relu`` when the copied ``__dict__`` lacks it. The module
    stays registered (its parameters count) but does not run: such copies
    have ``relu_replaces_activation`` set, and their walk shows the
    activation's row without an output shape or MACs.

    >>> layer = TransformerDecoderLayer(512, 8, memory_len=20)
    >>> layer.params(), layer.output_shape((10, 512))
    (4204032, (10, 512))
    """

    memory_len: int | None = field(default=None, kw_only=True)
    relu_replaces_activation: bool = field(default=False, init=False, repr=False)
    _children: Children = field(default=(), init=False, repr=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        name = "TransformerDecoderLayer"
        self._check_args(name)
        check_length(name, "memory_len", self.memory_len)
        attention = (
            ("self_attn", self._attention()),
            ("multihead_attn", self._attention(self.memory_len)),
        )
        self._assemble(attention, norms=3)

    def forward_shapes(self, visit: Visit, shape: Shape | None) -> Shape | None:
        """Torch's ``forward``: self-attention, cross-attention on the memory, feed-forward."""
        activation = _activation_names(self)
        if self.relu_replaces_activation:
            activation = ("skipped activation",)
        feed_forward = ("linear1", *activation, "dropout", "linear2", "dropout3")
        if self.norm_first:
            order = (
                "norm1", "self_attn", "dropout1",
                "norm2", "multihead_attn", "dropout2",
                "norm3", *feed_forward,
            )  # fmt: skip
        else:
            order = (
                "self_attn", "dropout1", "norm1",
                "multihead_attn", "dropout2", "norm2",
                *feed_forward, "norm3",
            )  # fmt: skip
        return self._run(visit, order, shape)


class _Stack(_Block):
    """``num_layers`` deep copies of a layer (torch's ``_get_clones``), then ``norm``."""

    num_layers: int
    norm: Layer | None

    def _check_stack(self, name: str, argument: str, layer: Layer) -> None:
        _check_child(name, argument, layer)
        # torch builds an empty stack for 0 and fails at the first forward (layers[0])
        _check.layer_count(name, "num_layers", self.num_layers)
        _check_child(name, "norm", self.norm, optional=True)

    def _stack(self, layer: Layer) -> None:
        layers: Children = (("layers", ModuleList(clone(layer) for _ in range(self.num_layers))),)
        norm: Children = () if self.norm is None else (("norm", self.norm),)
        object.__setattr__(self, "_children", layers + norm)

    @property
    def layers(self) -> ModuleList:
        """The ``num_layers`` copies of the layer."""
        return cast(ModuleList, self._child("layers"))


@dataclass(frozen=True, repr=False, eq=False)
class TransformerEncoder(_Stack):
    """``num_layers`` copies of ``encoder_layer``, then ``norm``.

    Mirrors ``torch.nn.TransformerEncoder``.
    As torch does, the layer is copied ``num_layers`` times (each copy has its
    own parameters: ``layers.0.…`` to ``layers.{n-1}.…``); ``norm`` is used as
    given. The per-sample input is ``(L, d_model)``.

    >>> encoder = TransformerEncoder(TransformerEncoderLayer(512, 8), 6)
    >>> encoder.params(), len(encoder.layers)
    (18914304, 6)
    """

    encoder_layer: Layer
    num_layers: int
    norm: Layer | None = None
    enable_nested_tensor: bool = True
    mask_check: bool = True
    _children: Children = field(default=(), init=False, repr=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        name = "TransformerEncoder"
        self._check_stack(name, "encoder_layer", self.encoder_layer)
        _check.boolean(name, "enable_nested_tensor", self.enable_nested_tensor)
        _check.boolean(name, "mask_check", self.mask_check)
        self._stack(self.encoder_layer)


@dataclass(frozen=True, repr=False, eq=False)
class TransformerDecoder(_Stack):
    """``num_layers`` copies of ``decoder_layer``, then ``norm``.

    Mirrors ``torch.nn.TransformerDecoder``.
    The per-sample input is the target ``(T, d_model)``; the memory length is
    the decoder layer's ``memory_len``.

    >>> decoder = TransformerDecoder(TransformerDecoderLayer(512, 8), 6)
    >>> decoder.params(), [name for name, _ in decoder.named_parameters()][-1]
    (25224192, 'layers.5.norm3.bias')
    """

    decoder_layer: Layer
    num_layers: int
    norm: Layer | None = None
    _children: Children = field(default=(), init=False, repr=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        self._check_stack("TransformerDecoder", "decoder_layer", self.decoder_layer)
        self._stack(self.decoder_layer)


@dataclass(frozen=True, repr=False, eq=False)
class Transformer(_Block):
    """An encoder-decoder transformer; mirrors ``torch.nn.Transformer``.

    Children: ``encoder`` (a ``TransformerEncoder`` of ``num_encoder_layers``
    layers and a final LayerNorm, or ``custom_encoder``) and ``decoder``
    (likewise). The per-sample input is the target ``(T, d_model)``; the
    source's length is ``src_len`` (keyword-only, not a torch argument;
    ``None`` means ``S = T``), passed to the decoder layers built here as
    their ``memory_len`` (give a ``custom_decoder``'s layers their own).

    >>> model = Transformer()
    >>> model.params(), model.output_shape((10, 512))
    (44140544, (10, 512))
    """

    d_model: int = 512
    nhead: int = 8
    num_encoder_layers: int = 6
    num_decoder_layers: int = 6
    dim_feedforward: int = 2048
    dropout: float = 0.1
    activation: str | Layer = "relu"
    custom_encoder: Layer | None = None
    custom_decoder: Layer | None = None
    layer_norm_eps: float = 1e-5
    batch_first: bool = False
    norm_first: bool = False
    bias: bool = True
    src_len: int | None = field(default=None, kw_only=True)
    _children: Children = field(default=(), init=False, repr=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        name = "Transformer"
        _check_child(name, "custom_encoder", self.custom_encoder, optional=True)
        _check_child(name, "custom_decoder", self.custom_decoder, optional=True)
        _check.boolean(name, "batch_first", self.batch_first)
        _check.boolean(name, "norm_first", self.norm_first)
        check_length(name, "src_len", self.src_len)
        if self.custom_encoder is None or self.custom_decoder is None:
            _check_layer_args(name, self)
        args = (
            self.d_model,
            self.nhead,
            self.dim_feedforward,
            self.dropout,
            self.activation,
            self.layer_norm_eps,
            self.batch_first,
            self.norm_first,
            self.bias,
        )
        encoder = self.custom_encoder
        if encoder is None:
            _check.layer_count(name, "num_encoder_layers", self.num_encoder_layers)
            encoder = TransformerEncoder(
                TransformerEncoderLayer(*args),
                self.num_encoder_layers,
                LayerNorm(self.d_model, eps=self.layer_norm_eps, bias=self.bias),
            )
        decoder = self.custom_decoder
        if decoder is None:
            _check.layer_count(name, "num_decoder_layers", self.num_decoder_layers)
            decoder = TransformerDecoder(
                TransformerDecoderLayer(*args, memory_len=self.src_len),
                self.num_decoder_layers,
                LayerNorm(self.d_model, eps=self.layer_norm_eps, bias=self.bias),
            )
        object.__setattr__(self, "_children", (("encoder", encoder), ("decoder", decoder)))

    @property
    def encoder(self) -> Layer:
        """The encoder (``custom_encoder`` if given)."""
        return self._child("encoder")

    @property
    def decoder(self) -> Layer:
        """The decoder (``custom_decoder`` if given)."""
        return self._child("decoder")

    def forward_shapes(self, visit: Visit, shape: Shape | None) -> Shape | None:
        """The encoder runs on the source ``(S, E)``, the decoder on the target ``(T, E)``."""
        source = shape
        if shape and self.src_len is not None:
            source = (self.src_len, *shape[1:])
        visit("encoder", self.encoder, source)
        return visit("decoder", self.decoder, shape)
