"""RNN, LSTM, GRU and their cells against live torch on seeded random configurations.

torch's ``FlopCounterMode`` sees RNN's and GRU's CPU kernels as ``addmm``/``mm``
calls; LSTM's oneDNN kernel is invisible to it, so every forward here runs with
``torch.backends.mkldnn.flags(enabled=False)``, which takes the plain path.
"""

from __future__ import annotations

import random
import warnings
from typing import Any

import pytest

import paramcalc as pc
from paramcalc import ConfigError

from .compare import torch_buffers, torch_parameters

CASES = 120


def _run(torch: Any, module: Any, shape: tuple[int, ...], batch_first: bool) -> tuple[Any, int]:
    """torch's per-sample output shape and FlopCounterMode / 2 on a batch of one."""
    from torch.utils.flop_counter import FlopCounterMode

    if len(shape) == 1 or batch_first:  # a cell's (N, H_in) or (N, L, H_in)
        batch = torch.zeros((1, *shape))
    else:
        batch = torch.zeros((shape[0], 1, shape[1]))
    counter = FlopCounterMode(display=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mkldnn.flags: "TF32 ... Intel GPUs"
        with torch.no_grad(), torch.backends.mkldnn.flags(enabled=False), counter:
            out = module(batch)
    out = out[0] if isinstance(out, tuple) else out
    if len(shape) == 1:
        per_sample = tuple(out.shape[1:])
    elif batch_first:
        per_sample = (out.shape[1], out.shape[2])
    else:
        per_sample = (out.shape[0], out.shape[2])
    return per_sample, counter.get_total_flops() // 2


def _check(torch: Any, ours: pc.Layer, theirs: Any, shape: tuple[int, ...], bf: bool) -> None:
    assert list(ours.named_parameters()) == torch_parameters(theirs), ours
    assert list(ours.named_buffers()) == torch_buffers(theirs) == [], ours
    assert ours.params() == sum(p.numel() for p in theirs.parameters()), ours
    output, macs = _run(torch, theirs, shape, bf)
    assert ours.output_shape(shape) == output, (ours, shape)
    assert ours.macs(shape) == macs, (ours, shape)


def _sequence_config(rng: random.Random, kind: str) -> tuple[dict[str, Any], tuple[int, ...]]:
    hidden = rng.randint(1, 12)
    kwargs: dict[str, Any] = {
        "input_size": rng.randint(1, 12),
        "hidden_size": hidden,
        "num_layers": rng.choice([1, 1, 2, 3]),
        "bias": rng.random() < 0.7,
        "batch_first": rng.random() < 0.5,
        "dropout": rng.choice([0.0, 0.0, 0.25, 1]),
        "bidirectional": rng.random() < 0.5,
    }
    if kind == "RNN":
        kwargs["nonlinearity"] = rng.choice(["tanh", "relu"])
    if kind == "LSTM" and hidden > 1 and rng.random() < 0.5:
        kwargs["proj_size"] = rng.randint(1, hidden - 1)
    shape = (rng.randint(1, 6), kwargs["input_size"])
    return kwargs, shape


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_sequence_layers_match_torch(torch: Any, kind: str) -> None:
    """RNN/LSTM/GRU: names, order, shapes, output shape and MACs equal torch's."""
    rng = random.Random(f"recurrent-{kind}")
    for _ in range(CASES):
        kwargs, shape = _sequence_config(rng, kind)
        ours = getattr(pc, kind)(**kwargs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # dropout with one layer; proj without oneDNN
            theirs = getattr(torch.nn, kind)(**kwargs).eval()
            _check(torch, ours, theirs, shape, kwargs["batch_first"])


def test_positional_arguments_match_torch(torch: Any) -> None:
    """The public classes' positional order: RNN's 4th argument is nonlinearity."""
    pairs = [
        ("RNN", (3, 5, 2, "relu", False, True, 0.5, True)),
        ("LSTM", (3, 5, 2, False, True, 0.5, True, 2)),
        ("GRU", (3, 5, 2, False, True, 0.5, True)),
        ("RNNCell", (3, 5, False, "relu")),
        ("LSTMCell", (3, 5, False)),
        ("GRUCell", (3, 5, False)),
    ]
    for kind, args in pairs:
        theirs = getattr(torch.nn, kind)(*args)
        ours = getattr(pc, kind)(*args)
        assert list(ours.named_parameters()) == torch_parameters(theirs), kind
        if kind == "RNN":
            assert theirs.nonlinearity == ours.nonlinearity == "relu"


@pytest.mark.parametrize("kind", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells_match_torch(torch: Any, kind: str) -> None:
    """Cells: names, shapes, output shape (h') and MACs equal torch's."""
    rng = random.Random(f"cell-{kind}")
    for _ in range(CASES):
        kwargs: dict[str, Any] = {
            "input_size": rng.randint(1, 40),
            "hidden_size": rng.randint(1, 40),
            "bias": rng.random() < 0.7,
        }
        if kind == "RNNCell":
            kwargs["nonlinearity"] = rng.choice(["tanh", "relu"])
        ours = getattr(pc, kind)(**kwargs)
        theirs = getattr(torch.nn, kind)(**kwargs)
        _check(torch, ours, theirs, (kwargs["input_size"],), False)


def test_sequence_feature_mismatch_rejected_like_torch(torch: Any) -> None:
    """torch rejects a wrong feature size at forward; paramcalc with ShapeError."""
    with pytest.raises(RuntimeError, match=r"input\.size"):
        torch.nn.GRU(4, 6)(torch.zeros(3, 1, 5))
    with pytest.raises(pc.ShapeError, match="expects 4 input features but receives 5"):
        pc.GRU(4, 6).output_shape((3, 5))


INVALID: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
    ("RNN", (4, 6), {"nonlinearity": "sigmoid"}),
    ("RNN", (4, 6), {"dropout": 1.5}),
    ("RNN", (4, 6), {"dropout": -0.5}),
    ("RNN", (4, 6), {"dropout": True}),
    ("RNN", (0, 6), {}),
    ("RNN", (4, 0), {}),
    ("RNN", (4, 6), {"num_layers": 0}),
    ("RNN", (4, 6), {"bias": 1}),
    ("RNN", (4, 6), {"batch_first": 0}),
    ("LSTM", (4, 6), {"proj_size": 6}),
    ("LSTM", (4, 6), {"proj_size": 9}),
    ("LSTM", (4, 6), {"proj_size": -1}),
    ("LSTM", (4.0, 6), {}),
    ("LSTM", (4, 6.0), {}),
    ("GRU", (4, -3), {}),
    ("GRU", (4, 6), {"num_layers": -1}),
    ("GRU", (4, 6), {"dropout": "0.5"}),
    ("RNNCell", (-1, 6), {}),
    ("LSTMCell", (4, -6), {}),
    ("GRUCell", (-4, 6), {}),
]


@pytest.mark.parametrize(("name", "args", "kwargs"), INVALID)
def test_invalid_configs_rejected_like_torch(
    torch: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    """What torch rejects at construction, paramcalc rejects with ConfigError."""
    with pytest.raises((ValueError, TypeError, RuntimeError)):
        getattr(torch.nn, name)(*args, **kwargs)
    with pytest.raises(ConfigError):
        getattr(pc, name)(*args, **kwargs)


def test_unknown_cell_nonlinearity_rejected_like_torch(torch: Any) -> None:
    """torch's RNNCell accepts any nonlinearity and fails at forward; paramcalc at once."""
    cell = torch.nn.RNNCell(4, 6, nonlinearity="sigmoid")
    with pytest.raises(RuntimeError, match="Unknown nonlinearity"):
        cell(torch.zeros(1, 4))
    with pytest.raises(ConfigError, match="nonlinearity"):
        pc.RNNCell(4, 6, nonlinearity="sigmoid")


def test_proj_size_for_rnn_and_gru_rejected_like_torch(torch: Any) -> None:
    """torch: 'proj_size argument is only supported for LSTM'; paramcalc: no such keyword."""
    for name in ("RNN", "GRU"):
        with pytest.raises(ValueError, match="proj_size"):
            getattr(torch.nn, name)(4, 6, proj_size=2)
        with pytest.raises(TypeError, match="proj_size"):
            getattr(pc, name)(4, 6, proj_size=2)


def _unrolled(torch: Any, module: Any, kind: str, x: Any) -> Any:
    """torch's documented recurrences, step by step, with F.linear on the module's weights.

    ``x`` is ``(L, H_in)``; returns the output ``(L, D·H_out)``. Its agreement with
    the module's own output shows these are the products the module computes.
    """
    linear = torch.nn.functional.linear
    directions = 2 if module.bidirectional else 1
    hidden, proj = module.hidden_size, getattr(module, "proj_size", 0)
    for layer in range(module.num_layers):
        outputs = []
        for direction in range(directions):
            suffix = f"_l{layer}" + ("_reverse" if direction else "")

            def weight(name: str, suffix: str = suffix) -> Any:
                return getattr(module, f"{name}{suffix}", None)

            h = torch.zeros(proj or hidden)
            c = torch.zeros(hidden)
            steps = []
            order = range(x.shape[0]) if direction == 0 else reversed(range(x.shape[0]))
            for t in order:
                gi = linear(x[t], weight("weight_ih"), weight("bias_ih"))
                gh = linear(h, weight("weight_hh"), weight("bias_hh"))
                if kind == "RNN":
                    h = (
                        torch.tanh(gi + gh)
                        if module.nonlinearity == "tanh"
                        else torch.relu(gi + gh)
                    )
                elif kind == "GRU":
                    ir, iz, in_ = gi.chunk(3)
                    hr, hz, hn = gh.chunk(3)
                    r, z = torch.sigmoid(ir + hr), torch.sigmoid(iz + hz)
                    h = (1 - z) * torch.tanh(in_ + r * hn) + z * h
                else:
                    i, f, g, o = (gi + gh).chunk(4)
                    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                    h = torch.sigmoid(o) * torch.tanh(c)
                    if proj:
                        h = linear(h, weight("weight_hr"))
                steps.append((t, h))
            outputs.append(torch.stack([h for _, h in sorted(steps, key=lambda s: s[0])]))
        x = torch.cat(outputs, dim=-1)
    return x


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_macs_equal_an_unrolled_implementation(torch: Any, kind: str) -> None:
    """The MAC formula is the work of torch's documented recurrences, written out with
    F.linear on the module's weights (same outputs as the module), counted by FlopCounterMode."""
    from torch.utils.flop_counter import FlopCounterMode

    rng = random.Random(f"unrolled-{kind}")
    for _ in range(30):
        kwargs, shape = _sequence_config(rng, kind)
        kwargs["batch_first"], kwargs["dropout"] = False, 0.0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = getattr(torch.nn, kind)(**kwargs)
        x = torch.randn(shape, generator=torch.Generator().manual_seed(0))
        counter = FlopCounterMode(display=False)
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "LSTM with projections is not supported with oneDNN"
            with counter:
                out = _unrolled(torch, theirs, kind, x)
            expected = theirs(x)[0]
        assert torch.allclose(out, expected, atol=1e-5), kwargs
        assert getattr(pc, kind)(**kwargs).macs(shape) == counter.get_total_flops() // 2, kwargs
