"""Keep API keys out of logs, error messages and every record the project writes.

The qianfan SDK logs secrets: when fetching an access token fails it logs the request URL, whose
query string holds ``client_secret=<QIANFAN_SK>`` (``oauth.py``: "refresh token failed with
exception …", ``requestor/base.py``: "request exception: …, retrying..."). :class:`RedactSecretsFilter`
replaces known secret values with ``***`` in log records; :func:`install_secret_filter` attaches
it to the loggers that emit such records. :func:`ocr_kie.llms.resolve_llm` installs it for you.

Beyond logs, :func:`redact` is applied to the message and body of every
:class:`~ocr_kie.errors.LlmCallError` when it is made, and :func:`redact_data` to every record
written to a results file, stdout or an evaluation report. Besides the registered values and the
:data:`ENV_SECRETS`, it replaces what looks like a credential wherever it is: a bearer token
(``Bearer <token>``), a credential in a URL's query (``client_secret=``, ``access_token=``,
``api_key=`` …) and a password in a URL (``https://user:<password>@host``).

Example:
    >>> import logging
    >>> from ocr_kie.secrets import install_secret_filter, register_secret
    >>> register_secret("sk-my-very-secret")
    >>> install_secret_filter()
    >>> logging.getLogger("qianfan").error("url ...&client_secret=%s", "sk-my-very-secret")  # doctest: +SKIP
    [ERROR] url ...&client_secret=***

Why loggers *and* handlers: a filter on a logger runs only for records created on that very
logger. Records from a child logger (``qianfan.x``) propagate to the parent's handlers without
passing the parent's filters. So the filter goes on every existing logger under each name (it
redacts the record in place, before any handler, the root's and pytest's included, sees it) and
on the handlers attached to those loggers (which also catches records of child loggers created
later). Calling :func:`install_secret_filter` again covers loggers created since; it never adds
the filter twice.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import traceback
from collections.abc import Iterable
from typing import Any

from pydantic import SecretStr

__all__ = [
    "DEFAULT_LOGGERS",
    "ENV_SECRETS",
    "REDACTED",
    "RedactSecretsFilter",
    "install_secret_filter",
    "redact",
    "redact_data",
    "register_secret",
    "secret_values",
]

#: What a secret is replaced with.
REDACTED = "***"

#: Environment variables whose values are secrets (read at each check, so changes count).
ENV_SECRETS: tuple[str, ...] = (
    "QIANFAN_AK",
    "QIANFAN_SK",
    "QIANFAN_ACCESS_KEY",
    "QIANFAN_SECRET_KEY",
    "QIANFAN_ACCESS_TOKEN",
    "QIANFAN_BEARER_TOKEN",
    "OPENAI_API_KEY",
)

#: The loggers :func:`install_secret_filter` covers by default: the qianfan SDK's one logger
#: (``qianfan.utils.logging.Logger`` logs everything on ``"qianfan"``, with its own
#: StreamHandler), its children, and the LangChain wrappers around the SDKs.
DEFAULT_LOGGERS: tuple[str, ...] = (
    "qianfan",
    "langchain_community.chat_models.baidu_qianfan_endpoint",
    "openai",
    "httpx",
)

# Shorter values are not redacted: replacing e.g. "EMPTY" (the placeholder key for local
# servers) in every log line would garble logs and protect nothing.
_MIN_SECRET_LENGTH = 6

#: Credentials recognised by their form, with the part to keep as group 1.
_PATTERNS: tuple[re.Pattern[str], ...] = (
    # A bearer token: 8+ token characters, at least one a digit (not "Bearer authentication").
    re.compile(r"(\bBearer\s+)(?=[A-Za-z._~+/=-]*[0-9])[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE),
    re.compile(
        r"([?&](?:client_secret|client_id|access_token|refresh_token|api_key|apikey|api-key|secret_key|sk)=)"
        r"[^&#\s\"'<>]+",
        re.IGNORECASE,
    ),
    re.compile(r"(\b[a-z][a-z0-9+.-]*://[^/\s:@\"'<>]+:)[^/\s@\"'<>]+(?=@)", re.IGNORECASE),
)

_registered: set[str] = set()
_lock = threading.Lock()


def register_secret(value: str | SecretStr | None) -> None:
    """Add a value to redact from log records (besides the :data:`ENV_SECRETS`).

    Args:
        value: The secret; ``None``, empty and very short values are ignored.
    """
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if value and len(value) >= _MIN_SECRET_LENGTH:
        with _lock:
            _registered.add(value)


def secret_values() -> list[str]:
    """The values redacted now: registered ones and the secret environment variables, longest first."""
    found = {os.environ.get(name, "") for name in ENV_SECRETS}
    with _lock:
        found |= _registered
    return sorted((v for v in found if len(v) >= _MIN_SECRET_LENGTH), key=len, reverse=True)


def redact(text: str, secrets: Iterable[str] | None = None) -> str:
    """``text`` with every secret replaced by :data:`REDACTED`.

    Replaces the known values (registered ones and the :data:`ENV_SECRETS`) and credentials
    recognised by their form: bearer tokens, credentials in URL queries, passwords in URLs.

    Args:
        text: Any text.
        secrets: The values to replace; default :func:`secret_values`.

    Example:
        >>> redact("401: Incorrect API key. Authorization: Bearer sk-abcdefgh12345")
        '401: Incorrect API key. Authorization: Bearer ***'
    """
    for secret in secret_values() if secrets is None else secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
    return text


def redact_data(value: Any, secrets: Iterable[str] | None = None) -> Any:
    """A JSON-like value (dicts, lists, strings …) with :func:`redact` applied to every string in it.

    Dict keys are redacted too; other values (numbers, None, …) are returned as they are, and a
    value without any secret is returned unchanged.

    Args:
        value: A record, a report, any nesting of dicts, lists and tuples.
        secrets: The values to replace; default :func:`secret_values` (read once for the whole value).
    """
    known = secret_values() if secrets is None else list(secrets)
    return _redact_data(value, known)


def _redact_data(value: Any, secrets: list[str]) -> Any:
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, dict):
        return {(redact(k, secrets) if isinstance(k, str) else k): _redact_data(v, secrets) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redact_data(v, secrets) for v in value]
    return value


class RedactSecretsFilter(logging.Filter):
    """A logging filter that replaces secret values with ``***``; it never drops a record.

    It redacts, in place, the formatted message (the result replaces ``msg`` and empties
    ``args``), the exception text (``exc_info`` is formatted now, redacted into ``exc_text``, and
    cleared, since a formatter would otherwise format the original again) and ``stack_info``.
    Records without secrets are left exactly as they were.

    Example:
        >>> handler = logging.StreamHandler()
        >>> handler.addFilter(RedactSecretsFilter())
    """

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = secret_values()
        if not secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: redact the parts instead
            message = None
        if message is not None:
            if any(s in message for s in secrets):
                record.msg, record.args = redact(message, secrets), ()
        else:
            record.msg = redact(str(record.msg), secrets)
            if isinstance(record.args, tuple):
                record.args = tuple(redact(str(a), secrets) for a in record.args)
            elif isinstance(record.args, dict):
                record.args = {k: redact(str(v), secrets) for k, v in record.args.items()}
        if record.exc_info and record.exc_info[0] is not None:
            text = record.exc_text or "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            if any(s in text for s in secrets):
                record.exc_text = redact(text, secrets)
                record.exc_info = None
        elif record.exc_text and any(s in record.exc_text for s in secrets):
            record.exc_text = redact(record.exc_text, secrets)
        if record.stack_info and any(s in record.stack_info for s in secrets):
            record.stack_info = redact(record.stack_info, secrets)
        return True


_FILTER = RedactSecretsFilter()


def _add_once(target: logging.Filterer) -> bool:
    if any(isinstance(f, RedactSecretsFilter) for f in target.filters):
        return False
    target.addFilter(_FILTER)
    return True


def install_secret_filter(loggers: Iterable[str] = DEFAULT_LOGGERS) -> int:
    """Attach :class:`RedactSecretsFilter` to the named loggers, their existing children, and all their handlers.

    Idempotent: nothing gets the filter twice. Call it again after new loggers appear.

    Args:
        loggers: Logger names; each name covers its existing children (``"qianfan"`` covers
            ``"qianfan.foo"``) and loggers named ``<name>_…`` (the SDK's autotuner uses
            ``qianfan_autotuner_<id>``).

    Returns:
        How many loggers and handlers got the filter now (0 when all had it).
    """
    names = tuple(loggers)
    manager = logging.Logger.manager
    with _lock:
        existing = [n for n, obj in list(manager.loggerDict.items()) if isinstance(obj, logging.Logger)]
    selected = {n for n in names}
    selected |= {n for n in existing for p in names if n.startswith((p + ".", p + "_"))}
    added = 0
    for name in sorted(selected):
        logger = logging.getLogger(name)
        added += _add_once(logger)
        for handler in logger.handlers:
            added += _add_once(handler)
    return added
