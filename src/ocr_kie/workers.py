"""Workers for batch runs: threads in this process, or worker processes that each build the chain once.

* **Threads** (:func:`thread_results`): ``workers`` documents in flight in this process. The OCR
  engine runs in its own thread (:mod:`ocr_kie.ocr.owner`) and the embedded model behind its lock,
  so the OCR of one document overlaps the model reading another; an API model's calls overlap
  each other (``workers`` = the requests in flight). The threads are daemons: Ctrl-C does not
  wait for calls in flight.
* **Processes** (:func:`process_results`): ``processes`` worker processes (``spawn``), each building
  the chain once from a picklable :class:`ChainSpec` on its first document (models loaded once per
  process) and running ``threads`` CPU threads for its OCR and LLM. CPU-bound local models scale
  with cores this way; Ctrl-C terminates the workers at once.

Both yield ``(key, result or exception)`` as documents finish; fatal errors (see
:data:`ocr_kie.batch.FATAL_ERRORS`) are raised instead.

Example:
    >>> from ocr_kie.batch import run_batch
    >>> spec = ChainSpec(keys=["total", "date"])
    >>> run_batch(spec, ["receipts/"], "results.jsonl", processes=2)  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import queue
import signal
import threading
from collections.abc import Callable, Iterator
from typing import Any

from ocr_kie.errors import WorkerError

logger = logging.getLogger(__name__)

__all__ = [
    "ChainSpec",
    "WorkerError",
    "calls_in_flight",
    "default_processes",
    "default_workers",
    "process_results",
    "thread_results",
]

#: Documents in flight per API-model batch when not told (requests overlap; rate-limit them).
API_WORKERS = 8
#: A local model's batch uses worker processes from this many documents on.
PROCESS_MIN_DOCUMENTS = 8


class ChainSpec:
    """A picklable recipe for a chain: :func:`ocr_kie.build_chain`'s keyword arguments.

    Worker processes and Ray actors get the recipe, not the chain (models do not cross process
    boundaries), and build the chain once. Pass only picklable values (names and specs such as
    ``ocr="paddle"``, ``llm="openai:..."``, examples, a schema dict).

    Args:
        threads: CPU threads for the OCR engine and a local LLM in each worker (default: the
            engine's and the model's own defaults).
        rate_limit: Requests per second to the LLM, per built chain (see :mod:`ocr_kie.ratelimit`).
        **kwargs: :func:`ocr_kie.build_chain`'s arguments. Examples given as
            :class:`~ocr_kie.examples.Example` objects are kept as plain data.

    Example:
        >>> spec = ChainSpec(keys=["total"], llm="openai:qwen2.5-7b-instruct", threads=1)
        >>> spec.kwargs["keys"]
        ['total']
    """

    def __init__(self, *, threads: int | None = None, rate_limit: float | None = None, **kwargs: Any) -> None:
        from ocr_kie.examples import Example

        if threads is not None and threads < 1:
            raise ValueError(f"threads must be at least 1, got {threads}")
        if rate_limit is not None:
            from ocr_kie.ratelimit import rate_limiter

            rate_limiter(rate_limit)  # checks it
        examples = kwargs.get("examples")
        if isinstance(examples, (list, tuple)):
            kwargs["examples"] = [ex.model_dump() if isinstance(ex, Example) else ex for ex in examples]
        self.threads = threads
        self.rate_limit = rate_limit
        self.kwargs = kwargs

    def __call__(self) -> Any:
        """Build the chain (loads the models)."""
        from ocr_kie.llms import qianfan_credentials_in_env
        from ocr_kie.pipeline.chain import build_chain

        kwargs = dict(self.kwargs)
        if self.threads is not None:
            ocr = kwargs.get("ocr")
            if ocr is None or isinstance(ocr, str):
                from ocr_kie.ocr import get_engine

                kwargs["ocr"] = get_engine(ocr or "paddle", threads=self.threads)
            if self.is_local(qianfan_credentials_in_env()):
                kwargs.setdefault("n_threads", self.threads)
        if self.rate_limit is not None:
            kwargs = _with_rate_limited_llm(kwargs, self.rate_limit)
        return build_chain(**kwargs)

    def is_local(self, qianfan_in_env: bool = False) -> bool:
        """Whether the LLM runs here (llama.cpp, CPU-bound) rather than behind an API."""
        llm = self.kwargs.get("llm")
        if llm is None:
            return not qianfan_in_env
        return isinstance(llm, str) and (llm.startswith("llamacpp:") or llm.endswith(".gguf"))

    def __repr__(self) -> str:
        return f"ChainSpec(threads={self.threads!r}, rate_limit={self.rate_limit!r}, keys={sorted(self.kwargs)!r})"


#: build_chain's own arguments (the rest go to the LLM); kept here too for stand-ins of build_chain.
_CHAIN_PARAMS = frozenset(
    [
        "keys",
        "schema",
        "examples",
        "llm",
        "ocr",
        "cache",
        "max_retries",
        "return_details",
        "require_grounding",
        "example_budget",
        "context_window",
        "max_message_chars",
        "max_tokens",
        "system_prompt",
        "relevance",
        "strategy",
        "grounded",
    ]
)


def _with_rate_limited_llm(kwargs: dict[str, Any], rate: float) -> dict[str, Any]:
    """Resolve the LLM here (held to ``rate``) so that ``build_chain`` gets a model, not a spec."""
    import inspect

    from ocr_kie.parser import schema_from_spec
    from ocr_kie.pipeline.chain import build_chain
    from ocr_kie.ratelimit import rate_limited_llm
    from ocr_kie.schema import default_max_tokens

    named = [p.name for p in inspect.signature(build_chain).parameters.values() if p.kind is not p.VAR_KEYWORD]
    chain_params = _CHAIN_PARAMS | set(named)
    llm_kwargs = {k: v for k, v in kwargs.items() if k not in chain_params}
    rest = {k: v for k, v in kwargs.items() if k in chain_params}
    spec = rest.get("keys") if rest.get("keys") is not None else rest.get("schema")
    tokens = rest.get("max_tokens") or default_max_tokens(schema_from_spec(spec))
    rest["llm"] = rate_limited_llm(rest.get("llm"), rate, max_tokens=tokens, **llm_kwargs)
    return rest


def default_processes(local_llm: bool, documents: int, cores: int | None = None) -> int:
    """Worker processes for a batch of ``documents``.

    One per physical core for a local (CPU-bound) model when there are at least
    :data:`PROCESS_MIN_DOCUMENTS` documents (for fewer, loading the models in every worker costs
    more than it saves); 1 for an API model (its workers are threads waiting on the network).
    """
    from ocr_kie.cpus import physical_cores

    if not local_llm or documents < PROCESS_MIN_DOCUMENTS:
        return 1
    return max(1, min(cores or physical_cores(), documents))


def default_workers(local_llm: bool, processes: int = 1) -> int:
    """Documents in flight: one per process for a local model, :data:`API_WORKERS` for an API model."""
    return processes if local_llm else API_WORKERS


def _carried(type_name: str, message: str, page: int | None, fatal: bool) -> WorkerError:
    cls = type(type_name, (WorkerError,), {"__module__": __name__, "__doc__": WorkerError.__doc__})
    return cls(message, type_name=type_name, page=page, fatal=fatal)


# -------------------------------------------------------------------------------------- threads

_active = 0
_active_lock = threading.Lock()


def calls_in_flight() -> int:
    """Chain calls still running in this process's worker threads (after a Ctrl-C, say)."""
    return _active


