"""The resumable batch runner (``ocr_kie.batch``): records, resuming, Ctrl-C, workers, bad outputs.

The chain is a fake where the behaviour is the runner's own logic; one test runs a real
``build_chain`` with the public fakes injected.
"""

from __future__ import annotations

import io
import json
import threading
import time
from pathlib import Path

import pytest
from langchain_core.runnables import RunnableLambda

from ocr_kie.batch import BatchInterrupted, ResultsFileError, run_batch, source_key
from ocr_kie.errors import InvalidImageError, LlmConfigError
from ocr_kie.pipeline.chain import build_chain
from ocr_kie.testing import FakeOcrEngine, ScriptedChatModel


class FakeChain:
    """Values from the file name; ``bad*`` files fail; optionally Ctrl-C at the n-th call."""

    def __init__(self, *, interrupt_at: int | None = None, delay: float = 0.0) -> None:
        self.calls: list[str] = []
        self.interrupt_at = interrupt_at
        self.delay = delay
        self.lock = threading.Lock()
        self.active = 0
        self.max_active = 0

    def invoke(self, source, config=None):
        with self.lock:
            self.calls.append(Path(source).name)
            n = len(self.calls)
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        try:
            time.sleep(self.delay)
            if n == self.interrupt_at:
                raise KeyboardInterrupt
            name = Path(source).stem
            if name.startswith("bad"):
                raise InvalidImageError("not an image", source=str(source))
            return {"名称": f"值-{name}", "n": None}
        finally:
            with self.lock:
                self.active -= 1


def make_files(folder: Path, *names: str) -> list[Path]:
    folder.mkdir(exist_ok=True)
    paths = []
    for name in names:
        (folder / name).write_bytes(b"not really an image")
        paths.append(folder / name)
    return paths


def read_records(path: Path) -> list[dict]:
    text = path.read_text(encoding="utf-8")
    assert text == "" or text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def by_source(records: list[dict]) -> dict[str, dict]:
    out = {Path(r["source"]).name: r for r in records}
    assert len(out) == len(records), "a document appears twice"
    return out


def test_one_record_per_document_values_or_error_chinese_unescaped(tmp_path):
    make_files(tmp_path / "in", "a.png", "bad.png", "c.pdf", "notes.txt")
    out = tmp_path / "results.jsonl"
    summary = run_batch(FakeChain(), [tmp_path / "in"], out, progress=False)
    assert (summary.total, summary.succeeded, summary.failed, summary.skipped) == (3, 2, 1, 0)
    assert not summary.ok and [Path(s).name for s, _ in summary.failures] == ["bad.png"]
    assert "值-a" in out.read_text(encoding="utf-8")  # UTF-8, not \\u escapes
    records = by_source(read_records(out))
    assert set(records) == {"a.png", "bad.png", "c.pdf"}  # notes.txt is not a document
    assert records["a.png"] == {"source": str(tmp_path / "in" / "a.png"), "values": {"名称": "值-a", "n": None}}
    assert records["bad.png"]["error"]["type"] == "InvalidImageError"
    assert "not an image" in records["bad.png"]["error"]["message"]


def test_resume_skips_done_retries_failed_and_never_duplicates(tmp_path):
    a, bad, c = make_files(tmp_path, "a.png", "bad.png", "c.png")
    out = tmp_path / "results.jsonl"
    run_batch(FakeChain(), [a, bad], out, progress=False)

    bad.rename(tmp_path / "fixed.png")
    good_now = tmp_path / "fixed.png"
    bad.write_bytes(b"still bad")
    chain = FakeChain()
    summary = run_batch(chain, [a, bad, c, good_now], out, progress=False)
    assert sorted(chain.calls) == ["bad.png", "c.png", "fixed.png"]  # a.png was done
    assert (summary.skipped, summary.retried, summary.succeeded, summary.failed) == (1, 1, 2, 1)
    records = by_source(read_records(out))
    assert set(records) == {"a.png", "bad.png", "c.png", "fixed.png"}

    # The failed one succeeds on a later run: its error record is replaced, not duplicated.
    bad.unlink()
    (tmp_path / "bad.png").write_bytes(b"x")
    chain = FakeChain()
    chain.invoke = lambda source, config=None: {"名称": "ok"}  # type: ignore[method-assign]
    summary = run_batch(chain, [a, bad, c, good_now], out, progress=False)
    assert (summary.skipped, summary.retried, summary.succeeded, summary.failed) == (3, 1, 1, 0) and summary.ok
    records = by_source(read_records(out))
    assert records["bad.png"] == {"source": str(bad), "values": {"名称": "ok"}}


