"""MultiheadAttention and the transformer family against live torch on seeded random configs.

MACs are ``FlopCounterMode`` / 2 on the standard path: ``train()`` mode, and
for calls with ``need_weights=False`` (all transformer layers) under
``sdpa_kernel(SDPBackend.MATH)``, since the counter does not see torch's fused
CPU attention kernel. The default ``need_weights=True`` call of
MultiheadAttention is compared both ways.
"""

from __future__ import annotations

import random
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

import paramcalc as pc
from paramcalc import ConfigError
from paramcalc.layers._layernorm import LayerNorm

from .compare import torch_buffers, torch_parameters

CASES = 100


@contextmanager
def _quiet() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # enable_nested_tensor notes, dropout notes
        yield


def _sequence(torch: Any, length: int, features: int, batch_first: bool) -> Any:
    return torch.zeros((1, length, features) if batch_first else (length, 1, features))


def _per_sample(out: Any, batch_first: bool) -> tuple[int, ...]:
    return tuple(out.shape[1:]) if batch_first else (out.shape[0], out.shape[2])


def _count(torch: Any, module: Any, *args: Any, math: bool, **kwargs: Any) -> tuple[Any, int]:
    """``module(*args, **kwargs)``'s first output and FlopCounterMode / 2.

    ``math`` selects the math SDPA backend, whose matrix products the counter sees.
    """
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with _quiet(), torch.no_grad(), counter:
        if math:
            with sdpa_kernel(SDPBackend.MATH):
                out = module(*args, **kwargs)
        else:
            out = module(*args, **kwargs)
    out = out[0] if isinstance(out, tuple) else out
    return out, counter.get_total_flops() // 2


def _same_tensors(ours: pc.Layer, theirs: Any) -> None:
    assert list(ours.named_parameters()) == torch_parameters(theirs), ours
    assert list(ours.named_buffers()) == torch_buffers(theirs) == [], ours
    assert ours.params() == sum(p.numel() for p in theirs.parameters()), ours


# -- MultiheadAttention ------------------------------------------------------------


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
        _same_tensors(ours, theirs)
        bf = kwargs["batch_first"]
        query = _sequence(torch, length, kwargs["embed_dim"], bf)
        if cross:
            key = _sequence(torch, source, theirs.kdim, bf)
            value = _sequence(torch, source, theirs.vdim, bf)
        else:
            key = value = query
        out, macs = _count(torch, theirs, query, key, value, math=False)
        _, fused_macs = _count(torch, theirs, query, key, value, math=True, need_weights=False)
        shape = (length, kwargs["embed_dim"])
        assert ours.output_shape(shape) == _per_sample(out, bf), kwargs
        assert ours.macs(shape) == macs == fused_macs, (kwargs, length, source)


# -- transformer layers ---------------------------------------------------------------


