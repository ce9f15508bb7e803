"""A thread that owns an engine: every call to it runs there, whichever thread asks.

Paddle's oneDNN kernels keep per-thread state (primitive and blob caches keyed by the calling
thread), so a predictor created in one thread and called from others fails intermittently with
``RuntimeError: std::exception`` (issue 12, finding 7). An :class:`OwnerThread` builds the models
and runs every call in one long-lived thread, so the predictors only ever see that thread. Callers
from any thread (LangChain's ``batch``, a worker pool, an agent) block until their call is done;
calls run one at a time, in the order they arrive.

Example:
    >>> owner = OwnerThread("ocr-kie-paddle")
    >>> owner.call(lambda: 1 + 1)
    2
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

__all__ = ["OwnerThread"]

T = TypeVar("T")


class OwnerThread:
    """One daemon thread that runs the calls handed to it, one at a time.

    The thread is a daemon: a process that is ending (Ctrl-C) does not wait for a call in flight.

    Args:
        name: The thread's name (shown in tracebacks and ``py-spy``).
    """

    def __init__(self, name: str) -> None:
        self._queue: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    @property
    def ident(self) -> int | None:
        """The owner thread's identifier."""
        return self._thread.ident

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn(*args, **kwargs)`` in the owner thread and return (or raise) what it did.

        A call made from the owner thread itself runs directly (no deadlock).
        """
        if threading.current_thread() is self._thread:
            return fn(*args, **kwargs)
        future: Future[T] = Future()
        self._queue.put((lambda: fn(*args, **kwargs), future))
        return future.result()

    def close(self) -> None:
        """Let the thread end after the calls already queued."""
        self._queue.put(None)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            fn, future = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = fn()
            except BaseException as e:  # handed to the caller, who re-raises it
                future.set_exception(e)
            else:
                future.set_result(result)
