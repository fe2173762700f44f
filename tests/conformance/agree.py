"""Run one configuration through torch and paramcalc and require the same verdict.

torch may reject a configuration at construction or at the first forward;
paramcalc must then raise ``ConfigError`` at construction, or ``ShapeError``
from ``output_shape``. When torch accepts, the output shape (batch removed),
the named parameters and buffers must agree, and the MACs must be 0 — unless
torch's output no longer has a batch of one (an op that took the batch of a
lower-rank input for a channel and changed it): that output has no
per-sample reading, and paramcalc must raise ``ShapeError``.
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


def agree(
    torch: Any,
    name: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    shape: tuple[int, ...],
    tally: Counter[str] | None = None,
    extra: Callable[[Any], tuple[Any, ...]] = lambda x: (),
) -> str:
    """``"ok"``, ``"config"`` or ``"shape"``: how both sides took the configuration.

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
            with pytest.raises(Exception):  # noqa: B017, PT011 - any torch failure
                _forward(torch, theirs, shape, extra)
            verdict = "config"
        else:
            try:
                expected = _forward(torch, theirs, shape, extra)
            except Exception:
                with pytest.raises(ShapeError):
                    ours.output_shape(shape)
                verdict = "shape"
            else:
                if not expected or expected[0] != 1:
                    with pytest.raises(ShapeError, match="batch dimension"):
                        ours.output_shape(shape)
                    verdict = "batch"
                    if tally is not None:
                        tally[verdict] += 1
                    return verdict
                assert ours.output_shape(shape) == expected[1:], case
                assert list(ours.named_parameters()) == torch_parameters(theirs), case
                assert list(ours.named_buffers()) == torch_buffers(theirs), case
                assert ours.params() == sum(p.numel() for p in theirs.parameters()), case
                assert ours.macs(shape) == 0, case
                verdict = "ok"
    if tally is not None:
        tally[verdict] += 1
    return verdict
