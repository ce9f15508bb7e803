"""Provider errors become ocr_kie's LlmCallError tree, and remote calls have a bounded time (issue 12, 3 and 5).

Every test talks to a real HTTP server on 127.0.0.1 (:class:`ocr_kie.fake_openai.FakeOpenAIServer`)
through the real client stack (``resolve_llm("openai:...")`` → langchain-openai → openai → httpx,
or the qianfan SDK), never a mock of a client.
"""

from __future__ import annotations

import json
import os
import pickle
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from langchain_core.exceptions import ModelError, ModelRateLimitError, ModelTimeoutError
from langchain_core.language_models import BaseChatModel
from langchain_core.outputs import ChatResult
from PIL import Image

from ocr_kie import build_chain, run_batch
from ocr_kie.errors import (
    BODY_LIMIT,
    LlmAuthenticationError,
    LlmBadResponseError,
    LlmCallError,
    LlmConnectionError,
    LlmContextOverflowError,
    LlmRateLimitError,
    LlmServerError,
    LlmTimeoutError,
    OcrKieError,
)
from ocr_kie.fake_openai import FakeOpenAIServer, Reply, Request
from ocr_kie.llms import DEFAULT_REQUEST_RETRIES, DEFAULT_TIMEOUT, resolve_llm
from ocr_kie.testing import FakeOcrEngine

ANSWER = '{"total": "12.50"}'
HTML = "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>"


@pytest.fixture(autouse=True)
def no_llm_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("QIANFAN_", "OPENAI_")):
            monkeypatch.delenv(name)


@pytest.fixture
def serve() -> Iterator[object]:
    servers: list[FakeOpenAIServer] = []

    def start(replies: object, **kwargs: object) -> FakeOpenAIServer:
        server = FakeOpenAIServer(replies, **kwargs).start()  # type: ignore[arg-type]
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def always(reply: Reply):  # a responder
    return lambda request: reply


def model_for(server: FakeOpenAIServer, **kwargs: object) -> BaseChatModel:
    kwargs.setdefault("request_retries", 0)
    return resolve_llm("openai:qwen2.5-7b", base_url=server.base_url, api_key="sk-test-key-123456", **kwargs)


def fail(model: BaseChatModel) -> LlmCallError:
    with pytest.raises(LlmCallError) as info:
        model.invoke("TOTAL 12.50")
    return info.value


# ---------------------------------------------------------------------------- status answers


def test_429_is_a_retryable_rate_limit_error_with_status_body_provider_and_model(serve):
    server = serve(always(Reply.error(429, "Rate limit reached for requests", code="rate_limit_exceeded")))
    err = fail(model_for(server))
    assert type(err) is LlmRateLimitError
    assert isinstance(err, OcrKieError) and isinstance(err, ModelRateLimitError) and isinstance(err, ModelError)
    assert err.status == 429 and err.retryable and err.is_retryable
    assert err.provider == "openai" and err.model == "qwen2.5-7b"
    assert json.loads(err.body)["error"]["code"] == "rate_limit_exceeded"
    assert "429" in str(err) and "Rate limit reached" in str(err) and "127.0.0.1" in str(err)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_is_a_retryable_server_error(serve, status: int):
    server = serve(always(Reply.error(status, "upstream failed")))
    err = fail(model_for(server))
    assert type(err) is LlmServerError and err.status == status and err.retryable
    assert "upstream failed" in err.body


def test_a_5xx_html_page_keeps_the_page_as_body(serve):
    server = serve(always(Reply(status=502, body=HTML, content_type="text/html")))
    err = fail(model_for(server))
    assert type(err) is LlmServerError and err.status == 502 and err.body == HTML
    assert "Bad Gateway" in str(err)


def test_401_is_an_authentication_error_and_not_retried(serve):
    server = serve(always(Reply.error(401, "Invalid API key")))
    err = fail(model_for(server, request_retries=3))
    assert type(err) is LlmAuthenticationError and err.status == 401 and not err.retryable
    assert len(server.requests) == 1


def test_400_about_the_context_is_a_context_overflow(serve):
    message = "This model's maximum context length is 8192 tokens. However, you requested 9000 tokens."
    server = serve(always(Reply.error(400, message, code="context_length_exceeded")))
    err = fail(model_for(server))
    assert isinstance(err, LlmContextOverflowError) and err.status == 400 and not err.retryable


def test_other_4xx_is_a_plain_call_error_not_retryable(serve):
    server = serve(always(Reply.error(404, "The model `qwen2.5-7b` does not exist")))
    err = fail(model_for(server))
    assert type(err) is LlmCallError and err.status == 404 and not err.retryable and "does not exist" in str(err)


