"""Hostile input: records that must still be written, empty input, huge malformed replies, odd files.

Runs the real CLI, the real chain, parser and results file; the OCR engine and the chat model are
the public fakes (what they return is the hostile part).
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

import ocr_kie.chain
from ocr_kie.batch import run_batch
from ocr_kie.cli import main
from ocr_kie.errors import ResultEncodeError
from ocr_kie.jsonout import dumps, printable
from ocr_kie.testing import FakeOcrEngine, ScriptedChatModel

NUMBER_SCHEMA = {
    "type": "object",
    "properties": {"total": {"type": "number"}, "note": {"type": "string"}},
}


def strict_lines(path: Path) -> list[dict[str, Any]]:
    """Every line of a results file as strict JSON: valid UTF-8, no NaN/Infinity, no lone surrogates."""

    def refuse(name: str) -> Any:
        raise AssertionError(f"not strict JSON: {name}")

    text = path.read_bytes().decode("utf-8")  # raises on anything that is not UTF-8
    records = [json.loads(line, parse_constant=refuse) for line in text.splitlines()]
    for record in records:  # no "\ud800" escape either: the decoded strings encode as UTF-8
        json.dumps(record, ensure_ascii=False).encode("utf-8")
    return records


def png(path: Path | bytes, shade: int = 255) -> None:
    data = io.BytesIO()
    Image.new("RGB", (80, 40), (shade, shade, shade)).save(data, format="PNG")
    with open(path, "wb") as f:
        f.write(data.getvalue())


def fake_chain(monkeypatch: pytest.MonkeyPatch, replies: list[str], *, lines=("TOTAL 9.90",), schema=None):
    """The CLI's build_chain gives the real chain over a fake OCR engine and scripted replies."""
    llm = ScriptedChatModel(replies=replies)
    engine = FakeOcrEngine(list(lines))
    real = ocr_kie.chain.build_chain

    def build(**kwargs: Any) -> Any:
        kwargs.pop("llm", None)
        kwargs.pop("ocr", None)
        if schema is not None:
            kwargs.pop("keys", None)
            kwargs["schema"] = schema
        return real(**kwargs, llm=llm, ocr=engine)

    monkeypatch.setattr(ocr_kie.chain, "build_chain", build)
    return llm, engine


# ------------------------------------------------------------------ 2: every record is written


def test_a_file_name_that_is_not_utf8_is_written_and_resumed(tmp_path: Path, monkeypatch, capsys) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    bad = os.fsencode(docs) + b"/caf\xe9.png"  # Latin-1, not UTF-8
    png(bad)
    png(docs / "z.png")
    out = tmp_path / "results.jsonl"
    fake_chain(monkeypatch, ['{"total": "9.90"}'] * 2)
    assert main(["extract", str(docs), "--keys", "total", "--output", str(out), "-q"]) == 0
    records = strict_lines(out)
    assert [r["source"] for r in records] == [f"{docs}/caf\\xe9.png", f"{docs}/z.png"]
    assert all(r["values"] == {"total": "9.90"} for r in records)
    fake_chain(monkeypatch, [])  # nothing left to do: a call would fail
    assert main(["extract", str(docs), "--keys", "total", "--output", str(out)]) == 0
    assert "2 documents: 0 extracted, 2 already done" in capsys.readouterr().err
    assert len(strict_lines(out)) == 2


def test_an_unreadable_file_with_a_bad_name_gets_an_error_record(tmp_path: Path, monkeypatch) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    with open(os.fsencode(docs) + b"/\xff\xfe.png", "wb") as f:
        f.write(b"not an image")
    out = tmp_path / "results.jsonl"
    fake_chain(monkeypatch, [])
    assert main(["extract", str(docs), "--keys", "total", "--output", str(out), "-q"]) == 1
    (record,) = strict_lines(out)
    assert record["source"] == f"{docs}/\\xff\\xfe.png"
    assert record["error"]["type"] == "InvalidImageError" and "\\xff\\xfe.png" in record["error"]["message"]


