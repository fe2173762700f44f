"""One network with a layer of every family, frozen in parts: totals equal torch's."""

from __future__ import annotations

from typing import Any

import paramcalc as pc

from .compare import torch_buffers, torch_parameters
from .test_mixed import FROZEN as MIXED_FROZEN, Net as Mixed, _torch_net as _torch_mixed


def _torch_net(torch: Any) -> Any:
    nn = torch.nn
    net = nn.Module()
    net.mixed = _torch_mixed(torch)  # embeddings, norms, transposed convs, raw parameters
    net.conv = nn.Sequential(nn.Conv1d(4, 8, 3, groups=2), nn.Conv3d(2, 4, 3, bias=False))
    net.act = nn.Sequential(nn.PReLU(8), nn.ReLU6(), nn.GELU(), nn.GLU(), nn.Softmax(dim=-1))
    net.pool = nn.Sequential(nn.MaxPool2d(2), nn.AdaptiveAvgPool2d(1), nn.LPPool1d(2, 3))
    net.shape = nn.Sequential(
        nn.ReflectionPad2d(1), nn.Upsample(scale_factor=2), nn.Unflatten(1, (2, 4)),
        nn.PixelShuffle(2), nn.Dropout(0.1), nn.Flatten(),
    )  # fmt: skip
    net.rnn = nn.LSTM(16, 32, num_layers=2, bidirectional=True, proj_size=8)
    net.gru = nn.GRUCell(16, 16, bias=False)
    net.rnn_tanh = nn.RNN(16, 8, nonlinearity="relu")
    net.attn = nn.MultiheadAttention(16, 4, kdim=12, vdim=10, add_bias_kv=True)
    net.encoder = nn.TransformerEncoder(
        nn.TransformerEncoderLayer(16, 2, 32, norm_first=True), 2, norm=nn.LayerNorm(16)
    )
    net.decoder_layer = nn.TransformerDecoderLayer(16, 2, 24, bias=False)
    net.head = nn.Linear(16, 10)
    return net


class Net(pc.Module):
    """The same network, line for line."""

    def __init__(self) -> None:
        super().__init__()
        self.mixed = Mixed().freeze(*MIXED_FROZEN)
        self.conv = pc.Sequential(pc.Conv1d(4, 8, 3, groups=2), pc.Conv3d(2, 4, 3, bias=False))
        self.act = pc.Sequential(pc.PReLU(8), pc.ReLU6(), pc.GELU(), pc.GLU(), pc.Softmax(dim=-1))
        self.pool = pc.Sequential(pc.MaxPool2d(2), pc.AdaptiveAvgPool2d(1), pc.LPPool1d(2, 3))
        self.shape = pc.Sequential(
            pc.ReflectionPad2d(1), pc.Upsample(scale_factor=2), pc.Unflatten(1, (2, 4)),
            pc.PixelShuffle(2), pc.Dropout(0.1), pc.Flatten(),
        )  # fmt: skip
        self.rnn = pc.LSTM(16, 32, num_layers=2, bidirectional=True, proj_size=8)
        self.gru = pc.GRUCell(16, 16, bias=False)
        self.rnn_tanh = pc.RNN(16, 8, nonlinearity="relu")
        self.attn = pc.MultiheadAttention(16, 4, kdim=12, vdim=10, add_bias_kv=True)
        self.encoder = pc.TransformerEncoder(
            pc.TransformerEncoderLayer(16, 2, 32, norm_first=True), 2, norm=pc.LayerNorm(16)
        )
        self.decoder_layer = pc.TransformerDecoderLayer(16, 2, 24, bias=False)
        self.head = pc.Linear(16, 10)


FROZEN = ("conv.1", "act.0", "rnn", "encoder.layers.1", "decoder_layer.self_attn")


def test_every_family_matches_torch(torch: Any) -> None:
    """Names, total, trainable count and buffers of a network of every family equal torch's."""
    theirs = _torch_net(torch)
    frozen = [f"mixed.{prefix}" for prefix in MIXED_FROZEN] + list(FROZEN)
    for name, parameter in theirs.named_parameters():
        if any(name == p or name.startswith(p + ".") for p in frozen):
            parameter.requires_grad_(False)
    ours = Net().freeze(*FROZEN)
    assert list(ours.named_parameters()) == torch_parameters(theirs)
    assert list(ours.named_buffers()) == torch_buffers(theirs)
    total = sum(p.numel() for p in theirs.parameters())
    trainable = sum(p.numel() for p in theirs.parameters() if p.requires_grad)
    buffers = sum(b.numel() for b in theirs.buffers())
    report = ours.report()
    assert (ours.params(), ours.trainable_params(), ours.buffers()) == (total, trainable, buffers)
    assert (report.params, report.trainable, report.buffers) == (total, trainable, buffers)
    assert sum(row.params for row in report.leaves()) == total
    assert 0 < trainable < total
