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

import ocr_kie.pipeline.chain
from ocr_kie import build_chain
from ocr_kie.batch import run_batch
from ocr_kie.cli import main
from ocr_kie.errors import (
    EmptyInputError,
    ExtractionParseError,
    InputError,
    InvalidImageError,
    NoTextError,
    ResultEncodeError,
)
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
    engine = FakeOcrEngine(lines if callable(lines) else list(lines))
    real = ocr_kie.pipeline.chain.build_chain

    def build(**kwargs: Any) -> Any:
        kwargs.pop("llm", None)
        kwargs.pop("ocr", None)
        if schema is not None:
            kwargs.pop("keys", None)
            kwargs["schema"] = schema
        return real(**kwargs, llm=llm, ocr=engine)

    monkeypatch.setattr(ocr_kie.pipeline.chain, "build_chain", build)
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


# ------------------------------------------------------------------ 6: empty input is an error


def _chain(lines: Any = ("TOTAL 9.90",), replies: tuple[str, ...] = ()) -> tuple[Any, ScriptedChatModel]:
    llm = ScriptedChatModel(replies=list(replies))
    return build_chain(["total"], llm=llm, ocr=FakeOcrEngine(lines)), llm


@pytest.mark.parametrize("case", ["empty list", "empty folder", "folder without images", "no text"])
def test_empty_input_is_an_error_and_the_llm_is_not_asked(tmp_path: Path, case: str) -> None:
    chain, llm = _chain(lines=() if case == "no text" else ("TOTAL 9.90",), replies=('{"total": "1.00"}',))
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "readme.txt").write_text("no images here")
    png(tmp_path / "blank.png")
    source: Any = {
        "empty list": [],
        "empty folder": tmp_path / "notes" / "..",  # holds only folders and a text file below
        "folder without images": tmp_path / "notes",
        "no text": tmp_path / "blank.png",
    }[case]
    if case == "empty folder":
        source = tmp_path / "nothing"
        source.mkdir()
    expected = NoTextError if case == "no text" else EmptyInputError
    with pytest.raises(expected) as info:
        chain.invoke(source)
    assert isinstance(info.value, InputError) and llm.calls == []
    if case == "folder without images":
        assert ".gif" in str(info.value) and str(tmp_path / "notes") in str(info.value)
    if case == "no text":
        assert "found no text" in str(info.value) and info.value.source.endswith("blank.png")


def test_a_folder_without_images_on_the_command_line_gets_an_error_record(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "empty").mkdir()
    png(tmp_path / "a.png")
    png(tmp_path / "blank.png", shade=250)
    fake_chain(monkeypatch, ['{"total": "9.90"}'], lines=lambda image: [] if image.mean() < 252 else ["TOTAL 9.90"])
    out = tmp_path / "results.jsonl"
    argv = [str(tmp_path / "empty"), str(tmp_path / "a.png"), str(tmp_path / "blank.png")]
    assert main(["extract", *argv, "--keys", "total", "--output", str(out), "-q"]) == 1
    records = {Path(r["source"]).name: r for r in strict_lines(out)}
    assert records["empty"]["error"]["type"] == "EmptyInputError"
    assert records["blank.png"]["error"]["type"] == "NoTextError"
    assert records["a.png"]["values"] == {"total": "9.90"}


def test_only_empty_folders_on_the_command_line_is_bad_usage(tmp_path: Path, monkeypatch, capsys) -> None:
    (tmp_path / "empty").mkdir()
    fake_chain(monkeypatch, [])
    assert main(["extract", str(tmp_path / "empty"), "--keys", "total"]) == 2
    assert "no images or PDFs found" in capsys.readouterr().err


# ------------------------------------------------------------------ 8: huge malformed replies


def test_two_megabytes_of_open_braces_are_refused_with_bounded_work(monkeypatch) -> None:
    import ocr_kie.parser.lenient_json as parser  # where the output parser looks _find_object up

    reads: list[int] = []
    real_find = parser._find_object

    def counting_find(text: str, keys: Any, threshold: float) -> Any:
        candidate, scan = real_find(text, keys, threshold)
        reads.append(scan.budget.spent)
        return candidate, scan

    monkeypatch.setattr(parser, "_find_object", counting_find)
    reply = '{"' * 1_000_000  # 2 MB, no JSON object anywhere
    chain, llm = _chain(replies=(reply,) * 3)
    with pytest.raises(ExtractionParseError) as info:
        chain.invoke(np.full((40, 80, 3), 255, np.uint8))
    assert info.value.attempts == 3 and len(reads) == 3
    assert "only its first 100,000 of 2,000,000 characters were read" in str(info.value)
    # Work per attempt is bounded by the characters read, not by the reply's length (or its square).
    limit = parser._Budget(parser.DEFAULT_MAX_REPLY_CHARS).limit
    assert all(spent <= limit + 2 * parser.DEFAULT_MAX_REPLY_CHARS for spent in reads), reads
    # The re-asks send back what was read, not the megabytes.
    assert max(len(str(m.content)) for call in llm.calls for m in call) <= parser.DEFAULT_MAX_REPLY_CHARS


