"""A training plan for a report: memory per device, compute and time, as footer lines and JSON.

>>> from paramcalc.zoo.language import gpt2
>>> summary = plan_training(gpt2(), seq_len=1024, micro_batch=8, device="A100-80GB")
>>> summary.key, summary.fits
('training', True)
>>> report = gpt2().report().with_plans(summary)
>>> sorted(report.to_dict()["plans"]["training"])[:3]
['compute', 'device', 'device_memory_bytes']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from paramcalc.layer import Layer
from paramcalc.plan.adapters import PeftModel
from paramcalc.plan.compute import TrainingCompute, training_flops, training_time
from paramcalc.plan.devices import Device, device as find_device
from paramcalc.plan.training import TrainingPlan, training_plan
from paramcalc.units import count, iec_bytes

__all__ = ["TrainingSummary", "plan_training"]


@dataclass(frozen=True)
class TrainingSummary:
    """A :class:`TrainingPlan` (memory per device), its compute, a device and a budget.

    ``key`` is its name under ``"plans"`` in a report's JSON.
    """

    memory: TrainingPlan
    compute: TrainingCompute
    device: Device | None
    tokens: int | None
    mfu: float
    lora: str | None = None
    key: str = "training"

    @property
    def fits(self) -> bool | None:
        """Whether the peak fits the device's memory (None without a device)."""
        return None if self.device is None else self.memory.peak <= self.device.memory

    @property
    def seconds(self) -> float | None:
        """Time for ``tokens`` on ``memory.devices`` devices at ``mfu`` (None without both)."""
        if self.device is None or self.tokens is None:
            return None
        return training_time(
            self.compute,
            self.tokens,
            device=self.device.name,
            devices=self.memory.devices,
            mfu=self.mfu,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: ``memory`` (bytes per device), ``compute`` (FLOPs), device, fit, time."""
        return {
            "memory": self.memory.to_dict(),
            "compute": self.compute.to_dict(),
            "device": None if self.device is None else self.device.name,
            "device_memory_bytes": None if self.device is None else self.device.memory,
            "fits": self.fits,
            "tokens": self.tokens,
            "mfu": self.mfu,
            "seconds": self.seconds,
            "lora": self.lora,
        }

    def __str__(self) -> str:
        """The footer lines as text (what ``print(plan_training(...))`` shows)."""
        from paramcalc.plan.show import text

        return text(self.footer_lines())

    def __repr__(self) -> str:
        """One line: ``TrainingSummary(A100-80GB: fits, peak 34.79 MiB, 12.3K FLOPs a token)``."""
        where = "no device" if self.device is None else self.device.name
        verdict = "" if self.fits is None else (": fits" if self.fits else ": does NOT fit")
        return (
            f"TrainingSummary({where}{verdict}, peak {iec_bytes(self.memory.peak)}, "
            f"{count(self.compute.per_token)} FLOPs a token)"
        )

    def _repr_html_(self) -> str:
        """The footer lines as an escaped HTML table (Jupyter)."""
        from paramcalc.plan.show import html

        return html(self.footer_lines())

    def footer_lines(self) -> list[tuple[str, str]]:
        """``(label, value)`` lines for a report's footer."""
        m = self.memory
        where = f"{m.devices} × {self.device.name}" if self.device else None
        lines = m.footer_lines(where)
        if self.lora:
            share = 100 * m.trainable / m.params if m.params else 0.0
            lines.insert(  # as PEFT's print_trainable_parameters() prints it
                1,
                (
                    "  Adapters",
                    f"{self.lora}: trainable params: {m.trainable:,} || all params: "
                    f"{m.params:,} || trainable%: {share:.4f}",
                ),
            )
        if self.device is not None:
            verdict = "fits" if self.fits else "does NOT fit"
            label, peak = lines[-1]
            lines[-1] = (label, f"{peak}; {verdict} in {iec_bytes(self.device.memory)}")
        c = self.compute
        sign = "+" if c.six_n_error >= 0 else "−"
        lines.append(
            (
                "  Training FLOPs per token",
                f"{count(c.per_token)} (6·N: {count(c.six_n)}, {sign}{abs(c.six_n_error):.1%})",
            )
        )
        seconds = self.seconds
        if seconds is not None and self.tokens is not None:
            lines.append(
                (
                    "  Time",
                    f"{seconds / 3600:,.1f} h for {count(self.tokens)} tokens at "
                    f"{self.mfu:.0%} MFU",
                )
            )
        return lines


def plan_training(
    net: Layer,
    *,
    seq_len: int,
    micro_batch: int = 1,
    device: str | None = None,
    tokens: int | None = None,
    mfu: float = 0.4,
    **options: Any,
) -> TrainingSummary:
    """:func:`training_plan` and :func:`training_flops` together, on a ``device`` of the table.

    ``device`` is a name of :data:`paramcalc.plan.devices.DEVICES` (its memory
    decides ``fits``); the time uses its BF16 throughput
    (:mod:`paramcalc.plan.accelerators`).

    ``options`` go to :func:`~paramcalc.plan.training.training_plan` (``devices``,
    ``sharding``, ``optimizer``, ``precision``, ``checkpointing``, ``base_format``…).
    """
    chosen = None if device is None else find_device(device)
    memory = training_plan(net, seq_len=seq_len, micro_batch=micro_batch, **options)
    compute = training_flops(net, seq_len=seq_len, checkpointing=memory.checkpointing)
    lora = None
    settings = getattr(net, "settings", None)
    if isinstance(net, PeftModel) and settings is not None:
        targets = settings.target_modules
        shown = targets if isinstance(targets, str) else ",".join(targets)
        lora = f"LoRA r={settings.r} on {shown}" + (" (DoRA)" if settings.use_dora else "")
    summary = TrainingSummary(memory, compute, chosen, tokens, mfu, lora)
    _ = summary.seconds  # checks tokens and mfu now
    return summary
