"""Evaluation: labelled datasets and how much of the labelled text the OCR found.

The *OCR ceiling* of a key is the share of documents whose labelled value can be found in the
OCR text at all. No extractor reading that text can do better, so it separates OCR errors from
extraction errors.

Example:
    >>> from ocr_kie.evaluation import value_in_text
    >>> value_in_text("RM 15.00", "TOTAL  rm15.00")
    (True, 1.0)
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ocr_kie.images import IMAGE_SUFFIXES

__all__ = [
    "FUZZY_THRESHOLD",
    "LabelledDocument",
    "load_dataset",
    "normalize_for_match",
    "ocr_ceiling",
    "value_in_text",
]

#: A value counts as found "fuzzily" when its best partial alignment scores at least this.
FUZZY_THRESHOLD = 0.9

_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class LabelledDocument:
    """One image with its ground-truth values.

    Attributes:
        id: The document id (the file stem shared by image and label).
        image: The image file.
        labels: The labelled value of each key; ``None`` where the document has no value.
    """

    id: str
    image: Path
    labels: dict[str, str | None] = field(default_factory=dict)


def load_dataset(path: str | Path) -> list[LabelledDocument]:
    """Load a dataset laid out as ``images/<id>.<ext>`` and ``labels/<id>.json``.

    Each label file is a JSON object ``{key: value or null}``. Images without a label file are
    skipped.

    Args:
        path: The dataset directory.

    Returns:
        The documents, sorted by id.

    Raises:
        FileNotFoundError: ``images/`` or ``labels/`` is missing.
        ValueError: A label file is not valid JSON or not an object of strings or nulls; the
            message names the file.
    """
    root = Path(path)
    images_dir, labels_dir = root / "images", root / "labels"
    for directory in (images_dir, labels_dir):
        if not directory.is_dir():
            raise FileNotFoundError(f"dataset directory {directory} does not exist")
    images = {p.stem: p for p in images_dir.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES}
    docs = []
    for doc_id in sorted(images):
        label_path = labels_dir / f"{doc_id}.json"
        if not label_path.is_file():
            continue
        docs.append(LabelledDocument(id=doc_id, image=images[doc_id], labels=_read_labels(label_path)))
    return docs


def _read_labels(path: Path) -> dict[str, str | None]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"bad label file {path}: not valid JSON ({e})") from e
    if not isinstance(data, dict):
        raise ValueError(f"bad label file {path}: expected a JSON object, got {type(data).__name__}")
    labels: dict[str, str | None] = {}
    for key, value in data.items():
        if value is None or isinstance(value, str):
            labels[key] = value
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            labels[key] = str(value)
        else:
            raise ValueError(f"bad label file {path}: value of {key!r} must be a string or null")
    return labels


def normalize_for_match(s: str) -> str:
    """Normalise text for lenient matching: NFKC (full-width → half-width), no whitespace, casefolded.

    Example:
        >>> normalize_for_match("ＲＭ 15.00\\n")
        'rm15.00'
    """
    return _WHITESPACE.sub("", unicodedata.normalize("NFKC", s)).casefold()


def value_in_text(value: str, text: str) -> tuple[bool, float]:
    """Whether a value occurs in a text, exactly and approximately (both normalised).

    Args:
        value: The labelled value.
        text: The OCR text of the document.

    Returns:
        ``(exact, fuzzy)``: ``exact`` is whether the normalised value is a substring of the
        normalised text; ``fuzzy`` is rapidfuzz's ``fuzz.partial_ratio`` of the two normalised
        strings divided by 100, the score of the best alignment of the value with a stretch of
        the text, in ``[0, 1]`` (1.0 when exact). An empty value scores ``(True, 1.0)``.
    """
    from rapidfuzz import fuzz

    v, t = normalize_for_match(value), normalize_for_match(text)
    if not v or v in t:
        return True, 1.0
    if not t:
        return False, 0.0
    return False, fuzz.partial_ratio(v, t) / 100.0


def ocr_ceiling(
    docs: Sequence[LabelledDocument], texts: Mapping[str, str], keys: Sequence[str]
) -> dict[str, dict[str, float | int]]:
    """The share of labelled values found in the OCR text, per key.

    Args:
        docs: The labelled documents.
        texts: The OCR text of each document, by id; documents missing here are skipped.
        keys: The keys to score.

    Returns:
        ``{key: {"exact": share, "fuzzy": share, "n": count}}``, where ``n`` counts the documents
        with a non-null label for the key, ``exact`` the share found as an exact (normalised)
        substring, ``fuzzy`` the share with a score of at least :data:`FUZZY_THRESHOLD`. A key
        with no labels has shares of 0.0.
    """
    out: dict[str, dict[str, float | int]] = {}
    for key in keys:
        n = exact = fuzzy = 0
        for doc in docs:
            value = doc.labels.get(key)
            if value is None or doc.id not in texts:
                continue
            n += 1
            is_exact, score = value_in_text(value, texts[doc.id])
            exact += is_exact
            fuzzy += score >= FUZZY_THRESHOLD
        out[key] = {"exact": exact / n if n else 0.0, "fuzzy": fuzzy / n if n else 0.0, "n": n}
    return out
