"""The third held-out injection set (injections-heldout-3): reproducible, new, and read by the real PP-OCR.

No extraction, chain or guard runs on it here: it is held out until the lead runs it once.
"""

from __future__ import annotations

import difflib
import importlib.util
import json
import re
import sys
import unicodedata
from pathlib import Path

import pytest

from ocr_kie import PPOCRLoader
from ocr_kie.evaluation import value_in_text

ROOT = Path(__file__).resolve().parent.parent
SETS = ROOT / "benchmarks" / "datasets"
HELDOUT3 = SETS / "injections-heldout-3"  # no extraction run on it: OCR only
EARLIER = [SETS / "injections", SETS / "injections-heldout", SETS / "injections-heldout-2"]
HALF_D = {"utility", "policy", "pharmacy", "delivery"}
ZH_KIE = {"kie-receipt", "kie-bill", "kie-ticket"}
#: Documents whose honest value PP-OCR misreads (OCR noise in an address: "J0HOR", "ALAN" for "JALAN").
HONEST_MISREAD = {"ho3-006", "ho3-010"}


def _generator():
    spec = importlib.util.spec_from_file_location("make_injections", ROOT / "scripts" / "make_injections.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _records(root: Path = HELDOUT3) -> list[dict]:
    return [json.loads(line) for line in (root / "injections.jsonl").read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("limit", [3, pytest.param(44, marks=pytest.mark.slow)])
def test_heldout3_generator_reproduces_the_committed_files(tmp_path, limit):
    assert _generator().main(["--set", "heldout3", "--out", str(tmp_path), "--limit", str(limit)]) == 0
    lines = (HELDOUT3 / "injections.jsonl").read_text(encoding="utf-8").splitlines()
    assert (tmp_path / "injections.jsonl").read_text(encoding="utf-8").splitlines() == lines[:limit]
    for rec in _records()[:limit]:
        for name in (rec["image"], f"labels/{rec['id']}.json"):
            assert (tmp_path / name).read_bytes() == (HELDOUT3 / name).read_bytes(), name
    written = sorted(p.name for p in (tmp_path / "examples").iterdir())
    for name in written:
        assert (tmp_path / "examples" / name).read_bytes() == (HELDOUT3 / "examples" / name).read_bytes(), name
    if limit == len(lines):
        assert written == sorted(p.name for p in (HELDOUT3 / "examples").iterdir())
    assert len(list((tmp_path / "images").iterdir())) == limit


def test_heldout3_records_are_new_and_consistent():
    gen = _generator()
    records, earlier = _records(), [r for root in EARLIER for r in _records(root)]
    assert len(records) >= 44
    assert sum(r["lang"] == "en" for r in records) == sum(r["lang"] == "zh" for r in records)
    styles = {(r["lang"], r["style"]) for r in records}
    assert len({s for _, s in styles}) >= 11 and all((lang, s) in styles for _, s in styles for lang in ("en", "zh"))
    new = {s for _, s in styles} - {"bare", "relabel"}
    assert not new & {r["style"] for r in earlier}
    zh = [r for r in records if r["lang"] == "zh"]
    assert {r["doc_type"] for r in zh} == HALF_D | ZH_KIE
    assert not {(r["doc_type"], r["target"]) for r in zh} & {(r["doc_type"], r["target"]) for r in earlier}
    # No template of an earlier set (bare and relabel are new placements of earlier styles' texts).
    old = {r["text"].replace(r["injected"], "{v}") for r in earlier}
    assert not {r["text"].replace(r["injected"], "{v}") for r in records if r["style"] in new} - {"{v}"} & old
    for rec in records:
        labels = json.loads((HELDOUT3 / "labels" / f"{rec['id']}.json").read_text(encoding="utf-8"))
        assert list(labels) == rec["keys"] and rec["target"] in rec["keys"]
        assert labels[rec["target"]] == rec["honest"] is not None
        assert gen._flat(rec["injected"]) != gen._flat(rec["honest"]) and rec["injected"] in rec["text"]
        assert (HELDOUT3 / rec["image"]).is_file() and (HELDOUT3 / rec["image"]).stat().st_size < 150_000
    for doc_type in {r["doc_type"] for r in records}:
        rows = (HELDOUT3 / "examples" / f"{doc_type}.jsonl").read_text(encoding="utf-8").splitlines()
        assert len(rows) == 2 and all((HELDOUT3 / "examples" / json.loads(row)["image"]).is_file() for row in rows)


def _bare(text: str) -> str:
    return re.sub(r"[\W_]", "", unicodedata.normalize("NFKC", text)).casefold()


def _read(part: str, text: str) -> float:
    """How well ``part`` is read somewhere in ``text`` (the best window's similarity, 1.0 = exactly)."""
    n = len(part)
    return max(difflib.SequenceMatcher(None, part, text[i : i + n]).ratio() for i in range(max(1, len(text) - n + 1)))


def test_heldout3_injections_are_read_by_the_real_ocr(engine):
    # One of each language and style (the last): the planted value, the honest one and the instruction's words.
    picked = {(r["lang"], r["style"]): r for r in _records()}
    assert len(picked) == 22
    for rec in picked.values():
        text = PPOCRLoader(str(HELDOUT3 / rec["image"]), engine=engine).load()[0].page_content
        assert value_in_text(rec["injected"], text)[0], f"{rec['id']}: {rec['injected']!r} not read:\n{text}"
        if rec["id"] not in HONEST_MISREAD:
            assert value_in_text(rec["honest"], text)[0], f"{rec['id']}: {rec['honest']!r} not read:\n{text}"
        parts = [_bare(p) for line in rec["text"].splitlines() for p in line.split(rec["injected"])]
        for part in (p for p in parts if len(p) >= 2):
            assert _read(part, _bare(text)) >= 0.85, f"{rec['id']}: {part!r} not read:\n{text}"
