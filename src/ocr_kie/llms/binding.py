"""A chat model bound for one extraction call: JSON mode, the answer's token limit, errors translated.

:func:`token_limit` is the one place ``max_tokens`` becomes a provider's own parameter (llama.cpp's
``max_tokens``, ERNIE's ``max_output_tokens`` in 2..2048, ``max_tokens`` in ``extra_body`` for
OpenAI-compatible servers): the model constructors (:func:`~ocr_kie.llms.resolve_llm`) and
:func:`bind_schema` both take it from here.

Example:
    >>> bound = with_llm_errors(bind_schema(llm, schema, max_tokens=256), llm)  # doctest: +SKIP
    >>> bound.invoke(messages).content  # doctest: +SKIP
    '{"total": "12.50"}'
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator, Mapping
from typing import Any

from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import BaseMessage
from langchain_core.runnables import Runnable
from pydantic import SecretStr

from ocr_kie.errors import OcrKieError
from ocr_kie.llms.errors import translate, translating
from ocr_kie.secrets import register_secret

__all__ = ["bind_schema", "model_name", "provider_of", "token_limit", "with_llm_errors"]

#: ERNIE's ``max_output_tokens`` range.
QIANFAN_MAX_OUTPUT = (2, 2048)

#: The classes :func:`provider_of` recognises, by module and name (checked without importing them).
_PROVIDER_CLASSES = (
    ("llamacpp", "ocr_kie.llms.llamacpp", "LlamaCppChatModel"),
    ("openai", "langchain_openai.chat_models.base", "BaseChatOpenAI"),
    ("qianfan", "langchain_community.chat_models.baidu_qianfan_endpoint", "QianfanChatEndpoint"),
)


def _is_instance_of(obj: Any, module: str, cls_name: str) -> bool:
    """isinstance without importing ``module`` (it is loaded if obj is one of its classes)."""
    mod = sys.modules.get(module)
    cls = getattr(mod, cls_name, None) if mod else None
    return isinstance(cls, type) and isinstance(obj, cls)


def provider_of(llm: Any) -> str:
    """``"llamacpp"``, ``"openai"``, ``"qianfan"``, else the model's class name (``"ChatLlamaCpp"`` …)."""
    llm = getattr(llm, "bound", llm)
    for provider, module, cls_name in _PROVIDER_CLASSES:
        if _is_instance_of(llm, module, cls_name):
            return provider
    return type(llm).__name__


def model_name(llm: Any) -> str:
    """The model's name (``model_name``, ``model``, ``model_id`` or ``deployment_name``), or ``""``."""
    for attr in ("model_name", "model", "model_id", "deployment_name"):
        value = getattr(llm, attr, None)
        if isinstance(value, str) and value:
            return value
    return ""


