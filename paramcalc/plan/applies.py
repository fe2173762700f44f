"""Which flags apply to the question asked: the ones that would be ignored, named, with the fix.

A flag that changes nothing is worse than an error: the answer looks like
it took the flag into account. :func:`ignored` returns the first group of
given flags that the rest of the command line leaves without effect, as a
message naming them and what they need; the command line turns it into a
usage error (exit 2). Training and inference flags default to ``None`` so
that "given" is known exactly.

>>> import argparse
>>> asked = argparse.Namespace(train=False, zero=3, seq=99, micro_batch=7)
>>> ignored(asked)
'--zero, --seq, --micro-batch size the training plan: add --train'
"""

from __future__ import annotations

import argparse

__all__ = ["ignored"]

_TRAINING = (
    ("--zero", "zero"),
    ("--fsdp", "fsdp"),
    ("--devices-per-node", "devices_per_node"),
    ("--seq", "seq"),
    ("--micro-batch", "micro_batch"),
    ("--checkpointing", "checkpointing"),
    ("--precision", "precision"),
    ("--base-format", "base_format"),
    ("--tokens", "tokens"),
    ("--mfu", "mfu"),
)
_PRINTED = (
    ("--tied/--untied", "tied"),
    ("--image-size", "image_size"),
    ("--experts", "experts"),
    ("--expert-width", "expert_width"),
)
_REPORT = (
    ("--depth", "depth"),
    ("--columns", "columns"),
    ("--include", "include"),
    ("--exclude", "exclude"),
    ("--input", "input"),
    ("--batch-size", "batch_size"),
    ("--context", "context"),
    ("--sweep", "sweep"),
)


def _given(options: argparse.Namespace, flags: tuple[tuple[str, str], ...]) -> list[str]:
    return [flag for flag, dest in flags if getattr(options, dest, None) not in (None, False)]


def _plural(flags: list[str], verb: str) -> str:
    return f"{', '.join(flags)} {verb if len(flags) > 1 else verb + 's'}"


def ignored(options: argparse.Namespace, kind: str | None = None) -> str | None:
    """The message for flags that ``options`` would ignore, or None when every flag applies.

    ``kind`` is how the model was read (``"printed"``, ``"json"``, …; None
    before it is known): the ``print(model)`` flags apply to printed text only.
    """
    train = bool(getattr(options, "train", False))
    if getattr(options, "total", False):
        given = _given(options, (*_REPORT, ("--train", "train")))
        if getattr(options, "explain", False):
            given.append("--explain")
        if getattr(options, "format", "text") != "text":
            given.append("--format")
        if given:
            return f"--total prints only the parameter count: {', '.join(given)} would be ignored"
    if not train:
        given = _given(options, _TRAINING)
        devices = getattr(options, "devices", None)
        if devices is not None and devices > 1 and not _parallel_inference(options):
            given.append("--devices")
        if given:
            return f"{_plural(given, 'size')} the training plan: add --train"
    if getattr(options, "base_format", None) and not getattr(options, "lora", None):
        return (
            "--base-format is the quantized frozen base under LoRA adapters (QLoRA): "
            "add --lora SPEC (e.g. --lora r=16)"
        )
    if train:
        if getattr(options, "tokens", None) is not None and not getattr(options, "device", None):
            return "--tokens asks for the training time, which needs --device NAME (its FLOP/s)"
        if getattr(options, "mfu", None) is not None and getattr(options, "tokens", None) is None:
            return "--mfu sets the time of a token budget: add --tokens N"
        if (
            getattr(options, "devices_per_node", None)
            and getattr(options, "fsdp", None) != "hybrid"
        ):
            return "--devices-per-node is the shard group of --fsdp hybrid: add --fsdp hybrid"
    group = getattr(options, "group_size", None)
    if group is not None and getattr(options, "weights", None) not in ("gptq", "awq"):
        return "--group-size is GPTQ's and AWQ's: add --weights gptq or --weights awq"
    if kind is not None and kind != "printed":
        given = _given(options, _PRINTED)
        if given:
            what = "a reference network" if kind == "zoo" else f"read as {kind}"
            return f"{', '.join(given)}: only for print(model) text, and this model is {what}"
    return None


def _parallel_inference(options: argparse.Namespace) -> bool:
    """True when ``--devices`` asks for inference across devices (``--tp``/``--pp``/``--ep``)."""
    return any(getattr(options, dest, None) for dest in ("tp", "pp", "ep"))
