"""Scoring extracted values against labels, and the OCR ceiling.

One normaliser is used for all scoring: :func:`normalize_value`, which is
:func:`ocr_kie.normalize.squash` (full-width → half-width, casefolded, no whitespace or
zero-width characters) plus, for amounts, a leading or trailing currency mark (``RM``, ``MYR``,
``$``, ``¥``/``￥``, ``元``, ``RMB``, ``CNY``, ``USD`` …) removed. :func:`normalize_for_match` (what
the OCR ceiling compares) is ``squash`` alone.

- **exact**: the normalised prediction equals the normalised label (a null answer to a null label
  is correct);
- **lenient** (ANLS style): the normalised edit similarity ``1 − NED`` (Levenshtein distance over
  the longer length, rapidfuzz) is at least :data:`LENIENT_THRESHOLD`; the ANLS score of an item is
  that similarity when it reaches the threshold, else 0;
- **precision / recall / F1** on exact matches, where null answers matter: a value returned for a
  null label is a false positive, a null answer to a labelled key a false negative, and a wrong
  value both;
- **OCR ceiling**: the share of labelled values found in the OCR text at all.

Example:
    >>> from ocr_kie.evaluation import value_in_text, score_value
    >>> value_in_text("RM 15.00", "TOTAL  rm15.00")
    (True, 1.0)
    >>> score_value("RM15.00", "15.00").exact
    True
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ocr_kie.normalize import is_null_answer, squash

if TYPE_CHECKING:
    from ocr_kie.evaluation.dataset import LabelledDocument

__all__ = [
    "FUZZY_THRESHOLD",
    "LENIENT_THRESHOLD",
    "Counts",
    "ValueScore",
    "is_null",
    "normalize_for_match",
    "normalize_value",
    "ocr_ceiling",
    "score_value",
    "similarity",
    "value_in_text",
]

#: A value counts as found "fuzzily" in the OCR text when its best partial alignment scores at least this.
FUZZY_THRESHOLD = 0.9
#: A prediction counts as leniently right when its normalised edit similarity is at least this.
LENIENT_THRESHOLD = 0.8

_CURRENCY_PREFIX = re.compile(r"^(?:rm|myr|rmb|cny|usd|us\$|hk\$|hkd|sgd|s\$|[$¥€£])(?=[-+]?[\d.])")
_CURRENCY_SUFFIX = re.compile(r"(?<=\d)(?:元|圆|rm|myr|rmb|cny|usd)$")


def normalize_for_match(s: str) -> str:
    """Normalise text for finding a value in the OCR text: :func:`ocr_kie.normalize.squash`.

    Example:
        >>> normalize_for_match("ＲＭ 15.00\\n")
        'rm15.00'
    """
    return squash(s)


def normalize_value(value: Any) -> str:
    """The scoring form of a value: squashed, with a currency mark next to a number removed.

    ``None`` and answers meaning "no value" (``"N/A"``, ``"未知"`` …) give ``""``.

    Example:
        >>> normalize_value(" ＲＭ 1,234.50 "), normalize_value("￥12元"), normalize_value("RMX Trading")
        ('1,234.50', '12', 'rmxtrading')
    """
    if is_null(value):
        return ""
    text = squash(str(value))
    text = _CURRENCY_PREFIX.sub("", text, count=1)
    return _CURRENCY_SUFFIX.sub("", text, count=1)


def is_null(value: Any) -> bool:
    """Whether a label or an answer means "no value": None, empty, or a null answer such as "N/A"."""
    return value is None or (isinstance(value, str) and is_null_answer(value))


def similarity(a: str, b: str) -> float:
    """Normalised edit similarity ``1 − Levenshtein(a, b) / max(len)`` in ``[0, 1]`` (1.0 for two empty strings)."""
    from rapidfuzz.distance import Levenshtein

    return Levenshtein.normalized_similarity(a, b)


@dataclass(frozen=True)
class ValueScore:
    """How one predicted value compares with its label.

    Attributes:
        exact: Equal after :func:`normalize_value` (null for null counts).
        similarity: ``1 − NED`` of the normalised strings.
        lenient: ``similarity`` ≥ the threshold.
        tp: A value was expected and the right one returned.
        fp: A value was returned that is wrong or was not expected.
        fn: A value was expected and a wrong one or none returned.
    """

    exact: bool
    similarity: float
    lenient: bool
    tp: bool
    fp: bool
    fn: bool


def score_value(predicted: Any, expected: Any, threshold: float = LENIENT_THRESHOLD) -> ValueScore:
    """Score one prediction against one label.

    Args:
        predicted: The extracted value (None or a null answer for "no value").
        expected: The label (None for "the document has no value").
        threshold: The lenient threshold.

    Returns:
        The :class:`ValueScore`.
    """
    p, g = normalize_value(predicted), normalize_value(expected)
    exact = p == g
    sim = similarity(p, g)
    has_p, has_g = bool(p), bool(g)
    return ValueScore(
        exact=exact,
        similarity=sim,
        lenient=exact or sim >= threshold,
        tp=has_p and has_g and exact,
        fp=has_p and not exact,
        fn=has_g and not exact,
    )


@dataclass
class Counts:
    """Running totals of :class:`ValueScore` s for one key or overall."""

    n: int = 0
    labelled: int = 0
    exact: int = 0
    lenient: int = 0
    anls: float = 0.0
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, score: ValueScore, expected: Any, threshold: float) -> None:
        """Count one scored value."""
        self.n += 1
        self.labelled += not is_null(expected)
        self.exact += score.exact
        self.lenient += score.lenient
        self.anls += score.similarity if score.similarity >= threshold else 0.0
        self.tp += score.tp
        self.fp += score.fp
        self.fn += score.fn

    def summary(self) -> dict[str, float | int]:
        """Shares (0.0 when there is nothing to divide by) and counts."""
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        n = self.n or 1
        return {
            "n": self.n,
            "labelled": self.labelled,
            "exact": self.exact / n if self.n else 0.0,
            "lenient": self.lenient / n if self.n else 0.0,
            "anls": self.anls / n if self.n else 0.0,
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
        }


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