def _counted(call: Callable[[Any], Any], source: Any) -> Any:
    global _active
    with _active_lock:
        _active += 1
    try:
        return call(source)
    finally:
        with _active_lock:
            _active -= 1


def thread_results(
    call: Callable[[Any], Any], todo: list[tuple[str, Any]], workers: int, stop: threading.Event | None = None
) -> Iterator[tuple[str, Any]]:
    """At most ``workers`` documents in flight in daemon threads; nothing new starts after ``stop`` or close.

    ``call(source)`` returns the result or the exception; what it raises (fatal errors, a
    KeyboardInterrupt) is re-raised here.
    """
    stop = stop or threading.Event()
    tasks: queue.SimpleQueue[tuple[str, Any] | None] = queue.SimpleQueue()
    done: queue.SimpleQueue[tuple[str, Any, BaseException | None]] = queue.SimpleQueue()

    def work() -> None:
        while not stop.is_set():
            item = tasks.get()
            if item is None or stop.is_set():
                return
            key, source = item
            try:
                done.put((key, _counted(call, source), None))
            except BaseException as e:  # handed to the main thread, which re-raises it
                done.put((key, None, e))

    pending = iter(todo)
    in_flight = 0
    for _ in range(workers):
        threading.Thread(target=work, name="ocr-kie-worker", daemon=True).start()
    try:
        for key, source in pending:
            tasks.put((key, source))
            in_flight += 1
            if in_flight == workers:
                break
        while in_flight:
            key, result, raised = _get(done)
            in_flight -= 1
            if raised is not None:
                raise raised
            for item in pending:
                tasks.put(item)
                in_flight += 1
                break
            yield key, result
    finally:
        stop.set()
        for _ in range(workers):
            tasks.put(None)