@pytest.mark.parametrize("unit", ['{"', '{"a": "', "{'", "{ ", '"}{', "<think>{", '{"a"/*"'])
def test_reading_a_malformed_reply_is_linear_in_its_length(unit: str) -> None:
    from ocr_kie.parser import KieOutputParser, _Budget, _find_object

    spent = []
    for n in (20_000, 40_000):
        text = unit * (n // len(unit))
        _, scan = _find_object(text, ["a"], 90.0)
        spent.append(scan.budget.spent)
        # The budget is checked after each step, and a failing step may be charged twice (a comment
        # look-ahead inside a string): at most two readings of the reply beyond the limit.
        assert scan.budget.spent <= _Budget(len(text)).limit + 2 * len(text)
    assert spent[1] <= 2.2 * spent[0] + 20_000, spent  # doubling the reply at most doubles the work
    with pytest.raises(ExtractionParseError):
        KieOutputParser(["a"], max_reply_chars=1_000).parse(unit * 100_000)


def test_a_valid_object_after_the_bound_is_not_read_and_within_it_is() -> None:
    from ocr_kie.parser import KieOutputParser

    parser = KieOutputParser(["total"], max_reply_chars=50)
    assert parser.parse('{"total": "9.90"}' + "x" * 10_000) == {"total": "9.90"}
    with pytest.raises(ExtractionParseError, match="max_reply_chars"):
        KieOutputParser(["total"], max_reply_chars=50).parse("x" * 60 + '{"total": "9.90"}')
    with pytest.raises(ValueError):
        KieOutputParser(["total"], max_reply_chars=0)


# ------------------------------------------------------------------ 9: PDFs, GIFs, dict inputs


def _pdf(objects: list[str]) -> bytes:
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n{body}\nendobj\n".encode())
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    out.writelines(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def test_a_pdf_with_no_pages_says_so_whatever_came_before(tmp_path: Path) -> None:
    from conftest import FIXTURES
    from ocr_kie import PPOCRLoader
    from ocr_kie.errors import InvalidPdfError

    zero = tmp_path / "zero.pdf"
    zero.write_bytes(_pdf(["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [] /Count 0 >>"]))
    garbage = tmp_path / "garbage.pdf"
    garbage.write_bytes(b"%PDF-1.4\nnot really\n")
    order = [zero, FIXTURES / "encrypted.pdf", zero, garbage, zero]
    loader = PPOCRLoader(order, engine=FakeOcrEngine(["x"]), on_error="skip")
    assert loader.load() == []
    reasons = [(Path(f.source).name, f.error.reason) for f in loader.failures]
    assert reasons == [
        ("zero.pdf", "the PDF has no pages"),
        ("encrypted.pdf", "encrypted (password required)"),
        ("zero.pdf", "the PDF has no pages"),
        ("garbage.pdf", "corrupt or not a PDF"),
        ("zero.pdf", "the PDF has no pages"),
    ]
    assert all(isinstance(f.error, InvalidPdfError) and "PDFium" not in str(f.error) for f in loader.failures)


def test_an_animated_gif_gives_every_frame_as_a_page_and_folders_include_gifs(tmp_path: Path) -> None:
    from ocr_kie import PPOCRLoader
    from ocr_kie.images import expand_sources, iter_pages

    frames = [Image.new("RGB", (60, 30), colour) for colour in ("white", "black", "red")]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:], duration=100, loop=0)
    png(tmp_path / "still.png")
    Image.new("RGB", (60, 30), "white").save(tmp_path / "still.gif")
    pages = list(iter_pages(tmp_path / "anim.gif"))
    assert [p.page for p in pages] == [1, 2, 3]
    assert [tuple(p.image[0, 0]) for p in pages] == [(255, 255, 255), (0, 0, 0), (255, 0, 0)]
    assert [p.page for p in iter_pages(tmp_path / "still.gif")] == [1]
    assert [p.name for p in expand_sources(tmp_path)] == ["anim.gif", "still.gif", "still.png"]
    seen: list[int] = []
    engine = FakeOcrEngine(lambda image: seen.append(int(image.mean())) or ["x"])
    assert [d.metadata["page"] for d in PPOCRLoader(tmp_path / "anim.gif", engine=engine).load()] == [1, 2, 3]
    assert len(seen) == 3


def test_a_dict_input_without_an_image_key_names_the_accepted_keys() -> None:
    chain, llm = _chain(replies=('{"total": "1"}',))
    with pytest.raises(InvalidImageError) as info:
        chain.invoke({"picture": "a.png"})
    message = str(info.value)
    assert all(repr(k) in message for k in ("image", "source", "path", "file")) and "'picture'" in message
    assert isinstance(info.value, InputError) and llm.calls == []


def test_evaluation_reports_are_strict_json(tmp_path: Path) -> None:
    from ocr_kie import evaluate

    root = tmp_path / "ds"
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    for doc_id in ("a", "b"):
        png(root / "images" / f"{doc_id}.png")
        (root / "labels" / f"{doc_id}.json").write_text('{"total": "9.90"}', encoding="utf-8")
    llm = ScriptedChatModel(replies=['{"total": "9.\ud800"}', '{"total": "9.90"}'])
    report = evaluate(root, ["total"], ocr=FakeOcrEngine(["TOTAL 9.90"]), llm=llm, cache_dir=tmp_path / "cache")
    paths = report.write(tmp_path / "out")
    data = json.loads(paths["json"].read_bytes().decode("utf-8"), parse_constant=lambda name: pytest.fail(name))
    assert data["documents"][0]["predicted"] == {"total": "9.\ufffd"}
    assert any(e["got"] == "9.\ufffd" for e in strict_lines(paths["errors"]))
