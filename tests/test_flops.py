"""MACs, FLOPs and element-wise FLOPs: goldens, VGG-16, and report totals that are column sums."""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

import paramcalc as pc
from paramcalc import Layer
from paramcalc.report import Report

VGG16_MACS = 15_470_264_320  # torchvision VGG-16 at 224×224: 15.47 GMACs (fvcore, ptflops)


def vgg16() -> pc.Sequential:
    """torchvision's VGG-16 without its AdaptiveAvgPool2d((7, 7)), an identity at 224×224."""
    layers: list[Layer] = []
    channels = 3
    for width in [64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0]:
        if width == 0:
            layers.append(pc.MaxPool2d(2, 2))
        else:
            layers += [pc.Conv2d(channels, width, 3, padding=1), pc.ReLU(inplace=True)]
            channels = width
    return pc.Sequential(
        *layers,
        pc.Flatten(),
        pc.Linear(512 * 7 * 7, 4096), pc.ReLU(True), pc.Dropout(),
        pc.Linear(4096, 4096), pc.ReLU(True), pc.Dropout(),
        pc.Linear(4096, 1000),
    )  # fmt: skip


class TestVGG16:
    def test_macs(self) -> None:
        """VGG-16 at 3×224×224: 15,470,264,320 MACs (the published 15.47 G), 138,357,544 params."""
        net = vgg16()
        assert net.params() == 138_357_544  # torchvision's vgg16 parameter count
        assert net.macs((3, 224, 224)) == VGG16_MACS
        report = net.report((3, 224, 224), batch_size=2)
        assert report.macs == 2 * VGG16_MACS
        assert report.flops == 4 * VGG16_MACS

    def test_first_conv_by_hand(self) -> None:
        """The first conv: 64·224·224 outputs × 3·3·3 = 86,704,128 MACs."""
        assert pc.Conv2d(3, 64, 3, padding=1).macs((3, 224, 224)) == 64 * 224 * 224 * 27


# Each row: layer, input shape, element-wise FLOPs per sample, with the constant's source.
ELEMENTWISE: list[tuple[Layer, tuple[int, ...], int]] = [
    # bias add, 1 per output element (DeepSpeed _conv_flops_compute bias_flops)
    (pc.Conv2d(1, 6, 5), (1, 32, 32), 6 * 28 * 28),
    (pc.Conv2d(1, 6, 5, bias=False), (1, 32, 32), 0),
    (pc.Conv1d(4, 8, 3, stride=2), (4, 21), 8 * 10),
    (pc.Conv3d(2, 4, 3, groups=2), (2, 5, 6, 7), 4 * 3 * 4 * 5),
    (pc.Linear(400, 120), (400,), 120),
    (pc.Linear(400, 120), (7, 3, 400), 7 * 3 * 120),
    (pc.Linear(400, 120, bias=False), (400,), 0),
    # ReLU: 1 per element (DeepSpeed _relu_flops_compute: input.numel())
    (pc.ReLU(), (6, 28, 28), 6 * 28 * 28),
    (pc.ReLU(inplace=True), (10,), 10),
    # max pooling: k − 1 comparisons per output element
    (pc.MaxPool2d(2), (6, 28, 28), 6 * 14 * 14 * 3),
    (pc.MaxPool2d((2, 3), stride=1), (1, 4, 4), 1 * 3 * 2 * 5),
    (pc.MaxPool1d(3, stride=2), (16, 50), 16 * 24 * 2),
    (pc.MaxPool3d(2), (4, 8, 8, 8), 4 * 4 * 4 * 4 * 7),
    (pc.MaxPool2d(1), (3, 5, 5), 0),
    # no arithmetic: Dropout at inference (DeepSpeed _dropout_flops_compute: 0), reshapes
    (pc.Dropout(0.5), (120,), 0),
    (pc.Flatten(), (16, 5, 5), 0),
    (pc.Identity(), (3, 4), 0),
]