def token_limit(
    provider: str, max_tokens: int | None, *, base_url: str | None = None, extra_body: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The keyword arguments that limit an answer to ``max_tokens`` for a provider ({} without a limit).

    Args:
        provider: What :func:`provider_of` says.
        max_tokens: The most answer tokens.
        base_url: For ``openai``: the server's URL, if not OpenAI's. Other servers get plain
            ``max_tokens`` in ``extra_body`` (what vLLM, Ollama, llama.cpp server, DeepSeek, DashScope all
            accept; ChatOpenAI sends the newer ``max_completion_tokens``, which not every server knows).
        extra_body: For ``openai``: the model's ``extra_body`` so far (kept).
    """
    if not max_tokens:
        return {}
    if provider == "qianfan":
        lo, hi = QIANFAN_MAX_OUTPUT
        return {"max_output_tokens": min(max(max_tokens, lo), hi)}
    if provider == "openai" and base_url:
        return {"extra_body": {**(extra_body or {}), "max_tokens": max_tokens}}
    return {"max_tokens": max_tokens}


def bind_schema(
    llm: BaseChatModel, schema: Mapping[str, Any], *, max_tokens: int | None = None
) -> Runnable[LanguageModelInput, BaseMessage]:
    """``llm`` bound to answer in JSON (following ``schema`` where the backend can) within ``max_tokens``.

    * :class:`~ocr_kie.llms.LlamaCppChatModel`: grammar-constrained decoding by the schema;
    * ``ChatOpenAI``: ``response_format={"type": "json_object"}`` (JSON mode: OpenAI, DeepSeek,
      Qwen, vLLM, Ollama, llama.cpp server and Baidu's endpoint accept it; the prompt must mention
      JSON);
    * ``QianfanChatEndpoint``: ERNIE's ``response_format="json_object"``;
    * LangChain's ``ChatLlamaCpp``: ``response_format`` with the schema;
    * any other model: returned unchanged (the output parser still checks the reply).

    The token limit is each provider's own parameter (:func:`token_limit`).

    Args:
        llm: The chat model.
        schema: The JSON Schema of the answer object.
        max_tokens: The most answer tokens, if to be bound.
    """
    provider = provider_of(llm)
    formats: dict[str, dict[str, Any]] = {
        "llamacpp": {"json_schema": dict(schema)},
        "ChatLlamaCpp": {"response_format": {"type": "json_object", "schema": dict(schema)}},
        "openai": {"response_format": {"type": "json_object"}},
        "qianfan": {"response_format": "json_object"},
    }
    if provider not in formats:
        return llm
    limit = token_limit(
        provider,
        max_tokens,
        base_url=getattr(llm, "openai_api_base", None),
        extra_body=getattr(llm, "extra_body", None),
    )
    return llm.bind(**formats[provider], **limit)


def with_llm_errors(
    runnable: Runnable[LanguageModelInput, BaseMessage], llm: BaseChatModel
) -> Runnable[LanguageModelInput, BaseMessage]:
    """``runnable`` (``llm``, bound or not) raising only :class:`~ocr_kie.errors.LlmCallError` for a failed call.

    For any chat model, also one passed in as an instance (``ChatOpenAI``, ``ChatAnthropic`` …):
    what its call raises, other than ocr_kie's own errors, is translated at this boundary by
    :func:`ocr_kie.llms.errors.translate` (status, retryable, raw body, provider and model, secrets
    redacted). The models :func:`~ocr_kie.llms.resolve_llm` makes translate their errors
    themselves. The model's ``SecretStr`` fields (its API key …) are registered as secrets for
    redaction.

    Args:
        runnable: What to call (e.g. from :func:`bind_schema`).
        llm: The chat model behind it (for the provider's and the model's name).
    """
    model = getattr(llm, "bound", llm)
    for value in getattr(model, "__dict__", {}).values():  # the model's keys (api_key …) are secrets
        if isinstance(value, SecretStr):
            register_secret(value)
    return _LlmErrors(runnable, provider=provider_of(llm), model=model_name(model) or None)


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

    def _translating(self) -> contextlib.AbstractContextManager[None]:
        return translating(lambda e: translate(e, provider=self.provider, model=self.model), keep=(OcrKieError,))

    def invoke(self, input: LanguageModelInput, config: Any = None, **kwargs: Any) -> BaseMessage:
        with self._translating():
            return self.bound.invoke(input, config, **kwargs)

    async def ainvoke(self, input: LanguageModelInput, config: Any = None, **kwargs: Any) -> BaseMessage:
        with self._translating():
            return await self.bound.ainvoke(input, config, **kwargs)

    def stream(self, input: LanguageModelInput, config: Any = None, **kwargs: Any) -> Iterator[BaseMessage]:
        with self._translating():
            yield from self.bound.stream(input, config, **kwargs)

    async def astream(self, input: LanguageModelInput, config: Any = None, **kwargs: Any) -> Any:
        with self._translating():
            async for chunk in self.bound.astream(input, config, **kwargs):
                yield chunk