def _get(q: queue.SimpleQueue[Any]) -> Any:
    """``q.get()`` that Ctrl-C interrupts promptly (short timeouts instead of one long wait)."""
    while True:
        try:
            return q.get(timeout=0.1)
        except queue.Empty:
            continue


# ------------------------------------------------------------------------------------ processes

_WORKER_CHAIN: Any = None  # the chain a worker process built
_WORKER_FACTORY: Callable[[], Any] | None = None


def worker_environment(threads: int | None) -> None:
    """Set a worker process's thread environment before its models load (process workers, Ray actors).

    OpenMP, MKL and oneDNN read these once, when their runtime starts: ``threads`` per worker (its
    share of the cores), and OpenMP threads that sleep rather than spin while they wait (a spinning
    OCR thread starves the LLM's threads on a small shared machine).

    Args:
        threads: The worker's CPU threads, or None to leave the counts alone.
    """
    if threads is not None:
        for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            os.environ[name] = str(threads)
    os.environ.setdefault("OMP_WAIT_POLICY", "passive")


def _init_worker(factory: Callable[[], Any], threads: int | None) -> None:
    global _WORKER_FACTORY
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and terminates us
    worker_environment(threads)
    _WORKER_FACTORY = factory


def _work(key: str, source: Any, config: dict[str, Any] | None) -> tuple[str, Any]:
    """In a worker process: ``(key, result)`` or ``(key, (type, message, page, fatal))``."""
    global _WORKER_CHAIN
    from ocr_kie.batch import FATAL_ERRORS

    try:
        if _WORKER_CHAIN is None:
            assert _WORKER_FACTORY is not None
            _WORKER_CHAIN = _WORKER_FACTORY()
        return key, _WORKER_CHAIN.invoke(source, config)
    except Exception as e:
        return key, _Failure(type(e).__name__, str(e), getattr(e, "page", None), isinstance(e, FATAL_ERRORS))


class _Failure(tuple):
    """``(type_name, message, page, fatal)``: an error that crosses the process boundary as plain data."""

    __slots__ = ()

    def __new__(cls, type_name: str, message: str, page: int | None, fatal: bool) -> _Failure:
        return super().__new__(cls, (type_name, message, page, fatal))

    def __getnewargs__(self) -> tuple[Any, ...]:
        return tuple(self)


