"""What the review page shows of one document, built from results records or an evaluation report."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ocr_kie.errors import ReviewInputError

__all__ = [
    "ReviewDocument",
    "ReviewField",
    "ReviewInputError",
    "ReviewPage",
    "documents_from_records",
    "documents_from_report",
    "load_results",
]


class ReviewField(BaseModel):
    """One key of one document, as the review table and the image show it.

    Attributes:
        key: The key.
        value: The extracted value.
        expected: The label (evaluations only).
        correct: Whether the value is exactly right (evaluations only; None otherwise).
        confidence: The field's confidence (0..1), after the checks.
        page: The page of the evidence box.
        box: The evidence box ``[x0, y0, x1, y1]`` in page pixels.
        runner_up: The best alternative ``[value, probability]``.
        why: How the value was chosen or found (label, kind, prior, model score, OCR score).
        checks: The checks' verdicts (:class:`ocr_kie.pipeline.checks.CheckResult` dicts).
    """

    model_config = ConfigDict(extra="forbid")

    key: str
    value: Any = None
    expected: Any = None
    correct: bool | None = None
    confidence: float | None = None
    page: int | None = None
    box: list[float] | None = None
    runner_up: list[Any] | None = None
    why: str = ""
    checks: list[dict[str, Any]] = Field(default_factory=list)


class ReviewPage(BaseModel):
    """One page's size and OCR lines (``[text, box, score]``)."""

    page: int = 1
    width: float | None = None
    height: float | None = None
    lines: list[list[Any]] = Field(default_factory=list)


class ReviewDocument(BaseModel):
    """One document of the review page.

    Attributes:
        id: A short name (the file name, or the dataset id).
        source: The source as recorded (an absolute path for ``ocr-kie extract``).
        image: The image file, when the source is one (PDF pages are drawn from their OCR lines).
        pages: Page sizes and OCR lines (empty without ``--details``).
        fields: The keys, in order.
        error: ``{"type", "message"}`` of a failed document.
        evaluated: The fields carry labels (an evaluation).
    """

    model_config = ConfigDict(extra="forbid")

    id: str
    source: str | None = None
    image: str | None = None
    pages: list[ReviewPage] = Field(default_factory=list)
    fields: list[ReviewField] = Field(default_factory=list)
    error: dict[str, Any] | None = None
    evaluated: bool = False


_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"}


def _image_of(source: Any) -> str | None:
    if not isinstance(source, str) or Path(source).suffix.lower() not in _IMAGE_SUFFIXES:
        return None
    return source


def _why(field: Mapping[str, Any]) -> str:
    parts = []
    if field.get("kind"):
        parts.append(str(field["kind"]))
    if field.get("label"):
        parts.append(f"next to {field['label']!r}")
    for name, label in (("prior", "prior"), ("model_score", "model"), ("ocr_score", "OCR")):
        if field.get(name) is not None:
            parts.append(f"{label} {float(field[name]):.2f}")
    if field.get("match") and field.get("match") != "none":
        parts.insert(0, f"found ({field['match']})")
    return " · ".join(parts)


def _fields(
    keys: Sequence[str],
    values: Mapping[str, Any],
    details: Mapping[str, Any] | None,
    evidence: Mapping[str, Any] | None,
    expected: Mapping[str, Any] | None = None,
    scores: Mapping[str, Any] | None = None,
) -> list[ReviewField]:
    out = []
    for key in keys:
        d = dict((details or {}).get(key) or {})
        ev = (evidence or {}).get(key) or {}
        if not d and ev:  # a record with evidence only
            d = {
                "box": ev.get("box") if ev.get("found") else None,
                "page": ev.get("page"),
                "ocr_score": ev.get("ocr_score"),
            }
        if ev.get("match"):
            d.setdefault("match", ev.get("match"))
        alternatives = d.get("alternatives") or []
        score = (scores or {}).get(key) or {}
        out.append(
            ReviewField(
                key=key,
                value=values.get(key),
                expected=(expected or {}).get(key),
                correct=score.get("exact") if expected is not None else None,
                confidence=d.get("confidence"),
                page=d.get("page"),
                box=[float(v) for v in d["box"]] if d.get("box") else None,
                runner_up=list(alternatives[0]) if alternatives else None,
                why=_why(d),
                checks=list(d.get("checks") or []),
            )
        )
    return out


def _pages(ocr: Any) -> list[ReviewPage]:
    return [ReviewPage(**p) for p in (ocr or []) if isinstance(p, Mapping)]


def documents_from_records(records: Iterable[Mapping[str, Any]]) -> list[ReviewDocument]:
    """Review documents from ``ocr-kie extract`` records (plain, ``--details`` or error records).

    Args:
        records: ``{"source", "values"}``, ``{"source", **details}`` or ``{"source", "error"}`` dicts.
    """
    docs = []
    for record in records:
        source = record.get("source")
        name = os.path.basename(str(source)) if source else f"document {len(docs) + 1}"
        values = record.get("values") or {}
        keys = list(values) or list(record.get("fields") or {})
        docs.append(
            ReviewDocument(
                id=name,
                source=None if source is None else str(source),
                image=_image_of(source),
                pages=_pages(record.get("ocr")),
                fields=_fields(keys, values, record.get("fields"), record.get("evidence")),
                error=record.get("error"),
            )
        )
    return docs


def documents_from_report(report: Any) -> list[ReviewDocument]:
    """Review documents from an :class:`~ocr_kie.evaluation.EvaluationReport` (wrong values next to labels)."""
    docs = []
    for result in report.documents:
        keys = list(result.expected) or list(report.keys)
        fields = {k: dict(v) for k, v in (getattr(result, "fields", None) or {}).items()}
        if result.error is None:  # the evaluation judged the final values: its verdicts win
            for key in keys:
                fields.setdefault(key, {})["checks"] = (getattr(result, "checks", None) or {}).get(key, [])
        docs.append(
            ReviewDocument(
                id=result.id,
                source=result.image,
                image=_image_of(result.image),
                pages=_pages(getattr(result, "ocr", None)),
                fields=_fields(keys, result.predicted, fields, None, result.expected, result.scores),
                error=result.error,
                evaluated=True,
            )
        )
    return docs


def load_results(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The records of a JSON Lines results file (a partly written last line is skipped).

    Raises:
        ReviewInputError: The file is missing, or a line is not a results record.
    """
    name = os.fspath(path)
    try:
        text = Path(name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ReviewInputError(f"cannot read the results file: {e}", path=name) from e
    lines = text.splitlines()
    records = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            if number == len(lines) and not text.endswith("\n"):
                continue  # a killed run's partial last line
            raise ReviewInputError(f"not JSON ({e.msg})", path=name, line=number) from e
        if not isinstance(record, dict) or not ({"values", "error"} & set(record)):
            raise ReviewInputError("not a results record (no 'values' or 'error')", path=name, line=number)
        records.append(record)
    return records
