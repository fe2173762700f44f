"""Run one configuration through torch and paramcalc and require the same verdict.

torch may reject a configuration at construction or at the first forward;
paramcalc must then raise ``ConfigError`` at construction, or ``ShapeError``
from ``output_shape``. When torch accepts, the output shape (batch removed),
the named parameters and buffers must agree, and the MACs must be 0 — unless
torch's output is empty (per-sample sizes are at least 1: paramcalc raises
``ShapeError``, or ``ConfigError`` when the configuration always gives it), or
no longer has a batch of one (an op that took the batch of a lower-rank input
for a channel and changed it): that output has no per-sample reading, and
paramcalc must raise ``ShapeError``.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

import paramcalc as pc
from paramcalc import ConfigError, ShapeError

from .compare import torch_buffers, torch_parameters


def _forward(
    torch: Any, module: Any, shape: tuple[int, ...], extra: Callable[[Any], tuple[Any, ...]]
) -> tuple[int, ...]:
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x = torch.zeros((1, *shape))
        out = module(x, *extra(x))
    if isinstance(out, tuple):  # return_indices=True
        out = out[0]
    return tuple(out.shape)


def _outcome(
    torch: Any, module: Any, shape: tuple[int, ...], extra: Callable[[Any], tuple[Any, ...]]
) -> tuple[int, ...] | None:
    """torch's output shape on a batch of one, or None when the forward raises."""
    try:
        return _forward(torch, module, shape, extra)
    except Exception:  # whatever torch raises
        return None


def agree(
    torch: Any,
    name: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    shape: tuple[int, ...],
    tally: Counter[str] | None = None,
    extra: Callable[[Any], tuple[Any, ...]] = lambda x: (),
) -> str:
    """``"ok"``, ``"config"``, ``"shape"``, ``"empty"`` or ``"batch"``: the verdict.

    ``extra(x)`` gives torch's further forward arguments (``MaxUnpool``'s indices).
    """
    case = (name, args, kwargs, shape)
    ours_type = getattr(pc, name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = getattr(torch.nn, name)(*args, **kwargs)
    except Exception:  # torch rejects at construction, with whatever it raises
        with pytest.raises(ConfigError):
            ours_type(*args, **kwargs)
        verdict = "config"
    else:
        try:
            ours = ours_type(*args, **kwargs)
        except ConfigError:
            out = _outcome(torch, theirs, shape, extra)
            assert out is None or 0 in out, case  # torch fails, or gives an empty tensor
            verdict = "config"
        else:
            out = _outcome(torch, theirs, shape, extra)
            if out is None or 0 in out:
                with pytest.raises(ShapeError):
                    ours.output_shape(shape)
                verdict = "shape" if out is None else "empty"
            elif not out or out[0] != 1:
                with pytest.raises(ShapeError, match="batch dimension"):
                    ours.output_shape(shape)
                verdict = "batch"
            else:
                assert ours.output_shape(shape) == out[1:], case
                assert list(ours.named_parameters()) == torch_parameters(theirs), case
                assert list(ours.named_buffers()) == torch_buffers(theirs), case
                assert ours.params() == sum(p.numel() for p in theirs.parameters()), case
                assert ours.macs(shape) == 0, case
                verdict = "ok"
    if tally is not None:
        tally[verdict] += 1
    return verdict
