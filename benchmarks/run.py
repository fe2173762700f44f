"""Benchmarks: medians, spreads and ratios, printed; no asserts on time.

    python -m benchmarks            # the whole suite, a table on stdout
    python -m benchmarks --quick    # fewer repeats
    python -m benchmarks --json out.json

Fresh-process figures run each command in a new interpreter, interleaving the
commands being compared (paramcalc, torch, a bare interpreter) so that machine
noise hits them alike; peak memory is the child's maximum resident set size.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from paramcalc import Layer

T = TypeVar("T")
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Figure:
    """One measured quantity: its samples, summarized."""

    name: str
    unit: str
    samples: tuple[float, ...]
    note: str = ""
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    def row(self) -> str:
        low, high = min(self.samples), max(self.samples)
        extra = "  ".join(f"{key} {value:,.3g}" for key, value in self.extra.items())
        return (
            f"{self.name:<52} {self.median:>12,.3f} {self.unit:<9} "
            f"[{low:,.3f} … {high:,.3f}]  {extra}{'  ' + self.note if self.note else ''}"
        )


def _child(code: str) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of ``python -c code`` in a fresh process.

    Bytecode is compiled beforehand (see :func:`compile_bytecode`) and used, as
    in any installed package; torch's site-packages have theirs too.
    """
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", code], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if status != 0:
        error = process.stderr.read().decode() if process.stderr else ""
        raise RuntimeError(f"benchmark child failed:\n{code}\n{error}")
    return elapsed, usage.ru_maxrss


def compile_bytecode() -> None:
    """Write paramcalc's ``.pyc`` files, as ``pip install`` does."""
    import compileall

    compileall.compile_dir(str(ROOT / "paramcalc"), quiet=1)


def _has(module: str) -> bool:
    code = f"import importlib.util, sys; sys.exit(importlib.util.find_spec({module!r}) is None)"
    return subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def fresh_processes(
    commands: dict[str, str], repeats: int
) -> dict[str, tuple[list[float], list[int]]]:
    """Run each command ``repeats`` times, interleaved; wall times (s) and peak RSS (KiB)."""
    results: dict[str, tuple[list[float], list[int]]] = {name: ([], []) for name in commands}
    for _ in range(repeats):
        for name, code in commands.items():
            wall, rss = _child(code)
            results[name][0].append(wall)
            results[name][1].append(rss)
    return results


def timed_each(items: Iterable[T], function: Callable[[T], object]) -> list[float]:
    """Seconds of ``function(item)`` for each item (fresh inputs, no warm caches)."""
    samples = []
    for item in items:
        start = time.perf_counter()
        function(item)
        samples.append(time.perf_counter() - start)
    return samples


def timed(function: Callable[[], object], repeats: int) -> list[float]:
    """Seconds per call of ``function``, ``repeats`` samples."""
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return samples


LENET = textwrap.dedent(
    """
    from paramcalc import Conv2d, Flatten, Linear, MaxPool2d, Sequential
    net = Sequential(Conv2d(1, 6, 5), MaxPool2d(2), Conv2d(6, 16, 5), MaxPool2d(2),
                     Flatten(), Linear(400, 120), Linear(120, 84), Linear(84, 10))
    assert net.trainable_params() == 61706
    """
)
LENET_TORCH = textwrap.dedent(
    """
    import torch.nn as nn
    net = nn.Sequential(nn.Conv2d(1, 6, 5), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5),
                        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120),
                        nn.Linear(120, 84), nn.Linear(84, 10))
    assert sum(p.numel() for p in net.parameters() if p.requires_grad) == 61706
    """
)


def llama_code(layers: int, hidden: int, intermediate: int, heads: int, kv_heads: int) -> str:
    """paramcalc: a Llama-shaped network counted from scratch in a fresh process."""
    return textwrap.dedent(
        f"""
        from paramcalc import zoo
        net = zoo.llama(hidden_size={hidden}, intermediate_size={intermediate},
                        num_hidden_layers={layers}, num_attention_heads={heads},
                        num_key_value_heads={kv_heads})
        print(net.params())
        """
    )


