"""The ``ocr-kie`` command.

Subcommands (each a module here with ``register(subparsers)``, which adds its parser and
``set_defaults(run=function(args) -> int)``):

- ``ocr-kie extract PATH... --keys K [K ...]``: one JSON object per document (JSON Lines);
  ``--output FILE`` resumes an interrupted or partly failed run.
- ``ocr-kie ocr PATH...``: the OCR text (``--json``: one object per page with lines and boxes).
- ``ocr-kie demo``: OCR and extraction on the bundled sample, offline.
- ``ocr-kie eval``: the evaluation report (when installed).
- ``ocr-kie review RESULTS.jsonl``: an HTML page to review the results (evidence boxes, checks).

Exit codes: 0 all done, 1 some documents failed (their errors are in the output), 2 bad usage
(one line on stderr; ``--debug`` shows the traceback), 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import logging
import os
import sys
from collections.abc import Sequence

from ocr_kie.cli.options import ArgumentParser, UsageError
from ocr_kie.errors import OcrKieError

__all__ = ["SUBCOMMANDS", "UsageError", "build_parser", "main"]

#: The subcommand modules, in the order ``--help`` lists them; missing ones are skipped.
SUBCOMMANDS = ("extract", "ocr", "demo", "eval", "review")

PROG = "ocr-kie"


def build_parser() -> argparse.ArgumentParser:
    """The ``ocr-kie`` argument parser with every available subcommand registered."""
    parser = ArgumentParser(prog=PROG, description="Key information extraction from images with PP-OCR and an LLM.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in SUBCOMMANDS:
        module_name = f"{__name__}.{name}"
        if importlib.util.find_spec(module_name) is None:
            continue
        importlib.import_module(module_name).register(subparsers)
    for sub in subparsers.choices.values():
        # Also accepted after the subcommand; SUPPRESS keeps a --debug given before it.
        sub.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return parser


def _configure_logging(debug: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING, format="%(levelname)s %(name)s: %(message)s", force=True
    )
    from ocr_kie.secrets import RedactSecretsFilter

    for handler in logging.getLogger().handlers:  # nothing on stderr holds a known secret
        handler.addFilter(RedactSecretsFilter())


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``ocr-kie``; returns the exit code.

    Args:
        argv: The arguments (default: ``sys.argv[1:]``).

    Returns:
        0 when everything was done, 1 when some documents failed (they are in the output),
        2 for bad usage (a one-line ``ocr-kie: error: ...`` on stderr), 130 when interrupted.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        args = build_parser().parse_args(argv)
        debug = bool(getattr(args, "debug", False))
        _configure_logging(debug)
        return int(args.run(args))
    except SystemExit as e:  # --help, --version
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 2)
    except BrokenPipeError:  # e.g. `ocr-kie extract ... | head -1`
        _silence_stdout()
        return 1
    except KeyboardInterrupt:
        if debug:
            raise
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except OcrKieError as e:
        if debug:
            raise
        print(f"{PROG}: error: {_one_line(str(e))}", file=sys.stderr)
        return 2


def _silence_stdout() -> None:
    """Point stdout at devnull so the interpreter's final flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file descriptor (captured output)
        pass


def _one_line(message: str) -> str:
    return " ".join(message.split())
