"""MultiheadAttention against live torch on seeded random configurations.

MACs are ``FlopCounterMode`` / 2 on the standard path (``train()`` mode). The
default ``need_weights=True`` call is compared, and so is ``need_weights=False``
under ``sdpa_kernel(SDPBackend.MATH)``: the counter does not see torch's fused
CPU attention kernel, which that call would otherwise take.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

import paramcalc as pc
from paramcalc import ConfigError

from .sequences import count, per_sample, same_tensors, sequence

CASES = 100


def _mha_config(rng: random.Random) -> tuple[dict[str, Any], int, int]:
    heads = rng.randint(1, 4)
    embed = heads * rng.randint(1, 4)
    kwargs: dict[str, Any] = {
        "embed_dim": embed,
        "num_heads": heads,
        "dropout": rng.choice([0.0, 0.0, 0.1, 0.5]),
        "bias": rng.random() < 0.7,
        "add_bias_kv": rng.random() < 0.3,
        "add_zero_attn": rng.random() < 0.3,
        "batch_first": rng.random() < 0.5,
    }
    if rng.random() < 0.4:
        kwargs["kdim"] = rng.choice([None, embed, rng.randint(1, 12)])
        kwargs["vdim"] = rng.choice([None, embed, rng.randint(1, 12)])
    return kwargs, rng.randint(1, 6), rng.randint(1, 6)


def test_multihead_attention_matches_torch(torch: Any) -> None:
    """Names, order, shapes, output shape and MACs (both call paths) equal torch's."""
    rng = random.Random("mha")
    for _ in range(CASES * 2):
        kwargs, length, source = _mha_config(rng)
        theirs = torch.nn.MultiheadAttention(**kwargs).train()
        cross = rng.random() < 0.5 or theirs.kdim != kwargs["embed_dim"]
        cross = cross or theirs.vdim != kwargs["embed_dim"]
        ours = pc.MultiheadAttention(**kwargs, key_len=source if cross else None)
        same_tensors(ours, theirs)
        bf = kwargs["batch_first"]
        query = sequence(torch, length, kwargs["embed_dim"], bf)
        if cross:
            key = sequence(torch, source, theirs.kdim, bf)
            value = sequence(torch, source, theirs.vdim, bf)
        else:
            key = value = query
        out, macs = count(torch, theirs, query, key, value, math=False)
        _, fused_macs = count(torch, theirs, query, key, value, math=True, need_weights=False)
        shape = (length, kwargs["embed_dim"])
        assert ours.output_shape(shape) == per_sample(out, bf), kwargs
        assert ours.macs(shape) == macs == fused_macs, (kwargs, length, source)


INVALID: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
    ("MultiheadAttention", (10, 3), {}),
    ("MultiheadAttention", (0, 1), {}),
    ("MultiheadAttention", (8, 0), {}),
    ("MultiheadAttention", (-4, 2), {}),
]


@pytest.mark.parametrize(("name", "args", "kwargs"), INVALID)
def test_invalid_configs_rejected_like_torch(
    torch: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    """What torch rejects at construction, paramcalc rejects with ConfigError."""
    with pytest.raises((ValueError, TypeError, RuntimeError, AssertionError)):
        getattr(torch.nn, name)(*args, **kwargs)
    with pytest.raises(ConfigError):
        getattr(pc, name)(*args, **kwargs)


def test_attention_dropout_rejected_like_torch(torch: Any) -> None:
    """torch accepts dropout=1.5 at construction and fails at the first training forward."""
    theirs = torch.nn.MultiheadAttention(8, 2, dropout=1.5).train()
    x = torch.zeros(3, 1, 8)
    with pytest.raises(ValueError, match="dropout probability"):
        theirs(x, x, x)
    with pytest.raises(ConfigError, match="`dropout` must be a probability"):
        pc.MultiheadAttention(8, 2, dropout=1.5)


def test_feature_mismatch_rejected_like_torch(torch: Any) -> None:
    """A query whose features differ from embed_dim fails in both."""
    theirs = torch.nn.MultiheadAttention(8, 2)
    x = torch.zeros(3, 1, 6)
    with pytest.raises(AssertionError, match="embedding dimension"):
        theirs(x, x, x)
    with pytest.raises(pc.ShapeError, match="expects 8 input features but receives 6"):
        pc.MultiheadAttention(8, 2).output_shape((3, 6))


SIGNATURES = [
    "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell", "MultiheadAttention",
    "TransformerEncoderLayer", "TransformerDecoderLayer", "TransformerEncoder",
    "TransformerDecoder", "Transformer",
]  # fmt: skip


@pytest.mark.parametrize("name", SIGNATURES)
def test_signatures_match_torch(torch: Any, name: str) -> None:
    """Positional order, names and defaults equal torch's public signature (its first
    overload where torch's __init__ is (*args, **kwargs)), minus device/dtype; paramcalc
    writes torch's default activation F.relu as 'relu'."""
    import inspect
    import typing

    get_overloads = getattr(typing, "get_overloads", None)  # Python 3.11+
    if get_overloads is None:
        pytest.skip("typing.get_overloads needs Python 3.11")
    init = getattr(torch.nn, name).__init__
    overloads = get_overloads(init)
    theirs = [
        (p.name, p.default)
        for p in inspect.signature(overloads[0] if overloads else init).parameters.values()
        if p.name not in ("self", "device", "dtype")
    ]
    theirs = [
        (arg, "relu" if default is torch.nn.functional.relu else default) for arg, default in theirs
    ]
    ours = [
        (p.name, p.default)
        for p in inspect.signature(getattr(pc, name)).parameters.values()
        if p.kind is not p.KEYWORD_ONLY
    ]
    assert ours == theirs
