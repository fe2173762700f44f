"""print(model) of torch networks built from this family's layers reads back exactly."""

from __future__ import annotations

from typing import Any

from paramcalc.printed import read_printed


def _modules(nn: Any) -> list[Any]:
    return [
        nn.ReLU6(True), nn.LeakyReLU(0.2), nn.PReLU(3), nn.ELU(), nn.SELU(), nn.CELU(0.5),
        nn.GELU("tanh"), nn.SiLU(), nn.Mish(), nn.Sigmoid(), nn.Tanh(), nn.Hardswish(),
        nn.Hardsigmoid(), nn.Hardtanh(-2.0, 2.0), nn.Softplus(2.0, 10.0), nn.Softmax(dim=1),
        nn.LogSoftmax(dim=1), nn.GLU(1), nn.Threshold(0.1, 20.0), nn.RReLU(), nn.Hardshrink(0.3),
        nn.Softshrink(0.3), nn.LogSigmoid(), nn.Softsign(), nn.Tanhshrink(), nn.Softmin(1),
        nn.Softmax2d(),
        nn.AvgPool1d(3), nn.AvgPool2d(3, 2, 1), nn.AvgPool3d(2, divisor_override=3),
        nn.AdaptiveAvgPool1d(4), nn.AdaptiveAvgPool2d((None, 7)), nn.AdaptiveAvgPool3d(2),
        nn.AdaptiveMaxPool1d(4), nn.AdaptiveMaxPool2d(3, True), nn.AdaptiveMaxPool3d((1, 2, 3)),
        nn.LPPool1d(2, 3), nn.LPPool2d(1.5, (3, 2), stride=1), nn.LPPool3d(2, 2),
        nn.MaxUnpool1d(2), nn.MaxUnpool2d(3, 2, 1), nn.MaxUnpool3d(2),
        nn.Unflatten(1, (2, 3)), nn.Dropout1d(0.2), nn.Dropout2d(), nn.Dropout3d(),
        nn.AlphaDropout(0.1), nn.FeatureAlphaDropout(0.1),
        nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True), nn.Upsample(size=(4, 5)),
        nn.PixelShuffle(2), nn.PixelUnshuffle(2), nn.ChannelShuffle(2), nn.Fold((4, 5), 2),
        nn.Unfold(2, padding=1),
        nn.ZeroPad1d(1), nn.ZeroPad2d((1, 0, 2, 0)), nn.ZeroPad3d(1), nn.ConstantPad1d(2, 3.5),
        nn.ConstantPad2d((1, 1, 0, 0), 0.0), nn.ConstantPad3d(1, 1.0), nn.ReflectionPad1d(2),
        nn.ReflectionPad2d((1, 0, 1, 0)), nn.ReflectionPad3d(1), nn.ReplicationPad1d(1),
        nn.ReplicationPad2d(2), nn.ReplicationPad3d(1), nn.CircularPad1d(1),
        nn.CircularPad2d((1, 2, 0, 1)), nn.CircularPad3d(1),
    ]  # fmt: skip


def test_printed_layers_read_back(torch: Any) -> None:
    """Every layer's torch repr builds the same type with torch's parameters, no warnings."""
    modules = _modules(torch.nn)
    model = torch.nn.Sequential(*modules)
    network, warnings = read_printed(str(model))
    assert not warnings
    assert [type(layer).__name__ for _, layer in network.children()] == [
        type(module).__name__ for module in modules
    ]
    assert list(network.named_parameters()) == [
        (name, tuple(p.shape)) for name, p in model.named_parameters()
    ]
