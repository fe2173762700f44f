"""The command line's training options: ``--train``, ``--lora``, ``--zero``, ``--devices`` ….

``paramcalc config.json --train --lora r=16,all-linear --optimizer adamw --zero 3
--devices 8 --device H100-80GB --seq 4096 --micro-batch 2 --checkpointing full``
adds a training plan (:func:`paramcalc.plan.summary.plan_training`) to the
report's footer and JSON. :func:`add_arguments` registers the options;
:func:`apply` turns them into the adapted network and the plan.

>>> import argparse
>>> parser = argparse.ArgumentParser()
>>> add_arguments(parser)
>>> options = parser.parse_args(["--train", "--lora", "r=16,alpha=32,all-linear,dora"])
>>> parse_lora(options.lora)
{'r': 16, 'lora_alpha': 32, 'target_modules': 'all-linear', 'use_dora': True}
"""

from __future__ import annotations

import argparse
import math
from typing import Any

from paramcalc._check import shown
from paramcalc.errors import ConfigError
from paramcalc.layer import Layer
from paramcalc.plan.cli import parse_tokens

# the planners' choices, repeated here so that building the parser loads no planner
# (tests/test_train_cli.py checks that they agree)
OPTIMIZERS = ("sgd", "sgd_momentum", "adam", "adamw", "adamw8bit", "adafactor")
PRECISIONS = ("fp32", "bf16", "fp16", "bf16-mixed", "fp16-mixed")
CHECKPOINTING = ("none", "full", "selective")
BASE_FORMATS = ("nf4", "nf4-dq", "fp4", "fp4-dq", "int8", "fp8", "gptq", "awq")

__all__ = ["add_arguments", "apply", "parse_lora"]