def test_keys_are_absolute_paths_so_a_relative_rerun_resumes(tmp_path, monkeypatch):
    make_files(tmp_path, "a.png")
    out = tmp_path / "results.jsonl"
    run_batch(FakeChain(), [tmp_path / "a.png"], out, progress=False)
    monkeypatch.chdir(tmp_path)
    chain = FakeChain()
    summary = run_batch(chain, ["a.png", "./a.png"], "results.jsonl", progress=False)
    assert chain.calls == [] and summary.total == 1 and summary.skipped == 1
    assert source_key("a.png") == str(tmp_path / "a.png")


def test_a_partly_written_last_line_is_dropped_and_that_document_redone(tmp_path):
    a, b = make_files(tmp_path, "a.png", "b.png")
    out = tmp_path / "results.jsonl"
    run_batch(FakeChain(), [a, b], out, progress=False)
    whole = out.read_text(encoding="utf-8").splitlines(keepends=True)
    out.write_text(whole[0] + whole[1][:25], encoding="utf-8")  # killed in the middle of line 2
    chain = FakeChain()
    summary = run_batch(chain, [a, b], out, progress=False)
    assert summary.dropped_partial and chain.calls == ["b.png"]
    assert set(by_source(read_records(out))) == {"a.png", "b.png"}


@pytest.mark.parametrize("workers", [1, 2])
def test_ctrl_c_leaves_a_valid_file_that_resumes_to_every_document_once(tmp_path, workers):
    paths = make_files(tmp_path, *(f"{i}.png" for i in range(6)))
    out = tmp_path / "results.jsonl"
    with pytest.raises(BatchInterrupted) as info:
        run_batch(FakeChain(interrupt_at=3, delay=0.05), paths, out, workers=workers, progress=False)
    assert isinstance(info.value, KeyboardInterrupt)
    written = read_records(out)  # whole lines only
    # One worker: the two before the 3rd call; two workers: also whatever was in flight beside it.
    assert (len(written) == 2) if workers == 1 else (1 <= len(written) <= 3)
    assert info.value.summary.done == len(written)
    assert info.value.summary.remaining == 6 - len(written)

    chain = FakeChain()
    summary = run_batch(chain, paths, out, workers=workers, progress=False)
    assert summary.ok and summary.skipped == len(written) and len(chain.calls) == 6 - len(written)
    assert set(by_source(read_records(out))) == {f"{i}.png" for i in range(6)}


def test_workers_run_documents_concurrently_and_keep_every_record(tmp_path):
    paths = make_files(tmp_path, *(f"{i}.png" for i in range(8)))
    chain = FakeChain(delay=0.2)
    summary = run_batch(chain, paths, tmp_path / "out.jsonl", workers=3, progress=False)
    assert summary.succeeded == 8 and chain.max_active == 3
    assert len(by_source(read_records(tmp_path / "out.jsonl"))) == 8

    sequential = FakeChain(delay=0.01)
    run_batch(sequential, paths, tmp_path / "seq.jsonl", workers=1, progress=False)
    assert sequential.max_active == 1


