"""The command line's inference options (``--context``, ``--weights``, ``--device`` …) and output.

``paramcalc/cli.py`` adds these arguments to its parser and, when
``--context`` is given, adds :func:`inference_plan` to the report
(``report.with_plans``): every renderer draws it (text as :func:`text`, the
``"inference"`` key under the JSON's ``"plans"``).

>>> parse_tokens("32k"), parse_tokens("1M"), parse_bytes("24GiB"), parse_bytes("80GB")
(32768, 1048576, 25769803776, 80000000000)
>>> sweep_values("context=1k..8k")
('context', [1024, 2048, 4096, 8192])
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from typing import Any

from paramcalc._check import shown
from paramcalc.layer import Layer
from paramcalc.units import iec_bytes

__all__ = [
    "InferencePlan",
    "add_arguments",
    "inference_plan",
    "parse_bytes",
    "parse_tokens",
    "sweep_values",
]

_SUFFIX = {"": 1, "k": 2**10, "m": 2**20}
_BYTES = {
    "": 1,
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}


def parse_tokens(text: str) -> int:
    """A positive count with an optional binary suffix: ``4096``, ``32k``, ``1M``."""
    match = re.fullmatch(r"\s*(\d{1,30})\s*([kKmM]?)\s*", text)  # never int() 5,000 digits
    if not match or int(match.group(1)) < 1:
        raise argparse.ArgumentTypeError(
            f"expected a positive count such as 4096 or 32k: {shown(text)}"
        )
    return int(match.group(1)) * _SUFFIX[match.group(2).lower()]


def parse_bytes(text: str) -> int:
    """A size in bytes: ``24GiB``, ``80GB`` (decimal), ``1073741824``."""
    match = re.fullmatch(r"\s*(\d{1,30}(?:\.\d{1,30})?)\s*([a-zA-Z]*)\s*", text)
    unit = match.group(2).lower() if match else ""
    if not match or unit not in _BYTES:
        raise argparse.ArgumentTypeError(f"expected a size such as 24GiB or 80GB: {shown(text)}")
    whole, _, frac = match.group(1).partition(".")
    scale = _BYTES[unit]
    size = int(whole) * scale + (int(frac) * scale // 10 ** len(frac) if frac else 0)
    if size < 1:  # 0 or 0.5 bytes: a device with no memory is a mistake, never "no device"
        raise argparse.ArgumentTypeError(
            f"expected a size of at least 1 byte such as 24GiB or 80GB, got {shown(text)}"
        )
    return size


def sweep_values(text: str) -> tuple[str, list[Any]]:
    """``context=1k..128k`` (or ``batch=1..64``): the name and the doublings from low to high.

    ``weights=Q4_K_M,Q8_0,bf16``: the weight formats (llama-quantize presets too), one row each.
    """
    name, _, span = text.partition("=")
    if name == "weights":
        formats = [part.strip() for part in span.split(",") if part.strip()]
        if not formats or len(formats) > 64:
            raise argparse.ArgumentTypeError(f"expected weights=FORMAT,FORMAT,…: {text[:200]!r}")
        return name, formats
    low_text, _, high_text = span.partition("..")
    if name not in ("context", "batch") or not high_text:
        raise argparse.ArgumentTypeError(
            f"expected context=LOW..HIGH or batch=LOW..HIGH: {shown(text)}"
        )
    low, high = parse_tokens(low_text), parse_tokens(high_text)
    if low > high:
        raise argparse.ArgumentTypeError(
            f"expected LOW..HIGH with LOW at most HIGH, got {shown(text)} ({low:,} > {high:,})"
        )
    values: list[int] = []
    value = low
    while value <= high and len(values) < 64:
        values.append(value)
        value *= 2
    if values[-1] != high and high > low:
        values.append(high)
    return name, values


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``inference memory`` argument group."""
    from paramcalc.plan.weights import FORMATS

    group = parser.add_argument_group(
        "inference memory (decoder language models; see docs/inference-memory.md)"
    )
    group.add_argument(
        "--context", type=parse_tokens, metavar="N", help="prefill N tokens (4096, 32k): the peak"
    )
    group.add_argument(
        "--weights", choices=tuple(FORMATS), default="bf16", help="weight format (default bf16)"
    )
    group.add_argument(
        "--group-size", type=parse_tokens, metavar="N", help="GPTQ/AWQ group (default 128)"
    )
    group.add_argument("--kv-dtype", metavar="DTYPE", help="KV-cache dtype (default: --dtype)")
    group.add_argument(
        "--attention", choices=("sdpa", "eager"), help="default: the family's (sdpa mostly)"
    )
    group.add_argument("--phase", choices=("prefill", "decode"), default="prefill")
    group.add_argument(
        "--logits",
        choices=("all", "last"),
        help="logits kept: last (default: generation) or all (a plain forward)",
    )
    group.add_argument("--logits-dtype", metavar="DTYPE", help="upcast copy of the logits (fp32)")
    from paramcalc.plan.device_cli import DeviceAction, parse_memory

    group.add_argument(
        "--device",
        action=DeviceAction,
        metavar="NAME",
        help="an accelerator (H100, RTX-4090, MI300X, …); --device list shows them",
    )
    group.add_argument(
        "--device-memory",
        type=parse_memory,
        metavar="SIZE",
        help="or a size with its unit: 80GiB, 80G (GiB) or 80GB (10^9 bytes)",
    )
    group.add_argument(
        "--fits",
        action="store_true",
        help="for scripts: one line, and exit 0 if it fits the device, 3 if not",
    )
    group.add_argument(
        "--sweep", type=sweep_values, metavar="SPEC", help="context=1k..128k: a table of peaks"
    )


