"""The command line's GGUF and llama.cpp options (``--ngl``, ``--n-batch`` …), files and footer.

``paramcalc model.gguf`` (or ``--from gguf``, or a folder holding one
``.gguf``) reads the file's header: the network built from its metadata, and
a footer with the file's figures. With ``--context N`` the footer adds
llama.cpp's memory: weights, KV cache and compute buffer on the GPU and in
system memory under ``--ngl``, and with ``--device`` whether it fits, the
largest context and the most layers that can be offloaded. A Hugging Face
config gets the same footer with a llama-quantize preset (``--weights
Q4_K_M``), a llama.cpp cache type (``--kv-dtype q8_0``) or ``--ngl``.
"""

from __future__ import annotations

import argparse
import json
import os
from typing import TYPE_CHECKING, Any

from paramcalc.errors import ConfigError
from paramcalc.units import iec_bytes, visible

if TYPE_CHECKING:  # the modules below load when a GGUF file or option is met
    from paramcalc.gguf.llama_memory import LlamaShape
    from paramcalc.gguf.reader import GGUFFile
    from paramcalc.layer import Layer

__all__ = ["add_arguments", "gguf_file", "llama_asked", "load", "render"]


_QUANTIZED_CACHES = ("q8_0", "q4_0", "q4_1", "iq4_nl", "q5_0", "q5_1")
"""``--kv-dtype`` values only llama.cpp has (f16, bf16, f32 are every runtime's)."""


class GGUFUsageError(Exception):
    """A command-line mistake about GGUF options (the CLI turns it into exit status 2)."""


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
    return value


