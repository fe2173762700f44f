"""Generate ``docs/reference.md`` from the layers themselves, so it cannot drift.

    python docs/_reference.py > docs/reference.md

Every row is computed: parameter names and shapes from ``named_parameters()``,
buffers from ``named_buffers()``, the formula from ``explain()``, the shape
rule by running ``output_shape()`` on the example input. A test checks that
the committed page equals this output and that every exported layer is here.
"""

from __future__ import annotations

import inspect

import paramcalc as pc
from paramcalc.layer import Layer
from paramcalc.shapes import Shape

Example = tuple[Layer, Shape | None]

FAMILIES: dict[str, list[Example]] = {
    "Convolution": [
        (pc.Conv1d(16, 33, 3, stride=2), (16, 50)),
        (pc.Conv2d(1, 6, 5), (1, 32, 32)),
        (pc.Conv3d(4, 8, 3, padding=1), (4, 8, 16, 16)),
        (pc.ConvTranspose1d(16, 8, 4, stride=2, padding=1), (16, 25)),
        (pc.ConvTranspose2d(16, 8, 3, stride=2, groups=2), (16, 7, 7)),
        (pc.ConvTranspose3d(4, 2, 2, stride=2), (4, 3, 4, 5)),
    ],
    "Linear": [
        (pc.Linear(400, 120), (400,)),
        (pc.Bilinear(20, 30, 40), (20,)),
        (pc.Identity(), (3, 4)),
    ],
    "Embedding": [
        (pc.Embedding(50257, 768), (1024,)),
        (pc.EmbeddingBag(10000, 64, mode="sum"), (12,)),
    ],
    "Normalization": [
        (pc.BatchNorm1d(64), (64, 100)),
        (pc.BatchNorm2d(64), (64, 56, 56)),
        (pc.BatchNorm3d(8), (8, 4, 8, 8)),
        (pc.SyncBatchNorm(64), (64, 28, 28)),
        (pc.InstanceNorm1d(16, affine=True), (16, 50)),
        (pc.InstanceNorm2d(16), (16, 32, 32)),
        (pc.InstanceNorm3d(4, affine=True, track_running_stats=True), (4, 4, 8, 8)),
        (pc.LayerNorm(768), (197, 768)),
        (pc.GroupNorm(8, 64), (64, 14, 14)),
        (pc.RMSNorm(4096), (128, 4096)),
        (pc.LocalResponseNorm(5), (96, 55, 55)),
    ],
    "Recurrent": [
        (pc.RNN(10, 20, num_layers=2), (5, 10)),
        (pc.LSTM(10, 20, bidirectional=True, proj_size=8), (5, 10)),
        (pc.GRU(10, 20), (5, 10)),
        (pc.RNNCell(10, 20), (10,)),
        (pc.LSTMCell(10, 20), (10,)),
        (pc.GRUCell(10, 20), (10,)),
    ],
    "Attention and transformers": [
        (pc.MultiheadAttention(512, 8), (10, 512)),
        (pc.MultiheadAttention(64, 4, kdim=32, vdim=16, add_bias_kv=True), (10, 64)),
        (pc.TransformerEncoderLayer(512, 8), (10, 512)),
        (pc.TransformerDecoderLayer(512, 8), (10, 512)),
        (pc.TransformerEncoder(pc.TransformerEncoderLayer(256, 4, 1024), 6), (10, 256)),
        (pc.TransformerDecoder(pc.TransformerDecoderLayer(256, 4, 1024), 6), (10, 256)),
        (pc.Transformer(), (10, 512)),
    ],
    "Activations": [
        (pc.ReLU(), (6, 28, 28)),
        (pc.ReLU6(), (32, 112, 112)),
        (pc.LeakyReLU(0.2), (64, 8, 8)),
        (pc.PReLU(64), (64, 8, 8)),
        (pc.RReLU(), (64,)),
        (pc.ELU(), (64,)),
        (pc.SELU(), (64,)),
        (pc.CELU(), (64,)),
        (pc.GELU(), (197, 768)),
        (pc.SiLU(), (64,)),
        (pc.Mish(), (64,)),
        (pc.Sigmoid(), (64,)),
        (pc.Tanh(), (64,)),
        (pc.Hardswish(), (64,)),
        (pc.Hardsigmoid(), (64,)),
        (pc.Hardtanh(), (64,)),
        (pc.Hardshrink(), (64,)),
        (pc.Softshrink(), (64,)),
        (pc.Tanhshrink(), (64,)),
        (pc.Softsign(), (64,)),
        (pc.Softplus(), (64,)),
        (pc.LogSigmoid(), (64,)),
        (pc.Threshold(0.1, 20.0), (64,)),
        (pc.Softmax(dim=-1), (10, 10)),
        (pc.Softmin(dim=-1), (10, 10)),
        (pc.LogSoftmax(dim=1), (10,)),
        (pc.Softmax2d(), (3, 8, 8)),
        (pc.GLU(), (10, 64)),
    ],
    "Pooling": [
        (pc.MaxPool1d(3, stride=2), (16, 50)),
        (pc.MaxPool2d(2), (6, 28, 28)),
        (pc.MaxPool3d(2), (4, 8, 8, 8)),
        (pc.AvgPool1d(3, stride=2), (16, 50)),
        (pc.AvgPool2d(2), (6, 28, 28)),
        (pc.AvgPool3d(2), (4, 8, 8, 8)),
        (pc.AdaptiveAvgPool1d(5), (16, 50)),
        (pc.AdaptiveAvgPool2d((7, 7)), (512, 14, 14)),
        (pc.AdaptiveAvgPool3d(1), (4, 8, 8, 8)),
        (pc.AdaptiveMaxPool1d(5), (16, 50)),
        (pc.AdaptiveMaxPool2d(1), (512, 7, 7)),
        (pc.AdaptiveMaxPool3d(2), (4, 8, 8, 8)),
        (pc.LPPool1d(2, 3, stride=2), (16, 50)),
        (pc.LPPool2d(2, 2), (6, 28, 28)),
        (pc.LPPool3d(2, 2), (4, 8, 8, 8)),
        (pc.FractionalMaxPool2d(3, output_size=13), (16, 32, 32)),
        (pc.FractionalMaxPool3d(2, output_ratio=0.5), (4, 8, 8, 8)),
        (pc.MaxUnpool1d(2), (16, 25)),
        (pc.MaxUnpool2d(2), (6, 14, 14)),
        (pc.MaxUnpool3d(2), (4, 4, 4, 4)),
    ],
    "Shape, dropout and resampling": [
        (pc.Flatten(), (16, 5, 5)),
        (pc.Unflatten(1, (16, 5, 5)), (400,)),
        (pc.Dropout(0.5), (120,)),
        (pc.Dropout1d(), (16, 50)),
        (pc.Dropout2d(), (6, 28, 28)),
        (pc.Dropout3d(), (4, 8, 8, 8)),
        (pc.AlphaDropout(0.2), (64,)),
        (pc.FeatureAlphaDropout(0.2), (6, 28, 28)),
        (pc.Upsample(scale_factor=2), (3, 16, 16)),
        (pc.UpsamplingNearest2d(scale_factor=2), (3, 16, 16)),
        (pc.UpsamplingBilinear2d(size=(32, 48)), (3, 16, 16)),
        (pc.PixelShuffle(3), (9, 8, 8)),
        (pc.PixelUnshuffle(2), (1, 8, 8)),
        (pc.ChannelShuffle(2), (4, 8, 8)),
        (pc.Fold((4, 5), 2), (12, 12)),
        (pc.Unfold(2), (3, 4, 5)),
    ],
    "Padding": [
        (pc.ZeroPad1d(2), (3, 8)),
        (pc.ZeroPad2d((1, 1, 2, 0)), (3, 8, 8)),
        (pc.ZeroPad3d(1), (3, 4, 4, 4)),
        (pc.ConstantPad1d(2, 3.5), (3, 8)),
        (pc.ConstantPad2d(1, 0.0), (3, 8, 8)),
        (pc.ConstantPad3d(1, 0.0), (3, 4, 4, 4)),
        (pc.ReflectionPad1d(2), (3, 8)),
        (pc.ReflectionPad2d(1), (3, 8, 8)),
        (pc.ReflectionPad3d(1), (3, 4, 4, 4)),
        (pc.ReplicationPad1d(2), (3, 8)),
        (pc.ReplicationPad2d(1), (3, 8, 8)),
        (pc.ReplicationPad3d(1), (3, 4, 4, 4)),
        (pc.CircularPad1d(2), (3, 8)),
        (pc.CircularPad2d(1), (3, 8, 8)),
        (pc.CircularPad3d(1), (3, 4, 4, 4)),
    ],
    "Raw parameters and containers": [
        (pc.Parameter((1, 1, 768)), None),
        (pc.ParameterList([pc.Parameter((4, 4)), pc.Parameter(4)]), None),
        (pc.ParameterDict({"scale": pc.Parameter(8), "shift": pc.Parameter(8)}), None),
        (pc.Sequential(pc.Linear(4, 8), pc.ReLU(), pc.Linear(8, 2)), (4,)),
        (pc.ModuleList([pc.Linear(4, 4), pc.Linear(4, 4)]), (4,)),
        (pc.ModuleDict({"up": pc.Linear(4, 8), "down": pc.Linear(8, 4)}), (4,)),
    ],
    "Graph blocks": [
        (
            pc.Residual(
                {"conv1": pc.Conv2d(64, 128, 3, stride=2, padding=1, bias=False)},
                {"downsample": pc.Conv2d(64, 128, 1, stride=2, bias=False)},
            ),
            (64, 56, 56),
        ),
        (
            pc.Concat({"branch1": pc.Conv2d(192, 64, 1), "branch2": pc.Conv2d(192, 32, 1)}),
            (192, 28, 28),
        ),
        (pc.Repeat(pc.Linear(768, 768), 12), (128, 768)),
        (pc.Tied(pc.Linear(768, 50257, bias=False), {"weight": "wte.weight"}), (128, 768)),
    ],
}

