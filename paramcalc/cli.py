"""``paramcalc`` on the command line: a model in, a report out.

>>> main(["--total", "Linear(400, 120)"])
48120
0
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from paramcalc.errors import ParamcalcError, ShapeError, SpecError
from paramcalc.layer import Layer
from paramcalc.render import FORMATS
from paramcalc.report import Report

__all__ = ["main"]

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
input shape, 2 wrong command-line usage."""


class _UsageError(Exception):
    """A command-line mistake: exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageError(message)


def _shape(text: str) -> tuple[int, ...]:
    cleaned = text.strip().strip("()[]").replace("x", ",").replace("×", ",")
    try:
        sizes = tuple(int(part) for part in cleaned.replace(" ", "").split(",") if part)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected sizes like 1,32,32 (per sample, no batch), got {text!r}"
        ) from None
    if not sizes or any(size < 1 for size in sizes):
        raise argparse.ArgumentTypeError(f"sizes must be at least 1, got {text!r}")
    return sizes


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


def _parser() -> argparse.ArgumentParser:
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
        "-i", "--input", type=_shape, metavar="SHAPE", help="per-sample input shape, e.g. 1,32,32"
    )
    parser.add_argument(
        "-b", "--batch-size", type=_positive, metavar="N", help="multiplies MACs (default 1)"
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
        choices=("auto", "spec", "printed", "json", "hf"),
        default="auto",
        help="how to read the model (default: guess)",
    )
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

    add_arguments(parser)  # --context, --weights, --device, --sweep …
    return parser


def _columns(text: str | None) -> list[str] | None:
    if not text:
        return None
    from paramcalc.render.table import COLUMNS

    keys = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [key for key in keys if key not in COLUMNS]
    if unknown:
        raise _UsageError(
            f"unknown column {', '.join(unknown)}; the columns are {', '.join(COLUMNS)}"
        )
    return keys


def _read(model: str, stdin: TextIO) -> tuple[str, str]:
    """``(name, text)`` of the model argument: standard input, a file, or the text itself."""
    from paramcalc.spec import MAX_SIZE

    if model == "-":
        text = stdin.read(MAX_SIZE + 1)
        return "<stdin>", text
    if os.path.isdir(model):  # a Hugging Face model folder
        model = os.path.join(model, "config.json")
        if not os.path.isfile(model):
            raise _UsageError(f"no config.json in the folder: {model}")
    if os.path.isfile(model):
        if os.path.getsize(model) > 4 * MAX_SIZE:
            raise SpecError(f"{model} is larger than the {MAX_SIZE:,}-character limit")
        with open(model, encoding="utf-8") as handle:
            return model, handle.read(MAX_SIZE + 1)
    if "(" not in model and (os.sep in model or "." in model):
        raise _UsageError(f"no such file: {model}")
    return "<model>", model


def _guess(text: str, kind: str) -> str:
    """``"json"``, ``"printed"`` or ``"spec"``: how to read ``text``."""
    if kind == "auto":
        from paramcalc.printed import looks_printed

        stripped = text.lstrip()
        kind = "json" if stripped.startswith("{") else "printed" if looks_printed(text) else "spec"
    return kind


def _load(
    text: str, kind: str, options: argparse.Namespace | None = None
) -> tuple[Layer, tuple[str, ...], tuple[int, ...] | None, int | None]:
    """The network, warnings, and the input shape and batch size a JSON report carries."""
    if kind == "json":
        from paramcalc.serial import from_dict

        try:
            data = json.loads(text)
        except json.JSONDecodeError as problem:
            raise SpecError(
                f"not valid JSON: {problem.msg}", line=problem.lineno, column=problem.colno
            ) from None
        if not isinstance(data, dict):
            raise SpecError("a JSON report must be an object")
        if "model_type" in data and "schema" not in data:  # a Hugging Face config.json
            return _load_hf(data)
        shape = data.get("input_shape")
        batch = data.get("batch_size")
        return (
            from_dict(data),
            (),
            tuple(shape) if isinstance(shape, list) else None,
            batch if isinstance(batch, int) else None,
        )
    if kind == "hf":
        try:
            return _load_hf(json.loads(text))
        except json.JSONDecodeError as problem:
            raise SpecError(
                f"not valid JSON: {problem.msg}", line=problem.lineno, column=problem.colno
            ) from None
    if kind == "printed":
        from paramcalc.printed import read_printed

        keys = ("tied", "image_size", "experts", "expert_width")
        given = {key: getattr(options, key, None) for key in keys}
        network, warnings = read_printed(text, **given)
        return network, warnings, None, None
    from paramcalc.spec import parse

    return parse(text), (), None, None


def _load_hf(data: object) -> tuple[Layer, tuple[str, ...], None, None]:
    """A Hugging Face ``config.json``'s network (``from_hf_config``), its warnings as text."""
    import warnings

    from paramcalc.hf import from_hf_config

    if not isinstance(data, dict):
        raise SpecError("a Hugging Face config must be a JSON object")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        network = from_hf_config(data)
    return network, tuple(str(item.message) for item in caught), None, None


def _report(
    network: Layer,
    options: argparse.Namespace,
    shape: tuple[int, ...] | None,
    batch: int | None,
    printed: bool,
) -> Report:
    """The report; for ``print(model)`` text whose shapes cannot be followed, counts only."""
    batch_size = options.batch_size or batch or 1
    try:
        report: Report = network.report(options.input or shape, batch_size=batch_size)
        return report
    except ShapeError as problem:
        if not printed:
            raise
        print(
            "paramcalc: warning: shapes not computed: print(model) does not show forward(), "
            "so custom modules are run child by child in order, and here that does not fit "
            f"({problem}); showing the counts without shapes",
            file=sys.stderr,
        )
        counts: Report = network.report(batch_size=batch_size)
        return counts


