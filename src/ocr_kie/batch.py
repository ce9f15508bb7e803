"""Resumable batch runs: a chain over many documents, one JSON line per document, nothing lost.

Each document becomes one record, written as one line and flushed as soon as it is finished::

    {"source": "/data/a.png", "values": {"total": "9.90", ...}}
    {"source": "/data/b.png", "error": {"type": "InvalidImageError", "message": "/data/b.png: not an image"}}

With ``return_details=True`` chains the record is ``{"source": ..., **result.model_dump()}`` of
the :class:`~ocr_kie.pipeline.result.ExtractionResult` (``values``, ``evidence``, ``usage`` …).

**Every record is strict JSON** (valid UTF-8, no ``NaN``/``Infinity``; see :mod:`ocr_kie.jsonout`):
a file name that is not valid UTF-8 is written with its bad bytes as ``\\xNN`` (in ``"source"``
and in messages alike), a lone surrogate in a value as U+FFFD; a result that cannot be written
(``Infinity``, an integer of thousands of digits) becomes that document's error record
(:class:`~ocr_kie.errors.ResultEncodeError`), so the run goes on and a resume retries it.

**Resuming.** Running again with the same results file skips the documents already there with
values, and tries again the ones recorded with an error (their old error records are removed, so
the file never holds two records of one document). Documents are keyed by their absolute path.
A partly written last line (a killed run) is dropped. Records of documents that are not part of
this run are kept as they are. A file that is not a results file (a line that is no such record,
other than a partial last line) is refused rather than overwritten.

**Interrupting.** Ctrl-C stops after the current line: the file holds only whole records, and the
next run resumes from it. :class:`BatchInterrupted` (a ``KeyboardInterrupt``) carries the summary.
It is raised at once, without waiting for calls in flight (worker threads are daemons, worker
processes are terminated).

**Workers.** ``workers=N`` runs N documents at once in threads; ``processes=P`` spreads them over
P worker processes, each building the chain once from a picklable
:class:`~ocr_kie.workers.ChainSpec` (see :mod:`ocr_kie.workers`).

Example:
    >>> from ocr_kie import build_chain
    >>> from ocr_kie.batch import run_batch
    >>> chain = build_chain(["total", "date"], examples="examples.jsonl")  # doctest: +SKIP
    >>> summary = run_batch(chain, ["receipts/"], "results.jsonl", workers=1)  # doctest: +SKIP
    >>> summary.failed  # doctest: +SKIP
    0
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ocr_kie.errors import (
    BatchInterrupted,
    LlmConfigError,
    MissingDependencyError,
    ModelFilesNotFoundError,
    ResultEncodeError,
    ResultsFileError,
)
from ocr_kie.images import Source, expand_sources, source_name
from ocr_kie.jsonout import dumps as strict_dumps
from ocr_kie.jsonout import printable
from ocr_kie.pipeline.result import ExtractionResult
from ocr_kie.secrets import redact_data

logger = logging.getLogger(__name__)

__all__ = [
    "FATAL_ERRORS",
    "BatchInterrupted",
    "BatchSummary",
    "ResultsFile",
    "ResultsFileError",
    "error_record",
    "run_batch",
    "source_key",
]

#: Errors that would fail every document the same way (configuration, not the document): the
#: batch stops and raises them instead of writing one error record per document.
FATAL_ERRORS: tuple[type[BaseException], ...] = (MissingDependencyError, LlmConfigError, ModelFilesNotFoundError)


@dataclass
class BatchSummary:
    """What a batch run did.

    Attributes:
        total: Documents in this run (after expanding directories and globs).
        succeeded: Documents extracted in this run.
        failed: Documents that failed in this run (their error records are in the output).
        skipped: Documents skipped because the results file already had their values.
        retried: Documents whose earlier error record was replaced (they were tried again).
        dropped_partial: Whether a partly written last line was dropped from the results file.
        output: The results file, or None for a stream.
        failures: ``(source, error)`` of each failed document, in completion order.
    """

    total: int = 0
    succeeded: int = 0
    failed: int = 0
    skipped: int = 0
    retried: int = 0
    dropped_partial: bool = False
    output: str | None = None
    failures: list[tuple[str, BaseException]] = field(default_factory=list)

    @property
    def done(self) -> int:
        """Documents with a record in the output after this run (skipped, succeeded or failed)."""
        return self.skipped + self.succeeded + self.failed

    @property
    def remaining(self) -> int:
        """Documents not processed (an interrupted run)."""
        return self.total - self.done

    @property
    def ok(self) -> bool:
        """Every document has values."""
        return self.failed == 0 and self.remaining == 0


# ------------------------------------------------------------------------------------ records


def source_key(source: Source) -> str:
    """The key (and the ``"source"`` of the record) of a document: its absolute, normalised path.

    Other sources (bytes, images) are keyed by :func:`ocr_kie.images.source_name`. Bytes of a
    file name that are not UTF-8 are written ``\\xNN`` (see :func:`ocr_kie.jsonout.printable`),
    as the record says it.
    """
    if isinstance(source, (str, os.PathLike)):
        return printable(os.path.abspath(os.path.expanduser(os.fsdecode(source))))
    return printable(source_name(source))


def error_record(source: str, error: BaseException) -> dict[str, Any]:
    """The record of a failed document: ``{"source", "error": {"type", "message"[, "page"]}}``."""
    info: dict[str, Any] = {"type": type(error).__name__, "message": str(error)}
    page = getattr(error, "page", None)
    if page is not None:
        info["page"] = page
    return {"source": source, "error": info}


def dumps(record: dict[str, Any]) -> str:
    """One record as one line of strict JSON (UTF-8 text, non-ASCII unescaped), with the newline.

    Raises:
        ResultEncodeError: The record holds ``NaN``/``Infinity``, an integer too long to write, or
            a cycle (see :func:`ocr_kie.jsonout.strict`).
    """
    record = redact_data(record)  # known secrets never reach a results file (issue 12, finding 4)
    return strict_dumps(record) + "\n"


def _is_record(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("source"), str)
        and (isinstance(value.get("values"), dict) or isinstance(value.get("error"), dict))
    )


# ------------------------------------------------------------------------------- results file


class ResultsFile:
    """A JSON Lines results file opened for a (resumed) run.

    :meth:`open` reads what an earlier run left, keeps the records with values, drops a partial
    last line and the error records of the documents about to be retried (rewriting the file
    atomically when something is dropped), then appends. Use :func:`run_batch` unless you need
    the pieces.

    Args:
        path: The results file; its folder must exist.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.done: dict[str, dict[str, Any]] = {}
        self.errors: dict[str, dict[str, Any]] = {}
        self.dropped_partial = False
        self._stream: IO[str] | None = None

    def check_writable(self) -> None:
        """Raise :class:`ResultsFileError` if the file cannot be created or appended to."""
        name = str(self.path)
        parent = self.path.parent if str(self.path.parent) else Path(".")
        if self.path.is_dir():
            raise ResultsFileError("is a directory; give a file name for the results", path=name)
        if not parent.is_dir():
            raise ResultsFileError(f"the folder {parent} does not exist", path=name)
        if self.path.exists():
            if not self.path.is_file():
                raise ResultsFileError("is not a regular file", path=name)
            if not os.access(self.path, os.R_OK | os.W_OK):
                raise ResultsFileError("cannot be read and written (permission denied)", path=name)
        elif not os.access(parent, os.W_OK | os.X_OK):
            raise ResultsFileError(f"cannot create files in {parent} (permission denied)", path=name)

    def read(self) -> list[dict[str, Any]]:
        """The records an earlier run left (a partial last line dropped); also fills :attr:`done`."""
        if not self.path.exists():
            return []
        try:
            text = self.path.read_bytes().decode("utf-8")
        except UnicodeDecodeError as e:
            raise ResultsFileError(f"is not a results file (not UTF-8 text: {e.reason})", path=str(self.path)) from e
        except OSError as e:
            raise ResultsFileError(f"cannot be read: {e.strerror or e}", path=str(self.path)) from e
        lines = text.split("\n")
        complete, last = lines[:-1], lines[-1]  # text after the last newline: a partial line
        records: list[dict[str, Any]] = []
        for number, line in enumerate(complete, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                record = None
            if not _is_record(record):
                raise ResultsFileError(
                    f"line {number} is not an ocr-kie results record; choose another output file",
                    path=str(self.path),
                )
            records.append(record)
        if last.strip():
            self.dropped_partial = True
            logger.warning("%s: dropping a partly written last line (an interrupted run)", self.path)
        for record in records:
            target = self.done if "values" in record else self.errors
            (self.errors if target is self.done else self.done).pop(record["source"], None)
            target[record["source"]] = record  # the last record of a source wins
        return records

    def open(self, retry: set[str]) -> None:
        """Prepare for appending: keep the records with values (and errors of sources not in ``retry``).

        Args:
            retry: The keys of this run's documents; their error records are removed.
        """
        self.check_writable()
        records = self.read()
        keep = [r for r in records if "values" in r or r["source"] not in retry]
        keep = _last_per_source(keep)
        if len(keep) != len(records) or self.dropped_partial:
            self._rewrite(keep)
        try:
            self._stream = open(self.path, "a", encoding="utf-8", newline="\n")  # noqa: SIM115 - closed in close()
        except OSError as e:
            raise ResultsFileError(f"cannot be opened for writing: {e.strerror or e}", path=str(self.path)) from e

    def _rewrite(self, records: list[dict[str, Any]]) -> None:
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent or ".")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
                f.writelines(dumps(r) for r in records)
                f.flush()
                os.fsync(f.fileno())
            if self.path.exists():
                os.chmod(tmp, self.path.stat().st_mode & 0o777)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def write(self, record: dict[str, Any]) -> None:
        """Append one record as one line and flush it."""
        assert self._stream is not None, "open() first"
        self._stream.write(dumps(record))
        self._stream.flush()

    def close(self) -> None:
        """Flush and close."""
        if self._stream is not None:
            self._stream.close()
            self._stream = None


