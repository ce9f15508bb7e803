"""Provider errors translated into the project's own :class:`~ocr_kie.errors.LlmCallError` tree.

Every way a chat-model call can fail ends as one of these, with the HTTP status, whether a retry
may help, the raw body (cut to :data:`~ocr_kie.errors.BODY_LIMIT`), the provider and the model,
and no secret in any of it:

| what happened | error | retryable |
|---|---|---|
| no answer within the timeout | ``LlmTimeoutError`` | yes |
| refused or dropped connection, a body cut off in transit | ``LlmConnectionError`` | yes |
| HTTP 429 (rate limit, quota) | ``LlmRateLimitError`` | yes |
| HTTP 5xx | ``LlmServerError`` | yes |
| HTTP 401/403 | ``LlmAuthenticationError`` | no |
| HTTP 400 about the context length | ``LlmContextOverflowError`` | no |
| other HTTP 4xx | ``LlmCallError`` | 408/409 only |
| HTTP 200 whose body is cut-off JSON | ``LlmBadResponseError`` | yes |
| HTTP 200 with HTML, or JSON that is no completion | ``LlmBadResponseError`` | no |
| anything else a model raised | ``LlmCallError`` | no |

:func:`translate` reads the exceptions of the ``openai`` SDK, LangChain's ``ModelError`` types,
``httpx``, ``requests`` and the built-in ones by duck typing, so it imports none of them.

Example:
    >>> try:
    ...     llm.invoke("hi")  # doctest: +SKIP
    ... except Exception as e:
    ...     raise translate(e, provider="openai", model="qwen2.5") from None

Every model wrapper in :mod:`ocr_kie.llms` translates the same way, with :func:`translating`
around the call (sync, async and streaming alike).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from typing import Any

from ocr_kie.errors import (
    LlmAuthenticationError,
    LlmBadResponseError,
    LlmCallError,
    LlmConnectionError,
    LlmContextOverflowError,
    LlmRateLimitError,
    LlmServerError,
    LlmTimeoutError,
)
from ocr_kie.secrets import redact

__all__ = ["error_for_status", "translate", "translated_cause", "translating"]

#: Phrases of a 400 answer that mean the prompt does not fit the context.
_OVERFLOW_HINTS = (
    "context_length_exceeded",
    "maximum context length",
    "context window",
    "prompt is too long",
    "too many tokens",
    "input tokens exceed",
)


def _names(error: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(error).__mro__}


def _chain(error: BaseException) -> list[BaseException]:
    """The error and its causes/contexts, outermost first (no cycles)."""
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and all(current is not s for s in seen) and len(seen) < 10:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _body_of(error: BaseException) -> str | None:
    response = getattr(error, "response", None)
    if response is not None:
        try:
            return response.text  # httpx.Response (body already read by the SDK)
        except Exception:
            pass
        content = getattr(response, "content", None)
        if isinstance(content, bytes):
            return content.decode("utf-8", "replace")
    body = getattr(error, "body", None)
    if isinstance(body, (str, bytes)):
        return body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    if body is not None:
        try:
            return json.dumps(body, ensure_ascii=False)
        except (TypeError, ValueError):
            return str(body)
    doc = getattr(error, "doc", None)  # json.JSONDecodeError keeps the text it failed on
    return doc if isinstance(doc, str) else None


def _status_of(error: BaseException) -> int | None:
    for attr in ("status_code", "status"):
        value = getattr(error, attr, None)
        if isinstance(value, int) and 100 <= value < 600:
            return value
    response = getattr(error, "response", None)
    value = getattr(response, "status_code", None)
    return value if isinstance(value, int) and 100 <= value < 600 else None


def _server_message(body: str | None) -> str | None:
    """The ``error.message`` of an OpenAI-style JSON error body, else a short excerpt of the body."""
    if not body:
        return None
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if isinstance(data, dict):
        inner = data.get("error", data)
        if isinstance(inner, dict):
            for key in ("message", "error_msg", "msg", "detail"):
                if isinstance(inner.get(key), str):
                    return inner[key][:500]
        elif isinstance(inner, str):
            return inner[:500]
    text = " ".join(body.split())
    return text[:200] + ("…" if len(text) > 200 else "")


def error_for_status(
    status: int,
    *,
    provider: str,
    model: str | None = None,
    body: str | None = None,
    where: str = "",
    code: Any = None,
) -> LlmCallError:
    """The error for an HTTP error answer.

    Args:
        status: The HTTP status (4xx or 5xx).
        provider: The provider's name.
        model: The model's name.
        body: The raw body.
        where: Where the request went (a host), for the message.
        code: The provider's error code.
    """
    detail = _server_message(body)
    text = f"HTTP {status}{f' from {where}' if where else ''}" + (f": {detail}" if detail else "")
    kwargs: dict[str, Any] = {"provider": provider, "model": model, "status": status, "body": body, "code": code}
    if status == 429:
        return LlmRateLimitError(text, **kwargs)
    if status >= 500:
        return LlmServerError(text, **kwargs)
    if status in (401, 403):
        return LlmAuthenticationError(text, **kwargs)
    if status == 400 and any(h in (body or "").lower() for h in _OVERFLOW_HINTS):
        return LlmContextOverflowError(text, **kwargs)
    if status == 408:
        return LlmTimeoutError(text, **kwargs)
    return LlmCallError(text, retryable=status == 409, **kwargs)


def translate(error: BaseException, *, provider: str, model: str | None = None, where: str = "") -> LlmCallError:
    """``error`` (raised by a chat model or its SDK) as an :class:`LlmCallError`.

    An :class:`LlmCallError` is returned as it is (its model filled in when missing).

    Args:
        error: What the model call raised.
        provider: The provider's name (``"openai"`` …).
        model: The model's name.
        where: Where the request went (a host), for the message.
    """
    if isinstance(error, LlmCallError):
        if error.model is None:
            error.model = model
        return error
    chain = _chain(error)
    names = set().union(*(_names(e) for e in chain))
    at = f" ({where})" if where else ""
    kwargs: dict[str, Any] = {"provider": provider, "model": model}
    status = next((s for s in map(_status_of, chain) if s is not None), None)
    body = next((b for b in map(_body_of, chain) if b is not None), None)
    if status is not None and status >= 400:
        return error_for_status(status, body=body, where=where, **kwargs)
    if names & {"APITimeoutError", "TimeoutException", "ModelTimeoutError", "TimeoutError", "Timeout"} or (
        "ReadTimeout" in names or "ConnectTimeout" in names or "RequestTimeoutError" in names
    ):
        return LlmTimeoutError(f"no answer in time{at}: {_describe(error)}", **kwargs)
    if names & {"ContextOverflowError"}:
        return LlmContextOverflowError(f"{_describe(error)}{at}", body=body, **kwargs)
    if names & {"RemoteProtocolError", "IncompleteRead", "ChunkedEncodingError"}:
        return LlmConnectionError(f"the server closed the connection mid-answer{at}: {_describe(error)}", **kwargs)
    if names & {"APIConnectionError", "ConnectError", "ConnectionError", "TransportError", "ModelConnectionError"}:
        return LlmConnectionError(f"cannot reach the server{at}: {_describe(error)}", **kwargs)
    if "JSONDecodeError" in names:
        return LlmBadResponseError(
            f"the answer is not complete JSON{at}: {_describe(error)}", retryable=True, body=body, **kwargs
        )
    if body is not None and names & {"AttributeError", "TypeError", "ValueError", "KeyError"}:
        kind = "an HTML page" if "<html" in body[:1000].lower() else "no chat completion"
        return LlmBadResponseError(
            f"the answer is {kind}{at}: {_server_message(body)}", retryable=False, body=body, **kwargs
        )
    if names & {"ModelRateLimitError"}:
        return LlmRateLimitError(f"{_describe(error)}{at}", **kwargs)
    if names & {"ModelAPIError"}:
        return LlmServerError(f"{_describe(error)}{at}", **kwargs)
    if names & {"ModelAuthenticationError"}:
        return LlmAuthenticationError(f"{_describe(error)}{at}", **kwargs)
    retryable = bool(getattr(error, "is_retryable", False))
    return LlmCallError(f"{_describe(error)}{at}", retryable=retryable, body=body, **kwargs)


def _describe(error: BaseException) -> str:
    text = str(error) or repr(error)
    return f"{type(error).__name__}: {text[:1000]}"


def translated_cause(error: BaseException) -> BaseException | None:
    """The original exception to chain with ``raise ... from``, or None when its text holds a secret."""
    for e in _chain(error):
        text = f"{e!s} {e!r} {_body_of(e) or ''}"
        if redact(text) != text:
            return None
    return error


@contextlib.contextmanager
def translating(
    error: Callable[[Exception], BaseException], *, keep: tuple[type[BaseException], ...] = (LlmCallError,)
) -> Iterator[None]:
    """Re-raise what the block raises as ``error(e)``, chained to the original unless its text holds a secret.

    Works around a plain call, an ``await`` and a ``yield from`` alike (a generator's body may run
    inside it).

    Args:
        error: The translation (e.g. ``lambda e: translate(e, provider="openai")``).
        keep: Exceptions raised as they are (already translated).
    """
    try:
        yield
    except keep:
        raise
    except Exception as e:
        raise error(e) from translated_cause(e)
