"""``fit()``'s searches: the largest context and batch, past 2³¹ (issue 23 item 8)."""

from __future__ import annotations

import warnings

from paramcalc.errors import ParamcalcWarning
from paramcalc.plan.devices import fit
from paramcalc.plan.inference import inference_memory
from paramcalc.zoo.language import llama


def test_search_goes_past_two_to_the_31() -> None:
    """A tiny model with 2⁴⁰ bytes: the answer is the edge, ``peak(n) <= memory < peak(n+1)``."""
    net = llama(
        vocab_size=16,
        hidden_size=8,
        intermediate_size=8,
        num_hidden_layers=1,
        num_attention_heads=1,
        num_key_value_heads=1,
    )
    memory = 2**40
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ParamcalcWarning)
        found = fit(net, 16, memory=memory)
        context, batch = found.largest_context, found.largest_batch
        assert context is not None
        assert context > 2**32
        assert inference_memory(net, context).total <= memory
        assert inference_memory(net, context + 1).total > memory
        assert batch is not None
        assert batch > 2**28
        assert (
            inference_memory(net, 16, batch).total
            <= memory
            < inference_memory(net, 16, batch + 1).total
        )