def test_retries_are_bounded_and_honour_retry_after(serve):
    server = serve(always(Reply.error(429, "slow down", headers={"Retry-After": "0"})))
    err = fail(model_for(server, request_retries=2))
    assert type(err) is LlmRateLimitError
    assert len(server.requests) == 3  # one call and two retries, then the error


def test_a_retry_that_succeeds_returns_the_answer(serve):
    server = serve([Reply.error(503, "warming up", headers={"Retry-After": "0"}), Reply.chat(ANSWER)])
    reply = model_for(server, request_retries=1).invoke("TOTAL 12.50")
    assert reply.content == ANSWER and len(server.requests) == 2


# ------------------------------------------------------------------------------- broken bodies


@pytest.mark.parametrize("json_mode", [False, True], ids=["plain", "json-mode"])
def test_an_html_page_with_status_200_is_a_bad_response_keeping_the_page(serve, json_mode: bool):
    server = serve(always(Reply(body=HTML, content_type="text/html")))
    model = model_for(server)
    runnable = model.bind(response_format={"type": "json_object"}) if json_mode else model
    with pytest.raises(LlmBadResponseError) as info:
        runnable.invoke("TOTAL 12.50")
    err = info.value
    assert err.body == HTML and not err.retryable and "HTML" in str(err)


@pytest.mark.parametrize("json_mode", [False, True], ids=["plain", "json-mode"])
def test_a_cut_off_json_body_is_a_retryable_bad_response_keeping_the_body(serve, json_mode: bool):
    cut = json.dumps(Reply.chat(ANSWER).body)[:57]
    server = serve(always(Reply(body=cut)))
    model = model_for(server)
    runnable = model.bind(response_format={"type": "json_object"}) if json_mode else model
    with pytest.raises(LlmBadResponseError) as info:
        runnable.invoke("TOTAL 12.50")
    assert info.value.body == cut and info.value.retryable and "not complete JSON" in str(info.value)


def test_a_cut_off_body_is_retried_within_the_same_bound(serve):
    cut = Reply(body=json.dumps(Reply.chat(ANSWER).body)[:57])
    server = serve([cut, Reply.chat(ANSWER)])
    assert model_for(server, request_retries=1).invoke("TOTAL 12.50").content == ANSWER
    assert len(server.requests) == 2
    server = serve(always(cut))
    with pytest.raises(LlmBadResponseError):
        model_for(server, request_retries=2).invoke("TOTAL 12.50")
    assert len(server.requests) == 3  # bounded: one call, two retries


def test_an_html_page_is_not_retried(serve):
    server = serve(always(Reply(body=HTML, content_type="text/html")))
    with pytest.raises(LlmBadResponseError):
        model_for(server, request_retries=2).invoke("TOTAL 12.50")
    assert len(server.requests) == 1


def test_json_that_is_no_chat_completion_is_a_bad_response(serve):
    server = serve(always(Reply(body={"status": "ok", "data": []})))
    err = fail(model_for(server))
    assert type(err) is LlmBadResponseError and not err.retryable and '"status"' in err.body


def test_a_body_cut_off_in_transit_is_a_retryable_connection_error(serve):
    server = serve(always(Reply.chat(ANSWER, cut_at=40)))
    err = fail(model_for(server))
    assert type(err) is LlmConnectionError and err.retryable and "closed the connection" in str(err)


def test_an_unreachable_server_is_a_retryable_connection_error():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    model = resolve_llm("openai:m", base_url=f"http://127.0.0.1:{port}/v1", request_retries=0)
    err = fail(model)
    assert type(err) is LlmConnectionError and err.retryable and err.status is None


def test_a_huge_body_is_kept_cut_to_the_limit(serve):
    message = "x" * 50_000
    server = serve(always(Reply.error(500, message)))
    err = fail(model_for(server))
    assert len(err.body) < BODY_LIMIT + 100 and err.body.startswith('{"error": {"message": "xxx')
    assert "characters in all" in err.body
    assert len(str(err)) < 1000  # the message quotes the server's message, cut too


def test_errors_pickle_with_their_context(serve):
    server = serve(always(Reply.error(429, "slow down")))
    err = pickle.loads(pickle.dumps(fail(model_for(server))))
    assert type(err) is LlmRateLimitError and err.status == 429 and err.retryable and "slow down" in err.body


# ------------------------------------------------------------------------------------ timeouts


