"""Unit tests of ocr_kie.evaluation (no models)."""

from __future__ import annotations

import json
import shutil
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


# --------------------------------------------------------------------------- metrics


from ocr_kie.evaluation import (  # noqa: E402
    LENIENT_THRESHOLD,
    Counts,
    EvaluationReport,
    evaluate,
    load_labelled_dataset,
    normalize_value,
    score_value,
)
from ocr_kie.testing import FakeOcrEngine, ScriptedChatModel  # noqa: E402


@pytest.mark.parametrize(
    ("predicted", "expected"),
    [
        ("ＲＭ １５．００", "15.00"),  # full-width, currency mark, spaces
        ("RM15.00", "rm 15.00"),
        ("$9.90", "9.90"),
        ("￥12.00元", "12.00"),
        ("¥ 12.00", "12.00元"),
        ("OJC MARKETING SDN BHD", "ojcmarketingsdnbhd"),
        ("可用额度\u3000１２,０００.００", "可用额度 12,000.00"),
        (None, None),
        ("N/A", None),
        ("未知", ""),
    ],
)
def test_score_value_exact_after_normalisation(predicted: object, expected: object) -> None:
    assert score_value(predicted, expected).exact


@pytest.mark.parametrize(
    ("predicted", "expected"),
    [("15.01", "15.00"), ("RMX", "X"), ("12/01/2018", "12/10/2018"), ("BHD", "SDN BHD")],
)
def test_score_value_not_exact(predicted: str, expected: str) -> None:
    assert not score_value(predicted, expected).exact


def test_currency_marks_only_next_to_numbers() -> None:
    assert normalize_value("RMX Trading") == "rmxtrading"
    assert normalize_value("Restoran元") == "restoran元"
    assert normalize_value("USD 1,200") == "1,200"


def test_nulls_false_positive_false_negative_and_wrong_value() -> None:
    fp = score_value("9.90", None)
    assert (fp.exact, fp.tp, fp.fp, fp.fn) == (False, False, True, False)
    fn = score_value(None, "9.90")
    assert (fn.exact, fn.tp, fn.fp, fn.fn) == (False, False, False, True)
    wrong = score_value("9.80", "9.90")
    assert (wrong.tp, wrong.fp, wrong.fn) == (False, True, True)
    right = score_value("9.90", "RM9.90")
    assert (right.tp, right.fp, right.fn) == (True, False, False)
    both_null = score_value("", None)
    assert (both_null.exact, both_null.tp, both_null.fp, both_null.fn) == (True, False, False, False)


def test_lenient_threshold() -> None:
    # normalised "soonhengstationery" vs "tedhengstationery": 4 edits over 18 characters, 0.78
    s = score_value("SOON HENG STATIONERY", "TED HENG STATIONERY")
    assert s.similarity == pytest.approx(1 - 4 / 18)
    assert not s.lenient
    assert score_value("SOON HENG STATIONERY", "TED HENG STATIONERY", threshold=0.75).lenient
    assert LENIENT_THRESHOLD == 0.8
    assert score_value("abcdefghij", "abcdefghiX").lenient  # 0.9
    assert not score_value("abcde", "abXYZ").lenient  # 0.4


def test_counts_precision_recall_f1() -> None:
    counts = Counts()
    pairs = [("1", "1"), ("2", "1"), ("3", None), (None, "4"), (None, None)]
    for predicted, expected in pairs:
        counts.add(score_value(predicted, expected), expected, LENIENT_THRESHOLD)
    s = counts.summary()
    assert (s["tp"], s["fp"], s["fn"]) == (1, 2, 2)
    assert s["precision"] == pytest.approx(1 / 3)
    assert s["recall"] == pytest.approx(1 / 3)
    assert s["f1"] == pytest.approx(1 / 3)
    assert s["exact"] == pytest.approx(2 / 5)
    assert (s["n"], s["labelled"]) == (5, 3)
    assert Counts().summary()["precision"] == 0.0


# --------------------------------------------------------------------------- evaluate() with fakes


def _image_dataset(root: Path, labels: dict[str, dict], widths: dict[str, int]) -> Path:
    from PIL import Image

    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    for doc_id, label in labels.items():
        if doc_id in widths:
            Image.new("RGB", (widths[doc_id], 60), "white").save(root / "images" / f"{doc_id}.png")
        else:
            (root / "images" / f"{doc_id}.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")  # corrupt
        (root / "labels" / f"{doc_id}.json").write_text(json.dumps(label, ensure_ascii=False), encoding="utf-8")
    return root


