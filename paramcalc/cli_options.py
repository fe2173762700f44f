"""The command line's options: the parser, and the checks that turn flags into arguments.

:mod:`paramcalc.cli` reads the model and writes the report; this module
knows the flags (``--input``, the memory, inference and training groups)
and refuses a flag that would be ignored, naming the one it needs.
"""

from __future__ import annotations

import argparse
from typing import Any

from paramcalc._check import shown
from paramcalc.errors import ParamcalcError
from paramcalc.layer import Layer
from paramcalc.render import FORMATS

__all__ = [
    "EXAMPLES",
    "UsageError",
    "build_parser",
    "columns_of",
    "inference_asked",
    "memory_keywords",
    "parse_shape",
    "refuse_ignored",
    "training_plans",
]

EXAMPLES = """\
examples:
  paramcalc "Conv2d(1, 6, 5) MaxPool2d(2) Conv2d(6, 16, 5) MaxPool2d(2) Flatten()
             Linear(400, 120) Linear(120, 84) Linear(84, 10)" --input 1,32,32
  paramcalc --total "Linear(400, 120)"               # just the number: 48120
  paramcalc model.txt --depth 1                      # a spec file, or print(model) output
  python -c "print(model)" | paramcalc - --input 3,224,224
  paramcalc report.json --format markdown            # a JSON report, rendered again
  paramcalc net.txt --format html --output report.html
  paramcalc net.txt --columns name,kind,params --include "features.*" --explain
  paramcalc --zoo resnet50 --depth 1                 # a reference network (--zoo list)
  paramcalc config.json --depth 2                    # a Hugging Face config (or its folder)

A model is one or more layer calls (separated by spaces, commas or lines; an
optional nn. or torch.nn. prefix is fine), a file holding such calls, the text
print(model) shows in PyTorch, a JSON report from --format json, or a Hugging
Face config.json (or the model folder holding one). Nothing in
it is executed. Shapes are per sample: torch's shape without the batch size.

exit status: 0 success, 1 the model cannot be read or does not fit the
input shape, 2 wrong command-line usage, 3 --fits: it does not fit the device."""


