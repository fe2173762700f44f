"""Torch dimension indices on per-sample shapes.

Layers such as ``Softmax(dim)``, ``GLU(dim)`` and ``Unflatten(dim, …)`` take
torch's dims, which count the batch as dim 0. A per-sample shape leaves the
batch out, so torch's rank is ``len(shape) + 1`` and torch's dim ``d ≥ 1`` is
per-sample dim ``d - 1``.

>>> torch_dim(-1, (16, 5, 5))
3
>>> torch_dim(4, (16, 5, 5))
Traceback (most recent call last):
...
paramcalc.errors.ShapeError: has dim=4, out of range [-4, 3] for a per-sample input of rank 3 ...
"""

from __future__ import annotations

from paramcalc.errors import ShapeError
from paramcalc.shapes import Shape


def torch_dim(dim: int, shape: Shape) -> int:
    """Torch's non-negative dim for ``dim`` on a batch of ``shape`` (0 is the batch)."""
    rank = len(shape) + 1
    if not -rank <= dim < rank:
        raise ShapeError(
            f"has dim={dim}, out of range [{-rank}, {rank - 1}] for a per-sample input of "
            f"rank {len(shape)} (torch's rank {rank}, counting the batch): {shape}"
        )
    return dim + rank if dim < 0 else dim


def sample_dim(dim: int, shape: Shape, what: str) -> int:
    """Per-sample index of torch's ``dim``; ``ShapeError`` if it is the batch dimension."""
    resolved = torch_dim(dim, shape)
    if resolved == 0:
        raise ShapeError(
            f"has dim={dim}, which is the batch dimension for a per-sample input of "
            f"rank {len(shape)}: {shape}; {what} needs a per-sample dimension"
        )
    return resolved - 1


def drop_batch(batched: Shape, shape: Shape) -> Shape:
    """The per-sample part of torch's output ``batched`` for a batch of one ``shape``.

    Some ops take a tensor of lower rank as one unbatched sample, so on a
    batch of one per-sample input the batch plays a channel; when the op
    changes that dimension, the output has no per-sample reading.

    >>> drop_batch((1, 6, 4), (3, 8))
    (6, 4)
    """
    if batched[0] != 1:
        raise ShapeError(
            f"would change the batch dimension (1 → {batched[0]}) for a per-sample input "
            f"of rank {len(shape)}: {shape}; give the input its channel dimension"
        )
    return batched[1:]