def llama_torch_code(layers: int, hidden: int, intermediate: int, heads: int, kv: int) -> str:
    """torch on the meta device: the same Llama shape built of torch.nn modules."""
    return textwrap.dedent(
        f"""
        import torch, torch.nn as nn
        h, i, n, heads, kv = {hidden}, {intermediate}, {layers}, {heads}, {kv}
        d = h // heads
        class Block(nn.Module):
            def __init__(self):
                super().__init__()
                self.q_proj = nn.Linear(h, heads * d, bias=False)
                self.k_proj = nn.Linear(h, kv * d, bias=False)
                self.v_proj = nn.Linear(h, kv * d, bias=False)
                self.o_proj = nn.Linear(heads * d, h, bias=False)
                self.gate_proj = nn.Linear(h, i, bias=False)
                self.up_proj = nn.Linear(h, i, bias=False)
                self.down_proj = nn.Linear(i, h, bias=False)
                self.input_layernorm = nn.RMSNorm(h)
                self.post_attention_layernorm = nn.RMSNorm(h)
        with torch.device("meta"):
            net = nn.ModuleDict(dict(embed_tokens=nn.Embedding(32000, h),
                                     layers=nn.ModuleList(Block() for _ in range(n)),
                                     norm=nn.RMSNorm(h), lm_head=nn.Linear(h, 32000, bias=False)))
        print(sum(p.numel() for p in net.parameters()))
        """
    )


def bench_import(repeats: int) -> Iterator[Figure]:
    runs = fresh_processes(
        {
            "bare": "pass",
            "import": "import paramcalc",
            "lenet-layers": "from paramcalc import Conv2d, Linear, MaxPool2d, Sequential",
        },
        repeats,
    )
    bare = statistics.median(runs["bare"][0])
    yield Figure("bare interpreter (python -c pass)", "ms", tuple(t * 1e3 for t in runs["bare"][0]))
    for name, label in (
        ("import", "import paramcalc"),
        ("lenet-layers", "from paramcalc import …"),
    ):
        times = runs[name][0]
        yield Figure(
            f"{label}: added over bare",
            "ms",
            tuple((t - bare) * 1e3 for t in times),
            extra={"peak RSS MiB": statistics.median(runs[name][1]) / 1024},
        )


def bench_lenet(repeats: int, with_torch: bool) -> Iterator[Figure]:
    commands = {"paramcalc": LENET}
    if with_torch:
        commands["torch"] = LENET_TORCH
    runs = fresh_processes(commands, repeats)
    ours = statistics.median(runs["paramcalc"][0])
    extra = {"peak RSS MiB": statistics.median(runs["paramcalc"][1]) / 1024}
    if with_torch:
        theirs = statistics.median(runs["torch"][0])
        extra["× faster than torch"] = theirs / ours
        yield Figure(
            "LeNet, torch count, fresh process",
            "ms",
            tuple(t * 1e3 for t in runs["torch"][0]),
            extra={"peak RSS MiB": statistics.median(runs["torch"][1]) / 1024},
        )
    yield Figure("LeNet, paramcalc count, fresh process", "ms",
                 tuple(t * 1e3 for t in runs["paramcalc"][0]), extra=extra)  # fmt: skip


def bench_llama(repeats: int, with_torch: bool) -> Iterator[Figure]:
    shapes = {"Llama-2-7B": (32, 4096, 11008, 32, 32), "Llama-2-70B": (80, 8192, 28672, 64, 8)}
    for label, shape in shapes.items():
        commands = {"paramcalc": llama_code(*shape)}
        if with_torch:
            commands["torch"] = llama_torch_code(*shape)
        try:
            runs = fresh_processes(commands, repeats)
        except RuntimeError as error:
            yield Figure(f"{label}-shaped: skipped", "", (0.0,), note=str(error).splitlines()[-1])
            continue
        ours = statistics.median(runs["paramcalc"][0])
        extra = {"peak RSS MiB": statistics.median(runs["paramcalc"][1]) / 1024}
        if with_torch:
            extra["× faster than torch/meta"] = statistics.median(runs["torch"][0]) / ours
            yield Figure(
                f"{label}-shaped, torch on meta device",
                "ms",
                tuple(t * 1e3 for t in runs["torch"][0]),
                extra={"peak RSS MiB": statistics.median(runs["torch"][1]) / 1024},
            )
        yield Figure(f"{label}-shaped, paramcalc, fresh process", "ms",
                     tuple(t * 1e3 for t in runs["paramcalc"][0]), extra=extra)  # fmt: skip


