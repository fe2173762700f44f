"""Properties that hold for every network (hypothesis over random LeNet-like stacks)."""

from __future__ import annotations

import json

from hypothesis import given, settings, strategies as st

from paramcalc import Conv2d, Flatten, Layer, Linear, MaxPool2d, ReLU, Sequential
from paramcalc.shapes import numel


@st.composite
def networks(draw: st.DrawFn) -> tuple[Sequential, tuple[int, ...]]:
    channels = draw(st.integers(1, 4))
    size = draw(st.integers(8, 24))
    shape = (channels, size, size)
    layers: list[Layer] = []
    for _ in range(draw(st.integers(0, 3))):
        out = draw(st.integers(1, 8))
        kernel = draw(st.integers(1, min(3, size)))
        layers.append(Conv2d(channels, out, kernel, bias=draw(st.booleans())))
        channels, size = out, size - kernel + 1
        if draw(st.booleans()):
            layers.append(ReLU())
        if size >= 4 and draw(st.booleans()):
            layers.append(MaxPool2d(2))
            size //= 2
    layers.append(Flatten())
    features = channels * size * size
    for _ in range(draw(st.integers(1, 3))):
        out = draw(st.integers(1, 32))
        layer = Linear(features, out, bias=draw(st.booleans()))
        layers.append(layer.freeze() if draw(st.booleans()) else layer)
        features = out
    return Sequential(*layers), shape


@settings(max_examples=60, deadline=None)
@given(networks())
def test_counts_are_consistent(case: tuple[Sequential, tuple[int, ...]]) -> None:
    """params = Σ prod(shape) = explain().value = Σ rows; trainable ≤ params."""
    net, shape = case
    assert net.params() == sum(numel(s) for _, s in net.named_parameters())
    assert net.explain().value == net.params()
    report = net.report(shape)
    assert sum(row.params for row in report.leaves()) == report.params == net.params()
    assert sum(row.trainable for row in report.leaves()) == report.trainable
    assert sum(row.macs or 0 for row in report.leaves()) == report.macs == net.macs(shape)
    assert report.output_shape == net.output_shape(shape)
    assert 0 <= report.trainable <= report.params
    for row in report.leaves():
        assert row.formula.value == row.layer.params()


@settings(max_examples=30, deadline=None)
@given(networks(), st.integers(1, 64))
def test_batch_multiplies_macs_only(case: tuple[Sequential, tuple[int, ...]], batch: int) -> None:
    """batch_size multiplies MACs, never parameters or shapes."""
    net, shape = case
    single, batched = net.report(shape), net.report(shape, batch_size=batch)
    assert batched.macs == batch * (single.macs or 0)
    assert batched.params == single.params
    assert [r.output_shape for r in batched.rows] == [r.output_shape for r in single.rows]


@settings(max_examples=30, deadline=None)
@given(networks())
def test_to_dict_is_json(case: tuple[Sequential, tuple[int, ...]]) -> None:
    """to_dict() survives a JSON round trip unchanged, exact integers included."""
    net, shape = case
    data = net.report(shape).to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["totals"]["params"] == net.params()
