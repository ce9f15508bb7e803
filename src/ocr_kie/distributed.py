"""Many machines: a batch on Ray Data (``pip install "ocr-kie[ray]"``).

:func:`run_ray` reads the documents with Ray Data (``read_binary_files``: local paths or any
filesystem Ray reads, ``s3://``, ``gs://``, ``hdfs://``), runs ``map_batches`` over an actor pool
in which each actor builds the chain once from a :class:`~ocr_kie.workers.ChainSpec` (OCR engine
and LLM loaded once per actor), and streams the records back to this process, which writes them
with the local runner's writer: the same record per document (``{"source", "values"}`` or
``{"source", "error"}``), the same resuming (documents already in the output with values are not
read again), a valid file after Ctrl-C. A bad file becomes that row's error record; the dataset
never fails on one file. Output is JSON Lines, or Parquet when the file name ends in
``.parquet`` (columns ``source``, ``values``, ``error``, the latter two JSON text).

Tested on one machine only (a local Ray started by ``ray.init``); on a cluster, start Ray there
(``ray start --head``, KubeRay) and pass its address or set ``RAY_ADDRESS``.

Example:
    >>> from ocr_kie.workers import ChainSpec
    >>> spec = ChainSpec(keys=["total", "date"], examples="examples.jsonl", threads=1)
    >>> run_ray(spec, ["s3://bucket/receipts/"], "results.jsonl", actors=8)  # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from ocr_kie.batch import BatchInterrupted, BatchSummary, ResultsFile, error_record, source_key
from ocr_kie.errors import MissingDependencyError

logger = logging.getLogger(__name__)

__all__ = ["ChainActor", "import_ray", "run_ray"]

#: Rows per ``map_batches`` call: small, so that a record reaches the file soon after its document.
BATCH_SIZE = 1
#: Up to this many documents, one block per document: an idle actor takes the next document, not
#: the next few (Ray Data's own sizing put 2 of 50 receipts in a block). Beyond, Ray Data's sizing.
BLOCK_PER_DOCUMENT_UP_TO = 10_000
#: Actors one reader keeps fed (the default ``readers`` is one per this many actors). Reading a
#: file is milliseconds to a network store's tens of milliseconds; an actor takes seconds a document.
ACTORS_PER_READER = 16


def import_ray() -> Any:
    """Import ``ray`` (and ``ray.data``), or fail with the install hint."""
    try:
        import ray
        import ray.data
    except ImportError as e:
        raise MissingDependencyError("ray", extra="ray", purpose="ocr_kie.distributed (Ray Data)") from e
    return ray


class ChainActor:
    """A Ray Data actor: builds the chain once, then turns each batch of files into records.

    Args:
        factory: A picklable zero-argument callable returning the chain (a ``ChainSpec``).
        config: The ``RunnableConfig`` of each call.
    """

    def __init__(self, factory: Callable[[], Any], config: dict[str, Any] | None = None) -> None:
        self.factory = factory
        self.config = config
        self.chain: Any = None
        self.build_error: BaseException | None = None
        from ocr_kie.workers import worker_environment

        worker_environment(getattr(factory, "threads", None))  # as the local runner's worker processes do
        try:
            self.chain = factory()
        except Exception as e:  # every row gets the error; the driver stops on it (a fatal error)
            self.build_error = e

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[str]]:
        from ocr_kie.batch import FATAL_ERRORS, _record, dumps

        sources, records = [], []
        for path, data in zip(batch["path"], batch["bytes"], strict=True):
            key = str(path)
            if self.build_error is not None:
                record = error_record(key, self.build_error)
                record["fatal"] = True
            else:
                try:
                    outcome = self.chain.invoke(bytes(data), self.config)
                except FATAL_ERRORS as e:
                    record = error_record(key, e)
                    record["fatal"] = True
                except Exception as e:
                    record, _ = _record(key, e)
                else:
                    record, _ = _record(key, outcome)  # a result that cannot be written is its error record
            sources.append(key)
            records.append(dumps(record))  # strict JSON, secrets redacted: what the local runner writes
        return {"source": sources, "record": records}


def run_ray(
    factory: Callable[[], Any],
    sources: str | Sequence[str],
    output: str | os.PathLike[str],
    *,
    actors: int = 2,
    cpus_per_actor: float = 1,
    readers: int | None = None,
    address: str | None = None,
    resume: bool = True,
    config: dict[str, Any] | None = None,
    init: dict[str, Any] | None = None,
) -> BatchSummary:
    """Run the chain over many documents on Ray Data; one record per document in ``output``.

    Args:
        factory: A picklable recipe for the chain, e.g. ``ChainSpec(keys=[...], threads=1)``.
        sources: Files, directories or glob patterns; local, or URIs Ray Data reads (``s3://``…).
        output: The results file on this machine: JSON Lines, or Parquet (``.parquet``).
        actors: Actors in the pool (each loads the models once).
        cpus_per_actor: CPUs Ray reserves per actor (give the ChainSpec as many ``threads``).
        readers: Ray Data read tasks in flight at once (default: one per 16 actors, at least
            one). Each runs in a worker process of its own: unbounded, a local Ray started one
            per read task in flight, and their start-up took the cores from the actors.
        address: The Ray cluster (``"auto"``, ``"ray://host:10001"``); None: ``RAY_ADDRESS``,
            else a local Ray on this machine.
        resume: Skip documents already in the output with values (retry those with errors).
        config: The ``RunnableConfig`` of each call (picklable).
        init: More ``ray.init`` arguments (``num_cpus`` …) for a local Ray.

    Returns:
        The summary, as :func:`ocr_kie.batch.run_batch` gives it.

    Raises:
        MissingDependencyError: Ray is not installed (``pip install "ocr-kie[ray]"``).
        ResultsFileError: The output cannot be written or is not a results file.
        BatchInterrupted: Ctrl-C; the output holds whole records and resumes.
        OcrKieError: A configuration error in the actors (every document would fail).
        ValueError: ``readers`` below 1 (the output is not touched).
    """
    if readers is not None and readers < 1:
        raise ValueError(f"readers must be at least 1, got {readers}")  # before the output is touched
    ray = import_ray()
    paths = _paths(sources)
    sink = _sink(output)
    done = sink.open(paths, resume=resume)
    summary = BatchSummary(total=len(paths), output=str(output), skipped=len(done))
    summary.retried = sink.retried
    summary.dropped_partial = sink.dropped_partial
    todo = [p for p in paths if p not in done]
    if not todo:
        sink.close()
        return summary
    if not ray.is_initialized():
        ray.init(address=address, **_init_arguments(address, init))
    try:
        # Reading takes no CPU reservation: with every CPU held by an actor, reads that asked
        # for one would never be scheduled (and the actors would wait for them forever).
        ds = ray.data.read_binary_files(
            todo,
            include_paths=True,
            ignore_missing_paths=False,
            ray_remote_args={"num_cpus": 0},
            concurrency=readers or max(1, actors // ACTORS_PER_READER),
            override_num_blocks=len(todo) if len(todo) <= BLOCK_PER_DOCUMENT_UP_TO else None,
        )
        ds = ds.map_batches(
            ChainActor,
            fn_constructor_args=(factory, config),
            batch_size=BATCH_SIZE,
            # One block in flight per actor: with Ray Data's default (two), an actor that had
            # finished could sit idle while the other still had a block queued behind its own.
            # (`concurrency=` is deprecated since Ray 2.51.)
            compute=ray.data.ActorPoolStrategy(size=actors, max_tasks_in_flight_per_actor=1),
            num_cpus=cpus_per_actor,
        )
        for row in ds.iter_rows():
            record = json.loads(row["record"])
            if record.pop("fatal", False):
                raise _fatal(record)
            record["source"] = _key(record["source"])
            sink.write(record)
            if "error" in record:
                summary.failed += 1
                summary.failures.append((record["source"], _error_of(record)))
            else:
                summary.succeeded += 1
    except KeyboardInterrupt as e:
        raise BatchInterrupted(summary) from e
    finally:
        sink.close()
    return summary


def _init_arguments(address: str | None, init: dict[str, Any] | None) -> dict[str, Any]:
    """``ray.init``'s arguments: the caller's ``init`` over these defaults.

    A local Ray started here runs its workers at the driver's priority: Ray's default lowers them
    by 15 nice levels, so on a machine shared with anything else (or with the local runner's
    workers, which run at the driver's priority) the actors got a small share of the cores. A
    cluster keeps its own setting (``address`` or ``RAY_ADDRESS`` given: nothing is passed).
    """
    defaults: dict[str, Any] = {"log_to_driver": False}
    if address is None and not os.environ.get("RAY_ADDRESS"):
        defaults["_system_config"] = {"worker_niceness": 0}
    return defaults | (init or {})


def _paths(sources: str | Sequence[str]) -> list[str]:
    """The documents' keys: local paths expanded as the local runner does, URIs as given."""
    from ocr_kie.images import expand_sources

    items = [sources] if isinstance(sources, str) else list(sources)
    out: list[str] = []
    for item in items:
        if "://" in str(item) and not str(item).startswith("file://"):
            out.append(str(item))  # expanded by Ray Data (a folder on S3 is read file by file)
        else:
            out.extend(source_key(s) for s in expand_sources([item]))
    return list(dict.fromkeys(out))


def _key(path: str) -> str:
    return path if "://" in path else source_key(path)


def _fatal(record: dict[str, Any]) -> Exception:
    from ocr_kie.workers import _carried

    error = record["error"]
    return _carried(error["type"], error["message"], error.get("page"), True)


def _error_of(record: dict[str, Any]) -> BaseException:
    from ocr_kie.workers import _carried

    error = record["error"]
    return _carried(error["type"], error["message"], error.get("page"), False)


# ------------------------------------------------------------------------------------ output


class _JsonLinesSink:
    def __init__(self, path: Path) -> None:
        self.file = ResultsFile(path)
        self.retried = 0
        self.dropped_partial = False

    def open(self, keys: Iterable[str], *, resume: bool) -> set[str]:
        keys = list(keys)
        if not resume:
            self.file.check_writable()
            self.file.path.write_text("", encoding="utf-8")
        self.file.open(retry=set(keys))
        self.dropped_partial = self.file.dropped_partial
        self.retried = sum(1 for k in keys if k in self.file.errors)
        return {k for k in keys if k in self.file.done}

    def write(self, record: dict[str, Any]) -> None:
        self.file.write(record)

    def close(self) -> None:
        self.file.close()


class _ParquetSink:
    """Records kept in memory and written (atomically) to one Parquet file on close."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows: list[dict[str, Any]] = []
        self.retried = 0
        self.dropped_partial = False

    def open(self, keys: Iterable[str], *, resume: bool) -> set[str]:
        import pyarrow.parquet as pq

        from ocr_kie.batch import ResultsFileError

        keys = set(keys)
        ResultsFile(self.path).check_writable()
        old: list[dict[str, Any]] = []
        if resume and self.path.exists():
            try:
                table = pq.read_table(self.path)
            except Exception as e:
                raise ResultsFileError(f"is not a Parquet results file: {e}", path=str(self.path)) from e
            if not {"source", "values", "error"} <= set(table.column_names):
                raise ResultsFileError("is not an ocr-kie results file (no source/values/error)", path=str(self.path))
            old = table.to_pylist()
        by_source = {r["source"]: r for r in old}
        self.retried = sum(1 for k in keys if k in by_source and by_source[k]["values"] is None)
        self.rows = [r for r in by_source.values() if r["values"] is not None or r["source"] not in keys]
        return {r["source"] for r in self.rows if r["values"] is not None}

    def write(self, record: dict[str, Any]) -> None:
        values = record.get("values")
        details = {k: v for k, v in record.items() if k not in ("source", "values", "error")}
        self.rows.append(
            {
                "source": record["source"],
                "values": None if values is None else json.dumps(values, ensure_ascii=False, default=str),
                "error": json.dumps(record["error"], ensure_ascii=False) if "error" in record else None,
                "details": json.dumps(details, ensure_ascii=False, default=str) if details else None,
            }
        )

    def close(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = pa.schema([(name, pa.string()) for name in ("source", "values", "error", "details")])
        rows = [{name: r.get(name) for name in schema.names} for r in self.rows]
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        pq.write_table(pa.Table.from_pylist(rows, schema=schema), tmp)
        os.replace(tmp, self.path)


def _sink(output: str | os.PathLike[str]) -> Any:
    path = Path(output)
    return _ParquetSink(path) if path.suffix == ".parquet" else _JsonLinesSink(path)