@pytest.mark.parametrize(("layer", "shape", "expected"), ELEMENTWISE)
def test_elementwise_golden(layer: Layer, shape: tuple[int, ...], expected: int) -> None:
    """Each layer's element-wise FLOPs follow the per-element constant of docs/flops.md."""
    assert layer.elementwise_flops(shape) == expected
    assert layer.macs(shape) >= 0


def test_lenet_elementwise_by_hand() -> None:
    """LeNet with ReLUs: biases, ReLUs and pools add up as written by hand."""
    net = pc.Sequential(
        pc.Conv2d(1, 6, 5), pc.ReLU(), pc.MaxPool(2), pc.Conv2d(6, 16, 5), pc.ReLU(),
        pc.MaxPool(2), pc.Flatten(), pc.Linear(400, 120), pc.ReLU(), pc.Linear(120, 84),
        pc.ReLU(), pc.Linear(84, 10),
    )  # fmt: skip
    hand = (
        4704
        + 4704
        + 1176 * 3  # conv1 bias, ReLU, pool (6·14·14 outputs × 3)
        + 1600
        + 1600
        + 400 * 3  # conv2 bias, ReLU, pool
        + 120
        + 120
        + 84
        + 84
        + 10  # fc biases and ReLUs
    )
    assert net.elementwise_flops((1, 32, 32)) == hand == 17754
    assert net.report((1, 32, 32), batch_size=5).elementwise == 5 * hand


def random_net(rng: random.Random) -> tuple[Layer, tuple[int, ...]]:
    """A random conv/pool/linear stack, sometimes nested, sometimes sharing a layer."""
    channels = rng.randint(1, 4)
    size = rng.randint(8, 20)
    shape = (channels, size, size)
    layers: list[Layer] = []
    for _ in range(rng.randint(1, 3)):
        out = rng.randint(1, 6)
        conv = pc.Conv2d(channels, out, rng.choice([1, 3]), padding=1, bias=rng.random() < 0.5)
        block: list[Layer] = [conv, pc.ReLU()]
        if rng.random() < 0.3 and out == channels:
            block.append(conv)  # shared: its parameters count once
        if rng.random() < 0.5:
            block.append(pc.MaxPool2d(2, ceil_mode=True))
        layers.append(pc.Sequential(*block) if rng.random() < 0.5 else block[0])
        if layers[-1] is block[0]:
            layers += block[1:]
        channels = out
    layers.append(pc.Flatten())
    net = pc.Sequential(*layers)
    features = net.output_shape(shape)[0]
    head = pc.Linear(features, rng.randint(1, 10))
    net = pc.Sequential({"body": net, "dropout": pc.Dropout(), "head": head})
    if rng.random() < 0.3:
        net = net.freeze("head")
    return net, shape


def _column_sums(report: Report, column: str) -> int:
    return sum(getattr(row, column) or 0 for row in report.leaves())


@pytest.mark.parametrize("seed", range(40))
def test_columns_sum_to_totals(seed: int) -> None:
    """Every footer figure is the sum of its column over the leaves; FLOPs = 2 × MACs."""
    rng = random.Random(seed)
    net, shape = random_net(rng)
    batch = rng.randint(1, 8)
    dtype = rng.choice(["fp32", "bf16", "int4", "fp64"])
    report = net.report(shape, batch_size=batch, dtype=dtype)
    assert report.macs == _column_sums(report, "macs") == batch * net.macs(shape)
    assert report.flops == 2 * report.macs
    assert report.elementwise == _column_sums(report, "elementwise")
    assert report.elementwise == batch * net.elementwise_flops(shape)
    assert report.param_bytes == _column_sums(report, "param_bytes")
    assert report.buffer_bytes == _column_sums(report, "buffer_bytes")
    assert report.activation_bytes == (report.memory and report.memory.activations)
    assert report.params == _column_sums(report, "params")
    memory = net.memory(shape, batch_size=batch, dtype=dtype)
    assert report.memory == memory
    assert report.dtype == dtype


