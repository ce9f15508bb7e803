"""API models at their rate limit: LangChain's ``InMemoryRateLimiter`` and the SDK's retries.

Hosted models limit requests per second (ERNIE endpoints enforce QPS limits). Three pieces keep
a batch at the limit without failing documents:

* **A rate limiter** in front of every model call: LangChain's
  :class:`~langchain_core.rate_limiters.InMemoryRateLimiter` (a token bucket, safe across threads
  and asyncio), set as the chat model's ``rate_limiter``. One limiter is shared by every worker
  thread of a batch; worker processes and Ray actors each have their own, so give each
  ``limit / workers``.
* **Retries with backoff** on 429 and 5xx, honouring ``Retry-After``: the provider's SDK does this
  (the ``openai`` client waits ``Retry-After``/``retry-after-ms`` when the server sends up to 60 s,
  else backs off exponentially from 0.5 s to 8 s with jitter); :func:`rate_limited_llm` raises its
  retry count to :data:`RATE_LIMITED_RETRIES`. For ``openai:`` models with a limiter the model
  makes those retries itself (same waits), each after the limiter's turn, so that retries count
  against the limit too; the SDK's own would not wait for it.
* **Concurrency**: ``workers`` documents in flight (:func:`ocr_kie.batch.run_batch`), so requests
  overlap each other and the OCR of the next documents overlaps the wait for the model.

Example:
    >>> llm = rate_limited_llm("openai:qwen2.5-7b-instruct", 5, max_tokens=256)  # doctest: +SKIP
    >>> chain = build_chain(["total"], llm=llm)  # doctest: +SKIP
"""

from __future__ import annotations

import math
from typing import Any

from langchain_core.rate_limiters import InMemoryRateLimiter

__all__ = ["RATE_LIMITED_RETRIES", "rate_limited_llm", "rate_limiter"]

#: SDK retries of a rate-limited (429) or failed (5xx) request when a rate limit is set.
RATE_LIMITED_RETRIES = 6


def rate_limiter(requests_per_second: float, *, burst: int = 2) -> InMemoryRateLimiter:
    """A token bucket allowing ``requests_per_second`` on average and ``burst`` at once.

    Args:
        requests_per_second: The most requests per second (may be below 1, e.g. 0.5).
        burst: Requests allowed back to back after an idle spell. 1 spaces them evenly but loses
            rate (LangChain's bucket drops the part of a token that accrues between two polls:
            8.5 requests/s of 10 on a busy machine); 2 keeps the average at the limit.

    Raises:
        ValueError: Not a positive finite rate, or a burst below 1.
    """
    if isinstance(requests_per_second, bool) or not 0 < float(requests_per_second) < math.inf:
        raise ValueError(
            f"the rate limit must be a positive number of requests per second, got {requests_per_second!r}"
        )
    if burst < 1:
        raise ValueError(f"burst must be at least 1, got {burst}")
    rate = float(requests_per_second)
    # Check the bucket often enough not to lose rate to the polling itself (LangChain's default: 0.1 s).
    check_every = min(0.1, 0.1 / rate)
    return InMemoryRateLimiter(requests_per_second=rate, check_every_n_seconds=check_every, max_bucket_size=burst)


def rate_limited_llm(
    llm: Any,
    requests_per_second: float,
    *,
    burst: int = 2,
    retries: int = RATE_LIMITED_RETRIES,
    max_tokens: int | None = None,
    **kwargs: Any,
) -> Any:
    """Resolve ``llm`` (a spec or a chat model) into a chat model held to ``requests_per_second``.

    Args:
        llm: An ``llm=`` spec (see :func:`ocr_kie.llms.resolve_llm`) or a chat model (its
            ``rate_limiter`` is set; its SDK retries stay as they are).
        requests_per_second: The limit.
        burst: See :func:`rate_limiter`.
        retries: For ``openai:`` specs, the SDK's retries of 429/5xx (backoff, ``Retry-After``).
        max_tokens: The most tokens per answer.
        **kwargs: Passed to :func:`ocr_kie.llms.resolve_llm` (``base_url``, ``api_key`` …).

    Returns:
        The chat model, with LangChain's ``InMemoryRateLimiter`` as its ``rate_limiter``.
    """
    from langchain_core.language_models import BaseChatModel

    from ocr_kie.llms import resolve_llm

    limiter = rate_limiter(requests_per_second, burst=burst)
    if isinstance(llm, BaseChatModel):
        llm.rate_limiter = limiter
        return llm
    if isinstance(llm, str) and llm.startswith("openai:"):
        kwargs.setdefault("max_retries", retries)
    return resolve_llm(llm, max_tokens=max_tokens, rate_limiter=limiter, **kwargs)
