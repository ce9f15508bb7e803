"""``ocr-kie eval``: a real run (PP-OCR + embedded LLM) with its re-run from the caches, and bad usage."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PIL import Image

from ocr_kie.cli import main

#: Photographed Chinese receipts shipped in the repository (nothing outside the repo is read).
RECEIPTS = Path(__file__).resolve().parent.parent / "benchmarks" / "datasets" / "zh-kie" / "receipt"
LABELS = {"a": {"total": "RM 15.00"}, "b": {"total": "15.00"}}


def receipt_subset(root: Path, doc_id: str) -> Path:
    """A temporary dataset: one real photographed receipt and a truncated JPEG that must fail."""
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    shutil.copy(RECEIPTS / "images" / f"{doc_id}.jpg", root / "images")
    shutil.copy(RECEIPTS / "labels" / f"{doc_id}.json", root / "labels")
    (root / "images" / "broken.jpg").write_bytes((RECEIPTS / "images" / f"{doc_id}.jpg").read_bytes()[:600])
    label = {"日期": "2025.01.01", "合计金额": "1.00"}
    (root / "labels" / "broken.json").write_text(json.dumps(label, ensure_ascii=False), encoding="utf-8")
    return root


def small_dataset(root: Path) -> Path:
    """Two blank images labelled with a total."""
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    for doc_id, label in LABELS.items():
        Image.new("RGB", (120, 60), "white").save(root / "images" / f"{doc_id}.png")
        (root / "labels" / f"{doc_id}.json").write_text(json.dumps(label), encoding="utf-8")
    return root


@pytest.mark.timeout(1800)  # about a minute on 2 idle cores; far more when the machine is shared
def test_eval_real_run_then_rerun_from_the_caches(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = receipt_subset(tmp_path / "receipts", "receipt-000")
    out, cache = tmp_path / "out", tmp_path / "cache"
    command = ["eval", str(root), "--keys", "合计金额", "--out", str(out), "--cache-dir", str(cache), "-q"]
    assert main(command) == 1  # the broken receipt failed; the other was evaluated
    captured = capsys.readouterr()
    assert "| key | labelled | exact | lenient | ANLS | precision | recall | F1 | OCR ceiling |" in captured.out
    assert "| 合计金额 | 2/2 |" in captured.out and "broken: ocr InvalidImageError" in captured.out
    assert "| 日期 |" not in captured.out
    assert "report.json" in captured.err
    assert {p.name for p in out.iterdir()} == {"report.json", "report.md", "per_key.png", "errors.jsonl"}
    first = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert first["cache"]["ocr_hits"] == 0 and first["cache"]["llm_hits"] == 0
    assert first["ceiling"]["per_key"]["合计金额"]["fuzzy"] == 1.0
    assert first["settings"]["ocr"] == "paddle"
    assert first["settings"]["llm"] == "SmolLM2-135M-Instruct.Q4_1.gguf as Q8_0"

    assert main(command) == 1
    capsys.readouterr()
    again = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert again["cache"]["ocr_hits"] == 1 and again["cache"]["llm_hits"] == 1
    assert again["documents"][0]["predicted"] == first["documents"][0]["predicted"]
    assert again["metrics"] == first["metrics"]
    assert again["cache"]["llm_cache_kind"] == "results"  # grounded decoding: whole results cached
    assert again["timings"]["llm"]["median"] < first["timings"]["llm"]["median"]


def test_eval_dataset_keys_by_default_and_no_cache(tmp_path: Path, capsys, monkeypatch) -> None:
    """Keys come from dataset.json; --no-cache passes cache_dir=False (evaluate itself is faked)."""
    import ocr_kie.evaluation as evaluation

    root = small_dataset(tmp_path / "ds")
    (root / "dataset.json").write_text(json.dumps({"keys": ["total"]}))
    seen = {}

    def fake_evaluate(dataset, keys, **kwargs):
        seen.update(keys=keys, **kwargs)
        return real_evaluate(dataset, keys, **{**kwargs, "ocr": engine, "llm": llm})

    from ocr_kie.testing import FakeOcrEngine, ScriptedChatModel

    engine = FakeOcrEngine(["TOTAL 15.00"])
    llm = ScriptedChatModel(replies=['{"total": "15.00"}'] * 3)
    real_evaluate = evaluation.evaluate
    monkeypatch.setattr(evaluation, "evaluate", fake_evaluate)
    assert main(["eval", str(root), "--no-cache", "--out", str(tmp_path / "o"), "--limit", "2"]) == 0
    assert seen["keys"] == ["total"] and seen["cache_dir"] is False and seen["limit"] == 2
    assert seen["examples"] is None  # the dataset's examples file, if any
    assert "| total | 2/2 |" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--example-ids", "nope"], "--example-ids not in the dataset"),
        (["--no-cache", "--cache-dir", "x"], "contradict"),
        (["--limit", "0"], "expected at least 1"),
        (["--lenient-threshold", "2"], "between 0 and 1"),
    ],
)
def test_eval_bad_usage_exit_2(tmp_path: Path, capsys, extra: list[str], message: str) -> None:
    root = small_dataset(tmp_path / "ds")
    out = tmp_path / "out"
    assert main(["eval", str(root), "--keys", "total", "--out", str(out), *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_eval_missing_dataset_exit_2(tmp_path: Path, capsys) -> None:
    assert main(["eval", str(tmp_path / "nowhere"), "--keys", "total"]) == 2
    assert "cannot read the dataset" in capsys.readouterr().err
