"""ERNIE through Baidu's qianfan SDK (``"qianfan:<model>"``), with its errors translated and secrets redacted.

The qianfan SDK puts ``client_secret=<SK>`` into the text of connection errors and logs secrets
on some errors: every SDK error becomes an :class:`~ocr_kie.errors.LlmCallError` (ERNIE's error
codes read: rate limits, server trouble, refused credentials), the original is dropped when it
holds a secret, and the SDK's loggers get the redacting filter.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from pydantic import SecretStr, ValidationError

from ocr_kie.errors import (
    LlmAuthenticationError,
    LlmCallError,
    LlmConfigError,
    LlmRateLimitError,
    LlmServerError,
    require,
)
from ocr_kie.llms.binding import token_limit
from ocr_kie.llms.errors import translate, translated_cause, translating
from ocr_kie.secrets import install_secret_filter, redact, register_secret

__all__ = ["DEFAULT_QIANFAN_MODEL", "create", "qianfan_credentials_in_env"]

#: The ERNIE model used when ``llm=None`` and qianfan credentials are in the environment:
#: ERNIE 4.0 Turbo (8K context), Baidu's fast flagship on the qianfan v1 chat API, with JSON
#: mode (``response_format``). Pass ``"qianfan:<model>"`` for another one.
DEFAULT_QIANFAN_MODEL = "ERNIE-4.0-Turbo-8K"
#: ERNIE's temperature must be in (0, 1]: 0 is rejected, so "almost greedy".
QIANFAN_TEMPERATURE = 0.01

_QIANFAN_ENV_PAIRS = (("QIANFAN_AK", "QIANFAN_SK"), ("QIANFAN_ACCESS_KEY", "QIANFAN_SECRET_KEY"))


def qianfan_credentials_in_env() -> bool:
    """Whether the environment holds a qianfan credential pair (AK/SK or access key/secret key)."""
    return any(os.environ.get(a) and os.environ.get(s) for a, s in _QIANFAN_ENV_PAIRS)


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
            with translating(_qianfan_error):
                return super()._generate(*args, **kwargs)

        async def _agenerate(self, *args: Any, **kwargs: Any) -> ChatResult:
            with translating(_qianfan_error):
                return await super()._agenerate(*args, **kwargs)

        def _stream(self, *args: Any, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
            with translating(_qianfan_error):
                yield from super()._stream(*args, **kwargs)

        async def _astream(self, *args: Any, **kwargs: Any) -> Any:
            with translating(_qianfan_error):
                async for chunk in super()._astream(*args, **kwargs):
                    yield chunk

    RedactingQianfanChatEndpoint.__module__ = __name__
    RedactingQianfanChatEndpoint.__qualname__ = RedactingQianfanChatEndpoint.__name__
    return RedactingQianfanChatEndpoint


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
    """ERNIE ``model`` through the qianfan SDK, its errors translated and its secrets redacted (``"qianfan:<model>"``).

    Raises:
        LlmConfigError: No credentials, ``base_url``/``api_key`` given, or an invalid option.
        LlmCallError: The SDK failed to fetch an access token.
    """
    if base_url or api_key:
        raise LlmConfigError(
            "qianfan: authenticates with an AK/SK pair: set QIANFAN_AK/QIANFAN_SK (and QIANFAN_BASE_URL "
            "for another server) or pass qianfan_ak=/qianfan_sk=; base_url/api_key are for 'openai:'",
            spec=spec,
        )
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
    params: dict[str, Any] = {
        "model": model,
        "temperature": QIANFAN_TEMPERATURE,
        "penalty_score": 1.0,
        "timeout": max(1, math.ceil(timeout)),  # the SDK's request_timeout (whole seconds)
    }
    model_kwargs = {**kwargs.pop("model_kwargs", {}), "retry_count": request_retries + 1}  # the SDK counts attempts
    if ak and sk:
        # Plain strings: the class stores them as SecretStr itself (a SecretStr passed in would
        # be sent as "**********").
        params["qianfan_ak"] = ak.get_secret_value() if isinstance(ak, SecretStr) else ak
        params["qianfan_sk"] = sk.get_secret_value() if isinstance(sk, SecretStr) else sk
    model_kwargs.update(token_limit("qianfan", max_tokens))
    params["model_kwargs"] = model_kwargs
    params.update(kwargs)
    cls = _qianfan_class()
    try:
        chat = cls(**params)  # the SDK fetches an access token here
    except ValidationError as e:
        raise LlmConfigError(f"qianfan: invalid option: {redact(str(e))}", spec=spec) from None
    except LlmCallError:
        raise
    except Exception as e:
        raise _qianfan_error(e) from translated_cause(e)
    install_secret_filter()  # the SDK's loggers exist now
    return chat
