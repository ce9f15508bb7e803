"""Unit tests of ocr_kie.evaluation (no models)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ocr_kie.evaluation import (
    FUZZY_THRESHOLD,
    LabelledDocument,
    load_dataset,
    normalize_for_match,
    ocr_ceiling,
    value_in_text,
)


def _dataset(root: Path, labels: dict[str, object], ext: str = "jpg") -> Path:
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    for doc_id, label in labels.items():
        (root / "images" / f"{doc_id}.{ext}").write_bytes(b"not decoded here")
        text = label if isinstance(label, str) else json.dumps(label)
        (root / "labels" / f"{doc_id}.json").write_text(text, encoding="utf-8")
    return root


def test_load_dataset_sorted_with_nulls(tmp_path: Path) -> None:
    root = _dataset(tmp_path, {"b2": {"total": "9.00", "date": None}, "a1": {"total": "1.00", "date": "1/1/2018"}})
    (root / "images" / "unlabelled.jpg").write_bytes(b"x")
    (root / "images" / "notes.txt").write_text("ignored")
    docs = load_dataset(root)
    assert [d.id for d in docs] == ["a1", "b2"]
    assert docs[0].image == root / "images" / "a1.jpg"
    assert docs[1].labels == {"total": "9.00", "date": None}


def test_load_dataset_png_and_str_path(tmp_path: Path) -> None:
    root = _dataset(tmp_path, {"x": {"k": "v"}}, ext="png")
    assert load_dataset(str(root))[0].image.suffix == ".png"


@pytest.mark.parametrize("bad", ["{not json", "[1, 2]", json.dumps({"k": ["list"]})])
def test_load_dataset_bad_label_names_file(tmp_path: Path, bad: str) -> None:
    root = _dataset(tmp_path, {"good": {"k": "v"}, "broken": bad})
    with pytest.raises(ValueError, match=r"broken\.json"):
        load_dataset(root)


def test_load_dataset_missing_dirs(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="images"):
        load_dataset(tmp_path)


def test_normalize_for_match() -> None:
    assert normalize_for_match(" ＲＭ\t15．00\n") == "rm15.00"
    assert normalize_for_match("可用额度 12,000.00") == "可用额度12,000.00"
    assert normalize_for_match("STRASSE") == normalize_for_match("straße")


def test_value_in_text_exact_ignores_spacing_and_case() -> None:
    assert value_in_text("OJC Marketing Sdn Bhd", "TAX INVOICE\nOJCMARKETINGSDNBHD\n...") == (True, 1.0)


def test_value_in_text_fuzzy() -> None:
    exact, fuzzy = value_in_text("RESTORAN HASSANBISTRO", "RESTORAN HASSAN BISTR0\nTOTAL 15.00")
    assert not exact
    assert FUZZY_THRESHOLD <= fuzzy < 1.0
    exact, fuzzy = value_in_text("12/28/2017", "TOTAL 15.00")
    assert not exact
    assert 0.0 <= fuzzy < FUZZY_THRESHOLD


def test_value_in_text_empty() -> None:
    assert value_in_text("", "anything") == (True, 1.0)
    assert value_in_text("x", "") == (False, 0.0)


def test_ocr_ceiling_counts_and_skips_nulls() -> None:
    docs = [
        LabelledDocument("a", Path("a.jpg"), {"total": "15.00", "date": "12/28/2017"}),
        LabelledDocument("b", Path("b.jpg"), {"total": "9.90", "date": None}),
        LabelledDocument("c", Path("c.jpg"), {"total": "123456789", "date": "1/1/2018"}),
    ]
    texts = {"a": "DATE : 12/28/2017 TOTAL 15.00", "b": "TOTAL 9.9O", "c": "nothing here"}
    result = ocr_ceiling(docs, texts, ["total", "date", "company"])
    assert result["total"]["n"] == 3
    assert result["total"]["exact"] == pytest.approx(1 / 3)
    assert result["total"]["fuzzy"] == pytest.approx(1 / 3)  # "9.9O" vs "9.90": 0.75 < 0.9
    assert result["date"] == {"exact": 0.5, "fuzzy": 0.5, "n": 2}
    assert result["company"] == {"exact": 0.0, "fuzzy": 0.0, "n": 0}


def test_ocr_ceiling_skips_documents_without_text() -> None:
    docs = [LabelledDocument("a", Path("a.jpg"), {"k": "v"}), LabelledDocument("b", Path("b.jpg"), {"k": "v"})]
    assert ocr_ceiling(docs, {"a": "v"}, ["k"]) == {"k": {"exact": 1.0, "fuzzy": 1.0, "n": 1}}
