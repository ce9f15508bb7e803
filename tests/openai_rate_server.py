"""A local OpenAI-compatible server on 127.0.0.1 that answers 429 above a configured rate.

Used by the rate-limit tests and ``benchmarks/scale_benchmark.py``. A token bucket of ``rate``
requests per second (``burst`` at once) decides: a request that finds a token gets a chat
completion after ``delay`` seconds; one that does not gets ``429`` with ``Retry-After``. The
request loop is bounded: the server stops after ``max_requests`` requests (then answers 503 and
counts them), so a client that retries forever cannot make a test hang.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class RateLimitedServer:
    """``POST /v1/chat/completions`` at ``rate`` requests/s; 429 (``Retry-After``) above it.

    Attributes:
        accepted: Requests answered with a completion.
        rejected: Requests answered 429.
        times: The arrival time of every accepted request (``time.monotonic()``).
    """

    def __init__(
        self,
        *,
        rate: float,
        burst: int = 1,
        delay: float = 0.0,
        content: str = '{"total": "9.90"}',
        retry_after: str = "1",
        max_requests: int = 5000,
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.delay = delay
        self.content = content
        self.retry_after = retry_after
        self.max_requests = max_requests
        self.accepted = 0
        self.rejected = 0
        self.over_limit = 0
        self.times: list[float] = []
        self._tokens = float(burst)
        self._last = time.monotonic()
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    @property
    def span(self) -> float:
        """Seconds from the first accepted request to the last."""
        return self.times[-1] - self.times[0] if len(self.times) > 1 else 0.0

    def rate_between(self, first: int = 0) -> float:
        """Accepted requests per second, from the ``first``-th accepted request on."""
        times = self.times[first:]
        return (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0

    def __enter__(self) -> RateLimitedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def _admit(self) -> str:
        with self._lock:
            if self.accepted + self.rejected >= self.max_requests:
                self.over_limit += 1
                return "over"
            now = time.monotonic()
            self._tokens = min(float(self.burst), self._tokens + (now - self._last) * self.rate)
            self._last = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                self.accepted += 1
                self.times.append(now)
                return "ok"
            self.rejected += 1
            return "429"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                verdict = server._admit()
                if verdict == "ok":
                    if server.delay:
                        time.sleep(server.delay)
                    body: dict[str, Any] = {
                        "id": "chatcmpl-rate",
                        "object": "chat.completion",
                        "created": int(time.time()),
                        "model": "fake",
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": server.content},
                                "finish_reason": "stop",
                            }
                        ],
                        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
                    }
                    self._send(200, body)
                elif verdict == "429":
                    error = {"error": {"message": "rate limit exceeded", "type": "rate_limit", "code": "429"}}
                    self._send(429, error, {"Retry-After": server.retry_after})
                else:
                    self._send(503, {"error": {"message": "request budget of the test server spent"}})

            def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        return Handler