def _layer_config(rng: random.Random, torch: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Keyword arguments for torch and for paramcalc (they differ only in `activation`)."""
    heads = rng.randint(1, 4)
    feedforward = rng.randint(1, 24)
    kwargs: dict[str, Any] = {
        "d_model": heads * rng.randint(1, 4),
        "nhead": heads,
        "dim_feedforward": feedforward,
        "dropout": rng.choice([0.0, 0.1, 0.5]),
        "layer_norm_eps": rng.choice([1e-5, 1e-6]),
        "batch_first": rng.random() < 0.5,
        "norm_first": rng.random() < 0.5,
        "bias": rng.random() < 0.7,
    }
    ours, theirs = dict(kwargs), dict(kwargs)
    choice = rng.choice(["relu", "gelu", "module", "linear"])
    if choice in ("relu", "gelu"):
        ours["activation"] = theirs["activation"] = choice
    elif choice == "module":
        ours["activation"], theirs["activation"] = pc.ReLU(), torch.nn.ReLU()
    else:  # an activation with parameters: registered last, run between the linears
        ours["activation"] = pc.Linear(feedforward, feedforward)
        theirs["activation"] = torch.nn.Linear(feedforward, feedforward)
    return ours, theirs


def test_encoder_layer_matches_torch(torch: Any) -> None:
    """TransformerEncoderLayer: names, order, output shape and MACs equal torch's."""
    rng = random.Random("encoder-layer")
    for _ in range(CASES):
        ours_kw, theirs_kw = _layer_config(rng, torch)
        ours = pc.TransformerEncoderLayer(**ours_kw)
        theirs = torch.nn.TransformerEncoderLayer(**theirs_kw).train()
        _same_tensors(ours, theirs)
        bf, length = ours_kw["batch_first"], rng.randint(1, 6)
        src = _sequence(torch, length, ours_kw["d_model"], bf)
        out, macs = _count(torch, theirs, src, math=True)
        shape = (length, ours_kw["d_model"])
        assert ours.output_shape(shape) == _per_sample(out, bf), ours_kw
        assert ours.macs(shape) == macs, ours_kw


def test_decoder_layer_matches_torch(torch: Any) -> None:
    """TransformerDecoderLayer: names, order, output shape and MACs (memory S ≠ T) equal torch's."""
    rng = random.Random("decoder-layer")
    for _ in range(CASES):
        ours_kw, theirs_kw = _layer_config(rng, torch)
        length, memory = rng.randint(1, 6), rng.randint(1, 6)
        ours = pc.TransformerDecoderLayer(**ours_kw, memory_len=memory)
        theirs = torch.nn.TransformerDecoderLayer(**theirs_kw).train()
        _same_tensors(ours, theirs)
        bf, d_model = ours_kw["batch_first"], ours_kw["d_model"]
        tgt = _sequence(torch, length, d_model, bf)
        mem = _sequence(torch, memory, d_model, bf)
        out, macs = _count(torch, theirs, tgt, mem, math=True)
        shape = (length, d_model)
        assert ours.output_shape(shape) == _per_sample(out, bf), ours_kw
        assert ours.macs(shape) == macs, ours_kw


def _norms(rng: random.Random, torch: Any, d_model: int, bias: bool) -> tuple[Any, Any]:
    if rng.random() < 0.5:
        return None, None
    return LayerNorm(d_model, bias=bias), torch.nn.LayerNorm(d_model, bias=bias)


def test_encoder_matches_torch(torch: Any) -> None:
    """TransformerEncoder: the cloned stack's names (layers.i.…), shapes and MACs."""
    rng = random.Random("encoder")
    for _ in range(CASES):
        ours_kw, theirs_kw = _layer_config(rng, torch)
        layers = rng.randint(1, 3)
        d_model, bf = ours_kw["d_model"], ours_kw["batch_first"]
        our_norm, their_norm = _norms(rng, torch, d_model, ours_kw["bias"])
        with _quiet():
            theirs = torch.nn.TransformerEncoder(
                torch.nn.TransformerEncoderLayer(**theirs_kw), layers, their_norm
            ).train()
        ours = pc.TransformerEncoder(pc.TransformerEncoderLayer(**ours_kw), layers, our_norm)
        _same_tensors(ours, theirs)
        length = rng.randint(1, 6)
        src = _sequence(torch, length, d_model, bf)
        out, macs = _count(torch, theirs, src, math=True)
        assert ours.output_shape((length, d_model)) == _per_sample(out, bf)
        assert ours.macs((length, d_model)) == macs


def test_decoder_matches_torch(torch: Any) -> None:
    """TransformerDecoder: the cloned stack's names, shapes and MACs with a memory."""
    rng = random.Random("decoder")
    for _ in range(CASES):
        ours_kw, theirs_kw = _layer_config(rng, torch)
        layers, length, memory = rng.randint(1, 3), rng.randint(1, 6), rng.randint(1, 6)
        d_model, bf = ours_kw["d_model"], ours_kw["batch_first"]
        our_norm, their_norm = _norms(rng, torch, d_model, ours_kw["bias"])
        theirs = torch.nn.TransformerDecoder(
            torch.nn.TransformerDecoderLayer(**theirs_kw), layers, their_norm
        ).train()
        ours = pc.TransformerDecoder(
            pc.TransformerDecoderLayer(**ours_kw, memory_len=memory), layers, our_norm
        )
        _same_tensors(ours, theirs)
        tgt = _sequence(torch, length, d_model, bf)
        mem = _sequence(torch, memory, d_model, bf)
        out, macs = _count(torch, theirs, tgt, mem, math=True)
        assert ours.output_shape((length, d_model)) == _per_sample(out, bf)
        assert ours.macs((length, d_model)) == macs


def test_transformer_matches_torch(torch: Any) -> None:
    """Transformer: encoder on (S, E), decoder on (T, E); names, shapes and MACs."""
    rng = random.Random("transformer")
    for _ in range(CASES):
        ours_kw, theirs_kw = _layer_config(rng, torch)
        counts: dict[str, Any] = {
            "num_encoder_layers": rng.randint(1, 2),
            "num_decoder_layers": rng.randint(1, 2),
        }
        length, source = rng.randint(1, 5), rng.randint(1, 5)
        with _quiet():
            theirs = torch.nn.Transformer(**theirs_kw, **counts).train()
        ours = pc.Transformer(**ours_kw, **counts, src_len=source)
        _same_tensors(ours, theirs)
        d_model, bf = ours_kw["d_model"], ours_kw["batch_first"]
        src = _sequence(torch, source, d_model, bf)
        tgt = _sequence(torch, length, d_model, bf)
        out, macs = _count(torch, theirs, src, tgt, math=True)
        assert ours.output_shape((length, d_model)) == _per_sample(out, bf)
        assert ours.macs((length, d_model)) == macs


def test_default_transformer_matches_torch(torch: Any) -> None:
    """nn.Transformer(): 44,140,544 parameters in both, tensor by tensor."""
    with _quiet():
        theirs = torch.nn.Transformer()
    _same_tensors(pc.Transformer(), theirs)
    assert pc.Transformer().params() == 44_140_544


def test_custom_encoder_and_decoder_match_torch(torch: Any) -> None:
    """custom_encoder/custom_decoder replace the built parts, names under encoder./decoder."""
    with _quiet():
        theirs = torch.nn.Transformer(
            8,
            2,
            custom_encoder=torch.nn.TransformerEncoder(
                torch.nn.TransformerEncoderLayer(8, 2, 16), 2
            ),
            custom_decoder=torch.nn.Linear(8, 8),
        )
    ours = pc.Transformer(
        8,
        2,
        custom_encoder=pc.TransformerEncoder(pc.TransformerEncoderLayer(8, 2, 16), 2),
        custom_decoder=pc.Linear(8, 8),
    )
    _same_tensors(ours, theirs)


# -- invalid configurations ------------------------------------------------------------

INVALID: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
    ("MultiheadAttention", (10, 3), {}),
    ("MultiheadAttention", (0, 1), {}),
    ("MultiheadAttention", (8, 0), {}),
    ("MultiheadAttention", (-4, 2), {}),
    ("TransformerEncoderLayer", (10, 3), {}),
    ("TransformerEncoderLayer", (8, 2), {"activation": "tanh"}),
    ("TransformerEncoderLayer", (8, 2), {"dropout": 1.5}),
    ("TransformerDecoderLayer", (9, 2), {}),
    ("TransformerDecoderLayer", (8, 2), {"activation": "swish"}),
    ("TransformerDecoderLayer", (8, 2), {"dropout": -0.1}),
    ("Transformer", (10, 3), {}),
    ("Transformer", (8, 2), {"activation": "sigmoid"}),
    ("Transformer", (8, 2), {"dropout": 2.0}),
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


def test_empty_stacks_rejected_like_torch(torch: Any) -> None:
    """torch builds 0-layer stacks and fails at the first forward (self.layers[0])."""
    with _quiet():
        encoder = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(8, 2, 16), 0)
    with pytest.raises(IndexError):
        encoder(torch.zeros(3, 1, 8))
    decoder = torch.nn.TransformerDecoder(torch.nn.TransformerDecoderLayer(8, 2, 16), 0)
    with pytest.raises(IndexError):
        decoder(torch.zeros(3, 1, 8), torch.zeros(3, 1, 8))
    with pytest.raises(ConfigError, match="`num_layers` must be at least 1"):
        pc.TransformerEncoder(pc.TransformerEncoderLayer(8, 2, 16), 0)
    with pytest.raises(ConfigError, match="`num_layers` must be at least 1"):
        pc.TransformerDecoder(pc.TransformerDecoderLayer(8, 2, 16), 0)


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
