"""The peak memory of one prefill or one decode step of a decoder language model.

The peak is the weights, the KV cache and the largest set of activations
alive at once in the forward pass, not the sum of every layer's output. The
live sets follow ``transformers``' decoder forward (``LlamaModel.forward``,
``LlamaDecoderLayer.forward``, ``sdpa_attention_forward`` and
``eager_attention_forward``): which tensors a Python frame still holds when
each big tensor is made. ``docs/inference-memory.md`` lists every term with
its source; the figures are checked against a measured H200 peak and a CPU
tracing of tensor lifetimes (``tests/golden/plan/``).

>>> from paramcalc.zoo.language import llama
>>> llama31_8b = llama(vocab_size=128256, intermediate_size=14336, num_key_value_heads=8)
>>> peak = inference_memory(llama31_8b, 4096, workspace=32 * 2**20, round_to=512, logits="all")
>>> peak.stage, peak.total  # a plain forward, measured on an H200: 17,715,210,240 B (2,048 more)
('logits', 17715208192)
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from paramcalc import _check
from paramcalc.errors import ConfigError, ParamcalcWarning
from paramcalc.footprint import normalize_dtype, tensor_bytes
from paramcalc.layer import Composite, Layer
from paramcalc.layers.activation import GELU
from paramcalc.layers.embedding import Embedding
from paramcalc.layers.linear import Linear
from paramcalc.plan.kv_cache import kv_cache, runs
from paramcalc.plan.weights import weight_bytes
from paramcalc.units import iec_bytes
from paramcalc.walk import Walk
from paramcalc.zoo._common import Conv1D, GatedMLP, LogitSoftcap

__all__ = ["Inference", "inference_memory"]

_LOGIT_DTYPES = ("fp64", "fp32", "fp16", "bf16")
"""The dtypes the logits' copy may take (``logits_dtype``)."""


