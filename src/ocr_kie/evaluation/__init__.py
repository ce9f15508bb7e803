"""Evaluation: labelled datasets, metrics, the OCR ceiling, and :func:`evaluate` with its report.

The *OCR ceiling* of a key is the share of documents whose labelled value can be found in the
OCR text at all. No extractor reading that text can do better, so it separates OCR errors from
extraction errors.

Modules: :mod:`~ocr_kie.evaluation.dataset` (folders of images and labels),
:mod:`~ocr_kie.evaluation.metrics` (normalisation and scores), :mod:`~ocr_kie.evaluation.runner`
(:func:`evaluate`), :mod:`~ocr_kie.evaluation.report` (:class:`EvaluationReport`),
:mod:`~ocr_kie.evaluation.caching` (OCR and LLM caches for re-runs).

Example:
    >>> from ocr_kie.evaluation import value_in_text
    >>> value_in_text("RM 15.00", "TOTAL  rm15.00")
    (True, 1.0)
"""

from __future__ import annotations

from ocr_kie.evaluation.caching import CountingCache, ResultCache, default_cache_dir, sqlite_llm_cache
from ocr_kie.evaluation.dataset import Dataset, LabelledDocument, dataset_examples, load_dataset, load_labelled_dataset
from ocr_kie.evaluation.metrics import (
    FUZZY_THRESHOLD,
    LENIENT_THRESHOLD,
    Counts,
    ValueScore,
    is_null,
    normalize_for_match,
    normalize_value,
    ocr_ceiling,
    score_value,
    similarity,
    value_in_text,
)
from ocr_kie.evaluation.report import DocumentResult, EvaluationReport, machine_info, stats
from ocr_kie.evaluation.runner import evaluate

__all__ = [
    "FUZZY_THRESHOLD",
    "LENIENT_THRESHOLD",
    "CountingCache",
    "Counts",
    "Dataset",
    "DocumentResult",
    "EvaluationReport",
    "LabelledDocument",
    "ResultCache",
    "ValueScore",
    "dataset_examples",
    "default_cache_dir",
    "evaluate",
    "is_null",
    "load_dataset",
    "load_labelled_dataset",
    "machine_info",
    "normalize_for_match",
    "normalize_value",
    "ocr_ceiling",
    "score_value",
    "similarity",
    "sqlite_llm_cache",
    "stats",
    "value_in_text",
]
