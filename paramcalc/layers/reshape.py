"""Layers that only move elements around or drop some: ``Flatten``, ``Dropout``."""

from __future__ import annotations

from dataclasses import dataclass

from paramcalc import _check
from paramcalc.errors import ConfigError, ShapeError
from paramcalc.layer import Layer
from paramcalc.shapes import Shape, numel

__all__ = ["Dropout", "Flatten"]


@dataclass(frozen=True, repr=False)
class Flatten(Layer):
    """Flattens dimensions ``start_dim..end_dim``; mirrors ``torch.nn.Flatten``.

    The dims are torch's, counting the batch as dim 0, so the default
    ``start_dim=1`` flattens a whole sample:

    >>> Flatten().output_shape((16, 5, 5))
    (400,)
    >>> Flatten(2).output_shape((16, 5, 5))
    (16, 25)
    """

    start_dim: int = 1
    end_dim: int = -1

    def __post_init__(self) -> None:
        super().__post_init__()
        _check.integer("Flatten", "start_dim", self.start_dim)
        _check.integer("Flatten", "end_dim", self.end_dim)
        if self.start_dim == 0 or self.end_dim == 0:
            raise ConfigError(
                "Flatten: dim 0 is the batch dimension, which per-sample shapes leave out; "
                "use start_dim >= 1. "
                f"Received: start_dim={self.start_dim}, end_dim={self.end_dim}."
            )

    def infer_shape(self, shape: Shape) -> Shape:
        rank = len(shape) + 1  # torch's rank, with the batch dimension
        start = self.start_dim + rank if self.start_dim < 0 else self.start_dim
        end = self.end_dim + rank if self.end_dim < 0 else self.end_dim
        if not 1 <= start < rank or not 1 <= end < rank:
            raise ShapeError(
                f"has start_dim={self.start_dim}, end_dim={self.end_dim}, out of range for "
                f"a per-sample input of rank {len(shape)}: {shape}"
            )
        if start > end:
            raise ShapeError(
                f"has start_dim={self.start_dim} after end_dim={self.end_dim} "
                f"for input shape {shape}"
            )
        return (*shape[: start - 1], numel(shape[start - 1 : end]), *shape[end:])


@dataclass(frozen=True, repr=False)
class Dropout(Layer):
    """Zeroes elements with probability ``p`` in training; mirrors ``torch.nn.Dropout``.

    >>> Dropout(0.5).output_shape((120,))
    (120,)
    """

    p: float = 0.5
    inplace: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        _check.real("Dropout", "p", self.p)
        if not 0 <= self.p <= 1:
            raise ConfigError(f"Dropout: `p` must be between 0 and 1. Received: p={self.p!r}.")
        _check.boolean("Dropout", "inplace", self.inplace)