def bench_hf(repeats: int) -> Iterator[Figure]:
    """``from_hf_config`` then total and active counts of big published configs (modules loaded)."""
    from paramcalc.hf import from_hf_config

    for name in ("deepseek-v3", "gpt-oss-20b", "llama-2-7b"):
        config = json.loads((ROOT / "tests" / "fixtures" / "hf" / f"{name}.json").read_text())

        def size(config: dict[str, object] = config) -> object:
            net = from_hf_config(config)
            return net.params(), net.active_params()

        size()  # the family's modules load once
        yield Figure(f"{name} config.json: build, total, active", "ms",
                     tuple(t * 1e3 for t in timed(size, repeats)))  # fmt: skip


def _flat_layers(n: int) -> list[Layer]:
    from paramcalc import Linear, ReLU

    return [Linear(64, 64) if i % 2 == 0 else ReLU() for i in range(n)]


def bench_flat(repeats: int, sizes: tuple[int, ...]) -> Iterator[Figure]:
    """Fresh layers for every sample, so cached counts never flatter the figure."""
    from paramcalc import Sequential

    for n in sizes:
        figures = {
            "build layers": timed_each([n] * repeats, _flat_layers),
            "build Sequential": timed_each(
                [_flat_layers(n) for _ in range(repeats)], lambda layers: Sequential(*layers)
            ),
        }
        runs: dict[str, Callable[[Sequential], object]] = {
            "params()": lambda net: net.params(),
            "output_shape()": lambda net: net.output_shape((64,)),
            "macs()": lambda net: net.macs((64,)),
            "report() with shapes and MACs": lambda net: net.report((64,)),
        }
        for label, run in runs.items():
            nets = [Sequential(*_flat_layers(n)) for _ in range(repeats)]
            figures[label] = timed_each(nets, run)
        for label, samples in figures.items():
            median = statistics.median(samples)
            yield Figure(
                f"flat {n:,} layers: {label}",
                "ms",
                tuple(s * 1e3 for s in samples),
                extra={"layers/s": n / median if median else float("inf")},
            )


def bench_repeat(repeats: int) -> Iterator[Figure]:
    try:
        from paramcalc import Linear, Repeat, Sequential
    except ImportError:
        yield Figure("Repeat(block, n): skipped (no Repeat)", "", (0.0,))
        return
    block = Sequential(Linear(64, 64), Linear(64, 64))
    for n in (10, 100, 1_000, 10_000):
        samples = timed_each([Repeat(block, n) for _ in range(repeats)], lambda r: r.params())
        yield Figure(f"Repeat(block, {n:,}).params()", "µs", tuple(s * 1e6 for s in samples))


def bench_render(repeats: int) -> Iterator[Figure]:
    from paramcalc import Linear, ReLU, Sequential

    net = Sequential(*(Linear(64, 64) if i % 2 == 0 else ReLU() for i in range(10_000)))
    report = net.report((64,))
    formats: dict[str, Callable[[], object]] = {
        name: partial(report.render, name) for name in ("text", "markdown", "html", "json")
    }
    for name, render in formats.items():
        samples = timed(render, repeats)
        yield Figure(f"render 10,000-row report: {name}", "ms", tuple(s * 1e3 for s in samples))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--no-torch", action="store_true", help="skip the torch comparisons")
    args = parser.parse_args(argv)
    repeats = 5 if args.quick else 15
    compile_bytecode()
    with_torch = not args.no_torch and _has("torch")
    sys.path.insert(0, str(ROOT))
    print(f"python {platform.python_version()} on {platform.machine()}, "
          f"{os.cpu_count()} cores; torch comparison: {'yes' if with_torch else 'no'}")  # fmt: skip
    print(f"{'benchmark':<52} {'median':>12} {'unit':<9} [min … max]")
    figures: list[Figure] = []
    sections: tuple[Callable[[], Iterator[Figure]], ...] = (
        lambda: bench_import(repeats),
        lambda: bench_lenet(repeats, with_torch),
        lambda: bench_llama(max(3, repeats // 3), with_torch),
        lambda: bench_hf(repeats),
        lambda: bench_flat(repeats, (1_000, 10_000) if args.quick else (1_000, 10_000, 100_000)),
        lambda: bench_repeat(repeats),
        lambda: bench_render(max(3, repeats // 3)),
    )
    for section in sections:
        for figure in section():
            figures.append(figure)
            print(figure.row(), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(f) for f in figures], indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
