"""A network mixing every family of this branch, frozen in parts, against live torch."""

from __future__ import annotations

from typing import Any

import paramcalc as pc

from .compare import torch_buffers, torch_parameters


def _torch_net(torch: Any) -> Any:
    nn = torch.nn

    net = nn.Module()
    net.embed = nn.Embedding(100, 16, padding_idx=0)
    net.bag = nn.EmbeddingBag(50, 16, mode="sum")
    net.cls_token = nn.Parameter(torch.zeros(1, 1, 16))
    net.stem = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1, padding_mode="reflect"),
        nn.BatchNorm2d(8),
        nn.ConvTranspose2d(8, 4, 2, stride=2),
        nn.GroupNorm(2, 4),
        nn.InstanceNorm2d(4, affine=True, track_running_stats=True),
        nn.LocalResponseNorm(3),
    )
    net.heads = nn.ModuleDict(
        {"norm": nn.LayerNorm(16), "rms": nn.RMSNorm(16), "pair": nn.Bilinear(16, 16, 4)}
    )
    net.pos = nn.Parameter(torch.zeros(1, 8, 16))
    net.scales = nn.ParameterList([nn.Parameter(torch.ones(4)) for _ in range(3)])
    net.extra = nn.ParameterDict({"gamma": nn.Parameter(torch.ones(16))})
    net.up = nn.ConvTranspose1d(16, 8, 3, stride=2, output_padding=1)
    net.bn1 = nn.BatchNorm1d(8, affine=False)
    net.sync = nn.SyncBatchNorm(8)
    return net


class Net(pc.Module):
    """The same network in paramcalc, written line for line as in torch."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = pc.Embedding(100, 16, padding_idx=0)
        self.bag = pc.EmbeddingBag(50, 16, mode="sum")
        self.cls_token = pc.Parameter((1, 1, 16))
        self.stem = pc.Sequential(
            pc.Conv2d(3, 8, 3, padding=1, padding_mode="reflect"),
            pc.BatchNorm2d(8),
            pc.ConvTranspose2d(8, 4, 2, stride=2),
            pc.GroupNorm(2, 4),
            pc.InstanceNorm2d(4, affine=True, track_running_stats=True),
            pc.LocalResponseNorm(3),
        )
        self.heads = pc.ModuleDict(
            {"norm": pc.LayerNorm(16), "rms": pc.RMSNorm(16), "pair": pc.Bilinear(16, 16, 4)}
        )
        self.pos = pc.Parameter((1, 8, 16))
        self.scales = pc.ParameterList([pc.Parameter(4) for _ in range(3)])
        self.extra = pc.ParameterDict({"gamma": pc.Parameter(16)})
        self.up = pc.ConvTranspose1d(16, 8, 3, stride=2, output_padding=1)
        self.bn1 = pc.BatchNorm1d(8, affine=False)
        self.sync = pc.SyncBatchNorm(8)


FROZEN = ("embed", "cls_token", "stem.1", "heads.pair", "scales", "sync")


def test_mixed_network_matches_torch(torch: Any) -> None:
    """Names, totals, trainable (with frozen parts) and buffers equal torch's."""
    theirs = _torch_net(torch)
    for name, parameter in theirs.named_parameters():
        if any(name == p or name.startswith(p + ".") for p in FROZEN):
            parameter.requires_grad_(False)
    ours = Net().freeze(*FROZEN)
    assert list(ours.named_parameters()) == torch_parameters(theirs)
    assert list(ours.named_buffers()) == torch_buffers(theirs)
    assert ours.params() == sum(p.numel() for p in theirs.parameters())
    assert ours.trainable_params() == sum(p.numel() for p in theirs.parameters() if p.requires_grad)
    assert ours.buffers() == sum(b.numel() for b in theirs.buffers())
    buffer_bytes = sum(b.numel() * b.element_size() for b in theirs.buffers())
    assert ours.memory().buffers == buffer_bytes == 256  # int64 num_batches_tracked
    report = ours.report()
    assert (report.params, report.trainable, report.buffers) == (
        ours.params(),
        ours.trainable_params(),
        ours.buffers(),
    )
    assert 0 < ours.trainable_params() < ours.params()


def test_mixed_stem_shapes_and_macs_match_torch(torch: Any) -> None:
    """The stem's per-sample output shape and MACs equal torch's (batch of 2, training)."""
    from torch.utils.flop_counter import FlopCounterMode

    stem = _torch_net(torch).stem
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        out = stem(torch.randn(2, 3, 10, 12))
    ours = Net().stem
    assert ours.output_shape((3, 10, 12)) == tuple(out.shape[1:]) == (4, 20, 24)
    assert ours.macs((3, 10, 12)) == counter.get_total_flops() // 2 // 2