class UsageError(Exception):
    """A command-line mistake: exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def parse_shape(text: str) -> tuple[int, ...]:
    cleaned = text.strip().strip("()[]").replace("x", ",").replace("×", ",")
    try:
        sizes = tuple(int(part) for part in cleaned.replace(" ", "").split(",") if part)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected sizes like 1,32,32 (per sample, no batch), got {shown(text)}"
        ) from None
    if not sizes or any(size < 1 for size in sizes):
        raise argparse.ArgumentTypeError(f"sizes must be at least 1, got {shown(text)}")
    return sizes


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {shown(text)}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {shown(text)}")
    return value


def _positive(text: str) -> int:
    value = _count(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {shown(text)}")
    return value


def _size(text: str) -> int:
    """A count of at least 1, with an optional binary suffix: ``8``, ``2k``, ``1M``."""
    from paramcalc.plan.cli import parse_tokens

    return parse_tokens(text)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="paramcalc",
        description="Exact parameter counts, shapes and MACs of PyTorch-style networks, "
        "with the working shown. No torch needed.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "model",
        nargs="?",
        help='layer calls ("Conv2d(1, 6, 5) Linear(400, 120)"), a file (calls, print(model) '
        "output or a JSON report), or - for standard input",
    )
    parser.add_argument(
        "--zoo",
        metavar="NAME",
        help="a reference network instead of a model (resnet50, gpt2, llama2-7b, …) at its "
        "standard input unless --input is given; --zoo list shows the names",
    )
    parser.add_argument(
        "-i",
        "--input",
        type=parse_shape,
        metavar="SHAPE",
        help="per-sample input shape, e.g. 1,32,32",
    )
    parser.add_argument(
        "-b",
        "--batch-size",
        type=_size,
        metavar="N",
        help="samples in a batch (default 1): multiplies MACs and activations; "
        "the inference batch of --context",
    )
    parser.add_argument(
        "-d",
        "--depth",
        type=_count,
        metavar="N",
        help="show nested layers down to depth N (0: top level); deeper ones are summed up",
    )
    parser.add_argument("-f", "--format", choices=FORMATS, default="text", help="default: text")
    parser.add_argument("-e", "--explain", action="store_true", help="add the formula column")
    parser.add_argument(
        "-t", "--total", action="store_true", help="print only the total parameter count"
    )
    parser.add_argument(
        "--columns",
        metavar="LIST",
        help="comma-separated columns: name, kind, shape, params, share, trainable, "
        "buffers, macs, memory, formula",
    )
    parser.add_argument(
        "--include", action="append", metavar="GLOB", help="show only layers whose path matches"
    )
    parser.add_argument(
        "--exclude", action="append", metavar="GLOB", help="hide layers whose path matches"
    )
    parser.add_argument(
        "--from",
        dest="kind",
        choices=("auto", "spec", "printed", "json", "hf", "gguf"),
        default="auto",
        help="how to read the model (default: guess)",
    )
    _memory_options(parser)
    printed = parser.add_argument_group("print(model) text: what it does not show")
    tying = printed.add_mutually_exclusive_group()
    tying.add_argument(
        "--tied",
        dest="tied",
        action="store_const",
        const=True,
        help="the LM head shares the input embedding's weight (tie_word_embeddings true)",
    )
    tying.add_argument(
        "--untied", dest="tied", action="store_const", const=False, help="it has its own weight"
    )
    printed.add_argument(
        "--image-size", type=_positive, metavar="N", help="image side position embeddings are for"
    )
    printed.add_argument(
        "--experts", type=_positive, metavar="N", help="experts of each fused MoE layer"
    )
    printed.add_argument(
        "--expert-width", type=_positive, metavar="N", help="intermediate width of each expert"
    )
    parser.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE")
    parser.add_argument("--ascii", action="store_true", help="draw the table with ASCII only")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    from paramcalc.plan.cli import add_arguments
    from paramcalc.plan.train_cli import add_arguments as add_training_arguments

    add_arguments(parser)  # --context, --weights, --device, --sweep …
    add_training_arguments(parser)  # --train, --lora, --zero, --devices, …
    from paramcalc.gguf.cli import add_arguments as add_gguf_arguments

    add_gguf_arguments(parser)  # --ngl, --n-batch, --n-ubatch (llama.cpp)
    return parser


def _dtype(text: str) -> str:
    from paramcalc.footprint import normalize_dtype

    try:
        return normalize_dtype(text)
    except ParamcalcError as problem:
        raise argparse.ArgumentTypeError(str(problem).removeprefix("memory: ")) from None


def _optimizer(text: str) -> str:
    from paramcalc.footprint import _optimizer as check
    from paramcalc.plan.training import OPTIMIZERS

    if text in OPTIMIZERS:
        return text
    try:
        return check(text)
    except ParamcalcError as problem:
        raise argparse.ArgumentTypeError(str(problem).removeprefix("memory: ")) from None


def _memory_options(parser: argparse.ArgumentParser) -> None:
    """``--dtype``, ``--optimizer``, ``--mixed-precision``: the memory footer's assumptions.

    ``--dtype`` and ``--optimizer`` are shared with the planners: ``--dtype``
    is also the activation dtype of ``--context`` (default bf16 there), and
    ``--optimizer`` the training plan's (``adamw8bit`` and ``adafactor`` need
    ``--train``, whose plan sizes them).
    """
    group = parser.add_argument_group("memory (the footer's byte figures; see docs/memory.md)")
    group.add_argument(
        "--dtype",
        type=_dtype,
        help="parameter dtype of the footer: fp32 (default), bf16, …; "
        "activation dtype of --context: bf16 (default), …",
    )
    group.add_argument(
        "--optimizer",
        type=_optimizer,
        default="adamw",
        help="adamw (default), adam, sgd, sgd_momentum; with --train also adamw8bit, adafactor",
    )
    group.add_argument(
        "--mixed-precision",
        action="store_true",
        help="fp32 master weights and optimizer state beside --dtype weights",
    )


def memory_keywords(options: argparse.Namespace) -> dict[str, Any]:
    """The memory keywords of ``report()`` from the command line."""
    from paramcalc.footprint import OPTIMIZER_STATES

    optimizer = options.optimizer
    if optimizer not in OPTIMIZER_STATES:
        if not options.train:
            raise UsageError(
                f"--optimizer {optimizer} is sized by the training plan: add --train --seq N"
            )
        optimizer = "adamw"  # the footer's simple estimate gives way to the plan (see render)
    return {
        "dtype": options.dtype or "fp32",
        "optimizer": optimizer,
        "mixed_precision": options.mixed_precision,
    }


def training_plans(
    network: Layer, options: argparse.Namespace, model_type: str | None = None
) -> tuple[Layer, list[Any]]:
    """``--lora`` and ``--train``: the adapted network and the training plan (if asked)."""
    from paramcalc.plan.train_cli import apply

    if options.train and options.seq is None:
        raise UsageError("--train needs --seq N: the tokens of a sequence (e.g. --seq 2k)")
    return apply(network, options, model_type)


def inference_asked(options: argparse.Namespace) -> bool:
    """True when ``--context`` (or an option that needs it) asks for the inference plan."""
    needing = {
        "--weights": options.weights != "bf16",
        "--kv-dtype": options.kv_dtype is not None,
        "--sweep": options.sweep is not None,
        "--device-memory": options.device_memory is not None,
        "--phase": options.phase != "prefill",
        "--logits": options.logits is not None,
        "--logits-dtype": options.logits_dtype is not None,
        "--attention": options.attention is not None,
        "--fits": options.fits,
    }
    if options.context or (options.sweep is not None and options.sweep[0] == "context"):
        return True
    given = [flag for flag, set_ in needing.items() if set_]
    if options.device and not options.train:
        given.append("--device")
    if given:
        raise UsageError(
            f"{', '.join(given)} size{'s' if len(given) == 1 else ''} the inference plan: "
            "add --context N (the tokens of the prompt, e.g. --context 4k)"
        )
    return False


def refuse_ignored(options: argparse.Namespace, kind: str | None = None) -> None:
    """A usage error naming the flags the question asked would ignore (see plan/applies.py)."""
    from paramcalc.plan.applies import ignored

    message = ignored(options, kind)
    if message:
        raise UsageError(message)


def columns_of(text: str | None) -> list[str] | None:
    if not text:
        return None
    from paramcalc.render.table import COLUMNS

    keys = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [key for key in keys if key not in COLUMNS]
    if unknown:
        raise UsageError(
            f"unknown column {', '.join(unknown)}; the columns are {', '.join(COLUMNS)}"
        )
    return keys
