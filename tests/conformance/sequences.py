"""Helpers for the sequence-layer conformance tests: batch layouts and counted calls."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import paramcalc as pc

from .compare import torch_buffers, torch_parameters


@contextmanager
def quiet() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # enable_nested_tensor notes, dropout notes
        yield


def sequence(torch: Any, length: int, features: int, batch_first: bool) -> Any:
    return torch.zeros((1, length, features) if batch_first else (length, 1, features))


def per_sample(out: Any, batch_first: bool) -> tuple[int, ...]:
    return tuple(out.shape[1:]) if batch_first else (out.shape[0], out.shape[2])


def count(torch: Any, module: Any, *args: Any, math: bool, **kwargs: Any) -> tuple[Any, int]:
    """``module(*args, **kwargs)``'s first output and FlopCounterMode / 2.

    ``math`` selects the math SDPA backend, whose matrix products the counter sees.
    """
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with quiet(), torch.no_grad(), counter:
        if math:
            with sdpa_kernel(SDPBackend.MATH):
                out = module(*args, **kwargs)
        else:
            out = module(*args, **kwargs)
    out = out[0] if isinstance(out, tuple) else out
    return out, counter.get_total_flops() // 2


def same_tensors(ours: pc.Layer, theirs: Any) -> None:
    assert list(ours.named_parameters()) == torch_parameters(theirs), ours
    assert list(ours.named_buffers()) == torch_buffers(theirs) == [], ours
    assert ours.params() == sum(p.numel() for p in theirs.parameters()), ours
