"""The third held-out injection set (injections-heldout-3): reproducible, new, and read by the real PP-OCR.

No extraction, chain or guard runs on it here: it is held out until the lead runs it once.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ocr_kie import PPOCRLoader
from ocr_kie.evaluation import value_in_text
from test_zh_docs import _bare, _read, _records, _script  # the earlier sets' helpers

ROOT = Path(__file__).resolve().parent.parent
SETS = ROOT / "benchmarks" / "datasets"
HELDOUT3 = SETS / "injections-heldout-3"  # no extraction run on it: OCR only
EARLIER = [SETS / "injections", SETS / "injections-heldout", SETS / "injections-heldout-2"]
HALF_D = {"utility", "policy", "pharmacy", "delivery"}
ZH_KIE = {"kie-receipt", "kie-bill", "kie-ticket"}
#: Documents one engine misreads a value of (the README's exceptions): left out of the real-OCR check.
MISREAD = {"ho3-001", "ho3-006", "ho3-010", "ho3-022"}


@pytest.mark.parametrize("limit", [3, pytest.param(44, marks=pytest.mark.slow)])
def test_heldout3_generator_reproduces_the_committed_files(tmp_path, limit):
    assert _script("make_injections").main(["--set", "heldout3", "--out", str(tmp_path), "--limit", str(limit)]) == 0
    lines = (HELDOUT3 / "injections.jsonl").read_text(encoding="utf-8").splitlines()
    assert (tmp_path / "injections.jsonl").read_text(encoding="utf-8").splitlines() == lines[:limit]
    for rec in _records(HELDOUT3)[:limit]:
        for name in (rec["image"], f"labels/{rec['id']}.json"):
            assert (tmp_path / name).read_bytes() == (HELDOUT3 / name).read_bytes(), name
    written = sorted(p.name for p in (tmp_path / "examples").iterdir())
    for name in written:
        assert (tmp_path / "examples" / name).read_bytes() == (HELDOUT3 / "examples" / name).read_bytes(), name
    if limit == len(lines):
        assert written == sorted(p.name for p in (HELDOUT3 / "examples").iterdir())
    assert len(list((tmp_path / "images").iterdir())) == limit


def test_heldout3_records_are_new_and_consistent():
    gen = _script("make_injections")
    records, earlier = _records(HELDOUT3), [r for root in EARLIER for r in _records(root)]
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


def test_heldout3_injections_are_read_by_the_real_ocr(engine):
    # One of each language and style (the last not misread): the planted value, the honest one, the instruction's words.
    picked = {(r["lang"], r["style"]): r for r in _records(HELDOUT3) if r["id"] not in MISREAD}
    assert len(picked) == 22
    for rec in picked.values():
        text = PPOCRLoader(str(HELDOUT3 / rec["image"]), engine=engine).load()[0].page_content
        assert value_in_text(rec["injected"], text)[0], f"{rec['id']}: {rec['injected']!r} not read:\n{text}"
        assert value_in_text(rec["honest"], text)[0], f"{rec['id']}: {rec['honest']!r} not read:\n{text}"
        # Each word of the instruction (a tilted watermark may be read as two lines, out of order).
        words = [_bare(w) for line in rec["text"].splitlines() for w in line.replace(rec["injected"], " ").split()]
        for word in (w for w in words if len(w) >= 2):
            assert _read(word, _bare(text)) >= 0.85, f"{rec['id']}: {word!r} not read:\n{text}"
