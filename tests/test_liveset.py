"""The live-set model against CPU allocation traces, GPU anchors and hand-derived figures."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

import paramcalc as pc
from paramcalc import zoo
from paramcalc.errors import ConfigError
from paramcalc.liveset import live_peaks

PLAN = Path(__file__).parent / "golden" / "plan"


def _rows(name: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads((PLAN / name).read_text())["rows"]
    return rows


def _lenet() -> pc.Layer:
    """The LeNet of trace_vision.py (no ReLUs, as the seed's memory example)."""
    return pc.Sequential(
        pc.Conv2d(1, 6, 5), pc.MaxPool2d(2), pc.Conv2d(6, 16, 5), pc.MaxPool2d(2),
        pc.Flatten(), pc.Linear(400, 120), pc.Linear(120, 84), pc.Linear(84, 10),
    )  # fmt: skip


def _net(name: str) -> tuple[pc.Layer, tuple[int, ...]]:
    if name == "lenet":
        return _lenet(), (1, 32, 32)
    return zoo.get(name), (3, 224, 224)


@pytest.mark.parametrize(
    "row",
    _rows("trace_vision.json"),
    ids=lambda r: f"{r['model']}-{r['mode']}-{r['batch']}",
)
def test_cpu_traces(row: dict[str, Any]) -> None:
    """Each traced CPU peak (torch 2.14, torchvision 0.29): planned within 2%.

    The CPU's AdamW steps one tensor at a time (``foreach`` is CUDA's
    default only); autocast runs convolutions and matmuls in bf16 on both
    devices (the traced models have no op whose lists differ).
    """
    net, shape = _net(row["model"])
    autocast = "bf16" if row["mode"] == "autocast" else None
    peaks = live_peaks(net, shape, batch_size=row["batch"], autocast=autocast, foreach=False)
    planned = peaks.inference if row["mode"] == "inference" else peaks.training
    assert abs(planned - row["peak"]) <= 0.02 * row["peak"], (planned, row["peak"])
    if row["mode"] != "inference":
        assert peaks.fixed == row["baseline"]  # weights, buffers, states, input, targets


@pytest.mark.parametrize(
    "row", _rows("h200_vision_anchors.json"), ids=lambda r: f"{r['model']}-{r['mode']}"
)
def test_h200_anchors(row: dict[str, Any]) -> None:
    """The H200 peaks of issue 19: within 5% with CUDA's terms (512-byte blocks, cuBLAS's 32 MiB).

    What remains is the libraries' own workspace beyond cuBLAS's first 32 MiB
    (cuDNN's convolution algorithms, cuBLASLt): not modelled; the planned
    figure is below the measured one, by 33 to 92 MiB in these five.
    """
    net, shape = _net(row["model"])
    peaks = live_peaks(
        net,
        shape,
        batch_size=row["batch"],
        autocast=row["autocast"],
        round_to=512,
        workspace=32 * 2**20,
    )
    planned = peaks.inference if row["mode"] == "inference" else peaks.training
    assert 0 <= row["peak"] - planned <= 96 * 2**20, (planned, row["peak"])
    assert abs(planned - row["peak"]) <= 0.05 * row["peak"]


class TestByHand:
    def test_small_convnet(self) -> None:
        """conv → in-place ReLU → max pool → Linear, batch 4, worked out by hand.

        Inference peaks at the pool: weights 82,856 + input 49,152 + the conv's
        output 131,072 (the ReLU writes into it) + the pool's output 32,768 and
        its int64 indices 65,536. Training peaks in the ReLU's backward.
        """
        net = pc.Sequential(
            pc.Conv2d(3, 8, 3, padding=1), pc.ReLU(inplace=True), pc.MaxPool2d(2),
            pc.Flatten(), pc.Linear(8 * 16 * 16, 10),
        )  # fmt: skip
        peaks = live_peaks(net, (3, 32, 32), batch_size=4)
        assert peaks.inference == 82856 + 49152 + 131072 + 32768 + 65536 == 361384
        fixed = 82856 * 3 + 49152 + 4 * 8  # weights and AdamW's two moments, input, targets
        saved = 131072 + 65536 + 32768 + 160  # conv output, indices, pool output, logits
        assert peaks.saved == saved
        # ReLU's backward: the saved set less the pool's output and indices (their
        # backwards ran; the caller keeps the logits), Linear's weight gradient
        # (81,960), the pool's input gradient (131,072) and the ReLU's own (131,072)
        relu = fixed + saved - 32768 - 65536 + 81960 + 131072 + 131072
        assert (peaks.training, peaks.training_phase) == (relu, "backward") == (773088, "backward")

    def test_inplace_shares_storage(self) -> None:
        """An in-place ReLU adds no tensor in inference; a new one adds its output."""
        shape = (16, 8, 8)
        inplace = live_peaks(pc.Sequential(pc.Conv2d(16, 16, 1), pc.ReLU(inplace=True)), shape)
        new = live_peaks(pc.Sequential(pc.Conv2d(16, 16, 1), pc.ReLU()), shape)
        assert new.inference - inplace.inference == 16 * 8 * 8 * 4

    def test_residual_holds_its_input(self) -> None:
        """A residual block keeps its input until the sum: one tensor more than a chain."""
        body = {"a": pc.Linear(64, 64), "b": pc.Linear(64, 64), "c": pc.Linear(64, 64)}
        chain = live_peaks(pc.Sequential({"first": pc.Linear(64, 64), **body}), (64,))
        block = live_peaks(pc.Sequential(pc.Linear(64, 64), pc.Residual(body)), (64,))
        assert block.inference - chain.inference == 64 * 4  # the block's input, held

    def test_repeat_costs_the_same_for_any_count(self) -> None:
        """Copies beyond a few are one op: the same peaks as walking them all, in bounded time."""
        block = pc.Sequential(pc.Linear(32, 32), pc.GELU())
        few = live_peaks(pc.Repeat(block, 9), (8, 32), batch_size=3)
        copies = [block.freeze().unfreeze() for _ in range(9)]  # nine distinct objects
        each = live_peaks(pc.Sequential(*copies), (8, 32), batch_size=3)
        assert (few.inference, few.training, few.saved) == (
            each.inference,
            each.training,
            each.saved,
        )
        per_copy = few.saved - live_peaks(pc.Repeat(block, 8), (8, 32), batch_size=3).saved
        start = time.perf_counter()
        huge = live_peaks(pc.Repeat(block, 10**9), (8, 32), batch_size=3)
        assert time.perf_counter() - start < 5
        assert huge.saved == few.saved + (10**9 - 9) * per_copy

    def test_autocast_needs_fp32(self) -> None:
        """Autocast runs an fp32 network's ops in 16 bits: other dtypes are refused, by name."""
        with pytest.raises(ConfigError, match=r"`autocast`"):
            pc.memory(_lenet(), (1, 32, 32), dtype="bf16", autocast="bf16")
