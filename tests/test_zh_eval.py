"""The Chinese evaluation set (benchmarks/datasets/zh-kie): reproducible, consistent, readable by PP-OCR."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from ocr_kie import PPOCRLoader
from ocr_kie.evaluation import load_dataset, load_labelled_dataset, value_in_text
from ocr_kie.examples import load_examples
from ocr_kie.ocr import get_engine

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "datasets" / "zh-kie"
SUBSETS = ["bill", "ticket", "receipt"]


def _generator():
    spec = importlib.util.spec_from_file_location("make_zh_eval", ROOT / "scripts" / "make_zh_eval.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _meta(subset: str) -> dict:
    return json.loads((DATA / subset / "dataset.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("subset", ["bill", "ticket"])
def test_generator_reproduces_the_committed_files(tmp_path, subset):
    gen = _generator()
    assert gen.main(["--subset", subset, "--count", "2", "--out", str(tmp_path)]) == 0
    out, committed = tmp_path / subset, DATA / subset
    ext = "png" if subset == "bill" else "jpg"
    files = [f"images/{subset}-000.{ext}", f"images/{subset}-001.{ext}", f"labels/{subset}-000.json"]
    files += [f"labels/{subset}-001.json", "examples.jsonl", f"examples/example-1.{ext}", f"examples/example-3.{ext}"]
    for name in files:
        assert (out / name).read_bytes() == (committed / name).read_bytes(), name
    assert sorted(p.name for p in (out / "images").iterdir()) == [f"{subset}-000.{ext}", f"{subset}-001.{ext}"]


@pytest.mark.parametrize("subset", SUBSETS)
def test_labels_match_the_dataset_keys(subset):
    meta = _meta(subset)
    assert meta["generator"] == "scripts/make_zh_eval.py" and meta["examples"] == "examples.jsonl"
    keys = meta["keys"]
    dataset = load_labelled_dataset(DATA / subset)  # what `ocr-kie eval` reads
    assert dataset.keys == keys and dataset.examples == DATA / subset / "examples.jsonl"
    docs = dataset.documents
    assert len(docs) == meta["count"] >= 20
    images = sorted(p.stem for p in (DATA / subset / "images").iterdir())
    labels = sorted(p.stem for p in (DATA / subset / "labels").iterdir())
    assert images == labels == [d.id for d in docs]
    for doc in docs:
        assert list(doc.labels) == keys, doc.id
        assert any(v is not None for v in doc.labels.values()), doc.id
    # Every key is present on most documents; some keys are absent (null) on some documents.
    for key in keys:
        assert sum(d.labels[key] is not None for d in docs) >= len(docs) // 2, key
    assert any(v is None for d in docs for v in d.labels.values())


@pytest.mark.parametrize("subset", SUBSETS)
def test_examples_load_and_are_not_evaluation_documents(subset):
    keys = _meta(subset)["keys"]
    examples = load_examples(DATA / subset / "examples.jsonl")
    assert len(examples) == 3
    docs = load_dataset(DATA / subset)
    eval_bytes = {d.image.read_bytes() for d in docs}
    eval_values = [d.labels for d in docs]
    for ex in examples:
        assert list(ex.values) == keys
        assert Path(ex.image).is_file()
        assert Path(ex.image).read_bytes() not in eval_bytes
        assert ex.values not in eval_values
    assert any(v is None for ex in examples for v in ex.values.values())  # the examples show a null answer


@pytest.fixture(scope="module")
def engine():
    return get_engine("paddle")


@pytest.mark.parametrize("subset", SUBSETS)
def test_labelled_values_are_in_the_real_ocr_text(engine, subset):
    docs = load_dataset(DATA / subset)
    checked = 0
    for doc in (docs[0], docs[-1]):
        text = PPOCRLoader(str(doc.image), engine=engine).load()[0].page_content
        for key, value in doc.labels.items():
            if value is not None:
                assert value_in_text(value, text)[0], f"{doc.id} {key}={value!r} not in OCR text:\n{text}"
                checked += 1
    assert checked >= 5