def _last_per_source(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    last = {r["source"]: i for i, r in enumerate(records)}
    return [r for i, r in enumerate(records) if last[r["source"]] == i]


class _StreamSink:
    """Records to a text stream (stdout): no resuming."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def write(self, record: dict[str, Any]) -> None:
        self.stream.write(dumps(record))
        self.stream.flush()

    def close(self) -> None:
        self.stream.flush()


# -------------------------------------------------------------------------------------- run


def _progress_bar(total: int, enabled: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, disable=not enabled, unit="doc", file=sys.stderr, dynamic_ncols=True, leave=True)


def run_batch(
    chain: Any,
    sources: Source | Sequence[Source],
    output: str | os.PathLike[str] | IO[str] | None = None,
    *,
    workers: int = 1,
    processes: int = 1,
    threads: int | None = None,
    progress: bool | None = None,
    resume: bool = True,
    config: dict[str, Any] | None = None,
) -> BatchSummary:
    """Run ``chain`` over many documents, writing one JSON line per document as each finishes.

    Args:
        chain: A Runnable (e.g. from :func:`ocr_kie.build_chain`) taking a path and returning a
            dict of values, or the details dict (with ``"values"``) of ``return_details=True``; or
            a :class:`~ocr_kie.workers.ChainSpec` (required with ``processes`` > 1).
        sources: Files, directories, glob patterns (see :func:`ocr_kie.images.expand_sources`),
            bytes or images. A multi-page PDF is one document.
        output: The results file (resumed, see the module docs), a text stream, or None for stdout.
        workers: Documents processed at once (threads; OCR of one overlaps the LLM call of
            another; an API model's requests overlap). With ``processes`` > 1: documents in flight
            over all processes (default ``2 * processes``).
        processes: Worker processes (for CPU-bound local models); each builds the chain once.
        threads: CPU threads per worker process for its OCR and local LLM.
        progress: Draw a progress bar on stderr; None: only when stderr is a terminal.
        resume: Skip documents already in the results file with values. False starts it afresh
            (the file is truncated).
        config: A LangChain ``RunnableConfig`` passed to each call (callbacks, tags …).

    Returns:
        The summary. Failed documents are in it and in the output; nothing is raised for them.

    Raises:
        ResultsFileError: The results file cannot be written or is not a results file (raised
            before any document is processed).
        BatchInterrupted: Ctrl-C; the results file holds whole records only, ready to resume.
        MissingDependencyError, LlmConfigError, ModelFilesNotFoundError: a configuration problem
            that would fail every document (the batch stops; see :data:`FATAL_ERRORS`).
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    if processes < 1:
        raise ValueError(f"processes must be at least 1, got {processes}")
    if processes > 1 and hasattr(chain, "invoke"):
        raise ValueError("processes > 1 needs a picklable chain recipe, e.g. ocr_kie.workers.ChainSpec(keys=[...])")
    items = _unique(expand_sources(sources))
    summary = BatchSummary(total=len(items))
    if output is None or hasattr(output, "write"):
        sink: Any = _StreamSink(output or sys.stdout)  # type: ignore[arg-type]
        todo = items
    else:
        results = ResultsFile(output)
        summary.output = str(output)
        if not resume:
            results.check_writable()
            Path(output).write_text("", encoding="utf-8")
        results.open(retry={key for key, _ in items})
        summary.dropped_partial = results.dropped_partial
        summary.retried = sum(1 for key, _ in items if key in results.errors)
        todo = [(key, src) for key, src in items if key not in results.done]
        summary.skipped = len(items) - len(todo)
        sink = results
    if progress is None:
        progress = sys.stderr.isatty()
    bar = _progress_bar(len(todo), progress)
    writes_to_terminal = progress and isinstance(sink, _StreamSink) and getattr(sink.stream, "isatty", bool)()
    if processes > 1 and len(todo) > 1:
        from ocr_kie.workers import process_results

        outcomes = process_results(
            chain,
            todo,
            min(processes, len(todo)),
            workers=None if workers == 1 else workers,
            threads=threads,
            config=config,
        )
    else:
        if not hasattr(chain, "invoke"):
            chain = chain()  # a ChainSpec: build it here
        outcomes = _results(chain, todo, workers, config)
    try:
        for key, outcome in outcomes:
            record, error = _record(key, outcome)
            with bar.external_write_mode(file=sink.stream) if writes_to_terminal else nullcontext():
                sink.write(record)
            if error is not None:
                summary.failed += 1
                summary.failures.append((key, error))
            else:
                summary.succeeded += 1
            bar.update(1)
            if summary.failed:
                bar.set_postfix(failed=summary.failed, refresh=False)
    except KeyboardInterrupt as e:
        raise BatchInterrupted(summary) from e
    finally:
        outcomes.close()  # stops the workers: nothing new starts
        bar.close()
        sink.close()
    return summary


def _unique(sources: list[Source]) -> list[tuple[str, Source]]:
    seen: set[str] = set()
    out = []
    for source in sources:
        key = source_key(source)
        if key not in seen:
            seen.add(key)
            out.append((key, source))
    return out


def _record(key: str, outcome: Any) -> tuple[dict[str, Any], BaseException | None]:
    """The document's record, always writable (one that cannot be written becomes its error record), and its error."""
    if isinstance(outcome, BaseException):
        return error_record(key, outcome), outcome
    if isinstance(outcome, ExtractionResult):  # return_details=True
        outcome = outcome.model_dump()
    if isinstance(outcome, dict) and isinstance(outcome.get("values"), dict):
        record = {"source": key, **outcome}
    elif isinstance(outcome, dict):
        record = {"source": key, "values": outcome}
    else:
        error = TypeError(f"the chain returned {type(outcome).__name__}, not a dict")
        return error_record(key, error), error
    try:
        dumps(record)
    except ResultEncodeError as e:
        logger.warning("%s: the result cannot be written (%s); recording it as an error", key, e)
        return error_record(key, e), e
    return record, None


def _results(
    chain: Any, todo: list[tuple[str, Source]], workers: int, config: dict[str, Any] | None
) -> Iterator[tuple[str, Any]]:
    """``(key, result or exception)`` as documents finish; fatal errors and Ctrl-C propagate."""

    def call(source: Source) -> Any:
        try:
            return chain.invoke(source, config)
        except FATAL_ERRORS:
            raise
        except Exception as e:
            return e

    if workers == 1:
        for key, source in todo:
            yield key, call(source)
        return
    from ocr_kie.workers import thread_results

    yield from thread_results(call, todo, workers)