def test_remote_models_get_a_default_timeout_and_bounded_retries(serve):
    server = serve([Reply.chat(ANSWER)])
    model = resolve_llm("openai:m", base_url=server.base_url)
    assert model.request_timeout == DEFAULT_TIMEOUT == 60.0
    assert model.max_retries == DEFAULT_REQUEST_RETRIES == 2
    model = resolve_llm("openai:m", base_url=server.base_url, timeout=5, request_retries=0)
    assert model.request_timeout == 5.0 and model.max_retries == 0


@pytest.mark.parametrize("bad", [0, -1, float("inf"), "10"])
def test_a_bad_timeout_is_a_config_error(bad: object):
    from ocr_kie.errors import LlmConfigError

    with pytest.raises(LlmConfigError, match="timeout"):
        resolve_llm("openai:m", base_url="http://127.0.0.1:9/v1", timeout=bad)


def test_a_hanging_server_fails_with_a_timeout_within_the_configured_time(serve):
    server = serve(always(Reply(hang=True)), max_hang=20)
    model = model_for(server, timeout=1.0)
    start = time.monotonic()
    err = fail(model)
    elapsed = time.monotonic() - start
    assert type(err) is LlmTimeoutError and isinstance(err, ModelTimeoutError) and err.retryable
    assert 0.9 <= elapsed < 3.0, elapsed
    assert len(server.requests) == 1


def test_timeout_retries_are_bounded_too(serve):
    server = serve(always(Reply(hang=True)), max_hang=20)
    model = model_for(server, timeout=0.5, request_retries=1)
    start = time.monotonic()
    err = fail(model)
    elapsed = time.monotonic() - start
    assert type(err) is LlmTimeoutError
    assert len(server.requests) == 2
    assert elapsed < 2 * 0.5 + 3.0, elapsed  # two attempts plus the SDK's short backoff


def test_the_chain_and_the_batch_take_the_timeout(serve, tmp_path: Path):
    server = serve(always(Reply(hang=True)), max_hang=20)
    chain = build_chain(
        ["total"],
        llm="openai:m",
        base_url=server.base_url,
        ocr=FakeOcrEngine(["TOTAL 12.50"]),
        timeout=0.5,
        request_retries=0,
    )
    image = tmp_path / "r.png"
    Image.fromarray(np.full((40, 120, 3), 255, np.uint8)).save(image)
    start = time.monotonic()
    with pytest.raises(LlmTimeoutError):
        chain.invoke(str(image))
    summary = run_batch(chain, [str(image)], tmp_path / "out.jsonl")
    assert time.monotonic() - start < 6.0
    record = json.loads((tmp_path / "out.jsonl").read_text(encoding="utf-8"))
    assert summary.failed == 1 and record["error"]["type"] == "LlmTimeoutError"


def test_the_local_model_ignores_the_timeout(monkeypatch: pytest.MonkeyPatch):
    from ocr_kie.llms import LlamaCppChatModel, embedded_model_path

    model = resolve_llm(str(embedded_model_path()), timeout=5, request_retries=1)
    assert isinstance(model, LlamaCppChatModel)


# --------------------------------------------------------------------------- through the chain


def _image(tmp_path: Path) -> str:
    path = tmp_path / "receipt.png"
    Image.fromarray(np.full((40, 120, 3), 255, np.uint8)).save(path)
    return str(path)


def test_the_chain_raises_the_translated_error_and_the_batch_records_it(serve, tmp_path: Path):
    server = serve(always(Reply(body=HTML, content_type="text/html")))
    chain = build_chain(
        ["total"], llm="openai:m", base_url=server.base_url, ocr=FakeOcrEngine(["TOTAL 12.50"]), request_retries=0
    )
    source = _image(tmp_path)
    with pytest.raises(LlmBadResponseError):
        chain.invoke(source)
    summary = run_batch(chain, [source], tmp_path / "out.jsonl")
    record = json.loads((tmp_path / "out.jsonl").read_text(encoding="utf-8"))
    assert summary.failed == 1 and record["error"]["type"] == "LlmBadResponseError"
    assert "HTML" in record["error"]["message"]


def test_an_injected_chatopenai_instance_is_translated_too(serve, tmp_path: Path):
    from langchain_openai import ChatOpenAI

    server = serve(always(Reply.error(503, "overloaded")))
    llm = ChatOpenAI(model="gpt-x", base_url=server.base_url, api_key="sk-injected-123456", max_retries=0)
    chain = build_chain(["total"], llm=llm, ocr=FakeOcrEngine(["TOTAL 12.50"]))
    with pytest.raises(LlmServerError) as info:
        chain.invoke(_image(tmp_path))
    assert info.value.provider == "openai" and info.value.model == "gpt-x" and info.value.status == 503


