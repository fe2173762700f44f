"""Lookup tables: ``Embedding`` and ``EmbeddingBag``, as ``torch.nn.modules.sparse``.

A lookup is not a dot product, so embeddings count no MACs (see DESIGN.md).
Input shapes are shapes of index tensors:

>>> emb = Embedding(50257, 768)
>>> emb.params(), emb.output_shape((1024,))
(38597376, (1024, 768))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from paramcalc import _check
from paramcalc.errors import ConfigError, ShapeError
from paramcalc.layer import Layer
from paramcalc.shapes import Shape


def _padding_idx(layer: str, value: int | None, num_embeddings: int) -> int | None:
    """As torch: within ``[-num_embeddings, num_embeddings)``, negatives wrapped."""
    if value is None:
        return None
    _check.integer(layer, "padding_idx", value)
    if not -num_embeddings <= value < num_embeddings:
        raise ConfigError(
            f"{layer}: `padding_idx` must be within num_embeddings "
            f"(from {-num_embeddings} to {num_embeddings - 1}). "
            f"Received: padding_idx={value}, num_embeddings={num_embeddings}."
        )
    return value + num_embeddings if value < 0 else value


def _check_common(layer: Embedding | EmbeddingBag) -> None:
    name = type(layer).__name__
    _check.positive(name, "num_embeddings", layer.num_embeddings)
    _check.positive(name, "embedding_dim", layer.embedding_dim)
    if layer.max_norm is not None:
        _check.real(name, "max_norm", layer.max_norm)
    _check.real(name, "norm_type", layer.norm_type)
    _check.boolean(name, "scale_grad_by_freq", layer.scale_grad_by_freq)
    _check.boolean(name, "sparse", layer.sparse)
    padding = _padding_idx(name, layer.padding_idx, layer.num_embeddings)
    object.__setattr__(layer, "padding_idx", padding)


def _check_no_weight(layer: str, value: object) -> None:
    if value is not None:
        raise ConfigError(
            f"{layer}: `_weight` must be None; paramcalc holds no tensors. "
            f"Received: _weight={value!r}."
        )


@dataclass(frozen=True, repr=False, eq=False)
class Embedding(Layer):
    """A table of ``num_embeddings`` vectors; mirrors ``torch.nn.Embedding``.

    Parameters
    ----------
        weight: ``(num_embeddings, embedding_dim)``

    Any shape of indices maps to that shape plus ``embedding_dim``. A negative
    ``padding_idx`` is wrapped as torch does. torch's private ``_weight`` must
    be None (paramcalc holds no tensors); ``_freeze=True`` freezes the weight,
    as :meth:`freeze` does.

    >>> Embedding(10, 3, padding_idx=-1).padding_idx
    9
    >>> Embedding(10, 3).output_shape((4, 5))
    (4, 5, 3)

    """

    input_table: ClassVar[bool] = True

    num_embeddings: int
    embedding_dim: int
    padding_idx: int | None = None
    max_norm: float | None = None
    norm_type: float = 2.0
    scale_grad_by_freq: bool = False
    sparse: bool = False
    _weight: None = field(default=None, repr=False)
    _freeze: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_common(self)
        _check_no_weight("Embedding", self._weight)
        _check.boolean("Embedding", "_freeze", self._freeze)
        if self._freeze:  # torch's requires_grad=not _freeze; kept in `trainable` alone
            object.__setattr__(self, "trainable", False)
            object.__setattr__(self, "_freeze", False)

    def parameter_shapes(self) -> tuple[tuple[str, Shape], ...]:
        return (("weight", (self.num_embeddings, self.embedding_dim)),)

    def infer_shape(self, shape: Shape) -> Shape:
        return (*shape, self.embedding_dim)


MODES = ("sum", "mean", "max")


@dataclass(frozen=True, repr=False, eq=False)
class EmbeddingBag(Layer):
    """Sums, averages or maxes a bag of embeddings; mirrors ``torch.nn.EmbeddingBag``.

    Parameters
    ----------
        weight: ``(num_embeddings, embedding_dim)``

    A sample is a bag of ``L`` indices, per-sample shape ``(L,)`` (torch's 2-d
    input ``(B, L)``), and gives ``(embedding_dim,)``. ``_weight`` keeps its
    place in torch's positional order and must be None (paramcalc holds no
    tensors).

    >>> bag = EmbeddingBag(10, 3, mode="sum")
    >>> bag.params(), bag.output_shape((7,))
    (30, (3,))

    """

    num_embeddings: int
    embedding_dim: int
    max_norm: float | None = None
    norm_type: float = 2.0
    scale_grad_by_freq: bool = False
    mode: str = "mean"
    sparse: bool = False
    _weight: None = field(default=None, repr=False)
    include_last_offset: bool = False
    padding_idx: int | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_common(self)
        _check.one_of("EmbeddingBag", "mode", self.mode, MODES)
        _check_no_weight("EmbeddingBag", self._weight)
        _check.boolean("EmbeddingBag", "include_last_offset", self.include_last_offset)
        if self.mode == "max":
            for option in ("scale_grad_by_freq", "sparse"):
                if getattr(self, option):
                    raise ConfigError(
                        f"EmbeddingBag: mode='max' does not support `{option}`. "
                        f"Received: mode='max', {option}=True."
                    )

    def parameter_shapes(self) -> tuple[tuple[str, Shape], ...]:
        return (("weight", (self.num_embeddings, self.embedding_dim)),)

    def infer_shape(self, shape: Shape) -> Shape:
        if len(shape) != 1:
            raise ShapeError(
                f"expects a per-sample bag of indices of rank 1 (L,) "
                f"but receives rank {len(shape)}: {shape}"
            )
        return (self.embedding_dim,)

    def count_elementwise(self, shape: Shape, output: Shape) -> int:
        """``(L − 1)·D`` adds (sum) or comparisons (max); mean adds ``D`` divides.

        The same rule as pooling over a window of ``L``.
        """
        reduce = (shape[0] - 1) * self.embedding_dim
        return reduce + self.embedding_dim if self.mode == "mean" else reduce
