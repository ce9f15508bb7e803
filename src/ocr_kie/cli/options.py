"""Options shared by the ``ocr-kie`` subcommands, their environment defaults and their checks.

Every check here runs before any document is touched, and a problem is a :class:`UsageError`
(exit code 2, one line on stderr).

Environment variables give defaults where users expect them; an option on the command line wins:

========================  ==========================================================
``OCR_KIE_LLM``           ``--llm`` (e.g. ``openai:qwen2.5-7b-instruct``)
``OCR_KIE_KEYS``          ``--keys``, comma- or space-separated (ignored with ``--schema``)
``OCR_KIE_OCR``           ``--ocr`` (``paddle`` or ``onnx``)
``OCR_KIE_EXAMPLES``      ``--examples`` (a JSON Lines file of worked examples)
========================  ==========================================================
"""

from __future__ import annotations

import argparse
import json
import os
import re
from pathlib import Path
from typing import Any, NoReturn

from ocr_kie.errors import InputError, UsageError
from ocr_kie.ocr import ENGINES

__all__ = [
    "ENV_EXAMPLES",
    "ENV_KEYS",
    "ENV_LLM",
    "ENV_OCR",
    "ArgumentParser",
    "UsageError",
    "add_batch_options",
    "add_extraction_options",
    "add_ocr_option",
    "add_scale_options",
    "chain_kwargs",
    "ocr_engine_name",
    "show_progress",
]

ENV_LLM = "OCR_KIE_LLM"
ENV_KEYS = "OCR_KIE_KEYS"
ENV_OCR = "OCR_KIE_OCR"
ENV_EXAMPLES = "OCR_KIE_EXAMPLES"


class ArgumentParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are :class:`UsageError` (one line) instead of usage + exit."""

    def error(self, message: str) -> NoReturn:
        hint = f"see '{self.prog} --help'"
        takes_keys = any("--keys" in action.option_strings for action in self._actions)
        if takes_keys and "required: PATH" in message:
            # --keys takes every word after it: the paths were probably read as keys.
            hint = "put the paths before --keys, or end the keys with --; " + hint
        raise UsageError(f"{message} ({hint})")


# ---------------------------------------------------------------------------------- options


def add_ocr_option(parser: argparse.ArgumentParser) -> None:
    """``--ocr {paddle,onnx}`` (default: env ``OCR_KIE_OCR``, else the first registered engine)."""
    parser.add_argument(
        "--ocr",
        choices=list(ENGINES),
        default=None,
        help=f"OCR engine (default: ${ENV_OCR} or {next(iter(ENGINES))})",
    )


def add_extraction_options(parser: argparse.ArgumentParser) -> None:
    """The options that configure :func:`ocr_kie.build_chain`; read them with :func:`chain_kwargs`.

    ``--keys K [K ...]`` / ``--schema FILE`` (mutually exclusive), ``--examples FILE.jsonl``,
    ``--llm SPEC``, ``--ocr {paddle,onnx}``, ``--strategy NAME``, ``--require-grounding``,
    ``--timeout SECONDS``.
    """
    what = parser.add_argument_group("what to extract")
    spec = what.add_mutually_exclusive_group()
    spec.add_argument(
        "--keys", nargs="+", metavar="KEY", help=f"the keys to extract, any language (default: ${ENV_KEYS})"
    )
    spec.add_argument("--schema", metavar="FILE", help="a JSON Schema file of an object (types, descriptions, items)")
    what.add_argument(
        "--examples", metavar="FILE", help=f"worked examples, a JSON Lines file (default: ${ENV_EXAMPLES})"
    )
    how = parser.add_argument_group("how")
    how.add_argument(
        "--llm",
        metavar="SPEC",
        help=(
            f"chat model: qianfan:<model>, openai:<model>, llamacpp:<file.gguf> (default: ${ENV_LLM}, "
            "else ERNIE when QIANFAN_AK/QIANFAN_SK are set, else the embedded offline model)"
        ),
    )
    add_ocr_option(how)
    how.add_argument("--strategy", metavar="NAME", default=None, help="prompting strategy (default: the library's)")
    how.add_argument(
        "--require-grounding",
        action="store_true",
        help="set values that cannot be found in the document's text to null",
    )
    how.add_argument(
        "--timeout",
        type=positive_float,
        metavar="SECONDS",
        default=None,
        help="seconds a remote LLM (openai:, qianfan:) may take per request (default: 60; 2 retries)",
    )


def add_batch_options(parser: argparse.ArgumentParser, *, workers_default: int | None = 1) -> None:
    """``--output FILE``, ``--workers N`` and ``--quiet``, for commands that run over many documents.

    ``workers_default=None``: the default depends on the model (see :mod:`ocr_kie.workers`).
    """
    group = parser.add_argument_group("batch")
    group.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write the JSON Lines here instead of stdout; re-running with the same file resumes",
    )
    group.add_argument(
        "--workers",
        type=positive_int,
        default=workers_default,
        metavar="N",
        help=f"documents processed at once (default: {workers_default})"
        if workers_default is not None
        else "documents processed at once (default: one per process for a local model, 8 for an API model)",
    )
    group.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no summary")


def add_scale_options(parser: argparse.ArgumentParser) -> None:
    """``--processes``, ``--threads``, ``--rate-limit`` and the Ray options (``--ray [ADDRESS]`` …)."""
    group = parser.add_argument_group("scale")
    group.add_argument(
        "--processes",
        type=positive_int,
        default=None,
        metavar="P",
        help="worker processes, each loading the models once (default: one per physical core for a "
        "local model, 1 for an API model)",
    )
    group.add_argument(
        "--threads",
        type=positive_int,
        default=None,
        metavar="T",
        help="CPU threads per worker process for OCR and a local LLM (default: the cores shared out)",
    )
    group.add_argument(
        "--rate-limit",
        type=positive_float,
        default=None,
        metavar="REQUESTS_PER_SECOND",
        help="hold the LLM to this many requests per second (API models; 429/5xx are retried with backoff)",
    )
    group.add_argument(
        "--ray",
        nargs="?",
        const="",
        default=None,
        metavar="ADDRESS",
        help="run on Ray Data: a cluster's address, or none for $RAY_ADDRESS or a local Ray (extra 'ray')",
    )
    group.add_argument(
        "--ray-actors",
        type=positive_int,
        default=2,
        metavar="N",
        help="with --ray: actors, each loading the models once (default: 2)",
    )
    group.add_argument(
        "--ray-cpus-per-actor",
        type=positive_float,
        default=1.0,
        metavar="C",
        help="with --ray: CPUs per actor (default: 1)",
    )
    group.add_argument(
        "--ray-readers",
        type=positive_int,
        default=None,
        metavar="N",
        help="with --ray: read tasks in flight at once (default: one per 16 actors)",
    )


def positive_float(text: str) -> float:
    """An argparse type: a finite number above 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number above 0, got {text}")
    return value


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {value}")
    return value


