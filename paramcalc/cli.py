"""``paramcalc`` on the command line: a model in, a report out.

>>> main(["--total", "Linear(400, 120)"])
48120
0
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import TextIO

from paramcalc.cli_options import (
    UsageError,
    build_parser,
    columns_of,
    inference_asked,
    memory_keywords,
    refuse_ignored,
    training_plans,
)
from paramcalc.errors import ParamcalcError, ParamcalcWarning, ShapeError, SpecError
from paramcalc.jsontext import loads
from paramcalc.layer import Layer
from paramcalc.report import Report
from paramcalc.terminal import html_page, say, short
from paramcalc.units import visible

__all__ = ["main"]
MAX_READ = 64 * 1024 * 1024

WARNING_LIMIT = 1_000
"""The longest warning or error line, in characters (what it echoes is shortened at its source
too)."""
"""The most characters read from a file or standard input (JSON reports of big models).

Specs and ``print(model)`` text have their own, smaller limit (``spec.MAX_SIZE``).
"""


def _read(model: str, stdin: TextIO | None) -> tuple[str, str]:
    """``(name, text)`` of the model argument: standard input, a file, or the text itself."""
    if model == "-":
        if stdin is None or stdin.closed:
            raise SpecError("standard input is closed: there is no model to read from `-`")
        text = stdin.read(MAX_READ + 1)
        name = "<stdin>"
    else:
        if os.path.isdir(model):  # a Hugging Face model folder
            model = os.path.join(model, "config.json")
            if not os.path.isfile(model):
                raise UsageError(f"no config.json in the folder: {short(model)}")
        if not os.path.isfile(model):
            hint = _hint(model)
            if hint or ("(" not in model and (os.sep in model or "." in model)):
                raise NoSuchInputError(f"no such file: {short(model)}{hint}")
            return "<model>", model
        if os.path.getsize(model) > 4 * MAX_READ:
            raise SpecError(f"{visible(model)} is larger than the {MAX_READ:,}-character limit")
        with open(model, encoding="utf-8") as handle:
            text = handle.read(MAX_READ + 1)
        name = model
    if len(text) > MAX_READ:
        raise SpecError(f"{visible(name)} is longer than the {MAX_READ:,}-character limit")
    return name, text


class NoSuchInputError(UsageError):
    """The model argument names no file: one line, no usage block (exit 2)."""


def _hint(model: str) -> str:
    """``; did you mean --zoo NAME?`` for a zoo name, a word on Hub ids; else ``""``."""
    if "(" in model or len(model) > 200:
        return ""
    from paramcalc import zoo

    try:
        name = zoo.entry(model).name
    except ParamcalcError:
        import difflib

        close = difflib.get_close_matches(model.lower(), zoo.names(), n=1, cutoff=0.75)
        name = close[0] if close and "/" not in model else ""
    if name:
        return f"; did you mean --zoo {name}?"
    parts = model.split("/")
    if len(parts) == 2 and all(parts) and not model.startswith((".", "/", "~")):
        return (
            "; a Hugging Face model id is not read from the network: give the path of its "
            "config.json (or of the model folder)"
        )
    return ""


def _zoo_type(name: str) -> str | None:
    """The Hugging Face ``model_type`` of a zoo language model (PEFT's table is keyed by it)."""
    key = name.lower()
    for prefix in ("gpt2", "llama", "mistral", "qwen2", "bert"):
        if key.startswith(prefix):
            return prefix
    return None


def _model_type(text: str, kind: str, options: argparse.Namespace) -> str | None:
    """A config.json's ``model_type``, read only when ``--lora`` names no targets."""
    if not options.lora or kind not in ("json", "hf"):
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return None
    found = data.get("model_type") if isinstance(data, dict) else None
    return found if isinstance(found, str) else None


def _note(options: argparse.Namespace) -> None:
    note = getattr(options, "lora_note", "")
    if note:
        say(sys.stderr, f"paramcalc: note: {visible(note)}")


def _fits_answer(network: Layer, options: argparse.Namespace, stdout: TextIO | None) -> int:
    """``--fits``: one line, exit 0 when the peak fits the device, 3 when it does not."""
    if not options.device and not options.device_memory:
        raise UsageError("--fits answers for a device: add --device NAME or --device-memory SIZE")
    from paramcalc.plan.cli import plan

    fitted = plan(network, options)["fit"]
    verdict = "fits" if fitted["fits"] else "does not fit"
    margin = fitted["margin"]
    line = f"{verdict}: peak {fitted['memory'] - margin:,} B of {fitted['memory']:,} B"
    status = _emit(line, options, stdout)
    return status if status else (0 if fitted["fits"] else 3)


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
            data = loads(text)
        except json.JSONDecodeError as problem:
            raise SpecError(
                f"not valid JSON: {problem.msg}", line=problem.lineno, column=problem.colno
            ) from None
        if not isinstance(data, dict):
            raise SpecError("a JSON report must be an object")
        if "model_type" in data and "schema" not in data:  # a Hugging Face config.json
            return _load_hf(data, text)
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
            return _load_hf(loads(text), text)
        except json.JSONDecodeError as problem:
            raise SpecError(
                f"not valid JSON: {problem.msg}", line=problem.lineno, column=problem.colno
            ) from None
    if kind == "printed":
        from paramcalc.printed import read_printed

        keys = ("tied", "image_size", "experts", "expert_width")
        given = {key: getattr(options, key, None) for key in keys}
        network, notes = read_printed(text, **given)
        return network, notes, None, None
    from paramcalc.spec import parse

    return parse(text), (), None, None


def _load_hf(data: object, text: str) -> tuple[Layer, tuple[str, ...], None, None]:
    """A Hugging Face ``config.json``'s network (``from_hf_config``), its warnings as text.

    ``text`` is held to ``from_hf_config``'s size limit for a file.
    """
    from paramcalc.hf import from_hf_config
    from paramcalc.hf.config import check_size

    check_size("config.json", len(text.encode("utf-8", "surrogatepass")))
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
    memory = memory_keywords(options)
    try:
        report: Report = network.report(options.input or shape, batch_size=batch_size, **memory)
        return report
    except ShapeError as problem:
        if not printed:
            raise _batch_hint(network, options.input, problem) from None
        say(
            sys.stderr,
            "paramcalc: warning: shapes not computed: print(model) does not show forward(), "
            "so custom modules are run child by child in order, and here that does not fit "
            f"({visible(str(problem))}); showing the counts without shapes",
        )
        counts: Report = network.report(batch_size=batch_size, **memory)
        return counts


def _batch_hint(network: Layer, given: tuple[int, ...] | None, problem: ShapeError) -> ShapeError:
    """The error, told to drop the batch dimension when ``--input`` fits without its first size.

    torchinfo and Keras take the batch size in the input shape; paramcalc's is per sample.
    """
    if given is None or len(given) < 2 or "rank" not in problem.detail:
        return problem
    try:
        network.output_shape(given[1:])
    except ParamcalcError:
        return problem
    per_sample = ",".join(str(size) for size in given[1:])
    return ShapeError(
        f"{problem.detail}; --input is per sample: drop the batch dimension "
        f"(--input {per_sample}; the batch size is --batch-size)",
        path=problem.path,
        kind=problem.kind,
        received=problem.received,
    )


def _where(name: str, error: SpecError) -> str:
    message = f"{visible(name)}:{error.line}:{error.column}: {visible(error.message)}"
    if error.source and len(error.source) <= 200 and error.source.isprintable():
        caret = " " * (error.column - 1) + "^"
        message += f"\n  {error.source}\n  {caret}"
    return message


def _error(text: str) -> None:
    """``paramcalc: error: …`` on standard error (nowhere if it is closed).

    Each line is cut at :data:`WARNING_LIMIT` characters: whatever a message
    echoes is shortened where it is written (``_check.shown``), and this is
    the last guard, for argparse's own messages too.
    """
    lines = [short(line, WARNING_LIMIT) for line in text.split("\n")]
    say(sys.stderr, "paramcalc: error: " + "\n".join(lines))


def _emit(output: str, options: argparse.Namespace, stdout: TextIO | None) -> int:
    """Write the result to ``--output`` or standard output; the exit status."""
    if options.output:
        if options.format == "html":
            output = html_page(output, f"paramcalc: {options.zoo or options.model or 'report'}")
        try:
            with open(options.output, "w", encoding="utf-8") as handle:
                handle.write(output + "\n")
        except OSError as problem:
            _error(f"cannot write {short(options.output)}: {problem.strerror or problem}")
            return 1
        return 0
    if not say(stdout, output, "replace"):
        _error("standard output is closed: the result was not written")
        return 1
    return 0


def _fits(stream: TextIO) -> bool:
    try:
        "┌─│█▏├└".encode(stream.encoding or "ascii")
    except (LookupError, UnicodeEncodeError):
        return False
    return True


def _zoo(options: argparse.Namespace) -> tuple[Layer, tuple[int, ...] | None]:
    """``--zoo NAME``: the reference network and its standard input shape."""
    from paramcalc import zoo

    try:
        entry = zoo.entry(options.zoo)
    except ParamcalcError as problem:
        raise UsageError(visible(str(problem))) from None
    return entry.build(), entry.input_shape


def _zoo_list(stdout: TextIO | None) -> int:
    """``--zoo list``: the names and published totals."""
    from paramcalc import zoo

    lines = []
    for name in zoo.names():
        entry = zoo.entry(name)
        lines.append(f"{name:16} {entry.published:>15,}  {entry.source}: {entry.note}")
    if not say(stdout, "\n".join(lines)):
        _error("standard output is closed: the list was not written")
        return 1
    return 0


def _render(report: Report, options: argparse.Namespace, stdout: TextIO | None) -> str:
    """The report in the chosen format, columns, rows and characters."""
    columns = columns_of(options.columns)
    if columns and report.input_shape is None:
        missing = [key for key in columns if key in ("shape", "macs")]
        if missing:
            raise UsageError(
                f"the {' and '.join(missing)} column{'s' if len(missing) > 1 else ''} "
                "need an input shape: give --input (per sample, e.g. --input 1,32,32)"
            )
    return report.render(
        options.format,
        columns=columns,
        depth=options.depth,
        include=options.include,
        exclude=options.exclude,
        explain=options.explain,
        ascii=options.ascii or (options.output is None and (stdout is None or not _fits(stdout))),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    try:
        with warnings.catch_warnings():  # every ParamcalcWarning: one `paramcalc: warning:` line
            warnings.simplefilter("always", ParamcalcWarning)
            warnings.showwarning = _warning_writer(warnings.showwarning)
            return _main(argv)
    except BrokenPipeError:  # the reader (head, less) went away: stop quietly, as Unix tools do
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (AttributeError, OSError, ValueError):  # no real descriptor (captured output)
            pass
        return 141


def warn(text: str) -> None:
    """Write ``paramcalc: warning: text`` to stderr, made visible and shortened."""
    say(sys.stderr, f"paramcalc: warning: {short(text, WARNING_LIMIT)}")


def _warning_writer(python: Callable[..., None]) -> Callable[..., None]:
    """``warnings.showwarning`` for the command line: a ParamcalcWarning as :func:`warn`.

    No internal path, no source line; any other warning is left to ``python``.
    """

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        if issubclass(category, ParamcalcWarning):
            warn(str(message))
        else:
            python(message, category, filename, lineno, file, line)

    return show


def _main(argv: Sequence[str] | None) -> int:
    stdout = sys.stdout
    parser = build_parser()
    arguments = list(sys.argv[1:] if argv is None else argv)
    if "--version" in arguments:
        from paramcalc import __version__

        return _emit(f"paramcalc {__version__}", argparse.Namespace(output=None), stdout)
    try:
        options = parser.parse_args(arguments)
        columns_of(options.columns)
        if options.model is None and options.zoo is None and options.device != "list":
            raise UsageError("the following arguments are required: model (or --zoo NAME)")
        if options.model is not None and options.zoo is not None:
            raise UsageError("give a model or --zoo NAME, not both")
        if options.zoo == "list":
            return _zoo_list(stdout)
        if options.device == "list":
            from paramcalc.plan.device_cli import device_list

            return _emit(device_list(), options, stdout)
        refuse_ignored(options)
        if getattr(options, "device_note", ""):
            say(sys.stderr, f"paramcalc: note: {options.device_note}")
        return _run(options, stdout)
    except SystemExit as done:  # --help
        return done.code if isinstance(done.code, int) else 0
    except UsageError as problem:
        if sys.stderr is not None and not isinstance(problem, NoSuchInputError):
            with contextlib.suppress(OSError, ValueError):
                parser.print_usage(sys.stderr)
        _error(str(problem))
        return 2
    except BrokenPipeError:
        raise
    except SpecError as problem:
        _error(visible(str(problem)))
        return 1
    except (OSError, UnicodeDecodeError) as problem:
        _error(short(str(problem), 400))
        return 1


def _run(options: argparse.Namespace, stdout: TextIO | None) -> int:
    """Read the model, report on it, write the result; the exit status."""
    from paramcalc.gguf.cli import GGUFUsageError

    name, text, header = "<model>", "", None
    try:
        if options.zoo is not None:
            refuse_ignored(options, "zoo")
            network, standard = _zoo(options)
            network, plans = training_plans(network, options, _zoo_type(options.zoo))
            _note(options)
            if options.total:
                return _emit(str(network.params()), options, stdout)
            shape = (options.seq,) if plans and options.input is None else standard
            report = network.report(
                options.input or shape,
                batch_size=options.batch_size or 1,
                **memory_keywords(options),
            ).with_plans(*plans)
        else:
            from paramcalc.gguf.cli import gguf_file, load

            path = gguf_file(options.model, options.kind)
            if path is not None:  # a .gguf header: the network its metadata describes
                name, text, kind, shape, batch = path, "", "gguf", None, None
                network, notes, header = load(path)
            else:
                try:
                    name, text = _read(options.model, sys.stdin)
                except SpecError as problem:  # no position: the input itself is the problem
                    _error(problem.message)
                    return 1
                kind = _guess(text, options.kind)
                refuse_ignored(options, kind)
                network, notes, shape, batch = _load(text, kind, options)
            for note in notes:
                warn(note)
            network, plans = training_plans(network, options, _model_type(text, kind, options))
            _note(options)
            if options.total:
                return _emit(str(network.params()), options, stdout)
            if plans and options.input is None and shape is None:
                shape = (options.seq,)  # the training plan's token ids
            report = _report(network, options, shape, batch, kind == "printed")
            report = report.with_plans(*plans)
        if options.fits and inference_asked(options):
            return _fits_answer(network, options, stdout)
        from paramcalc.gguf.cli import llama_asked

        llama = llama_asked(options, header)  # a .gguf file, --ngl, a preset: llama.cpp's memory
        # the footer answers the question asked (issue 19): --context asks about inference
        if options.context if llama else inference_asked(options):
            report = report.asking("inference")
        if not llama and inference_asked(options):  # the inference plan: drawn in every format
            from paramcalc.plan.cli import inference_plan

            report = report.with_plans(inference_plan(network, options))
        output = _render(report, options, stdout)
        if llama:
            from paramcalc.gguf.cli import render as render_gguf

            output = render_gguf(network, options, output, options.format, header, text)
    except UsageError:
        raise
    except GGUFUsageError as problem:
        raise UsageError(str(problem)) from None
    except SpecError as problem:
        _error(_where(name, problem))
        return 1
    except ShapeError as problem:
        _error(f"the model does not fit the input shape: {visible(str(problem))}")
        return 1
    except ParamcalcError as problem:
        _error(visible(str(problem)))
        return 1
    except RecursionError:
        _error("the model is nested too deeply")
        return 1
    except (BrokenPipeError, OSError, UnicodeDecodeError):
        raise
    except Exception as problem:  # the promise is: no traceback, ever
        _error(
            f"internal error (a bug in paramcalc, please report it): "
            f"{type(problem).__name__}: {short(str(problem), 400)}"
        )
        return 1
    return _emit(output, options, stdout)