class _Exploding(BaseChatModel):
    """A chat model whose SDK fails with something of its own."""

    @property
    def _llm_type(self) -> str:
        return "exploding"

    def _generate(self, *args: object, **kwargs: object) -> ChatResult:
        raise KeyError("choices")


def test_any_injected_model_failure_is_an_llm_call_error_naming_the_model_class(tmp_path: Path):
    chain = build_chain(["total"], llm=_Exploding(), ocr=FakeOcrEngine(["TOTAL 12.50"]))
    with pytest.raises(LlmCallError) as info:
        chain.invoke(_image(tmp_path))
    err = info.value
    assert err.provider == "_Exploding" and "KeyError" in str(err) and not err.retryable
    assert isinstance(err.__cause__, KeyError)


# ------------------------------------------------------------------------------------- qianfan


def _ernie_server(serve, chat: Reply, monkeypatch: pytest.MonkeyPatch) -> FakeOpenAIServer:
    def respond(request: Request) -> Reply:
        if request.path.startswith("/oauth/2.0/token"):
            return Reply(body={"access_token": "24.fake-access-token", "expires_in": 2592000})
        return chat

    server = serve(respond, max_hang=20)
    tag = uuid.uuid4().hex[:8]
    monkeypatch.setenv("QIANFAN_BASE_URL", server.base_url.removesuffix("/v1"))
    monkeypatch.setenv("QIANFAN_AK", f"ak-{tag}-public")
    monkeypatch.setenv("QIANFAN_SK", f"sk-{tag}-very-secret")
    import qianfan.config

    monkeypatch.setattr(qianfan.config, "_GLOBAL_CONFIG", None)
    return server


def test_qianfan_rate_limit_codes_are_rate_limit_errors(serve, monkeypatch: pytest.MonkeyPatch):
    _ernie_server(serve, Reply(body={"error_code": 18, "error_msg": "Open api qps request limit reached"}), monkeypatch)
    err = fail(resolve_llm("qianfan:ERNIE-4.0-8K", request_retries=0))
    assert type(err) is LlmRateLimitError and err.code == 18 and err.retryable and err.provider == "qianfan"


def test_qianfan_times_out_within_the_configured_time(serve, monkeypatch: pytest.MonkeyPatch):
    server = _ernie_server(serve, Reply(hang=True), monkeypatch)
    model = resolve_llm("qianfan:ERNIE-4.0-8K", timeout=1, request_retries=0)
    start = time.monotonic()
    err = fail(model)
    elapsed = time.monotonic() - start
    assert isinstance(err, LlmTimeoutError) and err.retryable and err.provider == "qianfan"
    assert elapsed < 4.0, elapsed
    assert sum(1 for r in server.requests if "/chat/" in r.path) == 1


# ------------------------------------------------------------------------------------- the CLI


def test_the_timeout_option_reaches_the_chain():
    from ocr_kie.cli import build_parser
    from ocr_kie.cli.options import UsageError, chain_kwargs

    args = build_parser().parse_args(["extract", "a.png", "--keys", "total", "--timeout", "2.5"])
    assert chain_kwargs(args)["timeout"] == 2.5
    args = build_parser().parse_args(["extract", "a.png", "--keys", "total"])
    assert "timeout" not in chain_kwargs(args)  # the library's default
    for bad in ("0", "-3", "soon", "inf"):
        with pytest.raises(UsageError, match="--timeout"):
            build_parser().parse_args(["extract", "a.png", "--keys", "total", "--timeout", bad])


def test_the_real_cli_against_a_hanging_server_records_a_timeout(serve, tmp_path: Path):
    """``ocr-kie extract --timeout 1`` (real ONNX PP-OCR, real openai client): 2 retries, then the record."""
    import shutil
    import subprocess
    import sys

    server = serve(always(Reply(hang=True)), max_hang=30)
    out = tmp_path / "results.jsonl"
    fixture = Path(__file__).parent / "fixtures" / "screenshot_zh.png"
    script = shutil.which("ocr-kie") or str(Path(sys.executable).parent / "ocr-kie")
    env = {**os.environ, "OPENAI_BASE_URL": server.base_url}
    command = [script, "extract", str(fixture), "--keys", "可用额度", "--llm", "openai:m", "--ocr", "onnx"]
    run = subprocess.run([*command, "--timeout", "1", "--output", str(out)], capture_output=True, timeout=300, env=env)
    assert run.returncode == 1, run.stderr.decode("utf-8", "replace")
    record = json.loads(out.read_text(encoding="utf-8"))
    assert record["error"]["type"] == "LlmTimeoutError"
    assert len(server.requests) == 1 + DEFAULT_REQUEST_RETRIES  # bounded: one call, two retries
