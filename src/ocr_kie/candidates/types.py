"""The candidate types: what a key holds (:class:`KeyType`), a value on the page (:class:`Candidate`), and
a candidate scored for one key (:class:`ScoredCandidate`)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["Candidate", "KeyType", "ScoredCandidate"]


class KeyType(str, enum.Enum):
    """What a key holds; decides which candidate kinds fit it."""

    TEXT = "text"
    NAME = "name"  # a company, shop, person or station name
    ADDRESS = "address"
    DATE = "date"
    TIME = "time"
    AMOUNT = "amount"
    NUMBER = "number"
    PHONE = "phone"
    ID = "id"
    EMAIL = "email"
    PERCENT = "percent"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Candidate:
    """One value a key could take, as printed on the page.

    Attributes:
        text: The value as printed: a whole line, a span of one, or a run of lines joined with " ".
        kind: ``"line"``, ``"span"``, ``"run"``, ``"date"``, ``"time"``, ``"amount"``, ``"number"``,
            ``"phone"``, ``"id"``, ``"email"`` or ``"percent"``.
        page: The 1-based page number (``Document.metadata["page"]``).
        lines: Indices into that page's ``Document.metadata["lines"]``.
        box: ``(x0, y0, x1, y1)`` in page pixels: the box of its lines; for a part of one line, the
            part's share of the line's box (estimated from the characters: OCR gives line boxes only).
        ocr_score: The lowest OCR score of its lines.
        label: The printed label: the prefix before a separator on the same line, else the text to
            its left on the same row, else the line just above in the same column.
        label_source: ``"prefix"``, ``"left"``, ``"above"`` or None.
        source: The page's ``metadata["source"]``.
        y: The vertical centre of the box as a share of the page height (0 top, 1 bottom).
        x: The horizontal centre of the box as a share of the page width (0 left, 1 right).
        order: Rows of the page above its first line and below its last line (its place in the
            page's reading order, counted from either end).
        magnitude: For an amount, how many larger amounts the page prints (0: the largest).
        contents: The typed kinds (date, phone, id …) found in it.
    """

    text: str
    kind: str
    page: int
    lines: tuple[int, ...]
    box: tuple[float, float, float, float]
    ocr_score: float
    label: str | None = None
    label_source: str | None = None
    source: str | None = None
    y: float = 0.0
    x: float = 0.0
    order: tuple[int, int] = (0, 0)
    magnitude: int | None = None
    contents: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ScoredCandidate:
    """A candidate for one key, with its prior score.

    Attributes:
        candidate: The candidate.
        prior: How likely it is the key's value before any model reads it, in ``[0, 1]``.
        reasons: What made up the prior, e.g. ``("label~key 0.92", "type=date")``.
        label_score: How well the candidate's label matches the key (0..1): near 0 for every
            candidate of a page usually means the key is not printed there.
        profile_score: How well it matches the nearest example (None without examples).
        example: The index of that example.
        features: That match's features (label, kind, shape, position, order, lines), each 0..1.
    """

    candidate: Candidate
    prior: float
    reasons: tuple[str, ...] = ()
    label_score: float = 0.0
    profile_score: float | None = None
    example: int | None = None
    features: Mapping[str, float] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The candidate's text."""
        return self.candidate.text
