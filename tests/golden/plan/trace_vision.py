"""Peak bytes of torchvision/timm classifiers, traced on CPU (golden data for the live-set model).

Run with /work/venv-tv (torch 2.14.1, torchvision 0.29.1, timm 1.0.31, CPU)::

    python tests/golden/plan/trace_vision.py > tests/golden/plan/trace_vision.json

Each case runs in a fresh process, one thread. The profiler reports every
allocation and free of torch's CPU allocator (the method of
``trace_peak.py``); the running sum over the traced region, from just
before it, peaks at the bytes the region adds to what was there. What was
there is counted exactly from the tensors (``baseline``): parameters,
buffers, the optimizer's ``exp_avg``/``exp_avg_sq`` (not ``step``, a CPU
scalar on CUDA too) and the input batch and targets. ``peak`` is
``baseline`` plus the traced rise. Kernel scratch (a block allocated and
freed inside one op: oneDNN's reordered weights and im2col buffers) is
reported apart as ``scratch_at_peak``: a GPU has its own (cuDNN's
workspace), which is a device term.

- ``train``: random weights, ``model.train()``, AdamW (foreach, the
  default); one step untraced (the optimizer allocates its state), then the
  traced second step: ``loss = cross_entropy(model(x), y); loss.backward();
  opt.step(); opt.zero_grad(set_to_none=True)``.
- ``autocast``: the same with the forward and the loss under
  ``torch.autocast("cpu", dtype=torch.bfloat16)``.
- ``inference``: ``model.eval()`` and ``torch.no_grad()``, one forward.
"""

from __future__ import annotations

import gc
import importlib
import json
import subprocess
import sys
from typing import Any

CASES: list[dict[str, Any]] = [
    {"model": "resnet18", "mode": "train", "batch": 4},
    {"model": "resnet50", "mode": "train", "batch": 1},
    {"model": "resnet50", "mode": "train", "batch": 8},
    {"model": "resnet50", "mode": "train", "batch": 32},
    {"model": "resnet50", "mode": "inference", "batch": 1},
    {"model": "resnet50", "mode": "inference", "batch": 32},
    {"model": "resnet50", "mode": "autocast", "batch": 8},
    {"model": "vit_b_16", "mode": "train", "batch": 4},
    {"model": "vit_b_16", "mode": "inference", "batch": 8},
    {"model": "efficientnet_b0", "mode": "train", "batch": 8},
    {"model": "efficientnet_b0", "mode": "inference", "batch": 8},
    {"model": "mobilenet_v2", "mode": "train", "batch": 8},
    {"model": "mobilenet_v2", "mode": "inference", "batch": 8},
    {"model": "densenet121", "mode": "train", "batch": 4},
    {"model": "densenet121", "mode": "inference", "batch": 4},
    {"model": "resnet18", "mode": "autocast", "batch": 8},
    {"model": "vgg11", "mode": "train", "batch": 2},
    {"model": "lenet", "mode": "train", "batch": 1, "size": 32},
    {"model": "lenet", "mode": "inference", "batch": 1, "size": 32},
    {"model": "lenet", "mode": "train", "batch": 64, "size": 32},
    {"model": "lenet", "mode": "inference", "batch": 64, "size": 32},
]


def lenet(nn: Any) -> Any:
    """The seed's LeNet (``paramcalc``'s ``tests/nets.py``): 61,706 parameters."""
    return nn.Sequential(
        nn.Conv2d(1, 6, 5),
        nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(400, 120),
        nn.Linear(120, 84),
        nn.Linear(84, 10),
    )


def _events(prof: Any) -> list[tuple[int, int, int, int]]:
    event_type: Any = importlib.import_module("torch._C._profiler")._EventType
    events: list[tuple[int, int, int, int]] = []

    def walk(node: Any) -> None:
        if node.typed[0] == event_type.Allocation:
            parent = id(node.parent) if node.parent is not None else 0
            fields = node.typed[1]
            events.append((node.start_time_ns, fields.alloc_size, fields.ptr, parent))
        for child in node.children:
            walk(child)

    for root in prof.profiler.kineto_results.experimental_event_tree():
        walk(root)
    events.sort()
    return events