def test_lone_surrogates_infinity_and_huge_numbers_never_stop_the_batch(tmp_path: Path, monkeypatch) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in ("a", "b", "c", "d"):
        png(docs / f"{name}.png")
    huge = "9" * 5000
    replies = [
        '{"total": 1, "note": "\ud800 left"}',  # a: a lone surrogate in a value
        *['{"total": 1e999}'] * 3,  # b: not a finite number, three times: the document's error
        *[f'{{"total": {huge}}}'] * 3,  # c: 5000 digits for a number: the document's error
        '{"total": 2.5, "note": "ok"}',  # d: fine
    ]
    llm, _ = fake_chain(monkeypatch, replies, schema=NUMBER_SCHEMA)
    out = tmp_path / "results.jsonl"
    assert main(["extract", str(docs), "--keys", "total", "--output", str(out), "-q"]) == 1
    assert len(llm.calls) == len(replies)
    records = {Path(r["source"]).name: r for r in strict_lines(out)}
    assert records["a.png"]["values"] == {"total": 1, "note": "\ufffd left"}
    assert records["b.png"]["error"]["type"] == "ExtractionParseError"
    assert "'1e999' is not of type 'number'" in records["b.png"]["error"]["message"]
    assert records["c.png"]["error"]["type"] == "ExtractionParseError"
    assert records["d.png"]["values"] == {"total": 2.5, "note": "ok"}
    assert len(out.read_bytes()) < 10_000  # no 5000-digit value was written


def test_details_records_are_strict_json_too(tmp_path: Path, monkeypatch) -> None:
    png(tmp_path / "a.png")
    fake_chain(monkeypatch, ['{"total": "\ud83d\ude00 \udc80"}'], lines=["TOTAL \ud800 9.90"])
    out = tmp_path / "results.jsonl"
    assert main(["extract", str(tmp_path / "a.png"), "--keys", "total", "--details", "--output", str(out), "-q"]) == 0
    (record,) = strict_lines(out)
    assert record["values"] == {"total": "\U0001f600 \\x80"}  # a surrogate pair joined; an escaped byte shown
    assert "\U0001f600" in record["reply"]


class _InfinityChain:
    """A user's chain whose result holds what JSON cannot: the batch must write an error record."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def invoke(self, source: Any, config: Any = None) -> dict[str, Any]:
        self.calls.append(Path(source).name)
        if Path(source).name == "b.png":
            return {"total": float("inf"), "count": 10**5000}
        return {"total": 1.5, "count": np.int64(3)}


def test_a_result_that_cannot_be_written_becomes_its_error_record_and_resume_goes_on(tmp_path: Path) -> None:
    for name in ("a", "b", "c"):
        png(tmp_path / f"{name}.png")
    sources = [tmp_path / f"{name}.png" for name in ("a", "b", "c")]
    out = tmp_path / "results.jsonl"
    chain = _InfinityChain()
    summary = run_batch(chain, sources, out)
    assert (summary.succeeded, summary.failed) == (2, 1)
    ((failed, error),) = summary.failures
    assert failed.endswith("b.png") and isinstance(error, ResultEncodeError)
    records = {Path(r["source"]).name: r for r in strict_lines(out)}
    assert records["b.png"]["error"]["type"] == "ResultEncodeError"
    assert "$.values.total" in records["b.png"]["error"]["message"]
    assert records["c.png"]["values"] == {"total": 1.5, "count": 3}
    again = _InfinityChain()
    summary = run_batch(again, sources, out)  # the resume retries b only, fails it again, and ends
    assert again.calls == ["b.png"] and (summary.skipped, summary.failed) == (2, 1)
    assert len(strict_lines(out)) == 3


def test_strict_json_helpers() -> None:
    assert printable("caf\udce9") == "caf\\xe9" and printable("\ud800x") == "\ufffdx"
    assert printable("\ud83d\ude00") == "\U0001f600" and printable("plain 文字") == "plain 文字"
    assert dumps({"a": float("nan"), "b": [float("-inf")]}, nonfinite="null") == '{"a": null, "b": [null]}'
    with pytest.raises(ResultEncodeError, match=r"\$\.b\[0\]"):
        dumps({"b": [float("-inf")]})
    cycle: list[Any] = []
    cycle.append(cycle)
    with pytest.raises(ResultEncodeError, match="nested"):
        dumps(cycle)