def _positive(text: str) -> int:
    value = _count(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {text!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``llama.cpp`` argument group."""
    group = parser.add_argument_group(
        "llama.cpp (a .gguf file, or --weights with a llama-quantize preset; see docs/gguf.md)"
    )
    group.add_argument(
        "--ngl",
        type=_count,
        metavar="N",
        help="layers offloaded to the GPU, as llama.cpp's -ngl (default: all)",
    )
    group.add_argument(
        "--n-batch", type=_positive, default=2048, metavar="N", help="llama.cpp's -b (2048)"
    )
    group.add_argument(
        "--n-ubatch", type=_positive, default=512, metavar="N", help="llama.cpp's -ub (512)"
    )


def gguf_file(model: str | None, kind: str) -> str | None:
    """The ``.gguf`` file the model argument names, or None when it is not one.

    A path ending in ``.gguf`` or read ``--from gguf``; a folder holding
    exactly one ``.gguf`` (a folder holding several is refused by name).
    """
    if model is None or model == "-":
        return None
    if os.path.isdir(model):
        found = sorted(name for name in os.listdir(model) if name.lower().endswith(".gguf"))
        if not found:
            if kind == "gguf":
                raise GGUFUsageError(f"no .gguf file in the folder: {visible(model)[:200]}")
            return None
        if len(found) > 1:
            shown = ", ".join(found[:5]) + (", …" if len(found) > 5 else "")
            raise GGUFUsageError(
                f"{len(found)} .gguf files in the folder ({visible(shown)[:300]}): "
                "give the one to read"
            )
        return os.path.join(model, found[0])
    if kind == "gguf" or (model.lower().endswith(".gguf") and os.path.isfile(model)):
        if not os.path.isfile(model):
            raise GGUFUsageError(f"no such file: {visible(model)[:200]}")
        return model
    return None


def load(path: str) -> tuple[Layer, tuple[str, ...], GGUFFile]:
    """The network a ``.gguf`` header describes, the warnings, and the header."""
    from paramcalc.gguf.network import gguf_network
    from paramcalc.gguf.reader import read_gguf

    header = read_gguf(path)
    network, warnings = gguf_network(header)
    return network, warnings, header


def _is_preset(name: str | None) -> bool:
    from paramcalc.gguf.quantize import PRESETS

    return bool(name) and str(name).upper() in PRESETS and name not in ("bf16", "fp16", "fp32")


def llama_asked(options: argparse.Namespace, header: GGUFFile | None) -> bool:
    """True when the footer is llama.cpp's: a GGUF file, ``--ngl``, a preset, a ggml cache type."""
    kv = getattr(options, "kv_dtype", None)
    sweep = getattr(options, "sweep", None)
    return (
        header is not None
        or options.ngl is not None
        or _is_preset(getattr(options, "weights", None))
        or bool(sweep and sweep[0] == "weights" and any(_is_preset(name) for name in sweep[1]))
        or (kv is not None and kv.lower() in _QUANTIZED_CACHES)
    )


def _config(header: GGUFFile | None, source: str | None) -> dict[str, Any]:
    if header is not None:
        from paramcalc.gguf.network import hf_config

        return hf_config(header)
    try:
        data = json.loads(source or "")
    except json.JSONDecodeError:
        data = None
    if not isinstance(data, dict) or "model_type" not in data:
        raise GGUFUsageError(
            "llama.cpp's memory needs a .gguf file or a Hugging Face config.json "
            "(the model's sizes as llama.cpp reads them)"
        )
    return data


def _tensor_bytes(network: Layer, header: GGUFFile | None, weights: str) -> dict[str, int]:
    """Each GGUF tensor's bytes: the file's, or those of ``weights`` (a preset) for the network."""
    if header is not None:
        return {tensor.name: tensor.nbytes for tensor in header.tensors}
    from paramcalc.gguf.names import gguf_model
    from paramcalc.gguf.quantize import model_types
    from paramcalc.gguf.types import tensor_bytes

    model = gguf_model(network)
    name = {"bf16": "BF16", "fp16": "F16", "fp32": "F32"}.get(weights, weights)
    types = model_types(model, name)
    return {tensor.name: tensor_bytes(types[tensor.name], tensor.shape) for tensor in model.tensors}


def plan(
    network: Layer,
    options: argparse.Namespace,
    header: GGUFFile | None,
    source: str | None = None,
) -> dict[str, Any]:
    """The GGUF file's figures and llama.cpp's memory the options ask for, as JSON-able data."""
    data: dict[str, Any] = {}
    sweep = getattr(options, "sweep", None)
    if header is not None:
        data["file"] = file_summary(header)
        if options.weights not in ("bf16", None) or (sweep and sweep[0] == "weights"):
            raise GGUFUsageError(
                "--weights sizes a model from its config: a .gguf file has its own"
            )
    elif _is_preset(options.weights):
        data["file"] = _planned_file(network, options.weights, options.model, _config(None, source))
    context = options.context or (max(sweep[1]) if sweep and sweep[0] == "context" else None)
    if not context:
        if not data or options.ngl is not None or sweep:
            raise GGUFUsageError("llama.cpp's memory needs --context N (its -c, e.g. --context 8k)")
        return data
    from paramcalc.gguf.llama_memory import LlamaShape

    shape = LlamaShape.from_config(_config(header, source))
    weights = options.weights
    if sweep and sweep[0] == "weights" and not _is_preset(weights):
        weights = sweep[1][0]  # the table's first row, in full above it
    sizes = _tensor_bytes(network, header, weights)
    data["llama_cpp"] = _memory(shape, sizes, context, options)
    data["llama_cpp"]["weights"] = "file" if header is not None else weights
    if sweep and sweep[0] == "batch":
        raise GGUFUsageError("llama.cpp runs one sequence here: sweep context= or weights=")
    if sweep:
        rows = []
        for value in sweep[1]:
            if sweep[0] == "context":
                row = _memory(shape, sizes, value, options, search=False)
                rows.append({"label": f"{value:,}", **row})
                continue
            config = _config(None, source)
            planned = _planned_file(network, value, options.model, config)
            row = _memory(shape, _tensor_bytes(network, None, value), context, options)
            rows.append({"label": value, "file_bytes": planned["file_bytes"], **row})
        data["llama_cpp"]["sweep"] = {"over": sweep[0], "rows": rows}
    return data


def _memory(
    shape: LlamaShape,
    sizes: dict[str, int],
    context: int,
    options: argparse.Namespace,
    search: bool = True,
) -> dict[str, Any]:
    """llama.cpp's split at ``context`` and, with a device, whether and how far it fits."""
    from paramcalc.gguf.split import largest_context, llama_plan, most_layers

    kv_type = (options.kv_dtype or "f16").lower()
    kv_type = {"fp16": "f16", "float16": "f16", "bfloat16": "bf16", "fp32": "f32"}.get(
        kv_type, kv_type
    )
    settings: dict[str, Any] = {
        "type_k": kv_type,
        "type_v": kv_type,
        "n_batch": options.n_batch,
        "n_ubatch": options.n_ubatch,
    }
    ngl = shape.layers + 1 if options.ngl is None else options.ngl
    try:
        result = llama_plan(shape, sizes, context, ngl=ngl, **settings)
    except ConfigError as problem:
        raise GGUFUsageError(str(problem)) from None
    data: dict[str, Any] = result.to_dict()
    memory = _device_memory(options)
    if memory is not None:
        name, size = memory
        fit: dict[str, Any] = {"device": name, "memory": size, "fits": result.gpu_total <= size}
        if search:
            fit["largest_context"] = largest_context(shape, sizes, size, ngl=ngl, **settings)
            fit["most_layers"] = most_layers(shape, sizes, size, context, **settings)
        data["fit"] = fit
    return data


def _planned_file(
    network: Layer, weights: str, model_path: str | None, config: dict[str, Any]
) -> dict[str, Any]:
    """The GGUF file llama-quantize would write for the config's network in ``--weights``."""
    from paramcalc.gguf.filesize import file_size, metadata_bytes
    from paramcalc.gguf.names import gguf_model
    from paramcalc.gguf.quantize import model_types
    from paramcalc.gguf.types import ggml_type, tensor_bytes

    model = gguf_model(network)
    types = {name: ggml_type(kind).name for name, kind in model_types(model, weights).items()}
    model_path = model_path or ""
    folder = model_path if os.path.isdir(model_path) else os.path.dirname(model_path) or "."
    metadata, source = metadata_bytes(config, folder)
    layout = file_size(
        ((t.name, t.shape, types[t.name]) for t in model.tensors), metadata, source=source
    )
    totals: dict[str, int] = {}
    elements = 0
    for tensor in model.tensors:
        kind = types[tensor.name]
        totals[kind] = totals.get(kind, 0) + tensor_bytes(kind, tensor.shape)
        count = 1
        for size in tensor.shape:
            count *= size
        elements += count
    return {
        "path": f"({weights.upper()} of this config)",
        "version": 3,
        "architecture": model.arch,
        "tensors": len(model.tensors),
        "parameters": elements,
        "alignment": 32,
        "bytes_by_type": dict(sorted(totals.items(), key=lambda item: -item[1])),
        "tensor_bytes": layout.tensor_data,
        "padding": layout.padding,
        "metadata_bytes": layout.metadata,
        "metadata_source": source,
        "header_bytes": layout.header + layout.metadata + layout.tensor_infos,
        "file_bytes": layout.bytes,
    }


def _device_memory(options: argparse.Namespace) -> tuple[str, int] | None:
    if getattr(options, "device", None):
        from paramcalc.plan.devices import device

        found = device(options.device)
        return found.name, found.memory
    if getattr(options, "device_memory", None):
        return "device", int(options.device_memory)
    return None


def file_summary(header: GGUFFile) -> dict[str, Any]:
    """The header's figures: version, architecture, tensors, totals, bytes by type, sizes."""
    return {
        "path": header.path,
        "version": header.version,
        "architecture": header.metadata.get("general.architecture"),
        "tensors": len(header.tensors),
        "parameters": header.params(),
        "alignment": header.alignment,
        "bytes_by_type": header.bytes_by_type(),
        "tensor_bytes": sum(tensor.nbytes for tensor in header.tensors),
        "padding": header.tensor_bytes
        - sum(tensor.nbytes for tensor in header.tensors)
        + header.data_offset
        - header.header_bytes,
        "metadata_bytes": header.metadata_bytes,
        "header_bytes": header.header_bytes,
        "file_bytes": header.file_size,
    }


def _file_text(summary: dict[str, Any]) -> list[str]:
    types = " · ".join(
        f"{name} {iec_bytes(size)}" for name, size in summary["bytes_by_type"].items()
    )
    return [
        f"GGUF file {visible(summary['path'])[:120]} (v{summary['version']}, "
        f"{visible(str(summary['architecture']))[:40]}, {summary['tensors']:,} tensors, "
        f"alignment {summary['alignment']})",
        f"  parameters     {summary['parameters']:>16,}",
        f"  tensor data    {iec_bytes(summary['tensor_bytes']):>16}  {types}",
        f"  padding        {iec_bytes(summary['padding']):>16}",
        f"  metadata       {iec_bytes(summary['metadata_bytes']):>16}  "
        + (
            f"({summary['metadata_source']})"
            if "metadata_source" in summary
            else f"(header with tensor infos {iec_bytes(summary['header_bytes'])})"
        ),
        f"  file           {iec_bytes(summary['file_bytes']):>16}",
    ]


def _memory_text(data: dict[str, Any]) -> list[str]:
    kv = data["kv_cache"]
    gpu, cpu = data["gpu"], data["cpu"]
    cells = f"{kv['cells']:,} cells" + (
        f", {kv['swa_layers']} sliding layers {kv['swa_cells']:,}" if kv["swa_layers"] else ""
    )
    lines = [
        f"llama.cpp (n_ctx {data['n_ctx']:,}: {cells}; n_batch {data['compute']['n_batch']:,}, "
        f"n_ubatch {data['compute']['n_ubatch']:,}; cache {kv['type_k']}/{kv['type_v']}; "
        f"-ngl {data['ngl']} of {data['layers'] + 1}; weights {data['weights']})",
        f"  {'':22} {'GPU':>12} {'CPU':>12}",
        f"  {'weights':22} {iec_bytes(gpu['weights']):>12} {iec_bytes(cpu['weights']):>12}",
        f"  {'KV cache':22} {iec_bytes(gpu['kv_cache']):>12} {iec_bytes(cpu['kv_cache']):>12}",
        f"  {'compute buffer (est.)':22} {iec_bytes(gpu['compute_estimate']):>12} "
        f"{iec_bytes(cpu['compute_estimate']):>12}",
        f"  {'total':22} {iec_bytes(gpu['total']):>12} {iec_bytes(cpu['total']):>12}",
    ]
    fit = data.get("fit")
    if fit and "largest_context" in fit:
        verdict = "fits" if fit["fits"] else "does NOT fit"
        lines.append(
            f"  {fit['device']} ({iec_bytes(fit['memory'])}): {verdict}; largest context at "
            f"-ngl {data['ngl']}: {fit['largest_context']:,}; most layers at "
            f"{data['n_ctx']:,} tokens: -ngl {fit['most_layers']}"
        )
    return lines


def _sweep_text(sweep: dict[str, Any]) -> list[str]:
    rows = sweep["rows"]
    fitted = "fit" in rows[0]
    head = f"  {sweep['over']:>9} {'KV cache':>12} {'compute':>12} {'GPU':>12} {'CPU':>12}"
    head += f" {'file':>12}" if sweep["over"] == "weights" else ""
    lines = ["", head + ("  fits" if fitted else "")]
    for row in rows:
        line = (
            f"  {row['label']:>9} {iec_bytes(row['kv_cache']['bytes']):>12} "
            f"{iec_bytes(row['compute']['bytes']):>12} {iec_bytes(row['gpu']['total']):>12} "
            f"{iec_bytes(row['cpu']['total']):>12}"
        )
        if sweep["over"] == "weights":
            line += f" {iec_bytes(row['file_bytes']):>12}"
        if fitted:
            line += f"  {'yes' if row['fit']['fits'] else 'no'}"
        lines.append(line)
    return lines


def text(data: dict[str, Any]) -> str:
    """The GGUF footer: the file's figures and llama.cpp's memory."""
    lines: list[str] = []
    if "file" in data:
        lines += _file_text(data["file"])
    if "llama_cpp" in data:
        lines += ([""] if lines else []) + _memory_text(data["llama_cpp"])
        if "sweep" in data["llama_cpp"]:
            lines += _sweep_text(data["llama_cpp"]["sweep"])
    return "\n".join(lines)


def render(
    network: Layer,
    options: argparse.Namespace,
    report_output: str,
    fmt: str,
    header: GGUFFile | None,
    source: str | None = None,
) -> str:
    """The report's output with the GGUF footer added (text) or its ``"gguf"`` key (JSON)."""
    data = plan(network, options, header, source)
    if fmt == "json":
        merged = json.loads(report_output)
        merged["gguf"] = data
        return json.dumps(merged, indent=2)
    return report_output + "\n\n" + text(data) if data else report_output