def _options(options: argparse.Namespace) -> dict[str, Any]:
    return {
        "weights": options.weights,
        "dtype": options.dtype or "bf16",
        "kv_dtype": options.kv_dtype,
        "attention": options.attention,
        "phase": options.phase,
        "logits": options.logits or "last",
        "logits_dtype": options.logits_dtype,
        "group_size": options.group_size or 128,
    }


def plan(network: Layer, options: argparse.Namespace) -> dict[str, Any]:
    """The inference figures the options ask for, as JSON-able data."""
    from paramcalc.plan.devices import fit
    from paramcalc.plan.inference import inference_memory
    from paramcalc.plan.kv_cache import kv_cache
    from paramcalc.plan.weights import weight_bytes

    context = options.context
    if not context and options.sweep and options.sweep[0] == "context":
        context = max(options.sweep[1])  # a context sweep alone: the device's answer at its end
    batch = options.batch_size or 1
    kwargs = _options(options)
    if options.device:  # the device's matmul workspace and the CUDA allocator's rounding
        from paramcalc.plan.devices import device

        kwargs.update(workspace=device(options.device).workspace, round_to=512)
    data: dict[str, Any] = {}
    if options.device or options.device_memory:
        result = fit(
            network,
            context,
            batch,
            device_name=options.device,
            memory=options.device_memory,
            **kwargs,
        )
        data["fit"] = result.to_dict()
        data["peak"] = result.peak.to_dict()
    else:
        data["peak"] = inference_memory(network, context, batch, **kwargs).to_dict()
    dtype = options.dtype or "bf16"  # --dtype is shared with the footer, whose default is fp32
    stored = weight_bytes(network, options.weights, dtype, group_size=options.group_size or 128)
    data["weights"] = stored.to_dict()
    cache_dtype = options.kv_dtype or dtype
    data["kv_cache"] = kv_cache(network, context, batch, cache_dtype).to_dict()
    from paramcalc.hf.positions import declared

    positions = declared(network)
    if positions is not None:
        data["positions"] = {"limit": positions.limit, "source": positions.source}
    if options.sweep:
        name, values = options.sweep
        rows = []
        for value in values:
            ctx, size = (value, batch) if name == "context" else (context, value)
            changes = {"weights": value} if name == "weights" else {}
            size = batch if name == "weights" else size
            peak = inference_memory(network, ctx, size, **{**kwargs, **changes})
            named = {"format": value} if name == "weights" else {}
            rows.append({"context": ctx, "batch": size, **named, **peak.to_dict()})
        data["sweep"] = rows
    return data


