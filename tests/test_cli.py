"""The ``ocr-kie`` command: real runs (PP-OCR + the embedded LLM), argument handling, bad usage.

Tests of the CLI's own logic (exit codes, records, options passed on) replace ``build_chain`` with
a fake chain; the batch runner itself is tested in test_batch.py.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from langchain_core.runnables import RunnableLambda

import ocr_kie.pipeline.chain
from conftest import FIXTURES, squash
from ocr_kie.cli import build_parser, main
from ocr_kie.cli.options import UsageError, chain_kwargs
from ocr_kie.errors import InvalidImageError

SAMPLE_EXAMPLES = Path(ocr_kie.pipeline.chain.__file__).parents[1] / "samples" / "examples.jsonl"
KEYS = ["可用额度", "账单日", "到期还款日"]
ENV = ("OCR_KIE_LLM", "OCR_KIE_KEYS", "OCR_KIE_OCR", "OCR_KIE_EXAMPLES")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in (*ENV, "QIANFAN_AK", "QIANFAN_SK", "QIANFAN_ACCESS_KEY", "QIANFAN_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)  # the embedded model and no defaults, whatever the machine has


def ocr_kie_script() -> str:
    script = shutil.which("ocr-kie") or str(Path(sys.executable).parent / "ocr-kie")
    assert Path(script).exists(), "the ocr-kie console script is not installed"
    return script


# ------------------------------------------------------------------------------ real models


def test_demo_ocrs_and_extracts_from_the_bundled_sample_offline(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "可用额度 12,000.00" in out and "账单日 每月5日" in out
    assert json.loads(out[-1]) == {"可用额度": "12,000.00", "账单日": "每月5日", "到期还款日": "2026年12月25日"}


def test_ocr_json_lines_and_exit_code_1_when_a_source_fails(capsys, tmp_path):
    missing = tmp_path / "missing.png"
    assert main(["ocr", "--json", str(FIXTURES / "screenshot_zh.png"), str(missing)]) == 1
    captured = capsys.readouterr()
    (page,) = [json.loads(line) for line in captured.out.splitlines()]
    assert page["page"] == 1 and squash(page["lines"][1]["text"]) == "可用额度"
    assert f"{missing}: no such file" in captured.err


def test_extract_for_real_values_and_an_error_record_then_resume(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(FIXTURES / "screenshot_zh.png", docs / "screenshot_zh.png")
    (docs / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n this is not a whole PNG")
    out = tmp_path / "results.jsonl"
    command = [ocr_kie_script(), "extract", str(docs), "--keys", *KEYS, "--examples", str(SAMPLE_EXAMPLES)]

    run = subprocess.run([*command, "--output", str(out)], capture_output=True, timeout=900)
    assert run.returncode == 1, run.stderr.decode()
    text = out.read_bytes().decode("utf-8")
    assert "可用额度" in text and "\\u" not in text  # UTF-8, Chinese unescaped
    records = {Path(r["source"]).name: r for r in map(json.loads, text.splitlines())}
    assert set(records) == {"screenshot_zh.png", "corrupt.png"} and len(text.splitlines()) == 2
    assert records["screenshot_zh.png"]["values"]["可用额度"] == "12,000.00"
    assert set(records["screenshot_zh.png"]["values"]) == set(KEYS)
    assert records["corrupt.png"]["error"]["type"] == "InvalidImageError"
    assert "Traceback" not in run.stderr.decode()

    # Same command again: the done document is skipped, the failed one retried, no duplicates.
    again = subprocess.run([*command, "--output", str(out)], capture_output=True, timeout=900)
    assert again.returncode == 1
    assert "1 already done" in again.stderr.decode()
    lines = out.read_text(encoding="utf-8").splitlines()
    assert sorted(Path(json.loads(line)["source"]).name for line in lines) == ["corrupt.png", "screenshot_zh.png"]
    assert json.loads(lines[0]) == records["screenshot_zh.png"]


# --------------------------------------------------------------------- CLI logic, fake chain


class FakeBuild:
    """Stands in for ``build_chain``: records its arguments, returns a chain of canned answers."""

    def __init__(self, answer=None, *, interrupt_at: int | None = None) -> None:
        self.kwargs: dict | None = None
        self.calls: list[str] = []
        self.answer = answer
        self.interrupt_at = interrupt_at

    def __call__(self, **kwargs):
        self.kwargs = kwargs
        return RunnableLambda(self.invoke)

    def invoke(self, source):
        self.calls.append(Path(source).name)
        if len(self.calls) == self.interrupt_at:
            raise KeyboardInterrupt
        if Path(source).stem.startswith("bad"):
            raise InvalidImageError("not an image", source=str(source))
        values = {k: f"{k}@{Path(source).stem}" for k in (self.kwargs.get("keys") or ["total"])}
        if self.kwargs.get("return_details"):
            return {"values": values, "evidence": {}, "attempts": 1}
        return values


@pytest.fixture
def fake_build(monkeypatch):
    fake = FakeBuild()
    monkeypatch.setattr(ocr_kie.pipeline.chain, "build_chain", fake)
    return fake


def files(folder: Path, *names: str) -> list[str]:
    folder.mkdir(exist_ok=True)
    for name in names:
        (folder / name).write_bytes(b"x")
    return [str(folder / name) for name in names]


def test_extract_prints_json_lines_to_stdout_exit_0(capsys, tmp_path, fake_build):
    paths = files(tmp_path, "a.png", "b.png")
    assert main(["extract", *paths, "--keys", "总额", "日期", "--quiet"]) == 0
    captured = capsys.readouterr()
    records = [json.loads(line) for line in captured.out.splitlines()]
    assert [r["values"]["总额"] for r in records] == ["总额@a", "总额@b"]
    assert "总额@a" in captured.out and captured.err == ""
    assert fake_build.kwargs["keys"] == ["总额", "日期"] and "strategy" not in fake_build.kwargs
    assert fake_build.kwargs["return_details"] is False and fake_build.kwargs["ocr"] == "paddle"


def test_extract_failures_are_records_and_exit_1(capsys, tmp_path, fake_build):
    paths = files(tmp_path, "a.png", "bad.png")
    out = tmp_path / "out.jsonl"
    assert main(["extract", *paths, "--keys", "total", "--output", str(out), "--details"]) == 1
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [("values" in r, "error" in r) for r in records] == [(True, False), (False, True)]
    assert records[0]["evidence"] == {} and records[1]["error"]["type"] == "InvalidImageError"
    err = capsys.readouterr().err
    assert err.strip() == f"ocr-kie: 2 documents: 1 extracted, 1 failed (error records in {out})"


def test_extract_ctrl_c_exits_130_and_the_same_command_resumes(capsys, tmp_path, monkeypatch):
    paths = files(tmp_path, *(f"{i}.png" for i in range(5)))
    out = tmp_path / "out.jsonl"
    interrupting = FakeBuild(interrupt_at=3)
    monkeypatch.setattr(ocr_kie.pipeline.chain, "build_chain", interrupting)
    command = ["extract", *paths, "--keys", "total", "-o", str(out)]
    assert main(command) == 130
    assert "interrupted after 2 of 5 documents; run the same command again to resume" in capsys.readouterr().err
    assert len(out.read_text(encoding="utf-8").splitlines()) == 2

    resumed = FakeBuild()
    monkeypatch.setattr(ocr_kie.pipeline.chain, "build_chain", resumed)
    assert main(command) == 0
    assert resumed.calls == ["2.png", "3.png", "4.png"]
    names = [Path(json.loads(line)["source"]).name for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(names) == [f"{i}.png" for i in range(5)]


def test_environment_defaults_and_options_become_build_chain_arguments(tmp_path, monkeypatch):
    monkeypatch.setenv("OCR_KIE_KEYS", "可用额度, 账单日 到期还款日")
    monkeypatch.setenv("OCR_KIE_LLM", "openai:qwen2.5")
    monkeypatch.setenv("OCR_KIE_OCR", "onnx")
    monkeypatch.setenv("OCR_KIE_EXAMPLES", str(SAMPLE_EXAMPLES))
    kwargs = chain_kwargs(build_parser().parse_args(["extract", "x.png"]))
    assert kwargs["keys"] == KEYS and kwargs["llm"] == "openai:qwen2.5" and kwargs["ocr"] == "onnx"
    assert len(kwargs["examples"]) >= 2 and kwargs["examples"][0].values["可用额度"] == "8,000.00"
    assert "strategy" not in kwargs and kwargs["require_grounding"] is False

    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps({"type": "object", "properties": {"total": {"type": "string"}}}), encoding="utf-8")
    args = ["extract", "x.png", "--schema", str(schema), "--llm", "llamacpp:m.gguf", "--ocr", "paddle"]
    kwargs = chain_kwargs(build_parser().parse_args([*args, "--strategy", "grounded", "--require-grounding"]))
    assert "keys" not in kwargs and kwargs["schema"]["properties"] == {"total": {"type": "string"}}  # env keys ignored
    assert (kwargs["llm"], kwargs["ocr"], kwargs["strategy"], kwargs["require_grounding"]) == (
        "llamacpp:m.gguf",
        "paddle",
        "grounded",
        True,
    )


def test_debug_shows_the_traceback(tmp_path):
    with pytest.raises(UsageError):
        main(["--debug", "extract", str(tmp_path / "a.png")])
    with pytest.raises(UsageError):
        main(["extract", str(tmp_path / "a.png"), "--debug"])


def test_help_exits_0(capsys):
    assert main(["--help"]) == 0
    assert "extract" in capsys.readouterr().out
    assert main(["extract", "--help"]) == 0
    assert "--workers" in capsys.readouterr().out


# -------------------------------------------------------------------------------- bad usage


def bad_usage_cases(tmp_path: Path) -> dict[str, tuple[list[str], str]]:
    doc = files(tmp_path, "a.png")[0]
    (tmp_path / "not_json.json").write_text("{'type': 'object'", encoding="utf-8")
    (tmp_path / "array.json").write_text('{"type": "array", "items": {}}', encoding="utf-8")
    (tmp_path / "bad_type.json").write_text('{"type": "object", "properties": {"a": {"type": 5}}}', encoding="utf-8")
    (tmp_path / "bad_examples.jsonl").write_text('{"text": "x", "values": {"a": 1}}\nnot json\n', encoding="utf-8")
    (tmp_path / "empty").mkdir()
    (tmp_path / "foreign.jsonl").write_text('{"name": "not ours"}\n', encoding="utf-8")
    keys = ["--keys", "total"]
    return {
        "no keys or schema": (["extract", doc], "--keys KEY [KEY ...] or --schema FILE"),
        "keys and schema": (["extract", doc, *keys, "--schema", "s.json"], "not allowed with argument"),
        "paths read as keys": (["extract", "--keys", "total", doc], "put the paths before --keys"),
        "schema file missing": (["extract", doc, "--schema", str(tmp_path / "nope.json")], "cannot read the schema"),
        "schema not json": (["extract", doc, "--schema", str(tmp_path / "not_json.json")], "is not valid JSON"),
        "schema not an object": (["extract", doc, "--schema", str(tmp_path / "array.json")], '"type": "object"'),
        "schema invalid": (["extract", doc, "--schema", str(tmp_path / "bad_type.json")], "invalid JSON Schema"),
        "examples missing": (["extract", doc, *keys, "--examples", str(tmp_path / "no.jsonl")], "cannot read"),
        "examples invalid": (
            ["extract", doc, *keys, "--examples", str(tmp_path / "bad_examples.jsonl")],
            "line 2 is not a valid example",
        ),
        "examples a folder": (["extract", doc, *keys, "--examples", str(tmp_path)], "is a directory"),
        "unknown ocr engine": (["extract", doc, *keys, "--ocr", "tesseract"], "invalid choice: 'tesseract'"),
        "unknown llm spec": (["extract", doc, *keys, "--llm", "gpt5"], "unknown llm spec 'gpt5'"),
        "workers 0": (["extract", doc, *keys, "--workers", "0"], "expected at least 1"),
        "workers not a number": (["extract", doc, *keys, "--workers", "two"], "expected a whole number"),
        "unknown option": (["extract", doc, *keys, "--colour"], "unrecognized arguments: --colour"),
        "unknown command": (["extrakt", doc], "invalid choice: 'extrakt'"),
        "no documents in a folder": (["extract", str(tmp_path / "empty"), *keys], "no images or PDFs found"),
        "output folder missing": (["extract", doc, *keys, "-o", str(tmp_path / "no" / "r.jsonl")], "does not exist"),
        "output a directory": (["extract", doc, *keys, "-o", str(tmp_path)], "is a directory"),
        "output not a results file": (
            ["extract", doc, *keys, "-o", str(tmp_path / "foreign.jsonl")],
            "line 1 is not an ocr-kie results record",
        ),
        "ocr engine from env": (["ocr", doc], "unknown OCR engine 'gpu' (from $OCR_KIE_OCR)"),
    }


CASE_NAMES = [
    "no keys or schema",
    "keys and schema",
    "paths read as keys",
    "schema file missing",
    "schema not json",
    "schema not an object",
    "schema invalid",
    "examples missing",
    "examples invalid",
    "examples a folder",
    "unknown ocr engine",
    "unknown llm spec",
    "workers 0",
    "workers not a number",
    "unknown option",
    "unknown command",
    "no documents in a folder",
    "output folder missing",
    "output a directory",
    "output not a results file",
    "ocr engine from env",
]


@pytest.mark.parametrize("case", CASE_NAMES)
def test_bad_usage_is_one_line_exit_2_and_nothing_written(case, capsys, tmp_path, monkeypatch):
    chain_built = FakeBuild()
    argv, expected = bad_usage_cases(tmp_path)[case]
    if case == "ocr engine from env":
        monkeypatch.setenv("OCR_KIE_OCR", "gpu")
    if case != "unknown llm spec":  # that one must reach the real build_chain
        monkeypatch.setattr(ocr_kie.pipeline.chain, "build_chain", chain_built)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    foreign = (tmp_path / "foreign.jsonl").read_bytes()
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("ocr-kie: error: "), captured.err
    assert expected in lines[0]
    assert chain_built.calls == []
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # nothing created
    assert (tmp_path / "foreign.jsonl").read_bytes() == foreign


def test_every_bad_usage_case_is_tested(tmp_path):
    assert sorted(bad_usage_cases(tmp_path)) == sorted(CASE_NAMES)


def test_a_strategy_the_library_refuses_is_bad_usage(capsys, tmp_path):
    doc = files(tmp_path, "a.png")[0]
    code = main(["extract", doc, "--keys", "total", "--strategy", "telepathy", "--llm", "openai:m"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("ocr-kie: error: ") and len(err.splitlines()) == 1
    assert "telepathy" in err


def test_a_closed_pipe_on_stdout_ends_quietly(tmp_path, monkeypatch, fake_build, capsys):
    class ClosedPipe:
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self):
            pass

    paths = files(tmp_path, "a.png", "b.png")
    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert main(["extract", *paths, "--keys", "total", "-q"]) == 1  # e.g. `ocr-kie extract ... | head -1`
    assert fake_build.calls == ["a.png"] and capsys.readouterr().err == ""


def test_progress_only_on_a_terminal_and_not_with_quiet():
    from ocr_kie.cli.options import show_progress

    class Terminal:
        def isatty(self):
            return True

    args = build_parser().parse_args(["extract", "x.png", "--keys", "k"])
    quiet = build_parser().parse_args(["extract", "x.png", "--keys", "k", "--quiet"])
    assert show_progress(args, Terminal()) and not show_progress(quiet, Terminal())
    assert not show_progress(args)  # pytest's stderr is not a terminal
