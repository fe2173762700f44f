"""The transformer family against live torch on seeded random configurations.

MACs are ``FlopCounterMode`` / 2 on the standard path: ``train()`` mode, under
``sdpa_kernel(SDPBackend.MATH)``, because these layers call attention with
``need_weights=False`` and the counter does not see torch's fused CPU
attention kernel.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

import paramcalc as pc
from paramcalc import ConfigError
from paramcalc.layers.norm import LayerNorm

from .sequences import count, per_sample, quiet, same_tensors, sequence

CASES = 100


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
        same_tensors(ours, theirs)
        bf, length = ours_kw["batch_first"], rng.randint(1, 6)
        src = sequence(torch, length, ours_kw["d_model"], bf)
        out, macs = count(torch, theirs, src, math=True)
        shape = (length, ours_kw["d_model"])
        assert ours.output_shape(shape) == per_sample(out, bf), ours_kw
        assert ours.macs(shape) == macs, ours_kw


def test_decoder_layer_matches_torch(torch: Any) -> None:
    """TransformerDecoderLayer: names, order, output shape and MACs (memory S ≠ T) equal torch's."""
    rng = random.Random("decoder-layer")
    for _ in range(CASES):
        ours_kw, theirs_kw = _layer_config(rng, torch)
        length, memory = rng.randint(1, 6), rng.randint(1, 6)
        ours = pc.TransformerDecoderLayer(**ours_kw, memory_len=memory)
        theirs = torch.nn.TransformerDecoderLayer(**theirs_kw).train()
        same_tensors(ours, theirs)
        bf, d_model = ours_kw["batch_first"], ours_kw["d_model"]
        tgt = sequence(torch, length, d_model, bf)
        mem = sequence(torch, memory, d_model, bf)
        out, macs = count(torch, theirs, tgt, mem, math=True)
        shape = (length, d_model)
        assert ours.output_shape(shape) == per_sample(out, bf), ours_kw
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
        with quiet():
            theirs = torch.nn.TransformerEncoder(
                torch.nn.TransformerEncoderLayer(**theirs_kw), layers, their_norm
            ).train()
        ours = pc.TransformerEncoder(pc.TransformerEncoderLayer(**ours_kw), layers, our_norm)
        same_tensors(ours, theirs)
        length = rng.randint(1, 6)
        src = sequence(torch, length, d_model, bf)
        out, macs = count(torch, theirs, src, math=True)
        assert ours.output_shape((length, d_model)) == per_sample(out, bf)
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
        same_tensors(ours, theirs)
        tgt = sequence(torch, length, d_model, bf)
        mem = sequence(torch, memory, d_model, bf)
        out, macs = count(torch, theirs, tgt, mem, math=True)
        assert ours.output_shape((length, d_model)) == per_sample(out, bf)
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
        with quiet():
            theirs = torch.nn.Transformer(**theirs_kw, **counts).train()
        ours = pc.Transformer(**ours_kw, **counts, src_len=source)
        same_tensors(ours, theirs)
        d_model, bf = ours_kw["d_model"], ours_kw["batch_first"]
        src = sequence(torch, source, d_model, bf)
        tgt = sequence(torch, length, d_model, bf)
        out, macs = count(torch, theirs, src, tgt, math=True)
        assert ours.output_shape((length, d_model)) == per_sample(out, bf)
        assert ours.macs((length, d_model)) == macs


def test_default_transformer_matches_torch(torch: Any) -> None:
    """nn.Transformer(): 44,140,544 parameters in both, tensor by tensor."""
    with quiet():
        theirs = torch.nn.Transformer()
    same_tensors(pc.Transformer(), theirs)
    assert pc.Transformer().params() == 44_140_544


def test_custom_encoder_and_decoder_match_torch(torch: Any) -> None:
    """custom_encoder/custom_decoder replace the built parts, names under encoder./decoder."""
    with quiet():
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
    same_tensors(ours, theirs)


INVALID: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
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


def test_empty_stacks_rejected_like_torch(torch: Any) -> None:
    """torch builds 0-layer stacks and fails at the first forward (self.layers[0])."""
    with quiet():
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