@dataclass(frozen=True)
class InferencePlan:
    """The command line's inference answer (:func:`plan`'s data) as a plan of a report.

    Text draws it as :func:`text` after the totals; Markdown and HTML as
    :meth:`footer_lines` and the sweep's :meth:`table`; JSON as ``data`` under
    ``"plans"`` → ``"inference"``.
    """

    data: dict[str, Any]
    key: str = "inference"

    def to_dict(self) -> dict[str, Any]:
        """``peak``, ``weights``, ``kv_cache``; when asked ``positions``, ``fit``, ``sweep``."""
        return self.data

    def text_block(self) -> str:
        """The text renderer's drawing: :func:`text`."""
        return text(self.data)

    def footer_lines(self) -> list[tuple[str, str]]:
        """``(label, value)`` lines for Markdown and HTML: the same figures as :func:`text`."""
        return footer_lines(self.data)

    def table(self) -> tuple[list[str], list[list[str]]] | None:
        """The sweep's headers and cells (None without ``--sweep``)."""
        if "sweep" not in self.data:
            return None
        from paramcalc.plan.sweep import sweep_table

        fitted = self.data.get("fit")
        return sweep_table(self.data["sweep"], fitted["memory"] if fitted else None)

    def __str__(self) -> str:
        """:func:`text`."""
        return self.text_block()

    def __repr__(self) -> str:
        """One line: the peak and, with a device, the answer."""
        peak = self.data["peak"]
        fitted = self.data.get("fit")
        answer = ""
        if fitted:
            answer = f", {fitted['device']}: {'fits' if fitted['fits'] else 'does NOT fit'}"
        return (
            f"InferencePlan({peak['context']:,} tokens × {peak['batch']}: peak "
            f"{iec_bytes(peak['total'])}{answer})"
        )

    def _repr_html_(self) -> str:
        """The lines (and the sweep's table), escaped (Jupyter)."""
        from paramcalc.plan.show import html, html_table

        table = self.table()
        return html(self.footer_lines()) + ("" if table is None else html_table(*table))


def inference_plan(network: Layer, options: argparse.Namespace) -> InferencePlan:
    """:func:`plan` as a plan a report draws (``report.with_plans(...)``)."""
    return InferencePlan(plan(network, options))


def footer_lines(data: dict[str, Any]) -> list[tuple[str, str]]:
    """:func:`text`'s figures as ``(label, value)`` lines (Markdown and HTML draw these)."""
    peak = data["peak"]
    weights = data["weights"]
    lines = [
        (
            "Inference",
            f"{peak['phase']}, {peak['context']:,} tokens × {peak['batch']}, "
            f"weights {weights['format']}, activations {peak['dtype']}, "
            f"cache {peak['kv_dtype']}, {peak['attention']}, logits {peak['logits_mode']}",
        ),
        (
            "  weights",
            iec_bytes(peak["weights"])
            + (
                ""
                if weights["format"] in ("bf16", "fp16", "fp32")
                else f" (kept in {weights['dtype']}: {', '.join(_collapse(weights['kept']))})"
            ),
        ),
        ("  KV cache", iec_bytes(data["kv_cache"]["bytes"])),
        ("  peak", f"{iec_bytes(peak['total'])} at the {peak['stage']} stage"),
    ]
    lines += [(f"    {name}", iec_bytes(size)) for name, size in peak["stage_terms"].items()]
    positions = data.get("positions")
    if positions and peak["context"] > positions["limit"]:
        lines.append(
            (
                "  positions",
                f"beyond the model's positions limit ({positions['source']}): "
                "it was not built for this context",
            )
        )
    fitted = data.get("fit")
    if fitted:
        verdict = "fits" if fitted["fits"] else "does NOT fit"
        margin = f"{'-' if fitted['margin'] < 0 else ''}{iec_bytes(abs(fitted['margin']))}"
        lines.append(
            (f"  {fitted['device']}", f"{iec_bytes(fitted['memory'])}: {verdict}, margin {margin}")
        )
        lines.append(
            (
                "    largest context",
                f"{fitted['largest_context']:,} at batch {peak['batch']}{_bound(fitted)}",
            )
        )
        lines.append(
            ("    largest batch", f"{fitted['largest_batch']:,} at {peak['context']:,} tokens")
        )
        bound = fitted["seconds_per_token_lower_bound"]
        if bound is not None:
            lines.append(
                (
                    "    decode",
                    f"≥ {bound * 1000:.2f} ms a step (lower bound: "
                    f"{iec_bytes(fitted['bytes_per_decode_step'])} read at the memory bandwidth)",
                )
            )
    if "sweep" in data:
        lines.append(("  sweep", f"{len(data['sweep'])} rows (the table below)"))
    return lines


