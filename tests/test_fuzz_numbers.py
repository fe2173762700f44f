"""Hypothesis properties for issue 23's wrong numbers: each number against its closed form.

Where :mod:`tests.test_fuzz_hostile` checks that hostile input ends cleanly,
these draw ordinary inputs and check the number itself: the KV cache against
transformers' cache rules, LoRA's trainable count against PEFT's ``r·(in+out)``
per adapted Linear, ``fit()``'s searches against the peak they bound, and every
planned time and JSON report finite. The closed forms are written from the
configs here, not from paramcalc's code.
"""

from __future__ import annotations

import contextlib
import io
import json
import warnings
from pathlib import Path
from typing import Any

from hypothesis import given, settings, strategies as st

import paramcalc as pc
from paramcalc.cli import main
from paramcalc.errors import ParamcalcWarning
from paramcalc.layer import Composite
from paramcalc.plan.devices import fit
from paramcalc.plan.inference import inference_memory
from paramcalc.plan.kv_cache import kv_cache_bytes
from paramcalc.zoo.language import llama
from tests.test_fuzz import EXAMPLES, FUZZ, within

FEWER = settings(FUZZ, max_examples=max(10, EXAMPLES // 5))
"""For properties whose example plans a hundred times (fit's searches): a fifth as many."""

DTYPE_BYTES = {"bf16": 2, "float32": 4, "fp8": 1}


def _config(config: dict[str, Any]) -> pc.Layer:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ParamcalcWarning)
        return pc.from_hf_config(config)


@st.composite
def decoders(draw: st.DrawFn) -> tuple[dict[str, Any], int, int]:
    """``(config, cached heads, sliding window or 0)``: a small llama, mistral or falcon."""
    family = draw(st.sampled_from(["llama", "mistral", "falcon"]))
    layers = draw(st.integers(1, 4))
    head_dim = draw(st.sampled_from([2, 4, 8]))
    if family == "falcon":
        kind = draw(st.sampled_from(["new_decoder_architecture", "multi_query", "multi_head"]))
        kv = draw(st.sampled_from([1, 2, 4]))
        heads = kv * draw(st.integers(1, 3)) if kind == "new_decoder_architecture" else kv
        config: dict[str, Any] = {
            "model_type": "falcon",
            "hidden_size": heads * head_dim,
            "num_attention_heads": heads,
            "num_hidden_layers": layers,
            "vocab_size": 16,
            "new_decoder_architecture": kind == "new_decoder_architecture",
            "multi_query": kind == "multi_query",
            "bos_token_id": 0,
            "eos_token_id": 0,
        }
        if kind == "new_decoder_architecture":
            config["num_kv_heads"] = kv
        # transformers 5.23 (modeling_falcon.py): the new architecture broadcasts keys and
        # values to every query head before caching them; multi_query caches one head
        cached = {"new_decoder_architecture": heads, "multi_query": 1, "multi_head": heads}
        return config, cached[kind], 0
    kv = draw(st.sampled_from([1, 2, 4]))
    heads = kv * draw(st.integers(1, 3))
    config = {
        "model_type": family,
        "hidden_size": heads * head_dim,
        "num_attention_heads": heads,
        "num_key_value_heads": kv,
        "num_hidden_layers": layers,
        "intermediate_size": 8,
        "vocab_size": 16,
    }
    if draw(st.booleans()):  # an explicit head_dim, not hidden // heads
        config["head_dim"] = head_dim * 2
    window = 0
    if family == "mistral":
        window = draw(st.one_of(st.just(0), st.integers(1, 40)))
        config["sliding_window"] = window or None
    return config, kv, window


def cached_length(tokens: int, window: int) -> int:
    """Tokens a layer keeps after a prefill: transformers' ``DynamicSlidingWindowLayer``.

    It keeps ``states[:, :, -window + 1:]``: the last ``window - 1`` tokens, and
    with a window of 1 (``[-0:]``) the whole prefill; no window keeps all.
    """
    if window <= 1:
        return tokens
    return min(tokens, window - 1)


class TestKVCache:
    @FUZZ
    @given(decoders(), st.integers(1, 64), st.integers(1, 3), st.sampled_from(list(DTYPE_BYTES)))
    def test_closed_form(
        self, drawn: tuple[dict[str, Any], int, int], tokens: int, batch: int, dtype: str
    ) -> None:
        """Bytes = 2 · layers · cached heads · head_dim · kept tokens · batch · dtype bytes.

        Guards issue 23 items 1 (Falcon's new_decoder_architecture cached one
        key/value head a group, 16× short) and 5 (a window of 1 gave 0 bytes).
        """
        config, heads, window = drawn
        head_dim = config.get("head_dim") or config["hidden_size"] // config["num_attention_heads"]
        with within():
            net = _config(config)
            got = kv_cache_bytes(net, tokens, batch, dtype)
        kept = cached_length(tokens, window)
        layers = config["num_hidden_layers"]
        expected = 2 * layers * heads * head_dim * kept * batch * DTYPE_BYTES[dtype]
        assert got == expected, (config, tokens, batch, dtype)


TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


def _deep(net: pc.Layer, depth: int) -> pc.Layer:
    """``net`` (one decoder layer) with its layers a ``Repeat`` of ``depth`` copies."""
    assert isinstance(net, Composite)
    model = net["model"]
    assert isinstance(model, Composite)
    stack = model["layers"]
    assert isinstance(stack, pc.Repeat)
    deep = pc.Repeat(stack.block, depth)
    layers = [deep if name == "layers" else child for name, child in model.children()]
    return net.rebuild([model.rebuild(layers), net["lm_head"]])


class TestLoraCounts:
    @FUZZ
    @given(
        st.integers(1, 64),
        st.lists(st.sampled_from(TARGETS), min_size=1, max_size=7, unique=True),
        st.sampled_from([1, 2, 3, 5, 10**12]),
        st.one_of(st.none(), st.lists(st.integers(0, 6), max_size=4, unique=True)),
        st.sampled_from(["none", "all", "lora_only"]),
        st.booleans(),
        st.booleans(),
    )
    def test_closed_form(
        self,
        r: int,
        targets: list[str],
        depth: int,
        picks: list[int] | None,
        bias: str,
        attention_bias: bool,
        mlp_bias: bool,
    ) -> None:
        """Trainable = r·(in + out) per adapted Linear, plus the biases ``bias`` trains.

        Guards issue 23 items 3 (``bias="all"``), 6 (``layers_to_transform=[]``
        is every layer) and 13 (a listed layer costs the list, not the depth:
        indices counted from the end of a 10¹²-layer stack).
        """
        hidden, inner, heads, kv, head_dim = 8, 12, 4, 2, 4
        base = llama(
            vocab_size=16,
            hidden_size=hidden,
            intermediate_size=inner,
            num_hidden_layers=1,
            num_attention_heads=heads,
            num_key_value_heads=kv,
            head_dim=head_dim,
            attention_bias=attention_bias,
            mlp_bias=mlp_bias,
        )
        net = _deep(base, depth)
        chosen = None if picks is None else sorted({p if p < 3 else depth - (p - 2) for p in picks})
        chosen = None if chosen is None else [p for p in chosen if 0 <= p < depth]
        shapes = {  # (in, out, has a bias) of each Linear of a layer
            "q_proj": (hidden, heads * head_dim, attention_bias),
            "k_proj": (hidden, kv * head_dim, attention_bias),
            "v_proj": (hidden, kv * head_dim, attention_bias),
            "o_proj": (heads * head_dim, hidden, attention_bias),
            "gate_proj": (hidden, inner, mlp_bias),
            "up_proj": (hidden, inner, mlp_bias),
            "down_proj": (inner, hidden, mlp_bias),
        }
        adapted_layers = depth if not chosen else len(chosen)  # [] and None: every layer
        adapters = adapted_layers * sum(r * (shapes[t][0] + shapes[t][1]) for t in targets)
        biases = {name: out if has else 0 for name, (_, out, has) in shapes.items()}
        trained_biases = {
            "none": 0,
            "all": depth * sum(biases.values()),
            "lora_only": adapted_layers * sum(biases[t] for t in targets),
        }[bias]
        with within():
            adapted = pc.lora(
                net, r=r, target_modules=targets, layers_to_transform=chosen, bias=bias
            )
            counts = adapted.trainable_params(), adapted.params()
        assert counts == (adapters + trained_biases, net.params() + adapters)


SMALL_LLAMA: dict[str, Any] = {
    "vocab_size": 32,
    "hidden_size": 16,
    "intermediate_size": 24,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
}


class TestFit:
    @FEWER
    @given(
        st.one_of(
            st.integers(1, 2**50), st.integers(0, 50).map(lambda bits: 2**bits), st.just(2**50)
        ),
        st.sampled_from([None, 100, 4096, 2**40]),
        st.sampled_from(["bf16", "fp32"]),
        st.sampled_from(["last", "all"]),
        st.sampled_from(["prefill", "decode"]),
        st.integers(1, 4),
    )
    def test_largest_is_the_last_that_fits(
        self,
        memory: int,
        limit: int | None,
        dtype: str,
        logits: str,
        phase: str,
        batch: int,
    ) -> None:
        """``peak(n) <= memory < peak(n + 1)`` for the largest context n and batch (or n = 0).

        The context may instead stop at the model's positions limit. Guards
        issue 23 item 8 (the searches stopped at 2³¹−1 tokens).
        """
        net = llama(**SMALL_LLAMA, max_position_embeddings=limit)
        options: dict[str, Any] = {"dtype": dtype, "logits": logits, "phase": phase}

        def peak(context: int, batch: int) -> int:
            return inference_memory(net, context, batch, **options).total

        with within():
            found = fit(net, 16, batch, memory=memory, **options)
            context, widest = found.largest_context, found.largest_batch
            assert context is not None
            assert widest is not None
            if context == 0:
                assert peak(1, batch) > memory
            elif found.context_bound == "positions":
                assert context == limit
                assert peak(context, batch) <= memory
            else:
                assert found.context_bound == "memory"
                assert peak(context, batch) <= memory < peak(context + 1, batch)
                assert limit is None or context <= limit
            if widest == 0:
                assert peak(16, 1) > memory
            else:
                assert peak(16, widest) <= memory < peak(16, widest + 1)


QWEN = str(Path(__file__).parent / "fixtures" / "hf" / "qwen2-0.5b.json")
MFU = st.one_of(
    st.sampled_from(["1e-300", "5e-324", "1e-30", "0.0001", "0.4", "1", "1.0"]),
    st.floats(min_value=5e-324, max_value=1.0).map(repr),
)
TOKENS = st.one_of(
    st.sampled_from(["1", "1k", "1e9", "1e12", "1e15", "1e18", "1e30", "9" * 40]),
    st.integers(1, 10**30).map(str),
)


def _refuse(constant: str) -> float:
    raise ValueError(f"the JSON holds {constant}, which is not JSON")


def _finite(value: object) -> bool:
    """True when no float anywhere in ``value`` is inf or nan."""
    if isinstance(value, float):
        return value == value and abs(value) != float("inf")
    if isinstance(value, dict):
        return all(_finite(item) for item in value.values())
    if isinstance(value, list):
        return all(_finite(item) for item in value)
    return True


class TestFiniteTimes:
    @FEWER
    @given(
        MFU,
        TOKENS,
        st.sampled_from(["H100-80GB", "RTX-4090", "A100-40GB"]),
        st.integers(1, 4096).map(str),
        st.sampled_from([[], ["--context", "1k"], ["--context", "32k", "-b", "4"]]),
    )
    def test_json_is_json(
        self, mfu: str, tokens: str, device: str, devices: str, extra: list[str]
    ) -> None:
        """A training time is finite or refused; ``-f json`` never writes Infinity or NaN.

        Guards issue 23 item 9 (``--mfu 1e-300`` printed "Time: inf h" and
        wrote ``Infinity`` into the JSON).
        """
        argv = [QWEN, "--train", "--seq", "64", "--device", device, "--devices", devices]
        argv += ["--tokens", tokens, "--mfu", mfu, *extra, "-f", "json"]
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), within():
            status = main(argv)
        assert "Traceback" not in err.getvalue()
        assert "internal error" not in err.getvalue(), (argv, err.getvalue())
        if status != 0:
            assert status in (1, 2), (argv, status)
            assert err.getvalue().splitlines()[-1].startswith("paramcalc: error: "), argv
            return
        report = json.loads(out.getvalue(), parse_constant=_refuse)
        assert _finite(report), argv
        training = report["plans"]["training"]
        assert 0 < training["seconds"] < float("inf"), training