NOT_LISTED = {"Layer", "Module", "MaxPool"}
"""Abstract bases, and an alias (``MaxPool`` is ``MaxPool2d``)."""


def exported_layers() -> set[str]:
    """Names of every layer class paramcalc exports."""
    return {
        name
        for name in pc.__all__
        if inspect.isclass(getattr(pc, name)) and issubclass(getattr(pc, name), Layer)
    }


def _tensor(name: str, shape: Shape) -> str:
    """```weight` (6, 1, 5, 5)``; a bare tensor (``Parameter``) has no name of its own."""
    return f"`{name}` {shape}" if name else f"the tensor itself {shape}"


def _shapes(pairs: list[tuple[str, Shape]]) -> str:
    if not pairs:
        return "—"
    if len(pairs) > 6:
        head = ", ".join(_tensor(name, shape) for name, shape in pairs[:4])
        return f"{head}, … ({len(pairs)} tensors)"
    return ", ".join(_tensor(name, shape) for name, shape in pairs)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _summary(layer: Layer) -> str:
    doc = inspect.getdoc(type(layer)) or ""
    return doc.split("\n\n")[0].replace("\n", " ")


def render_reference() -> str:
    """The whole reference page."""
    out = [
        "# Layer reference",
        "",
        "<!-- Generated by `python docs/_reference.py > docs/reference.md`;",
        "     tests/test_reference_doc.py fails if this page and the code disagree. -->",
        "",
        "Every layer paramcalc offers, with an example: its parameter tensors "
        "(torch's names and shapes), its buffers, the working of its parameter "
        "count (`explain()`), and its shape rule on an example per-sample input. "
        "Each layer takes its `torch.nn` namesake's arguments.",
        "",
    ]
    for family, examples in FAMILIES.items():
        out += [f"## {family}", ""]
        out += [
            "| Example | What it is | Parameters | Buffers | Formula | Shape |",
            "|:--|:--|:--|:--|:--|:--|",
        ]
        for layer, shape in examples:
            formula = layer.explain()
            working = str(formula)
            symbolic = formula.symbolic()
            if symbolic != formula.text() and "·" in symbolic:
                working = f"`{symbolic}`: {working}"
            rule = "—" if shape is None else f"{shape} → {layer.output_shape(shape)}"
            cells = [
                type(layer).__name__ if "\n" in repr(layer) else f"`{layer!r}`",
                _summary(layer),
                _shapes(list(layer.named_parameters())),
                _shapes(list(layer.named_buffers())),
                working,
                rule,
            ]
            out.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    print(render_reference(), end="")
