"""Any OpenAI-compatible server (``"openai:<model>"``): OpenAI, Baidu's OpenAI-compatible ERNIE
endpoint, DeepSeek, Qwen/DashScope, vLLM, Ollama, llama.cpp server.

:class:`RedactingChatOpenAI` (made on first use, so ``langchain-openai`` is imported only then) turns
every failure into the project's :class:`~ocr_kie.errors.LlmCallError` tree with the status, the
raw body and no secret, and retries a 200 whose body was cut off.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import random
import time
from collections.abc import Iterator
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from pydantic import PrivateAttr, SecretStr

from ocr_kie.errors import LlmBadResponseError, LlmCallError, LlmConfigError, require
from ocr_kie.llms.binding import token_limit
from ocr_kie.llms.errors import translate, translated_cause, translating
from ocr_kie.secrets import install_secret_filter, redact, register_secret

__all__ = ["create"]


def create(
    model: str,
    *,
    spec: str | None,
    base_url: str | None = None,
    api_key: Any = None,
    max_tokens: int | None = None,
    timeout: float,
    request_retries: int,
    **kwargs: Any,
) -> BaseChatModel:
    """``model`` on an OpenAI-compatible server (``"openai:<model>"``), its errors translated.

    Raises:
        MissingDependencyError: ``langchain-openai`` is not installed.
        LlmConfigError: An invalid option.
    """
    require("langchain_openai", package="langchain-openai", purpose="OpenAI-compatible servers")
    url = base_url or os.environ.get("OPENAI_BASE_URL") or None
    if isinstance(api_key, SecretStr):
        key = api_key
    else:
        key = SecretStr(api_key or os.environ.get("OPENAI_API_KEY") or "EMPTY")
    register_secret(key)
    install_secret_filter()
    params: dict[str, Any] = {
        "model": model,
        "api_key": key,
        "temperature": 0,
        "timeout": timeout,
        "max_retries": request_retries,
    }
    if url:
        params["base_url"] = url
    params.update(kwargs)
    params.update(token_limit("openai", max_tokens, base_url=url, extra_body=kwargs.get("extra_body")))
    try:
        llm = _openai_class()(**params)
    except (TypeError, ValueError) as e:
        raise LlmConfigError(f"openai: invalid option: {redact(str(e))}", spec=spec) from None
    if llm.rate_limiter is not None:
        # Every retry must wait for the limiter's turn, which the SDK's own retries do not (at a
        # rate matching the server's they can meet a full bucket every time): the SDK's clients
        # then do not retry, and the model retries each retryable error itself, max_retries times.
        llm.root_client = llm.root_client.with_options(max_retries=0)
        llm.client = llm.root_client.chat.completions
        llm.root_async_client = llm.root_async_client.with_options(max_retries=0)
        llm.async_client = llm.root_async_client.chat.completions
        llm._retries_wait_for_limiter = True
    return llm


_OPENAI_CLASS: type[BaseChatModel] | None = None


def _openai_class() -> type[BaseChatModel]:
    global _OPENAI_CLASS
    if _OPENAI_CLASS is None:
        _OPENAI_CLASS = _make_openai_class()
    return _OPENAI_CLASS


def _host(url: str | None) -> str:
    """``host[:port]`` of a URL, for messages (no path, query or user info)."""
    from urllib.parse import urlsplit

    if not url:
        return "api.openai.com"
    try:
        parts = urlsplit(url)
        return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname or "")
    except ValueError:
        return ""


def _make_openai_class() -> type[BaseChatModel]:
    import openai
    from langchain_openai import ChatOpenAI

    class RedactingChatOpenAI(ChatOpenAI):
        """``ChatOpenAI`` whose errors are :class:`~ocr_kie.errors.LlmCallError` subclasses.

        429, 5xx, timeouts, connection errors, an HTML page, a cut-off body: each becomes the
        project's error with the status, ``retryable``, the raw body (cut, secrets redacted), the
        provider and the model (see :mod:`ocr_kie.llms.errors`). The original is kept as
        ``__cause__`` unless its text holds a secret.
        """

        #: Whether the model makes its retries itself, each after the limiter's turn (see :func:`create`).
        _retries_wait_for_limiter: bool = PrivateAttr(default=False)

        def _llm_error(self, e: BaseException) -> LlmCallError:
            return translate(e, provider="openai", model=self.model_name, where=_host(self.openai_api_base))

        def _generate(self, *args: Any, **kwargs: Any) -> ChatResult:
            for attempt in itertools.count():
                try:
                    return super()._generate(*args, **kwargs)
                except LlmCallError:
                    raise
                except Exception as e:
                    error = self._llm_error(e)
                    if not self._retry(error, attempt):
                        raise error from translated_cause(e)
                    wait = _retry_wait(e, attempt)
                time.sleep(wait)
                if self._retries_wait_for_limiter:
                    self.rate_limiter.acquire(blocking=True)
            raise AssertionError("unreachable")

        async def _agenerate(self, *args: Any, **kwargs: Any) -> ChatResult:
            for attempt in itertools.count():
                try:
                    return await super()._agenerate(*args, **kwargs)
                except LlmCallError:
                    raise
                except Exception as e:
                    error = self._llm_error(e)
                    if not self._retry(error, attempt):
                        raise error from translated_cause(e)
                    wait = _retry_wait(e, attempt)
                await asyncio.sleep(wait)
                if self._retries_wait_for_limiter:
                    await self.rate_limiter.aacquire(blocking=True)
            raise AssertionError("unreachable")

        def _retry(self, error: LlmCallError, attempt: int) -> bool:
            # The SDK retries statuses and connection errors itself, but not a 200 whose body was
            # cut off: that is retried here, within the same bound (max_retries). With a rate
            # limiter the SDK does not retry (see :func:`create`), and every retryable error is
            # retried here after the limiter's turn: the bound stays max_retries + 1 requests.
            if attempt >= (self.max_retries or 0):
                return False
            if self._retries_wait_for_limiter:  # the SDK does not retry: every retryable error is retried here
                return error.retryable
            return isinstance(error, LlmBadResponseError) and error.retryable

        def _stream(self, *args: Any, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
            with translating(self._llm_error):
                yield from super()._stream(*args, **kwargs)

        async def _astream(self, *args: Any, **kwargs: Any) -> Any:
            with translating(self._llm_error):
                async for chunk in super()._astream(*args, **kwargs):
                    yield chunk

        def _create_chat_result(self, response: Any, generation_info: dict | None = None) -> ChatResult:
            if not isinstance(response, (dict, openai.BaseModel)):
                raise _bad_response(self, response, "not JSON")
            try:
                return super()._create_chat_result(response, generation_info)
            except (TypeError, KeyError, AttributeError, ValueError, IndexError) as e:
                raise _bad_response(self, response, f"no chat completion ({type(e).__name__}: {e})") from None

    RedactingChatOpenAI.__module__ = __name__
    RedactingChatOpenAI.__qualname__ = RedactingChatOpenAI.__name__
    return RedactingChatOpenAI


def _retry_wait(error: BaseException, attempt: int) -> float:
    """Seconds before retry ``attempt + 1``: the server's ``Retry-After`` (up to 60 s), else :func:`_backoff`."""
    headers = getattr(getattr(error, "response", None), "headers", None) or {}
    try:
        seconds = float(headers.get("retry-after", ""))
    except (TypeError, ValueError):
        return _backoff(attempt)
    return seconds if 0 <= seconds <= 60 else _backoff(attempt)


def _backoff(attempt: int) -> float:
    """Seconds before retry ``attempt + 1``: 0.5, 1, 2 … up to 8, with up to 25% jitter (the openai SDK's curve)."""
    return min(0.5 * 2**attempt, 8.0) * (1 - 0.25 * random.random())


def _bad_response(llm: Any, response: Any, why: str) -> LlmBadResponseError:
    if isinstance(response, (str, bytes)):
        body = response.decode("utf-8", "replace") if isinstance(response, bytes) else response
    else:
        dump = getattr(response, "model_dump", None)
        try:
            body = json.dumps(dump() if callable(dump) else response, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            body = str(response)
    kind = "an HTML page" if "<html" in body[:1000].lower() else why
    where = _host(getattr(llm, "openai_api_base", None))
    return LlmBadResponseError(
        f"the answer from {where} is {kind}: {' '.join(body.split())[:200]}",
        provider="openai",
        model=getattr(llm, "model_name", None),
        body=body,
        retryable=False,
    )
