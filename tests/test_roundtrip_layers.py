"""Every layer of this family survives report -> JSON -> from_dict unchanged."""

from __future__ import annotations

import json

import paramcalc as pc


def _network() -> pc.Module:
    net = pc.Module()
    net.embed = pc.Embedding(100, 16, padding_idx=-1, _freeze=True)
    net.bag = pc.EmbeddingBag(50, 16, mode="max", include_last_offset=True)
    net.cls_token = pc.Parameter((1, 1, 16))
    net.stem = pc.Sequential(
        pc.ConvTranspose2d(8, 4, (2, 3), stride=2, output_padding=(1, 0), groups=2),
        pc.BatchNorm2d(4, momentum=None, bias=False),
        pc.GroupNorm(2, 4, affine=False),
        pc.InstanceNorm2d(4, affine=True),
        pc.LocalResponseNorm(3, k=2.0),
    )
    net.heads = pc.ModuleDict(
        {
            "norm": pc.LayerNorm((4, 4)),
            "rms": pc.RMSNorm(16, eps=1e-6),
            "pair": pc.Bilinear(4, 5, 6),
        }
    )
    net.scales = pc.ParameterList([pc.Parameter(4), pc.Parameter(())])
    net.extra = pc.ParameterDict({"gamma": pc.Parameter(16), "beta": pc.Parameter(16)})
    net.sync = pc.SyncBatchNorm(8, track_running_stats=False)
    net.bn = pc.BatchNorm1d(8)
    net.up = pc.ConvTranspose3d(2, 2, 1)
    return net.freeze("heads.pair", "extra")


def test_json_round_trip() -> None:
    """Names, shapes, counts and every leaf's arguments come back equal."""
    net = _network()
    copy = pc.from_dict(json.loads(json.dumps(net.report().to_dict())))
    assert list(copy.named_parameters()) == list(net.named_parameters())
    assert list(copy.named_buffers()) == list(net.named_buffers())
    counts = (copy.params(), copy.trainable_params(), copy.buffers())
    assert counts == (net.params(), net.trainable_params(), net.buffers())
    for (name, ours), (_, theirs) in zip(net.children(), copy.children(), strict=True):
        assert type(ours) is type(theirs), name
        if not isinstance(ours, pc.Sequential):
            assert ours == theirs, name