def show_progress(args: argparse.Namespace, stream: Any = None) -> bool:
    """Whether to draw a progress bar: not with ``--quiet``, and only when stderr is a terminal."""
    import sys

    stream = stream or sys.stderr
    return not getattr(args, "quiet", False) and bool(getattr(stream, "isatty", lambda: False)())


# ---------------------------------------------------------------------------------- reading


def ocr_engine_name(args: argparse.Namespace) -> str:
    """The OCR engine's registry name: ``--ocr``, else env ``OCR_KIE_OCR``, else the default."""
    name = getattr(args, "ocr", None) or os.environ.get(ENV_OCR, "").strip() or next(iter(ENGINES))
    if name not in ENGINES:
        raise UsageError(f"unknown OCR engine {name!r} (from ${ENV_OCR}); choose one of: {', '.join(ENGINES)}")
    return name


def _env_keys() -> list[str]:
    return [k for k in re.split(r"[,\s]+", os.environ.get(ENV_KEYS, "")) if k]


def _load_schema(path: str) -> dict[str, Any]:
    from ocr_kie.schema import check_schema

    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"cannot read the schema file {path}: {getattr(e, 'strerror', None) or e}") from e
    try:
        schema = json.loads(text)
    except json.JSONDecodeError as e:
        raise UsageError(f"the schema file {path} is not valid JSON: {e}") from e
    try:
        return check_schema(schema)
    except ValueError as e:
        raise UsageError(f"the schema file {path} is not a usable schema: {e}") from e


def _load_examples(path: str) -> list[Any]:
    from ocr_kie.examples import load_examples

    if Path(path).is_dir():
        raise UsageError(f"the examples file {path} is a directory")
    try:
        return load_examples(path)
    except InputError as e:
        raise UsageError(str(e)) from e


def chain_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """Turn the options of :func:`add_extraction_options` into :func:`ocr_kie.build_chain` arguments.

    The keys or schema, the examples and the OCR engine name are read and checked here, before
    any work; ``strategy=`` is passed only when ``--strategy`` was given.

    Returns:
        ``{"keys"|"schema", "examples", "llm", "ocr", "require_grounding"[, "strategy"][, "timeout"]}``.

    Raises:
        UsageError: No keys or schema, an unreadable or invalid schema file, an unreadable or
            invalid examples file, an unknown OCR engine.
    """
    kwargs: dict[str, Any] = {}
    if getattr(args, "schema", None):
        kwargs["schema"] = _load_schema(args.schema)
    else:
        keys = [k for k in (args.keys or _env_keys()) if k.strip()]
        if not keys:
            raise UsageError(f"say what to extract: --keys KEY [KEY ...] or --schema FILE (or set ${ENV_KEYS})")
        if len(set(keys)) != len(keys):
            raise UsageError(f"a key is given twice: {keys}")
        kwargs["keys"] = keys
    examples = args.examples or os.environ.get(ENV_EXAMPLES, "").strip() or None
    kwargs["examples"] = _load_examples(examples) if examples else []
    kwargs["llm"] = args.llm or os.environ.get(ENV_LLM, "").strip() or None
    kwargs["ocr"] = ocr_engine_name(args)
    kwargs["require_grounding"] = bool(getattr(args, "require_grounding", False))
    if getattr(args, "strategy", None):
        kwargs["strategy"] = args.strategy
    if getattr(args, "timeout", None) is not None:
        kwargs["timeout"] = args.timeout
    return kwargs
