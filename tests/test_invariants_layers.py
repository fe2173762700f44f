"""Properties over random modules of this branch's families (hypothesis)."""

from __future__ import annotations

import json

from hypothesis import given, settings, strategies as st

import paramcalc as pc
from paramcalc.shapes import numel

shapes = st.lists(st.integers(1, 5), max_size=3).map(tuple)


@st.composite
def leaves(draw: st.DrawFn) -> pc.Layer:
    c = draw(st.integers(1, 6))
    choice = draw(st.integers(0, 9))
    layer: pc.Layer
    if choice == 0:
        layer = pc.Parameter(draw(shapes), requires_grad=draw(st.booleans()))
    elif choice == 1:
        layer = pc.BatchNorm2d(
            c, affine=draw(st.booleans()), track_running_stats=draw(st.booleans())
        )
    elif choice == 2:
        layer = pc.InstanceNorm1d(
            c, affine=draw(st.booleans()), track_running_stats=draw(st.booleans())
        )
    elif choice == 3:
        layer = pc.LayerNorm(draw(shapes.filter(bool)), bias=draw(st.booleans()))
    elif choice == 4:
        layer = pc.GroupNorm(1, c, affine=draw(st.booleans()))
    elif choice == 5:
        layer = pc.Embedding(draw(st.integers(1, 20)), c)
    elif choice == 6:
        layer = pc.Bilinear(c, draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    elif choice == 7:
        layer = pc.ConvTranspose2d(c, draw(st.integers(1, 4)), draw(st.integers(1, 3)))
    elif choice == 8:
        layer = pc.ParameterList([pc.Parameter(s) for s in draw(st.lists(shapes, max_size=3))])
    else:
        layer = pc.ModuleDict({"a": pc.RMSNorm(c), "b": pc.EmbeddingBag(5, c)})
    return layer.freeze() if draw(st.booleans()) else layer


@st.composite
def modules(draw: st.DrawFn) -> pc.Module:
    net = pc.Module()
    for index, layer in enumerate(draw(st.lists(leaves(), min_size=1, max_size=6))):
        setattr(net, f"m{index}", layer)
    return net


@settings(max_examples=80, deadline=None)
@given(modules())
def test_counts_are_consistent(net: pc.Module) -> None:
    """params = Σ prod(shape) = explain().value = Σ rows; buffers likewise; JSON round trip."""
    assert net.params() == sum(numel(s) for _, s in net.named_parameters())
    assert net.buffers() == sum(numel(s) for _, s in net.named_buffers())
    assert net.explain().value == net.params()
    report = net.report()
    assert sum(row.params for row in report.leaves()) == report.params == net.params()
    assert sum(row.trainable for row in report.leaves()) == report.trainable
    assert sum(row.buffers for row in report.leaves()) == report.buffers == net.buffers()
    assert 0 <= report.trainable <= report.params
    names = [name for name, _ in net.named_parameters()]
    assert len(names) == len(set(names))
    copy = pc.from_dict(json.loads(json.dumps(report.to_dict())))
    assert list(copy.named_parameters()) == list(net.named_parameters())
    assert copy.trainable_params() == net.trainable_params()
