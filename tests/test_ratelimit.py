"""Rate limits for API models (issue 13): a local OpenAI-compatible server that answers 429 above its rate.

The real client stack (``ChatOpenAI``, ``openai``, ``httpx``) talks real HTTP to 127.0.0.1; OCR is
the public fake (the model's rate is what is tested). The server's request budget bounds every loop.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest
from PIL import Image

from ocr_kie.batch import run_batch
from ocr_kie.cli import build_parser
from ocr_kie.ratelimit import RATE_LIMITED_RETRIES, rate_limited_llm, rate_limiter
from ocr_kie.testing import FakeOcrEngine
from ocr_kie.workers import ChainSpec
from openai_rate_server import RateLimitedServer

RATE = 10.0


def documents(folder, n):
    folder.mkdir()
    paths = []
    for i in range(n):
        path = folder / f"{i}.png"
        Image.fromarray(np.full((16, 16, 3), i % 256, np.uint8)).save(path)
        paths.append(str(path))
    return paths


def test_200_documents_at_concurrency_8_with_the_matching_limit_all_finish_at_the_rate(tmp_path):
    paths = documents(tmp_path / "docs", 200)
    out = tmp_path / "out.jsonl"
    with RateLimitedServer(rate=RATE, burst=2, max_requests=400) as server:
        spec = ChainSpec(
            keys=["total"],
            llm="openai:fake",
            base_url=server.base_url,
            api_key="sk-test",
            ocr=FakeOcrEngine(["TOTAL 9.90"]),
            cache=False,
            rate_limit=RATE,
        )
        summary = run_batch(spec(), paths, out, workers=8, progress=False)
    assert summary.failed == 0 and summary.succeeded == 200, summary.failures[:1]
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 200 and all(r["values"] == {"total": "9.90"} for r in records)
    assert server.accepted == 200 and server.over_limit == 0
    rate = server.rate_between(10)  # after the first second's burst
    assert abs(rate - RATE) <= 0.1 * RATE, f"{rate:.2f} requests/s for a limit of {RATE}"


def test_without_the_limit_the_same_server_refuses_requests(tmp_path):
    paths = documents(tmp_path / "docs", 40)
    with RateLimitedServer(rate=RATE, burst=2, max_requests=400) as server:
        spec = ChainSpec(
            keys=["total"], llm="openai:fake", base_url=server.base_url, ocr=FakeOcrEngine(["TOTAL 9.90"]), cache=False
        )
        run_batch(spec(), paths, tmp_path / "out.jsonl", workers=8, progress=False)
    assert server.rejected > 0  # so the test above shows the limiter at work, not an idle server


def test_429_is_retried_after_retry_after():
    with RateLimitedServer(rate=1.0, burst=1, retry_after="1", max_requests=20) as server:
        llm = rate_limited_llm("openai:fake", 100, base_url=server.base_url, max_tokens=16)
        assert llm.max_retries == RATE_LIMITED_RETRIES
        for _ in range(3):
            assert llm.invoke("hi").content == '{"total": "9.90"}'
    assert server.accepted == 3 and server.rejected >= 1


@pytest.mark.parametrize("bad", [0, -1, float("inf"), float("nan"), True])
def test_a_bad_rate_is_refused(bad):
    with pytest.raises(ValueError, match="rate limit"):
        rate_limiter(bad)


def test_the_cli_passes_the_rate_limit_to_the_chain(monkeypatch, tmp_path):
    import ocr_kie.pipeline.chain
    from ocr_kie.cli import main

    seen = {}

    def fake_build(**kwargs):
        from langchain_core.runnables import RunnableLambda

        seen.update(kwargs)
        return RunnableLambda(lambda source: {"total": "1"})

    monkeypatch.setattr(ocr_kie.pipeline.chain, "build_chain", fake_build)
    (tmp_path / "a.png").write_bytes(b"x")
    command = ["extract", str(tmp_path / "a.png"), "--keys", "total", "--llm", "openai:m", "--rate-limit", "2.5", "-q"]
    assert main(command) == 0
    assert seen["llm"].rate_limiter.requests_per_second == 2.5
    assert seen["llm"].max_retries == RATE_LIMITED_RETRIES
    args = build_parser().parse_args(["extract", "x.png", "--rate-limit", "0.5"])
    assert isinstance(args, argparse.Namespace) and args.rate_limit == 0.5


def test_a_rate_limited_models_retries_wait_for_the_limiter_and_stay_within_max_retries():
    # At a rate that matches the server's, the SDK's own retries (which do not wait for the
    # limiter) can meet a full bucket every time: one of 200 documents failed so in a CI run.
    # With a rate limiter every retry waits for the limiter's turn, and there are max_retries of them.
    import itertools
    import time

    from langchain_core.messages import HumanMessage

    from ocr_kie.errors import LlmRateLimitError
    from ocr_kie.fake_openai import FakeOpenAIServer, Reply

    def busy_then(ok_after: int):
        seen: list[float] = []

        def respond(request):
            seen.append(time.monotonic())
            if request.index < ok_after:
                return Reply.error(429, "rate limit exceeded", headers={"Retry-After": "0"})
            return Reply.chat('{"total": "9.90"}')

        return respond, seen

    respond, seen = busy_then(2)
    with FakeOpenAIServer(respond) as server:
        llm = rate_limited_llm("openai:fake", 1.0, burst=1, retries=2, base_url=server.base_url, api_key="sk-test")
        assert llm.invoke([HumanMessage("total?")]).content == '{"total": "9.90"}'
    assert len(seen) == 3
    gaps = [b - a for a, b in itertools.pairwise(seen)]
    assert min(gaps) >= 0.9, f"retries {gaps} s apart at 1 request/s"  # the SDK's would be ~0 s apart

    respond, seen = busy_then(10)
    with FakeOpenAIServer(respond) as server:
        llm = rate_limited_llm("openai:fake", 20.0, retries=2, base_url=server.base_url, api_key="sk-test")
        with pytest.raises(LlmRateLimitError):
            llm.invoke([HumanMessage("total?")])
    assert len(seen) == 3  # max_retries + 1 requests, not the SDK's retries times the model's
