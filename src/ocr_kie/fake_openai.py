"""A local OpenAI-compatible chat-completions server for tests and benchmarks.

:class:`FakeOpenAIServer` listens on ``127.0.0.1`` (a free port) in a background thread and
answers ``POST /v1/chat/completions`` with what a *responder* decides for each request: a chat
completion, an error status with any body, an HTML page, a body cut off in the middle, a closed
connection, or no answer at all (a hang, bounded by ``max_hang``, and cut short when the server
closes). It speaks real HTTP, so the real client stack (``openai``, ``httpx``, LangChain's
``ChatOpenAI``) is what gets tested, not a mock of it.

Example:
    >>> from ocr_kie.fake_openai import FakeOpenAIServer, Reply
    >>> replies = [Reply.error(429, "slow down"), Reply.chat('{"total": "9.90"}')]
    >>> with FakeOpenAIServer(replies) as server:  # doctest: +SKIP
    ...     chain = build_chain(["total"], llm="openai:any", base_url=server.base_url, ocr=engine)
    ...     chain.invoke("receipt.png")
    {'total': '9.90'}
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["FakeOpenAIServer", "Reply", "Request"]


@dataclass
class Reply:
    """What the server sends for one request.

    Attributes:
        status: The HTTP status.
        body: The body: text, bytes, or a JSON-able object (sent as JSON).
        content_type: The ``Content-Type`` header.
        headers: More headers (e.g. ``{"Retry-After": "0"}``).
        delay: Seconds to wait before answering.
        hang: Send nothing until the client gives up, the server closes, or ``max_hang`` passes.
        cut_at: Declare the whole body's length but send only this many bytes, then close the
            connection (a body cut off in transit).
    """

    status: int = 200
    body: str | bytes | Any = ""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    hang: bool = False
    cut_at: int | None = None

    @classmethod
    def chat(cls, content: str, *, model: str = "fake", **kwargs: Any) -> Reply:
        """A successful chat completion whose message is ``content``."""
        body = {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
        }
        return cls(body=body, **kwargs)

    @classmethod
    def error(cls, status: int, message: str, *, code: str | None = None, **kwargs: Any) -> Reply:
        """An OpenAI-style error answer: ``{"error": {"message", "type", "code"}}``."""
        body = {"error": {"message": message, "type": "fake_error", "code": code}}
        return cls(status=status, body=body, **kwargs)

    def encoded(self) -> bytes:
        """The body as bytes."""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode("utf-8", "surrogatepass")
        return json.dumps(self.body, ensure_ascii=False).encode("utf-8", "surrogatepass")


@dataclass
class Request:
    """One request the server received.

    Attributes:
        path: The request path.
        headers: The request headers, names in lower case.
        body: The JSON body (None when it was not JSON).
        index: 0 for the first request, 1 for the next …
    """

    path: str
    headers: dict[str, str]
    body: Any
    index: int

    @property
    def messages(self) -> list[Mapping[str, Any]]:
        """The chat messages sent (empty when none)."""
        return list(self.body.get("messages", [])) if isinstance(self.body, dict) else []


Responder = Callable[[Request], Reply]


class FakeOpenAIServer:
    """An OpenAI-compatible HTTP server on 127.0.0.1 playing scripted replies or faults.

    Args:
        replies: A list of :class:`Reply` played in order (a request after the last one gets a
            500), or a function of the :class:`Request` returning the reply.
        max_hang: The longest a hanging reply holds a connection, in seconds.

    Attributes:
        requests: Every request received, in order.
        base_url: ``http://127.0.0.1:<port>/v1`` once started.
    """

    def __init__(self, replies: Sequence[Reply] | Responder, *, max_hang: float = 30.0) -> None:
        self._replies = replies
        self.max_hang = max_hang
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """The base URL to give the client (``.../v1``)."""
        assert self._server is not None, "start() first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> FakeOpenAIServer:
        """Listen on a free port of 127.0.0.1 and serve in a daemon thread."""
        server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="fake-openai", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving; hanging replies end now."""
        self._closing.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _reply_for(self, request: Request) -> Reply:
        if callable(self._replies):
            return self._replies(request)
        if request.index < len(self._replies):
            return self._replies[request.index]
        return Reply.error(500, f"the fake server has no reply left for request {request.index + 1}")

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = None
                with owner._lock:
                    request = Request(
                        self.path, {k.lower(): v for k, v in self.headers.items()}, body, len(owner.requests)
                    )
                    owner.requests.append(request)
                reply = owner._reply_for(request)
                if reply.delay:
                    owner._closing.wait(reply.delay)
                if reply.hang:
                    owner._closing.wait(owner.max_hang)
                    self.close_connection = True
                    return
                data = reply.encoded()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", reply.content_type)
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    if reply.cut_at is not None:
                        self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(data if reply.cut_at is None else data[: reply.cut_at])
                    self.wfile.flush()
                except OSError:  # the client went away (its timeout)
                    pass
                if reply.cut_at is not None:
                    self.close_connection = True

            do_GET = do_POST

        return Handler
