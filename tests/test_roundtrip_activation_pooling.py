"""Activation, pooling, reshape and padding layers survive a JSON report round trip."""

from __future__ import annotations

import json

import paramcalc as pc

LAYERS: list[pc.Layer] = [
    pc.ReLU6(True), pc.PReLU(3), pc.Hardtanh(-2.0, 2.0), pc.Hardtanh(min_value=-3.0),
    pc.Softmax(1), pc.GLU(), pc.RReLU(), pc.Softmax2d(), pc.Threshold(0.1, 20.0),
    pc.AvgPool1d(3), pc.AvgPool2d((3,), ()), pc.AvgPool3d(2, divisor_override=3),
    pc.AdaptiveAvgPool2d((None, 7)), pc.AdaptiveMaxPool2d(3, True), pc.LPPool1d(float("inf"), 3),
    pc.LPPool2d(1.5, (3, 2), stride=1), pc.MaxUnpool2d(3, 2, 1),
    pc.FractionalMaxPool2d(3, output_ratio=0.5), pc.FractionalMaxPool3d(2, output_size=(1, 2, 3)),
    pc.Unflatten(1, (2, 3)), pc.Dropout2d(), pc.AlphaDropout(0.1),
    pc.Upsample(scale_factor=(2, 1.5), mode="bilinear", align_corners=True),
    pc.Upsample(size=(4, 5)), pc.UpsamplingNearest2d(scale_factor=2),
    pc.UpsamplingBilinear2d(size=(3, 4)), pc.PixelShuffle(2), pc.PixelUnshuffle(3),
    pc.ChannelShuffle(2), pc.Fold((4, 5), 2), pc.Unfold(2, padding=1),
    pc.ZeroPad2d((1, 0, 2, 0)), pc.ConstantPad1d(2, 3.5), pc.ReflectionPad3d(1),
    pc.ReplicationPad1d((1, 2)), pc.CircularPad3d(1),
]  # fmt: skip


def test_json_round_trip() -> None:
    """from_dict(json(report.to_dict())) rebuilds every layer equal to the original."""
    net = pc.Sequential(*LAYERS)
    back = pc.from_dict(json.loads(json.dumps(net.report().to_dict())))
    assert back == net
    assert [repr(layer) for _, layer in back.children()] == [repr(layer) for layer in LAYERS]