LABELS = {
    "a": {"total": "RM 15.00", "date": "1/1/2018"},
    "b": {"total": "9.90", "date": None},
    "c": {"total": "3.00", "date": "2/2/2019"},
    "z": {"total": "1.00", "date": None},
}
WIDTHS = {"a": 100, "b": 120, "c": 140}
TEXTS = {100: ["TOTAL RM15.00", "DATE 1/1/2018"], 120: ["TOTAL 9.90"], 140: ["TOTAL 3.OO", "2/2/2019"]}
REPLIES = [
    '{"total": "15.00", "date": "1/1/2018"}',  # both right
    '{"total": "9.90", "date": "1/1/2018"}',  # date: value for a null label (FP)
    '{"total": null, "date": "2/2/2019"}',  # total: null for a labelled key (FN)
]


def _fake_engine() -> FakeOcrEngine:
    return FakeOcrEngine(lambda image: TEXTS[image.shape[1]])


def test_evaluate_with_fakes_metrics_failure_and_files(tmp_path: Path) -> None:
    root = _image_dataset(tmp_path / "ds", LABELS, WIDTHS)
    llm = ScriptedChatModel(replies=list(REPLIES))
    report = evaluate(root, ["total", "date"], ocr=_fake_engine(), llm=llm, cache_dir=False)
    assert isinstance(report, EvaluationReport)
    assert [d.id for d in report.documents] == ["a", "b", "c", "z"]
    total, date = report.metrics["per_key"]["total"], report.metrics["per_key"]["date"]
    # total: a right, b right, c null (FN), z failed = null (FN)
    assert (total["exact"], total["tp"], total["fp"], total["fn"]) == (0.5, 2, 0, 2)
    assert (total["precision"], total["recall"]) == (1.0, 0.5)
    # date: a right, b FP, c right, z null for null
    assert (date["exact"], date["tp"], date["fp"], date["fn"], date["labelled"]) == (0.75, 2, 1, 0, 2)
    assert report.metrics["overall"]["n"] == 8
    # The OCR read "3.OO" for 3.00: found fuzzily? 0.5 < 0.9, so not; the failed document has no text.
    assert report.ceiling["per_key"]["total"] == {"exact": 2 / 3, "fuzzy": 2 / 3, "n": 3}
    assert report.ceiling["per_key"]["date"]["fuzzy"] == 1.0
    [failure] = report.failures
    assert failure.id == "z" and failure.error["stage"] == "ocr" and failure.error["type"] == "InvalidImageError"
    assert report.timings["llm"]["n"] == 3 and report.timings["ocr"]["n"] == 3
    assert report.tokens["input"]["median"] > 0
    assert report.cache == {
        "ocr_hits": 0,
        "llm_hits": 0,
        "documents": 4,
        "ocr_on_disk": False,
        "llm_on_disk": False,
        "llm_cache_kind": None,
    }
    assert report.settings["strategy"] == "fewshot" and report.settings["ocr"] == "fake"
    assert report.machine["cores"] >= 1 and report.date

    paths = report.write(tmp_path / "out")
    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert data["metrics"]["per_key"]["total"]["fn"] == 2
    assert data["failures"] == [{"id": "z", **failure.error}]
    assert "ocr_text" not in data["documents"][0]
    errors = [json.loads(line) for line in paths["errors"].read_text(encoding="utf-8").splitlines()]
    assert {(e["id"], e["key"]) for e in errors} == {("b", "date"), ("c", "total"), ("z", None)}
    c_total = next(e for e in errors if e["id"] == "c")
    assert (c_total["expected"], c_total["got"], c_total["ocr_found"]) == ("3.00", None, False)
    assert next(e for e in errors if e["id"] == "b")["ocr_found"] is None  # null label
    assert paths["plot"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    markdown = paths["markdown"].read_text(encoding="utf-8")
    assert markdown == report.to_markdown()
    assert "| total | 4/4 | 0.50 |" in markdown and "z: ocr InvalidImageError" in markdown


def test_evaluate_rerun_answers_from_both_caches(tmp_path: Path) -> None:
    root = _image_dataset(tmp_path / "ds", LABELS, WIDTHS)
    engine = _fake_engine()
    first = evaluate(root, ["total", "date"], ocr=engine, llm=ScriptedChatModel(replies=list(REPLIES)),
                     cache_dir=tmp_path / "cache")  # fmt: skip
    assert engine.calls == 3
    assert (tmp_path / "cache" / "llm.sqlite").is_file() and len(list((tmp_path / "cache" / "ocr").iterdir())) == 3
    # No replies left to play: every answer must come from the cache, and no image is OCR'd again.
    again = evaluate(
        root, ["total", "date"], ocr=engine, llm=ScriptedChatModel(replies=[]), cache_dir=tmp_path / "cache"
    )
    assert engine.calls == 3
    assert again.cache["ocr_hits"] == 3 and again.cache["llm_hits"] == 3
    assert all(d.llm_cached and d.ocr_cached for d in again.documents if d.error is None)
    assert again.metrics == first.metrics
    assert "LLM answers 3/4" in again.to_markdown()
    # Other keys make another prompt: the cache misses and the (empty) model is asked.
    other = evaluate(root, ["total"], ocr=engine, llm=ScriptedChatModel(replies=[]), cache_dir=tmp_path / "cache")
    assert other.cache["llm_hits"] == 0
    assert [d.error["stage"] for d in other.failures] == ["extraction", "extraction", "extraction", "ocr"]


def test_evaluate_dataset_json_keys_examples_example_ids_and_limit(tmp_path: Path) -> None:
    root = _image_dataset(tmp_path / "ds", LABELS, WIDTHS)
    (root / "examples.jsonl").write_text(
        json.dumps({"text": "EXAMPLE TOTAL 7.77", "values": {"total": "7.77"}}) + "\n", encoding="utf-8"
    )
    (root / "dataset.json").write_text(json.dumps({"keys": ["total"], "examples": "examples.jsonl", "lang": "en"}))
    dataset = load_labelled_dataset(root)
    assert dataset.keys == ["total"] and dataset.examples == root / "examples.jsonl" and dataset.meta == {"lang": "en"}
    llm = ScriptedChatModel(replies=['{"total": "9.90"}'])
    report = evaluate(root, ocr=_fake_engine(), llm=llm, cache_dir=False, example_ids=["a"], limit=1)
    assert report.keys == ["total"]
    assert [d.id for d in report.documents] == ["b"]  # "a" became an example, limit 1
    assert report.dataset["examples"] == 2 and report.dataset["example_ids"] == ["a"]
    sent = "\n".join(str(m.content) for m in llm.calls[0])
    assert "EXAMPLE TOTAL 7.77" in sent and "TOTAL RM15.00" in sent  # the file's example and document a
    assert report.metrics["per_key"]["total"]["exact"] == 1.0


def test_evaluate_bad_inputs(tmp_path: Path) -> None:
    root = _image_dataset(tmp_path / "ds", LABELS, WIDTHS)
    with pytest.raises(ValueError, match="example ids not in the dataset"):
        evaluate(root, ["total"], ocr=_fake_engine(), llm=ScriptedChatModel(replies=[]), example_ids=["nope"])
    (root / "dataset.json").write_text(json.dumps({"examples": "missing.jsonl"}))
    with pytest.raises(FileNotFoundError, match=r"missing\.jsonl"):
        evaluate(root, ["total"], ocr=_fake_engine(), llm=ScriptedChatModel(replies=[]))
    with pytest.raises(TypeError):
        evaluate([1, 2], ["total"])  # type: ignore[list-item]


# --------------------------------------------------------------------------- real OCR + embedded LLM

#: Photographed Chinese receipts shipped in the repository (benchmarks/datasets/zh-kie, made by
#: scripts/make_zh_eval.py): nothing outside the repo is read, so a fresh machine runs this too.
RECEIPTS = Path(__file__).resolve().parent.parent / "benchmarks" / "datasets" / "zh-kie" / "receipt"
KEYS = ("日期", "合计金额")
#: Two receipts evaluated, one used as the worked example.
REAL_IDS = ("receipt-000", "receipt-005")
EXAMPLE_ID = "receipt-003"


def receipt_subset(root: Path, ids: tuple[str, ...] = (*REAL_IDS, EXAMPLE_ID), corrupt: bool = True) -> Path:
    """A temporary dataset of real photographed receipts (and a truncated JPEG that must fail)."""
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    for doc_id in ids:
        shutil.copy(RECEIPTS / "images" / f"{doc_id}.jpg", root / "images")
        shutil.copy(RECEIPTS / "labels" / f"{doc_id}.json", root / "labels")
    if corrupt:
        head = (RECEIPTS / "images" / f"{ids[0]}.jpg").read_bytes()[:600]  # a JPEG cut off in its header
        (root / "images" / "broken.jpg").write_bytes(head)
        label = {"日期": "2025.01.01", "合计金额": "1.00"}
        (root / "labels" / "broken.json").write_text(json.dumps(label, ensure_ascii=False), encoding="utf-8")
    return root


@pytest.mark.timeout(1800)  # about a minute on 2 idle cores; far more when the machine is shared
def test_evaluate_real_ocr_and_embedded_llm(tmp_path: Path, paddle) -> None:
    root = receipt_subset(tmp_path / "receipts")
    report = evaluate(root, list(KEYS), example_ids=[EXAMPLE_ID], ocr=paddle, cache_dir=tmp_path / "cache")
    assert [d.id for d in report.documents] == ["broken", *REAL_IDS]
    [failure] = report.failures
    assert failure.id == "broken" and failure.error["stage"] == "ocr"
    # The real OCR reads both receipts' date and total: the ceiling is full and every value was found.
    assert report.ceiling["per_key"]["合计金额"] == {"exact": 1.0, "fuzzy": 1.0, "n": 2}
    assert report.ceiling["per_key"]["日期"]["fuzzy"] == 1.0
    ok = [d for d in report.documents if d.error is None]
    assert all(d.scores[k]["ocr_found"] for d in ok for k in KEYS)
    assert all("合计" in d.ocr_text for d in ok)
    # Timings are real: OCR of a receipt and a model call take measurable time, the LLM more than 0.
    assert 0.05 < report.timings["ocr"]["median"] < 120
    assert 0.05 < report.timings["llm"]["median"] < 600
    assert report.timings["llm"]["p90"] >= report.timings["llm"]["median"]
    assert report.tokens["input"]["median"] > 100 and report.tokens["output"]["total"] > 0
    assert report.settings["llm"] == "SmolLM2-135M-Instruct.Q4_1.gguf as Q8_0" and report.settings["ocr"] == "paddle"
    assert report.dataset["examples"] == 1
    for key in KEYS:
        s = report.metrics["per_key"][key]
        assert s["n"] == 3 and s["labelled"] == 3
        assert 0.0 <= s["exact"] <= s["lenient"] <= 1.0
        assert s["fn"] >= 1  # the broken receipt answered nothing
    paths = report.write(tmp_path / "out")
    assert all(p.is_file() and p.stat().st_size > 0 for p in paths.values())
    errors = [json.loads(line) for line in paths["errors"].read_text(encoding="utf-8").splitlines()]
    assert {"id": "broken"}.items() <= next(e for e in errors if e["key"] is None).items()
    assert all(e["ocr_found"] is True for e in errors if e["key"] is not None)


def test_result_cache_keys_on_pages_and_configuration(tmp_path: Path) -> None:
    from langchain_core.documents import Document

    from ocr_kie.evaluation.caching import ResultCache, code_fingerprint

    page = [Document(page_content="TOTAL 9.90", metadata={"lines": [{"text": "TOTAL 9.90"}]})]
    other_page = [Document(page_content="TOTAL 9.80", metadata={"lines": [{"text": "TOTAL 9.80"}]})]
    cache = ResultCache(tmp_path / "results", {"llm": "a", "keys": ["total"]})
    same = ResultCache(tmp_path / "results", {"keys": ["total"], "llm": "a"})
    other = ResultCache(tmp_path / "results", {"llm": "b", "keys": ["total"]})
    key = cache.key(page)
    assert key == same.key(page) and key != cache.key(other_page) and key != other.key(page)
    assert cache.get(key) is None and cache.misses == 1
    cache.put(key, {"values": {"total": "9.90"}})
    assert same.get(key) == {"values": {"total": "9.90"}} and same.hits == 1
    assert code_fingerprint("ocr_kie.pipeline.prompt") != code_fingerprint("ocr_kie.parser")


def test_evaluate_with_a_schema_scores_its_properties(tmp_path: Path) -> None:
    root = _image_dataset(tmp_path / "ds", {k: LABELS[k] for k in ("a", "b")}, WIDTHS)
    schema = {"type": "object", "properties": {"total": {"type": ["string", "null"], "description": "amount paid"}}}
    llm = ScriptedChatModel(replies=['{"total": "15.00"}', '{"total": "9.99"}'])
    report = evaluate(root, schema=schema, ocr=_fake_engine(), llm=llm, cache_dir=False)
    assert report.keys == ["total"]
    assert report.metrics["per_key"]["total"]["exact"] == 0.5
    assert "amount paid" in "\n".join(str(m.content) for m in llm.calls[0])
