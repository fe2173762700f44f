"""Helpers that run a torch module beside its paramcalc twin and compare them."""

from __future__ import annotations

from typing import Any

from paramcalc import Layer


def torch_parameters(module: Any) -> list[tuple[str, tuple[int, ...]]]:
    """``(name, shape)`` of torch's ``named_parameters()``."""
    return [(name, tuple(p.shape)) for name, p in module.named_parameters()]


def torch_buffers(module: Any) -> list[tuple[str, tuple[int, ...]]]:
    """``(name, shape)`` of torch's ``named_buffers()``."""
    return [(name, tuple(b.shape)) for name, b in module.named_buffers()]


def torch_output_shape(torch: Any, module: Any, shape: tuple[int, ...]) -> tuple[int, ...]:
    """The per-sample output shape of ``module`` on a batch of one."""
    with torch.no_grad():
        out = module(torch.zeros((1, *shape)))
    return tuple(out.shape[1:])


def torch_macs(torch: Any, module: Any, shape: tuple[int, ...]) -> int:
    """``FlopCounterMode`` total / 2 on a batch of one."""
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        module(torch.zeros((1, *shape)))
    total: int = counter.get_total_flops()
    return total // 2


def assert_matches(torch: Any, ours: Layer, theirs: Any, shape: tuple[int, ...] | None) -> None:
    """Parameters, buffers, totals and (given a shape) output shape and MACs agree."""
    assert list(ours.named_parameters()) == torch_parameters(theirs), ours
    assert list(ours.named_buffers()) == torch_buffers(theirs), ours
    assert ours.params() == sum(p.numel() for p in theirs.parameters()), ours
    if shape is not None:
        assert ours.output_shape(shape) == torch_output_shape(torch, theirs, shape), (ours, shape)
        assert ours.macs(shape) == torch_macs(torch, theirs, shape), (ours, shape)