@pytest.mark.parametrize("case", ["missing folder", "a directory", "not a results file", "binary file"])
def test_an_unusable_output_fails_before_any_work_and_changes_nothing(tmp_path, case):
    make_files(tmp_path, "a.png")
    target = {
        "missing folder": tmp_path / "no" / "such" / "out.jsonl",
        "a directory": tmp_path,
        "not a results file": tmp_path / "notes.jsonl",
        "binary file": tmp_path / "photo.jsonl",
    }[case]
    if case == "not a results file":
        target.write_text('{"source": "x", "values": {}}\n{"other": 1}\nhello\n', encoding="utf-8")
    if case == "binary file":
        target.write_bytes(b"\xff\xd8\xff\xe0 jpeg")
    before = target.read_bytes() if target.is_file() else None
    chain = FakeChain()
    with pytest.raises(ResultsFileError) as info:
        run_batch(chain, [tmp_path / "a.png"], target, progress=False)
    assert chain.calls == [] and str(target) in str(info.value)
    assert not (tmp_path / "no").exists()
    if before is not None:
        assert target.read_bytes() == before


def test_a_configuration_error_stops_the_batch_instead_of_failing_every_document(tmp_path):
    paths = make_files(tmp_path, "a.png", "b.png", "c.png")
    calls = []

    def broken(source):
        calls.append(source)
        if len(calls) == 2:
            raise LlmConfigError("unknown llm spec 'x'", spec="x")
        return {"k": "v"}

    out = tmp_path / "out.jsonl"
    with pytest.raises(LlmConfigError):
        run_batch(RunnableLambda(broken), paths, out, progress=False)
    assert len(calls) == 2 and len(read_records(out)) == 1


def test_stream_output_and_details_records():
    stream = io.StringIO()
    details = {"values": {"total": "9.90"}, "evidence": {"total": {"score": 0.9}}, "attempts": 1}
    summary = run_batch(RunnableLambda(lambda s: details), [b"raw bytes"], stream, progress=False)
    (record,) = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert summary.ok and summary.output is None
    assert record["source"].startswith("<bytes sha256:") and record["values"] == {"total": "9.90"}
    assert record["evidence"] == details["evidence"] and record["attempts"] == 1


def test_a_real_chain_with_the_public_fakes(tmp_path):
    from PIL import Image

    for name in ("a.png", "b.png"):
        Image.new("RGB", (200, 80), "white").save(tmp_path / name)
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    chain = build_chain(
        ["可用额度"],
        llm=ScriptedChatModel(replies=['{"可用额度": "12,000.00"}', '{"可用额度": "3.00"}']),
        ocr=FakeOcrEngine(["可用额度 12,000.00"]),
        return_details=True,
    )
    out = tmp_path / "out.jsonl"
    summary = run_batch(chain, [tmp_path / "*.png"], out, progress=False)
    records = by_source(read_records(out))
    assert (summary.succeeded, summary.failed) == (2, 1)
    assert records["a.png"]["values"] == {"可用额度": "12,000.00"}
    assert records["a.png"]["evidence"]["可用额度"]["found"] is True  # grounded in the fake OCR line
    assert records["broken.png"]["error"]["type"] == "InvalidImageError"


def test_resume_false_starts_the_file_afresh(tmp_path):
    a, b = make_files(tmp_path, "a.png", "b.png")
    out = tmp_path / "results.jsonl"
    run_batch(FakeChain(), [a, b], out, progress=False)
    chain = FakeChain()
    summary = run_batch(chain, [b], out, progress=False, resume=False)
    assert chain.calls == ["b.png"] and summary.skipped == 0
    assert list(by_source(read_records(out))) == ["b.png"]


def test_progress_bar_on_stderr_only_when_asked(tmp_path, capsys):
    paths = make_files(tmp_path, "a.png", "bad.png", "c.png")
    run_batch(FakeChain(), paths, tmp_path / "bar.jsonl", progress=True)
    err = capsys.readouterr().err
    assert "3/3" in err and "failed=1" in err
    run_batch(FakeChain(), paths, tmp_path / "quiet.jsonl", progress=False)
    assert capsys.readouterr().err == ""