def _collapse(paths: list[str]) -> list[str]:
    """Paths with each run of copies as ``*``, once each: ``model.layers.*.mlp.router``."""
    seen: dict[str, None] = {}
    for path in paths:
        seen.setdefault(re.sub(r"\{\d+\.\.\d+\}", "*", path), None)
    return list(seen)


def _bound(fitted: dict[str, Any]) -> str:
    """`` (bound: memory)`` or `` (bound: positions, max_position_embeddings 4,096)``."""
    if fitted.get("largest_context_bound") == "positions":
        return f" (bound: the model's positions, {fitted['positions_source']})"
    if fitted.get("largest_context_bound") == "memory":
        return " (bound: memory)"
    return ""


def text(data: dict[str, Any]) -> str:
    """The inference footer: the peak's terms, the device's answer, the sweep's table."""
    peak = data["peak"]
    weights = data["weights"]
    lines = [
        f"Inference ({peak['phase']}, {peak['context']:,} tokens × {peak['batch']}, "
        f"weights {weights['format']}, activations {peak['dtype']}, cache {peak['kv_dtype']}, "
        f"{peak['attention']}, logits {peak['logits_mode']})",
        f"  weights        {iec_bytes(peak['weights']):>12}"
        + (
            ""
            if weights["format"] in ("bf16", "fp16", "fp32")
            else f"  (kept in {weights['dtype']}: {', '.join(_collapse(weights['kept']))})"
        ),
        f"  KV cache       {iec_bytes(data['kv_cache']['bytes']):>12}",
        f"  peak           {iec_bytes(peak['total']):>12}  at the {peak['stage']} stage:",
    ]
    for name, size in peak["stage_terms"].items():
        lines.append(f"    {name:28} {iec_bytes(size):>12}")
    positions = data.get("positions")
    if positions and peak["context"] > positions["limit"]:
        lines.append(
            f"  beyond the model's positions limit ({positions['source']}): "
            "it was not built for this context"
        )
    fitted = data.get("fit")
    if fitted:
        verdict = "fits" if fitted["fits"] else "does NOT fit"
        lines.append(
            f"  {fitted['device']} ({iec_bytes(fitted['memory'])}): {verdict}, "
            f"margin {'-' if fitted['margin'] < 0 else ''}{iec_bytes(abs(fitted['margin']))}"
        )
        lines.append(
            f"    largest context at batch {peak['batch']}: {fitted['largest_context']:,}"
            f"{_bound(fitted)}; "
            f"largest batch at {peak['context']:,} tokens: {fitted['largest_batch']:,}"
        )
        bound = fitted["seconds_per_token_lower_bound"]
        if bound is not None:
            lines.append(
                f"    decode: ≥ {bound * 1000:.2f} ms a step (lower bound: "
                f"{iec_bytes(fitted['bytes_per_decode_step'])} read at the memory bandwidth)"
            )
    if "sweep" in data:
        from paramcalc.plan.sweep import sweep_text

        lines.append("")
        lines += sweep_text(data["sweep"], fitted["memory"] if fitted else None)
    return "\n".join(lines)