@dataclass(frozen=True)
class Inference:
    """The memory of one forward pass, in bytes; ``total`` is the peak.

    - ``weights``: the stored weights in their format (and the buffers);
    - ``kv_cache``: the cache's tensors after the pass (its bytes at the peak
      may differ: ``stage_terms`` shows them);
    - ``activations``: every other byte alive at the peak (logits included);
    - ``logits``: the logits tensor(s) alive at the final stage (the logits,
      a soft-capped copy, an upcast copy), wherever the peak is;
    - ``workspace``: the matmul library's workspace (cuBLAS: 32 MiB on Hopper);
    - ``stage``: where the peak happens (``"logits"``, ``"mlp"``,
      ``"attention"``, ``"attention matmul"``, ``"cache update"``, ``"norm"``);
      ``stage_terms`` the named terms of its live set, summing to ``total``.
    """

    phase: str
    context: int
    batch: int
    weights_format: str
    dtype: str
    kv_dtype: str
    attention: str
    logits_mode: str
    weights: int
    kv_cache: int
    activations: int
    logits: int
    workspace: int
    stage: str
    stage_terms: tuple[tuple[str, int], ...]

    @property
    def total(self) -> int:
        """The peak: the sum of the peak stage's terms."""
        return sum(size for _, size in self.stage_terms)

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-able data (field names documented in docs/inference-memory.md)."""
        return {
            "phase": self.phase,
            "context": self.context,
            "batch": self.batch,
            "weights_format": self.weights_format,
            "dtype": self.dtype,
            "kv_dtype": self.kv_dtype,
            "attention": self.attention,
            "logits_mode": self.logits_mode,
            "weights": self.weights,
            "kv_cache": self.kv_cache,
            "activations": self.activations,
            "logits": self.logits,
            "workspace": self.workspace,
            "stage": self.stage,
            "stage_terms": dict(self.stage_terms),
            "total": self.total,
        }

    key = "peak"
    """The plan's name under ``"plans"`` in a report's JSON (``report.with_plans(peak)``)."""

    def footer_lines(self) -> list[tuple[str, str]]:
        """``(label, value)`` lines: what was planned, the peak and its terms."""
        lines = [
            (
                "Inference plan",
                f"{self.phase}, {self.context:,} tokens × {self.batch}, weights "
                f"{self.weights_format}, activations {self.dtype}, cache {self.kv_dtype}, "
                f"{self.attention}, logits {self.logits_mode}",
            ),
            ("  Peak", f"{iec_bytes(self.total)} at the {self.stage} stage"),
        ]
        return lines + [(f"    {name}", iec_bytes(size)) for name, size in self.stage_terms]

    def __str__(self) -> str:
        """The footer lines as text (what ``print(inference_memory(...))`` shows)."""
        from paramcalc.plan.show import text

        return text(self.footer_lines())

    def __repr__(self) -> str:
        """One line: ``Inference(prefill, 4,096 tokens × 1: peak 16.50 GiB at the mlp stage)``."""
        return (
            f"Inference({self.phase}, {self.context:,} tokens × {self.batch}: peak "
            f"{iec_bytes(self.total)} at the {self.stage} stage)"
        )

    def _repr_html_(self) -> str:
        """The footer lines as an escaped HTML table (Jupyter)."""
        from paramcalc.plan.show import html

        return html(self.footer_lines())


@dataclass(frozen=True)
class _Dims:
    hidden: int
    vocab: int
    intermediate: int
    mlp_live: int  # intermediate-sized tensors alive at once in the MLP
    heads: int
    head_dim: int
    rope_dim: int  # 0 without rotary embeddings
    layers: int
    windowed: bool  # some layer's cache keeps a window: sdpa gets a materialized mask
    hybrid: bool  # sliding and full layers: eager makes a mask for each
    softcap: bool  # final_logit_softcapping (Gemma 2/3): logits / cap, tanh, · cap
    latent: tuple[int, int, int, int] | None  # latent attention: (qk, v, kv_lora, rope) head dims
    experts: tuple[int, int, int] | None  # routed experts: (count, top_k, intermediate)
    routing: str  # the dtype of the routing weights ("model": the activations')
    expert_bias: bool  # biased experts gather a bias row for each routed token
    sinks: bool  # gpt-oss: eager softmax in the model dtype over the scores and a sink


def _nodes(layer: Layer, path: str = "") -> Iterator[tuple[str, Layer]]:
    yield path, layer
    stack = runs(layer)
    if stack is not None:
        for name, block, _ in stack:
            yield from _nodes(block, f"{path}.{name}" if path else name)
    elif isinstance(layer, Composite):
        for name, child in layer.children():
            yield from _nodes(child, f"{path}.{name}" if path else name)


def _dims(net: Layer) -> _Dims:
    kind = type(net).__name__
    nodes = list(_nodes(net))
    attention = [(p, n) for p, n in nodes if n.cache_shapes(1)]
    embeddings = [(p, n) for p, n in nodes if isinstance(n, Embedding)]
    if not attention or not embeddings:
        raise ConfigError(
            f"inference_memory: {kind} is not a decoder language model paramcalc can plan "
            "(it needs a token embedding and attention layers that declare a KV cache)."
        )
    if kv_cache(net, 1).bytes != kv_cache(net, 1, encoder_tokens=1).bytes:
        raise ConfigError(
            f"inference_memory: {kind} is an encoder-decoder; paramcalc plans the peak of "
            "decoder-only language models (its KV cache, with cross-attention, is "
            "paramcalc.plan.kv_cache(..., encoder_tokens=N))."
        )
    hidden = embeddings[0][1].embedding_dim
    walk = Walk(record=True)  # the forward's steps: functional ones (soft-capping) too
    out = walk.visit("", net, (1,))
    vocab = out[-1] if out else 0
    attn_paths = [path for path, _ in attention]
    attn = attention[-1][1]
    heads = getattr(attn, "num_heads", 0)
    head_dim = getattr(attn, "head_dim", 0) or getattr(attn, "qk_head_dim", 0)
    latent = None  # DeepSeek's latent attention expands the cache to every head's keys and values
    if hasattr(attn, "kv_lora_rank"):
        qk, v, rank, rope = (
            int(getattr(attn, name, 0))
            for name in ("qk_head_dim", "v_head_dim", "kv_lora_rank", "qk_rope_head_dim")
        )
        latent = (qk, v, rank, rope)
    if not heads or not head_dim:
        (_, shape), *_ = attn.cache_shapes(1)
        heads, head_dim = shape[0], shape[-1]
    widths: list[int] = []
    gated = tanh_gelu = False
    experts: tuple[int, int, int] | None = None
    routing, expert_bias = "model", False
    for path, node in nodes:
        if all(hasattr(node, a) for a in ("num_experts", "top_k", "intermediate_size")):
            found = (node.num_experts, node.top_k, node.intermediate_size)  # type: ignore[attr-defined]
            experts = found if experts is None else max(experts, found)
            if getattr(node, "routing_dtype", "model") == "fp32":
                routing = "fp32"
            expert_bias |= any(name.endswith("_bias") for name, _ in node.parameter_shapes())
        if path == "" or not path.count(".") or any(path.startswith(a) for a in attn_paths):
            continue
        if isinstance(node, GatedMLP):
            gated = True
        if isinstance(node, GELU) and node.approximate == "tanh":
            tanh_gelu = True  # NewGELUActivation: x, 0.5·x and two temporaries alive
        if isinstance(node, Linear) and node.out_features != vocab:
            widths.append(node.out_features)
        elif isinstance(node, Conv1D):
            widths.append(node.nf)
    intermediate = max(widths, default=hidden)
    positional = any("pos" in path or path.endswith("wpe") for path, _ in embeddings)
    entries = kv_cache(net, 1).entries
    layers = sum(entry.copies for entry in entries[:: len(attn.cache_shapes(1))])
    long = kv_cache(net, 4096).entries
    narrow = [b.bytes < 4096 * a.bytes for a, b in zip(entries, long, strict=True)]
    windowed, hybrid = any(narrow), any(narrow) and not all(narrow)
    return _Dims(
        hidden=hidden,
        vocab=vocab,
        intermediate=intermediate,
        mlp_live=3 if gated else 4 if tanh_gelu else 2,
        heads=heads,
        head_dim=head_dim,
        rope_dim=0 if positional else getattr(attn, "qk_rope_head_dim", head_dim),
        layers=max(layers, 1),
        windowed=windowed,
        hybrid=hybrid,
        softcap=any(isinstance(step.layer, LogitSoftcap) for step in walk.rows),
        latent=latent,
        experts=experts,
        routing=routing,
        expert_bias=expert_bias,
        sinks="sinks" in dict(getattr(attn, "modules", ())),
    )


def _grouped_experts(
    dims: _Dims, tokens: int, size: Callable[..., int], act: str
) -> list[tuple[str, int]]:
    """The routed experts' live set in ``grouped_mm_experts_forward`` (transformers 5.23's default).

    Every (token, expert) pair is gathered, projected and weighted at once:
    at the reordering of the weighted outputs, the gathered inputs, the
    experts' outputs and two weighted copies (in the routing weights' dtype)
    are alive; the up projection's stage, when wider, instead.
    """
    count, top_k, inner = dims.experts or (1, 1, 1)
    pairs = tokens * top_k
    route = act if dims.routing == "model" else dims.routing
    gathered = size(pairs * dims.hidden)
    up = size(pairs * 2 * inner) + 2 * size(pairs * inner)  # gate_up output, act(gate), product
    reorder = size(pairs * dims.hidden) + 2 * size(pairs * dims.hidden, route)
    if dims.expert_bias:  # down_proj_bias[expert_ids]: a bias row for each pair
        reorder += size(pairs * dims.hidden)
    return [
        ("router logits", size(tokens * count, route)),
        ("top-k weights, indices", size(tokens * top_k, route) + size(tokens * top_k, "int64")),
        ("sorted ids, order, inverse (int64)", 3 * size(pairs, "int64")),
        ("sorted weights, histogram input", size(pairs, route) + size(pairs, "fp32")),
        ("gathered hidden states", gathered),
        ("experts (all pairs at once)", max(up, reorder)),
    ]


def _storage(net: Layer, tokens: int, batch: int, dtype: str) -> tuple[int, int, int]:
    """(tensor bytes, storage bytes, bytes of the largest layer) of the cache after ``tokens``.

    A sliding-window layer keeps a view of the last ``w - 1`` positions of
    the whole prefill's keys: its storage is the full length until the next
    step (``DynamicSlidingWindowLayer.update``). A layer whose bytes do not
    grow in proportion to the tokens is such a layer; its storage is priced
    at the full length.
    """
    at_one = kv_cache(net, 1, batch, dtype)
    at_n = kv_cache(net, tokens, batch, dtype)
    storage = largest = 0
    for one, many in zip(at_one.entries, at_n.entries, strict=True):
        held = max(many.bytes, one.bytes * tokens)
        storage += held
        largest = max(largest, held // many.copies)
    return at_n.bytes, storage, largest


def inference_memory(
    net: Layer,
    context: int,
    batch: int = 1,
    *,
    weights: object = "bf16",
    dtype: object = "bf16",
    kv_dtype: object | None = None,
    phase: str = "prefill",
    attention: str | None = None,
    logits: str = "last",
    logits_dtype: object | None = None,
    workspace: int = 0,
    round_to: int = 1,
    group_size: int = 128,
) -> Inference:
    """The peak memory of one prefill of ``context`` tokens, or of one decode step after it.

    ``weights`` is the weight format (:mod:`paramcalc.plan.weights`),
    ``dtype`` the activations', ``kv_dtype`` the cache's (default ``dtype``).
    ``attention`` is ``"sdpa"`` (flash / memory-efficient kernels: no score
    matrix) or ``"eager"`` (heads × L × L scores and their fp32 softmax);
    by default the family's: eager for Gemma 2 and gpt-oss, whose
    transformers 5.23 classes do not support sdpa (``_supports_sdpa = False``),
    sdpa otherwise.
    ``logits="last"`` (the default: generation, as ``generate`` runs it with
    ``logits_to_keep=1``) keeps the last position's logits, ``"all"`` every
    position's (a plain forward, ``model(ids)``);
    ``logits_dtype="fp32"`` adds the fp32 copy generation loops make.
    ``workspace`` adds the matmul library's workspace and ``round_to`` rounds
    every tensor up (the CUDA caching allocator: 512), as a device's
    :attr:`~paramcalc.plan.devices.Device.workspace` gives them.

    >>> from paramcalc.zoo.language import llama
    >>> m = inference_memory(llama(), 4096, phase="decode", logits="last")
    >>> m.stage, m.kv_cache  # the cache after 4,097 tokens
    ('cache update', 2148007936)
    """
    _check.positive("inference_memory", "context", context)
    _check.positive("inference_memory", "batch", batch)
    _check.non_negative("inference_memory", "workspace", workspace)
    _check.positive("inference_memory", "round_to", round_to)
    _check.one_of("inference_memory", "phase", phase, ("prefill", "decode"))
    if attention is None:
        eager_only = type(net).__name__.startswith(("Gemma2", "GptOss"))
        attention = "eager" if eager_only else "sdpa"
    _check.one_of("inference_memory", "attention", attention, ("sdpa", "eager"))
    _check.one_of("inference_memory", "logits", logits, ("all", "last"))
    act = normalize_dtype(dtype)
    cache_dtype = act if kv_dtype is None else normalize_dtype(kv_dtype)
    upcast = None if logits_dtype is None else normalize_dtype(logits_dtype)
    if upcast is not None:  # generation upcasts the logits with .float(): a floating dtype
        _check.one_of("inference_memory", "logits_dtype", upcast, _LOGIT_DTYPES)
    dims = _dims(net)
    stored = weight_bytes(net, weights, act, group_size=group_size)

    def size(elements: int, name: str = act, per_sample: bool = True) -> int:
        raw = tensor_bytes(elements * (batch if per_sample else 1), name)
        return -(-raw // round_to) * round_to

    tokens = context if phase == "prefill" else 1
    seen = context if phase == "prefill" else context + 1
    cache_bytes, storage, largest = _storage(net, seen, batch, cache_dtype)
    before = 0
    if phase == "decode":
        before = _storage(net, context, batch, cache_dtype)[2]  # the old tensor being replaced
    per_layer = storage // dims.layers
    hidden = size(tokens * dims.hidden)
    fixed: list[tuple[str, int]] = [
        ("weights", stored.bytes),
        ("input_ids", size(tokens, "int64")),
        ("workspace", workspace),
    ]
    # position ids and the rotary tables are (1, tokens, …): shared by the batch
    inside: list[tuple[str, int]] = [("position_ids", size(tokens, "int64", per_sample=False))]
    if dims.rope_dim:
        inside.append(("rope cos, sin", 2 * size(tokens * dims.rope_dim, per_sample=False)))
    else:
        inside.append(("position_embeds", size(tokens * dims.hidden, per_sample=False)))
    if attention == "eager":  # a float mask for each kind of layer (full, sliding)
        masks = 2 if dims.hybrid else 1
        inside.append(("causal mask" + ("s" if masks > 1 else ""), masks * size(tokens * seen)))
    elif dims.windowed or not dims.rope_dim:
        inside.append(("causal mask (bool)", size(tokens * seen, "int8")))
    inside.append(("inputs_embeds", hidden))
    stream = [("layer input", hidden)]
    q_bytes = size(tokens * dims.heads * dims.head_dim)
    stages: dict[str, list[tuple[str, int]]] = {}
    # the last layer's attention: the other layers' cache, this layer's new cache
    attn_base = [
        *fixed,
        ("kv cache (other layers)", storage - per_layer),
        *inside,
        *stream,
        ("normed", hidden),
        ("query", q_bytes),
        ("kv cache (this layer)", per_layer),
    ]
    if before:  # the cache's torch.cat: the old tensor lives until the new one replaces it
        stages["cache update"] = [*attn_base, ("old cache tensor", before)]
    out_bytes = q_bytes
    if dims.latent is not None:  # DeepseekV3Attention.forward and expand_kv (docs: latent)
        qk, v_dim, rank, rope = dims.latent
        heads = dims.heads
        attn_base += [
            ("rotated query part", size(tokens * heads * rope)),
            ("query (nope, rope concatenated)", size(tokens * heads * qk)),
            ("compressed kv (latent, rope key)", size(tokens * (rank + rope))),
            ("kv_b_proj output (keys, values)", size(seen * heads * (qk - rope + v_dim))),
            ("keys (nope, rope concatenated)", size(seen * heads * qk)),
        ]
        out_bytes = size(tokens * heads * v_dim)
    if attention == "sdpa" and dims.latent is not None:
        # the output takes the concatenated query's (batch, heads, tokens) layout:
        # transpose(1, 2).contiguous() copies it (traced on CPU)
        stages["attention"] = [
            *attn_base,
            ("attention output", out_bytes),
            ("attention output, transposed copy", out_bytes),
        ]
    elif attention == "sdpa":
        stages["attention"] = [
            *attn_base,
            ("attention output", q_bytes),
            ("logsumexp (fp32)", size(tokens * dims.heads, "fp32")),
        ]
    else:
        scores = tokens * dims.heads * seen
        expanded = size(seen * dims.heads * dims.head_dim)
        kv_heads = largest // max(tensor_bytes(seen * dims.head_dim * batch, cache_dtype), 1)
        # repeat_kv copies keys and values for grouped heads; with one kv head the
        # reshape is a view, and the matmul expands one operand at a time
        copies = 1 < kv_heads < dims.heads
        softmax = [*attn_base, ("masked scores", size(scores))]
        if dims.sinks:  # cat with the sinks, minus the max, softmax: bf16, one column more
            sunk = tokens * dims.heads * (seen + 1)
            softmax.append(("logits with sinks, shifted", 2 * size(sunk)))
        else:
            softmax.append(("softmax input, output (fp32)", 2 * size(scores, "fp32")))
        if copies:
            softmax.append(("repeat_kv keys, values", 2 * expanded))
        stages["attention"] = softmax
        if kv_heads == 1 < dims.heads:
            stages["attention matmul"] = [
                *attn_base,
                ("scores", size(scores)),
                ("expanded keys", expanded),
            ]
    wide = size(tokens * dims.intermediate)
    stages["mlp"] = [
        *fixed,
        ("kv cache", storage),
        *inside,
        *stream,
        ("residual", hidden),
        ("normed", hidden),
        (f"mlp intermediates ({dims.mlp_live})", max(dims.mlp_live * wide, wide + hidden)),
    ]
    if dims.experts is not None:
        stages["mlp"][-1:] = _grouped_experts(dims, tokens, size, act)
    stages["norm"] = [
        *fixed,
        ("kv cache", storage),
        *inside,
        *stream,
        ("residual", hidden),
        ("fp32 copy, its square", 2 * size(tokens * dims.hidden, "fp32")),
    ]
    kept = tokens if logits == "all" else 1
    logit_bytes = size(kept * dims.vocab)
    final = [*fixed, ("kv cache", storage), ("final hidden", hidden), ("logits", logit_bytes)]
    if dims.softcap:  # logits / cap, then tanh: two logits-sized tensors at once
        final.append(("logits soft-capping", logit_bytes))
    if upcast is not None and upcast != act:
        final.append(("logits upcast", size(kept * dims.vocab, upcast)))
    stages["logits"] = final
    stage = max(stages, key=lambda name: sum(b for _, b in stages[name]))
    if stage == "mlp" and dims.experts is not None:
        warnings.warn(
            ParamcalcWarning(
                "inference_memory: the peak is in the experts' stage, planned as "
                "transformers' default experts_implementation='grouped_mm' (every "
                "token-expert pair at once); 'eager' runs one expert at a time and needs less."
            ),
            stacklevel=2,
        )
    terms = tuple((name, b) for name, b in stages[stage] if b)
    cache_terms = sum(b for name, b in terms if name.startswith("kv cache"))
    logit_terms = sum(b for name, b in final if name.startswith("logits"))  # whatever the peak
    total = sum(b for _, b in terms)
    return Inference(
        phase=phase,
        context=context,
        batch=batch,
        weights_format=stored.format,
        dtype=act,
        kv_dtype=cache_dtype,
        attention=attention,
        logits_mode=logits,
        weights=stored.bytes,
        kv_cache=cache_bytes,
        activations=total - stored.bytes - cache_terms - workspace,
        logits=logit_terms,
        workspace=workspace,
        stage=stage,
        stage_terms=terms,
    )