@pytest.mark.parametrize("seed", range(20))
def test_container_rows_are_subtotals(seed: int) -> None:
    """A container's row sums the leaves below it, for every column."""
    net, shape = random_net(random.Random(100 + seed))
    rows = net.report(shape, batch_size=3, dtype="bf16").rows
    for index, row in enumerate(rows):
        if row.leaf:
            continue
        below = []
        for other in rows[index + 1 :]:
            if other.depth <= row.depth:
                break
            below.append(other)
        leaves = [other for other in below if other.leaf]
        for column in ("macs", "elementwise", "param_bytes", "buffer_bytes", "activation_bytes"):
            assert getattr(row, column) == sum(getattr(leaf, column) for leaf in leaves), column


def _footer(text: str) -> list[str]:
    return [line for line in text.splitlines() if line[:1] not in "┌├└│+|"]


@pytest.mark.parametrize("seed", range(10))
def test_display_options_change_no_figure(seed: int) -> None:
    """depth, explain and ascii change the table, never a footer figure."""
    net, shape = random_net(random.Random(200 + seed))
    report = net.report(shape, batch_size=2, dtype="fp16")
    footers = {
        tuple(_footer(report.render(**options)))
        for options in (
            {},
            {"depth": 0},
            {"depth": 1},
            {"explain": True},
            {"ascii": True},
        )
    }
    assert len(footers) == 1


def test_footer_lines() -> None:
    """The footer shows the memory lines in bytes and IEC units, labelled."""
    net = pc.Sequential(pc.Linear(400, 120), pc.ReLU(), pc.Linear(120, 10))
    text = net.report((400,), batch_size=4, dtype="bf16", mixed_precision=True).render()
    params = 48120 + 1210
    assert f"Parameter memory:     {params * 2:,} B (96.35 KiB), bf16" in text
    assert "Element-wise FLOPs:   1,000 (1K)" in text  # 4·(120 + 120 + 10)
    # inference peaks at the ReLU: weights, input, the Linear's output and the ReLU's (4·120·2 each)
    assert f"Inference peak:       {params * 2 + 3200 + 2 * 960:,} B" in text
    # the step: 16 bytes a parameter, input, int64 targets, AdamW's fp32 foreach scratch
    step = 16 * params + 3200 + 4 * 8 + 4 * params
    assert f"Training peak (adamw, mixed bf16/fp32): {step:,} B" in text


def test_report_to_dict_has_memory() -> None:
    """to_dict carries every byte figure and element-wise FLOPs as plain integers."""
    data: dict[str, Any] = pc.Linear(4, 2).report((4,), dtype="fp16").to_dict()
    assert data["totals"]["param_bytes"] == 10 * 2
    assert data["totals"]["elementwise_flops"] == 2
    assert data["rows"][0]["activation_bytes"] == 4
    assert data["memory"]["states"] == 10 * 8


@settings(max_examples=50, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 30), min_size=2, max_size=5),
    lead=st.lists(st.integers(1, 4), max_size=2),
    batch=st.integers(1, 6),
)
def test_linear_stack_property(sizes: list[int], lead: list[int], batch: int) -> None:
    """For Linear stacks: MACs over leading dims, one bias add per output, FLOPs = 2 × MACs."""
    net = pc.Sequential(*(pc.Linear(a, b) for a, b in itertools.pairwise(sizes)))
    rows = 1
    for size in lead:
        rows *= size
    report = net.report((*lead, sizes[0]), batch_size=batch)
    pairs = list(itertools.pairwise(sizes))
    assert report.macs == batch * rows * sum(a * b for a, b in pairs)
    assert report.elementwise == batch * rows * sum(b for _, b in pairs)
    assert report.flops == 2 * report.macs
