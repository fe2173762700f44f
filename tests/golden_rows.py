"""The shared check behind the per-family golden tables (rows taken from torch 2.13)."""

from __future__ import annotations

from typing import Any

import paramcalc as pc

Shape = tuple[int, ...]
Tensors = list[tuple[str, Shape]]

GoldenRow = tuple[str, tuple[Any, ...], dict[str, Any], Shape, Tensors, Tensors, Shape, int]
"""layer, positional args, keyword args, per-sample input shape -> named parameter
shapes, named buffer shapes, per-sample output shape, MACs (torch 2.13, batch of one)."""


def row_id(row: GoldenRow) -> str:
    """A readable pytest id: the layer and its arguments."""
    return f"{row[0]}{row[1]}{row[2] or ''}"


def check_golden(row: GoldenRow) -> None:
    """Parameters, buffers, output shape and MACs equal torch's; derived counts agree."""
    name, args, kwargs, shape, params, buffers, out, macs = row
    layer = getattr(pc, name)(*args, **kwargs)
    assert list(layer.named_parameters()) == params
    assert list(layer.named_buffers()) == buffers
    assert layer.output_shape(shape) == out
    assert layer.macs(shape) == macs
    assert layer.explain().value == layer.params()
    assert layer.freeze().unfreeze() == layer  # re-validating a stored config keeps it
    assert hash(layer) == hash(getattr(pc, name)(*args, **kwargs))