_FLAGS = {"dora": "use_dora", "rslora": "use_rslora", "lora_bias": "lora_bias"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the training options on ``parser`` (their own argument group)."""
    group = parser.add_argument_group(
        "training plan",
        "memory per device, FLOPs and time of a training step (docs/fine-tuning.md); "
        "the model takes token ids: --seq sets their number; --device (above) names "
        "the accelerator",
    )
    group.add_argument("--train", action="store_true", help="add a training plan to the report")
    group.add_argument(
        "--lora",
        metavar="SPEC",
        help="adapters as PEFT adds them: r=16,alpha=32,all-linear or "
        "r=8,q_proj+v_proj (also: dora, rslora, lora_bias, bias=all, save=lm_head)",
    )
    group.add_argument("--precision", choices=PRECISIONS, help="default: bf16-mixed")
    group.add_argument("--zero", type=int, choices=(0, 1, 2, 3), help="DeepSpeed ZeRO stage")
    group.add_argument(
        "--fsdp", choices=("full", "hybrid", "grad_op"), help="PyTorch FSDP sharding strategy"
    )
    group.add_argument(
        "--devices", type=int, metavar="N", help="devices (default 1); more than 1 with --train"
    )
    group.add_argument("--devices-per-node", type=int, metavar="N", help="for --fsdp hybrid")
    group.add_argument(
        "--seq", type=parse_tokens, metavar="N", help="tokens per sequence (required): 2048, 2k"
    )
    group.add_argument("--micro-batch", type=parse_tokens, metavar="N", help="default 1")
    group.add_argument("--checkpointing", choices=CHECKPOINTING, help="default: none")
    group.add_argument(
        "--base-format", choices=BASE_FORMATS, help="quantized frozen base (QLoRA: nf4-dq)"
    )
    group.add_argument("--tokens", type=token_budget, metavar="N", help="token budget for the time")
    group.add_argument("--mfu", type=float, help="model FLOPs utilisation (default 0.4)")


MAX_TOKENS = 2**63 - 1
"""The largest token budget taken (an int64 count, as every count paramcalc takes)."""


def token_budget(text: str) -> int:
    """``--tokens``: a whole number of tokens, written ``2000000000000`` or ``2e12``.

    >>> token_budget("2e12"), token_budget("15000000000000")
    (2000000000000, 15000000000000)
    >>> token_budget("inf")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: expected a whole number of tokens from 1 to ... got 'inf'
    """
    stripped = text.strip()
    value: int | float | None = None
    if len(stripped) <= 40:  # never int() or float() a hostile run of digits
        try:
            value = int(stripped)
        except ValueError:
            try:
                value = float(stripped)
            except ValueError:
                value = None
    if isinstance(value, float):
        value = int(value) if math.isfinite(value) and value.is_integer() else None
    if value is None or not 1 <= value <= MAX_TOKENS:
        raise argparse.ArgumentTypeError(
            f"expected a whole number of tokens from 1 to {MAX_TOKENS:,} such as 2e12, "
            f"got {shown(text)}"
        )
    return value


def parse_lora(spec: str) -> dict[str, Any]:
    """``"r=16,alpha=32,all-linear"`` → :func:`paramcalc.lora`'s keywords.

    Bare words are target modules (``q_proj+v_proj`` or ``q_proj,v_proj``;
    ``all-linear``) or flags (``dora``, ``rslora``, ``lora_bias``).
    """
    if not spec.strip(" ,"):
        raise ConfigError(
            "--lora: empty; give the rank and, optionally, `target_modules` "
            "(r=16, r=16,all-linear or r=16,q_proj+v_proj)."
        )
    options: dict[str, Any] = {}
    targets: list[str] = []
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            continue
        name, sep, value = item.partition("=")
        if not sep and item.isdigit():
            raise ConfigError(
                f"--lora: a bare number is not a module name; the rank is r={item}. "
                f"Received: {spec[:60]!r}."
            )
        if not sep:
            if item in _FLAGS:
                options[_FLAGS[item]] = True
            elif item == "all-linear":
                options["target_modules"] = "all-linear"
            else:
                targets += [word for word in item.split("+") if word]
            continue
        key = {"alpha": "lora_alpha", "targets": "target_modules", "save": "modules_to_save"}.get(
            name, name
        )
        if key in ("r", "lora_alpha"):
            options[key] = _lora_number(name, value, whole=key == "r")
        elif key in ("target_modules", "modules_to_save"):
            options[key] = [word for word in value.split("+") if word]
        elif key == "bias":
            options["bias"] = value
        else:
            raise ConfigError(
                f"--lora: unknown option {shown(name)}; use r=, alpha=, targets=, save=, bias=, "
                f"dora, rslora, lora_bias or module names. Received: {shown(spec)}."
            )
    if targets:
        if options.get("target_modules") == "all-linear":
            raise ConfigError(
                "--lora: give all-linear or module names, not both (PEFT's `target_modules` is "
                f"one or the other). Received: {shown(spec)}."
            )
        options["target_modules"] = targets
    return options


def _lora_number(name: str, value: str, *, whole: bool) -> int | float:
    """``r=8`` (a whole number) or ``alpha=16``, ``alpha=1.5`` (PEFT's ``lora_alpha`` is a float).

    >>> _lora_number("alpha", "1.5", whole=False), _lora_number("r", "8", whole=True)
    (1.5, 8)
    """
    text = value.strip()
    number: int | float | None = None
    if len(text) <= 40:  # never int() or float() a hostile run of digits
        try:
            number = int(text)
        except ValueError:
            try:
                number = None if whole else float(text)
            except ValueError:
                number = None
    if number is None or (isinstance(number, float) and not math.isfinite(number)):
        kind = "a whole number" if whole else "a finite number"
        raise ConfigError(f"--lora: `{name}` must be {kind}. Received: {shown(value)}.")
    return number


def apply(
    network: Layer, options: argparse.Namespace, model_type: str | None = None
) -> tuple[Layer, list[Any]]:
    """The network to report (adapted if ``--lora``) and the plans for its footer.

    ``--lora`` without target modules takes PEFT's default for ``model_type``
    (:mod:`paramcalc.plan.peft_targets`), and ``options.lora_note`` says so.
    """
    if not options.train and options.lora is None:
        return network, []
    from paramcalc.plan.lora import lora
    from paramcalc.plan.summary import plan_training

    if options.lora is not None:
        keywords = parse_lora(options.lora)
        if "target_modules" not in keywords:
            from paramcalc.plan.peft_targets import PEFT_VERSION, default_targets

            targets = None if model_type is None else default_targets(model_type)
            if targets is None:
                raise ConfigError(
                    f"--lora without target modules takes PEFT's default for the model_type, "
                    f"and PEFT {PEFT_VERSION} has none for {model_type or 'this model'}: "
                    "give them (r=16,q_proj+v_proj or r=16,all-linear)."
                )
            keywords["target_modules"] = list(targets)
            options.lora_note = (
                f"--lora targets {', '.join(targets)}: PEFT {PEFT_VERSION}'s default for "
                f"model_type {model_type} (TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING)"
            )
        network = lora(network, **keywords)
    if not options.train:
        return network, []
    if options.seq is None:
        raise ConfigError("--train needs --seq N: the number of tokens in a sequence.")
    if options.zero and options.fsdp:
        raise ConfigError("give --zero or --fsdp, not both.")
    sharding = "none" if not options.zero else f"zero{options.zero}"
    if options.fsdp:
        sharding = {"full": "fsdp", "hybrid": "fsdp_hybrid", "grad_op": "fsdp_grad_op"}[
            options.fsdp
        ]
    devices = options.devices or 1
    if sharding == "none" and devices > 1:
        sharding = "ddp"
    tokens = options.tokens
    summary = plan_training(
        network,
        seq_len=options.seq,
        micro_batch=options.micro_batch or 1,
        device=options.device,
        tokens=tokens,
        mfu=0.4 if options.mfu is None else options.mfu,
        devices=devices,
        sharding=sharding,
        devices_per_node=options.devices_per_node,
        optimizer=options.optimizer,
        precision=options.precision or "bf16-mixed",
        checkpointing=options.checkpointing or "none",
        base_format=options.base_format,
    )
    return network, [summary]