def rise(events: list[tuple[int, int, int, int]]) -> tuple[int, int, int]:
    """(peak rise without scratch, scratch at that peak, rise at the end)."""
    current: dict[int, tuple[int, int]] = {}
    scratch_of: set[int] = set()
    freed_by: dict[int, int] = {}
    for index, (_, size, ptr, parent) in enumerate(events):
        if size > 0:
            current[ptr] = (index, parent)
        elif ptr in current:
            made, owner = current.pop(ptr)
            freed_by[index] = made
            if parent and owner == parent:
                scratch_of.add(made)
    live = scratch = peak = peak_scratch = 0
    for index, (_, size, _, _) in enumerate(events):
        if index in scratch_of or freed_by.get(index, -1) in scratch_of:
            scratch += size
        else:
            live += size
        if live > peak:
            peak, peak_scratch = live, scratch
    return peak, peak_scratch, live


def _bytes(tensors: Any) -> int:
    return sum(t.numel() * t.element_size() for t in tensors)


def run(case: dict[str, Any]) -> dict[str, Any]:
    """Trace one case (in a fresh process)."""
    torch: Any = importlib.import_module("torch")
    models: Any = importlib.import_module("torchvision.models")
    profiler: Any = importlib.import_module("torch.profiler")
    functional: Any = importlib.import_module("torch.nn.functional")
    torch.set_num_threads(1)
    torch.manual_seed(0)
    size = case.get("size", 224)
    if case["model"] == "lenet":
        model, channels, classes = lenet(torch.nn), 1, 10
    else:
        model, channels, classes = getattr(models, case["model"])(weights=None), 3, 1000
    batch = case["batch"]
    x = torch.randn(batch, channels, size, size)
    y = torch.randint(0, classes, (batch,))
    params = _bytes(model.parameters())
    buffers = _bytes(model.buffers())
    mode = case["mode"]
    states = 0
    if mode == "inference":
        model.eval()
        baseline = params + buffers + _bytes([x])
        with torch.no_grad():
            model(x)  # warm up
            gc.collect()
            gc.disable()
            with profiler.profile(
                activities=[profiler.ProfilerActivity.CPU], profile_memory=True
            ) as prof:
                out = model(x)
            gc.enable()
        del out
    else:
        model.train()
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4)

        def step() -> None:
            if mode == "autocast":
                with torch.autocast("cpu", dtype=torch.bfloat16):
                    loss = functional.cross_entropy(model(x), y)
            else:
                loss = functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)

        step()
        for group in opt.state.values():
            states += _bytes([group["exp_avg"], group["exp_avg_sq"]])
        baseline = params + buffers + states + _bytes([x, y])
        gc.collect()
        gc.disable()
        with profiler.profile(
            activities=[profiler.ProfilerActivity.CPU], profile_memory=True
        ) as prof:
            step()
        gc.enable()
    peak, scratch, end = rise(_events(prof))
    return {
        **case,
        "size": size,
        "params": params,
        "buffers": buffers,
        "optimizer_states": states,
        "baseline": baseline,
        "rise": peak,
        "peak": baseline + peak,
        "scratch_at_peak": scratch,
        "end": end,
        "versions": [torch.__version__, importlib.import_module("torchvision").__version__],
    }


def main() -> None:
    """Print the traced figures of every case as JSON, each traced in its own process."""
    if len(sys.argv) == 3 and sys.argv[1] == "--case":
        print(json.dumps(run(CASES[int(sys.argv[2])])))
        return
    rows = []
    for index in range(len(CASES)):
        done = subprocess.run(
            [sys.executable, __file__, "--case", str(index)],
            capture_output=True,
            text=True,
            check=True,
        )
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(json.dumps(rows[-1]), file=sys.stderr)
    print(json.dumps({"rows": rows}, indent=1))


if __name__ == "__main__":
    main()