def process_results(
    factory: Callable[[], Any],
    todo: list[tuple[str, Any]],
    processes: int,
    *,
    workers: int | None = None,
    threads: int | None = None,
    config: dict[str, Any] | None = None,
) -> Iterator[tuple[str, Any]]:
    """Documents spread over ``processes`` worker processes, at most ``workers`` in flight.

    A worker process that dies (a crash in native code) takes the calls in flight with it: those
    documents are tried again one at a time in fresh workers, and the one that kills its worker
    again gets the error ``WorkerProcessDied``; the rest go on.

    Args:
        factory: A picklable zero-argument callable returning the chain (a :class:`ChainSpec`).
        todo: ``(key, source)`` pairs; sources must be picklable (paths, bytes).
        processes: Worker processes (``spawn`` start method).
        workers: Documents in flight (default: two per process, so that none waits for its next).
        threads: CPU threads per worker (sets ``OMP_NUM_THREADS``; a :class:`ChainSpec` also takes it).
        config: The ``RunnableConfig`` of each call (must be picklable).

    Yields:
        ``(key, result)`` or ``(key, error)``, the error a :class:`WorkerError` subclass named after
        the original type.

    Raises:
        WorkerError: A fatal error in a worker (configuration: every document would fail).
    """
    from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    in_flight_max = workers or 2 * processes
    ctx = multiprocessing.get_context("spawn")

    def new_pool() -> ProcessPoolExecutor:
        return ProcessPoolExecutor(processes, mp_context=ctx, initializer=_init_worker, initargs=(factory, threads))

    pool = new_pool()
    running: dict[Future[Any], tuple[str, Any, Any]] = {}  # future -> (key, source, its pool)
    pending = iter(todo)
    # Documents in flight when a worker died: each is tried again alone, so that only the one
    # that kills its worker is recorded as WorkerProcessDied.
    suspects: list[tuple[str, Any]] = []
    solo: set[str] = set()

    def submit_next() -> None:
        if suspects:
            if not running:
                key, source = suspects.pop(0)
                solo.add(key)
                running[_submit(pool, key, source, config)] = (key, source, pool)
            return
        for key, source in pending:
            running[_submit(pool, key, source, config)] = (key, source, pool)
            return

    try:
        for _ in range(in_flight_max):
            submit_next()
        while running:
            finished, _ = wait(running, timeout=0.1, return_when=FIRST_COMPLETED)
            broken = False
            for future in finished:
                key, source, its_pool = running.pop(future)
                try:
                    _, result = future.result()
                except BrokenProcessPool:
                    broken = broken or its_pool is pool  # an older pool's futures break as well
                    if key not in solo or its_pool is not pool:
                        suspects.append((key, source))
                        continue
                    result = _Failure("WorkerProcessDied", f"{key}: the worker process died", None, False)
                if isinstance(result, _Failure):
                    error = _carried(*result)
                    if error.fatal:
                        raise error
                    result = error
                yield key, result
            if broken:
                _kill(pool)
                pool = new_pool()
            for _ in range(in_flight_max - len(running)):
                submit_next()
    finally:
        _kill(pool)  # Ctrl-C or a fatal error: the workers end now, calls in flight with them


def _submit(pool: Any, key: str, source: Any, config: dict[str, Any] | None) -> Any:
    """``pool.submit`` with SIGINT blocked in this thread while the pool may start a worker.

    A worker started now inherits the blocked signal (and then ignores it, :func:`_init_worker`),
    so a Ctrl-C that reaches the whole process group while a worker is still importing its modules
    does not print that worker's traceback: Ctrl-C is the parent's to handle. In the parent the
    signal is only held back for the call, and delivered right after it.
    """
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        return pool.submit(_work, key, source, config)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _kill(pool: Any) -> None:
    processes = list(getattr(pool, "_processes", {}).values())  # no public way to stop calls in flight
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        with contextlib.suppress(Exception):
            process.kill()
