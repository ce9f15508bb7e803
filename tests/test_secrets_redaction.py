"""No configured secret in any error message or record the project writes (issue 12, finding 4).

A real server on 127.0.0.1 echoes the API key in its 401 message (as some gateways do); the key
must not reach ``str(e)``, ``repr(e)``, the error's body, its traceback, the results file, an
evaluation report or the CLI's stderr.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import traceback
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.outputs import ChatResult
from pydantic import SecretStr

from ocr_kie import build_chain, run_batch
from ocr_kie.errors import LlmAuthenticationError, LlmCallError
from ocr_kie.fake_openai import FakeOpenAIServer, Reply, Request
from ocr_kie.llms import resolve_llm
from ocr_kie.secrets import REDACTED, redact, redact_data
from ocr_kie.testing import FakeOcrEngine

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def no_llm_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("QIANFAN_", "OPENAI_", "OCR_KIE_")):
            monkeypatch.delenv(name)


@pytest.fixture
def key() -> str:
    return f"sk-proj-{uuid.uuid4().hex}"  # fresh per test: nothing registered earlier can help


def echoing_401(request: Request) -> Reply:
    """Like gateways that quote the key they refused, and the whole Authorization header."""
    auth = request.headers.get("authorization", "")
    token = auth.removeprefix("Bearer ")
    return Reply.error(401, f"Incorrect API key provided: {token}. Header was '{auth}'.", code="invalid_api_key")


@pytest.fixture
def echo_server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(echoing_401) as server:
        yield server


def everything_about(err: BaseException) -> str:
    parts = [str(err), repr(err), "".join(traceback.format_exception(err)), repr(err.args)]
    parts += [str(getattr(err, name, "")) for name in ("body", "code", "model", "provider")]
    return "\n".join(parts)


def test_a_key_echoed_in_a_401_is_in_no_part_of_the_error(echo_server: FakeOpenAIServer, key: str):
    model = resolve_llm("openai:m", base_url=echo_server.base_url, api_key=key, request_retries=0)
    with pytest.raises(LlmAuthenticationError) as info:
        model.invoke("hi")
    assert echo_server.requests[-1].headers["authorization"] == f"Bearer {key}"  # the key was really sent
    err = info.value
    text = everything_about(err)
    assert key not in text
    assert f"Incorrect API key provided: {REDACTED}" in str(err) and REDACTED in err.body
    assert err.__cause__ is None  # the SDK's exception holds the key: not chained


def test_a_key_from_the_environment_is_redacted_too(
    echo_server: FakeOpenAIServer, key: str, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("OPENAI_API_KEY", key)
    monkeypatch.setenv("OPENAI_BASE_URL", echo_server.base_url)
    with pytest.raises(LlmCallError) as info:
        resolve_llm("openai:m", request_retries=0).invoke("hi")
    assert key not in everything_about(info.value)


def test_the_key_of_an_injected_model_is_redacted(echo_server: FakeOpenAIServer, key: str, tmp_path: Path):
    from langchain_openai import ChatOpenAI

    llm = ChatOpenAI(model="m", base_url=echo_server.base_url, api_key=SecretStr(key), max_retries=0)
    chain = build_chain(["total"], llm=llm, ocr=FakeOcrEngine(["TOTAL 12.50"]))
    with pytest.raises(LlmCallError) as info:
        chain.invoke(str(FIXTURES / "screenshot_zh.png"))
    assert key not in everything_about(info.value)


def test_the_results_file_holds_no_key(echo_server: FakeOpenAIServer, key: str, tmp_path: Path):
    chain = build_chain(
        ["total"],
        llm="openai:m",
        base_url=echo_server.base_url,
        api_key=key,
        request_retries=0,
        ocr=FakeOcrEngine(["TOTAL 12.50"]),
    )
    out = tmp_path / "results.jsonl"
    summary = run_batch(chain, [str(FIXTURES / "screenshot_zh.png")], out)
    text = out.read_text(encoding="utf-8")
    assert summary.failed == 1 and json.loads(text)["error"]["type"] == "LlmAuthenticationError"
    assert key not in text and REDACTED in text


class _Echo(BaseChatModel):
    """A model whose answer quotes its key (a prompt-injected document could ask for it)."""

    api_key: SecretStr

    @property
    def _llm_type(self) -> str:
        return "echo"

    def _generate(self, messages: object, stop: object = None, run_manager: object = None, **kw: object) -> ChatResult:
        from langchain_core.messages import AIMessage
        from langchain_core.outputs import ChatGeneration

        answer = json.dumps({"total": self.api_key.get_secret_value()})
        return ChatResult(generations=[ChatGeneration(message=AIMessage(answer))])


def test_values_and_details_records_hold_no_key_either(key: str, tmp_path: Path):
    chain = build_chain(
        ["total"], llm=_Echo(api_key=SecretStr(key)), ocr=FakeOcrEngine(["TOTAL 12.50"]), return_details=True
    )
    out = tmp_path / "results.jsonl"
    run_batch(chain, [str(FIXTURES / "screenshot_zh.png")], out)
    text = out.read_text(encoding="utf-8")
    record = json.loads(text)
    assert "values" in record and key not in text
    assert record["values"]["total"] in (REDACTED, None)  # redacted, or dropped as ungrounded


def test_the_cli_stderr_and_results_file_hold_no_key(echo_server: FakeOpenAIServer, key: str, tmp_path: Path):
    """The real ``ocr-kie extract`` (real ONNX PP-OCR) against the echoing server."""
    out = tmp_path / "results.jsonl"
    env = {
        **os.environ,
        "OPENAI_API_KEY": key,
        "OPENAI_BASE_URL": echo_server.base_url,
    }
    script = shutil.which("ocr-kie") or str(Path(sys.executable).parent / "ocr-kie")
    command = [
        script,
        "extract",
        str(FIXTURES / "screenshot_zh.png"),
        "--keys",
        "可用额度",
        "--llm",
        "openai:m",
        "--ocr",
        "onnx",
        "--timeout",
        "5",
        "--output",
        str(out),
    ]
    run = subprocess.run(command, capture_output=True, timeout=300, env=env)
    stderr = run.stderr.decode("utf-8", "replace")
    assert run.returncode == 1, stderr
    text = out.read_text(encoding="utf-8")
    assert json.loads(text)["error"]["type"] == "LlmAuthenticationError"
    assert key not in text and key not in stderr and key not in run.stdout.decode("utf-8", "replace")
    assert echo_server.requests and echo_server.requests[-1].headers["authorization"] == f"Bearer {key}"

    # --debug shows logs; with the key in them it would show there.
    debug = subprocess.run([*command, "--debug"], capture_output=True, timeout=300, env=env)
    assert key not in debug.stderr.decode("utf-8", "replace")


class _Failing(BaseChatModel):
    """A model whose SDK error quotes the key (as some SDKs do in connection errors)."""

    api_key: SecretStr

    @property
    def _llm_type(self) -> str:
        return "failing"

    def _generate(self, *args: object, **kwargs: object) -> ChatResult:
        raise ConnectionError(f"gw.example refused the connection of client {self.api_key.get_secret_value()}")


@pytest.mark.parametrize("model", [_Echo, _Failing])
def test_evaluation_reports_hold_no_key(key: str, tmp_path: Path, model: type[BaseChatModel]):
    from PIL import Image

    from ocr_kie import evaluate

    root = tmp_path / "ds"
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    Image.new("RGB", (100, 60), "white").save(root / "images" / "a.png")
    (root / "labels" / "a.json").write_text(json.dumps({"total": "12.50"}), encoding="utf-8")
    llm = model(api_key=SecretStr(key))
    report = evaluate(root, ["total"], ocr=FakeOcrEngine(["TOTAL 12.50"]), llm=llm, cache_dir=False)
    paths = report.write(tmp_path / "out")
    for kind in ("json", "markdown", "errors"):
        assert key not in paths[kind].read_text(encoding="utf-8"), kind
    if model is _Failing:
        assert report.failures and "LlmConnectionError" in paths["json"].read_text(encoding="utf-8")


def test_redact_knows_bearer_tokens_and_credentials_in_urls(key: str):
    assert redact(f"Authorization: Bearer {key}") == f"Authorization: Bearer {REDACTED}"
    url = f"https://aip.baidubce.com/oauth/2.0/token?client_id=ak123456&client_secret={key}&x=1"
    assert redact(url) == f"https://aip.baidubce.com/oauth/2.0/token?client_id={REDACTED}&client_secret={REDACTED}&x=1"
    assert redact(f"http://user:{key}@proxy:3128") == f"http://user:{REDACTED}@proxy:3128"
    # Ordinary text is left alone.
    for text in ("Bearer authentication failed", "total=12.50&date=2024", "http://127.0.0.1:8000/v1"):
        assert redact(text) == text
    assert redact_data({"a": [f"Bearer {key}", 1, None], "b": "12.50"}) == {
        "a": [f"Bearer {REDACTED}", 1, None],
        "b": "12.50",
    }