def _where(name: str, error: SpecError) -> str:
    message = f"{name}:{error.line}:{error.column}: {error.message}"
    if error.source and len(error.source) <= 200:
        caret = " " * (error.column - 1) + "^"
        message += f"\n  {error.source}\n  {caret}"
    return message


def _fits(stream: TextIO) -> bool:
    try:
        "┌─│█▏├└".encode(stream.encoding or "ascii")
    except (LookupError, UnicodeEncodeError):
        return False
    return True


def _zoo(options: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    """``--zoo NAME``: report a reference network; ``--zoo list``: the names and totals."""
    from paramcalc import zoo

    if options.zoo == "list":
        for name in zoo.names():
            entry = zoo.entry(name)
            print(f"{name:16} {entry.published:>15,}  {entry.source}: {entry.note}", file=stdout)
        return 0
    try:
        entry = zoo.entry(options.zoo)
    except ParamcalcError as problem:
        print(f"paramcalc: error: {problem}", file=stderr)
        return 2
    network = entry.build()
    if options.total:
        print(network.params(), file=stdout)
        return 0
    try:
        report = network.report(
            options.input or entry.input_shape, batch_size=options.batch_size or 1
        )
    except ShapeError as problem:
        print(f"paramcalc: error: the model does not fit the input shape: {problem}", file=stderr)
        return 1
    output = report.render(
        options.format,
        columns=_columns(options.columns),
        depth=options.depth,
        include=options.include,
        exclude=options.exclude,
        explain=options.explain,
        ascii=options.ascii or (options.output is None and not _fits(stdout)),
    )
    if options.context:
        from paramcalc.plan.cli import render

        try:
            output = render(network, options, output, options.format)
        except ParamcalcError as problem:
            print(f"paramcalc: error: {problem}", file=stderr)
            return 1
    if options.output:
        try:
            with open(options.output, "w", encoding="utf-8") as handle:
                handle.write(output + "\n")
        except OSError as problem:
            print(f"paramcalc: error: cannot write {options.output}: {problem}", file=stderr)
            return 1
    else:
        print(output, file=stdout)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    try:
        return _main(argv)
    except BrokenPipeError:  # the reader (head, less) went away: stop quietly, as Unix tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


def _main(argv: Sequence[str] | None) -> int:
    stdout, stderr = sys.stdout, sys.stderr
    parser = _parser()
    arguments = list(sys.argv[1:] if argv is None else argv)
    if "--version" in arguments:
        from paramcalc import __version__

        print(f"paramcalc {__version__}", file=stdout)
        return 0
    try:
        options = parser.parse_args(arguments)
        _columns(options.columns)
        if options.model is None and options.zoo is None:
            raise _UsageError("the following arguments are required: model (or --zoo NAME)")
        if options.model is not None and options.zoo is not None:
            raise _UsageError("give a model or --zoo NAME, not both")
        if options.zoo is not None:
            return _zoo(options, stdout, stderr)
        name, text = _read(options.model, sys.stdin)
    except SystemExit as done:  # --help
        return done.code if isinstance(done.code, int) else 0
    except _UsageError as problem:
        parser.print_usage(stderr)
        print(f"paramcalc: error: {problem}", file=stderr)
        return 2
    except BrokenPipeError:
        raise
    except (SpecError, OSError, UnicodeDecodeError) as problem:
        print(f"paramcalc: error: {problem}", file=stderr)
        return 1
    try:
        kind = _guess(text, options.kind)
        network, warnings, shape, batch = _load(text, kind, options)
        for warning in warnings:
            print(f"paramcalc: warning: {warning}", file=stderr)
        if options.total:
            print(network.params(), file=stdout)
            return 0
        report = _report(network, options, shape, batch, kind == "printed")
        columns = _columns(options.columns)
        ascii = options.ascii or (options.output is None and not _fits(stdout))
        output = report.render(
            options.format,
            columns=columns,
            depth=options.depth,
            include=options.include,
            exclude=options.exclude,
            explain=options.explain,
            ascii=ascii,
        )
        if options.context:
            from paramcalc.plan.cli import render

            output = render(network, options, output, options.format)
    except SpecError as problem:
        print(f"paramcalc: error: {_where(name, problem)}", file=stderr)
        return 1
    except ShapeError as problem:
        print(f"paramcalc: error: the model does not fit the input shape: {problem}", file=stderr)
        return 1
    except ParamcalcError as problem:
        print(f"paramcalc: error: {problem}", file=stderr)
        return 1
    except RecursionError:
        print("paramcalc: error: the model is nested too deeply", file=stderr)
        return 1
    except Exception as problem:  # the promise is: no traceback, ever
        print(
            f"paramcalc: internal error (a bug in paramcalc, please report it): "
            f"{type(problem).__name__}: {problem}",
            file=stderr,
        )
        return 1
    if options.output:
        try:
            with open(options.output, "w", encoding="utf-8") as handle:
                handle.write(output + "\n")
        except OSError as problem:
            print(f"paramcalc: error: cannot write {options.output}: {problem}", file=stderr)
            return 1
    else:
        print(output, file=stdout)
    return 0
