"""Candidate values from the page: every value a key could take, with its box, OCR score and label.

A small local model reads a page badly but can pick well from a short list, so a grounded decoder
constrains each key's value to one of these (built from the OCR lines of
:class:`~ocr_kie.loader.PPOCRLoader` Documents)::

    >>> cands = page_candidates(documents)  # doctest: +SKIP
    >>> [(s.candidate.text, s.candidate.label) for s in key_candidates(cands, "账单日", limit=3)]  # doctest: +SKIP
    [('每月5日', '账单日'), ('2026年12月25日', '到期还款日'), ...]

Kinds, per page: ``line`` (each OCR line), ``run`` (boxes of one row joined left to right, and
2..``max_run_lines`` consecutive lines of one column: an address over three lines), ``span`` (a
line split at separators ``:`` ``：``, tabs, wide gaps, and where Chinese meets Latin letters or
digits; a line without its trailing registration number, leading code or trailing punctuation),
and typed spans found by pattern: ``date``, ``time``, ``amount`` (with and without its currency
mark), ``number``, ``phone``, ``id``, ``email``, ``percent``. Each keeps its printed label: the
prefix before a separator, else a label-like text to its left on the row, else the label-like
line just above it in its column.

:func:`key_type` says what a key holds (schema first, else its name and description);
:func:`key_candidates` narrows the candidates to that type and the schema's ``pattern`` and
``enum`` and ranks them by the key's profile learned from the examples
(:mod:`ocr_kie.profiles`), the label's similarity to the key, type fit and OCR score. No rule
here knows a document type.
"""

from __future__ import annotations

import contextlib
import enum
import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from langchain_core.documents import Document
from rapidfuzz import fuzz

from ocr_kie.grounding import line_box
from ocr_kie.normalize import parse_number, squash, to_halfwidth

if TYPE_CHECKING:
    from ocr_kie.profiles import KeyProfile

__all__ = [
    "DEFAULT_MAX_RUN_LINES",
    "Candidate",
    "KeyType",
    "ScoredCandidate",
    "key_candidates",
    "key_type",
    "label_similarity",
    "page_candidates",
]

#: Longest run of consecutive lines of one column offered as a candidate.
DEFAULT_MAX_RUN_LINES = 5


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


# --------------------------------------------------------------------------------------------
# Patterns

_MONTHS = (
    r"(?:JAN(?:UARY)?|FEB(?:RUARY)?|MAR(?:CH)?|APR(?:IL)?|MAY|JUNE?|JULY?|AUG(?:UST)?"
    r"|SEP(?:T(?:EMBER)?)?|OCT(?:OBER)?|NOV(?:EMBER)?|DEC(?:EMBER)?)"
)
_D = r"(?<![\d])"
_E = r"(?![\d])"
# A date ends where its digits end, or where a time glued to it by the OCR begins ("25/12/20188:13:39PM").
_DE = r"(?:(?![\d]|[-/.]\d)|(?=\d{1,2}\s*[:：]\s*\d{2}))"
_YEAR = r"(?:(?:19|20)\d{2}|\d{2})"

_DATE_PATTERNS = [
    # Chinese forms
    rf"{_D}\d{{4}}\s*年\s*\d{{1,2}}\s*月\s*\d{{1,2}}\s*[日号]",
    rf"{_D}\d{{4}}\s*年\s*\d{{1,2}}\s*月",
    r"每[个]?月\s*\d{1,2}\s*[日号]",
    rf"{_D}\d{{1,2}}\s*月\s*\d{{1,2}}\s*[日号]",
    # numeric, one separator throughout: year first, day or month first
    rf"{_D}(?:19|20)\d{{2}}\s*(?P<s1>[-/.])\s*\d{{1,2}}\s*(?P=s1)\s*\d{{1,2}}{_DE}",
    rf"{_D}\d{{1,2}}\s*(?P<s2>[-/.])\s*\d{{1,2}}\s*(?P=s2)\s*{_YEAR}{_DE}",
    # month names
    rf"{_D}\d{{1,2}}\s*[-/ ]?\s*{_MONTHS}\.?\s*[-/ ,]?\s*{_YEAR}{_DE}",
    rf"(?<![A-Z]){_MONTHS}\.?\s*\d{{1,2}}\s*,?\s*(?:19|20)\d{{2}}{_DE}",
    # compact 20180304
    rf"{_D}(?:19|20)\d{{2}}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]){_DE}",
]
_DATE = re.compile("|".join(f"(?:{p})" for p in _DATE_PATTERNS), re.IGNORECASE)

_TIME = re.compile(
    rf"{_D}(?:[01]?\d|2[0-3])\s*[:：]\s*[0-5]\d(?:\s*[:：]\s*[0-5]\d)?(?:\s*[AaPp]\.?[Mm]\.?)?{_E}"
    rf"|{_D}(?:[01]?\d|2[0-3])\s*[时点]\s*[0-5]?\d\s*分?(?:\s*[0-5]?\d\s*秒)?"
    rf"|{_D}(?:[01]?\d|2[0-3])\s*[:：]\s*[0-5]\d\s*开"
)

_CURRENCY = r"(?:[¥￥$€£]|RMB|CNY|MYR|USD|HKD|RM|US\$|HK\$)"
_NUM = r"-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{1,2})?"
_AMOUNT_MARKED = re.compile(
    rf"(?<![A-Za-z])(?P<pre>{_CURRENCY}\s*(?P<a>{_NUM}){_E})(?:\s*[元圆])?"
    rf"|{_D}(?P<b>{_NUM})\s*(?:元|圆|RMB|CNY|MYR)",
    re.IGNORECASE,
)
_AMOUNT_BARE = re.compile(rf"(?<![\d.,]){_D}(?:\d{{1,3}}(?:,\d{{3}})+|\d+)\.\d{{2}}(?![\d.,]\d)")
_NUMBER = re.compile(r"(?<![\d.,])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\d]|[.,]\d)")
_PERCENT = re.compile(r"(?<![\d.])\d+(?:\.\d+)?\s*[%％]")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_PHONE = re.compile(
    r"(?<![\w*.,-])(?:\+?\d{1,3}[-\s]?)?(?:\(?0\d{1,3}\)?[-\s]?)?\d{3,4}[-\s]?\d{4}(?![\d*])"
    r"|(?<![\d*])1[3-9]\d{9}(?![\d*])"
)
_ID = re.compile(
    # masked ID / card numbers: 1101011990****1234, **** 8842
    r"(?<![\dA-Za-z*])\d{0,10}(?:\*{2,}\s?)+\d{2,6}[\dXx]?(?![\d])"
    # codes with letters and digits, or long digit runs: G123, INV-0042, 18203/102/T0466, 000181747712
    r"|(?<![A-Za-z0-9])(?=[A-Za-z0-9/_\-.#]*\d)(?=[A-Za-z0-9/_\-.#]*[A-Za-z])[A-Za-z0-9][A-Za-z0-9/_\-.#]{2,}[A-Za-z0-9]"
    r"|(?<![\d])\d{6,}[Xx]?(?![\d])"
)

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Runs of Chinese characters, and runs of anything else that is not a space.
_SCRIPT_RUN = re.compile(rf"[{_CJK}]+(?:\s+[{_CJK}]+)*|[^\s{_CJK}]+(?:\s+[^\s{_CJK}]+)*")


def _is_cjk(ch: str) -> bool:
    cp = ord(ch)
    return 0x3400 <= cp <= 0x4DBF or 0x4E00 <= cp <= 0x9FFF or 0xF900 <= cp <= 0xFAFF


# "label: value" inside one text
_LABELLED_VALUE = re.compile(r"[^\d\s:：][:：]\s*\S")
# A colon separates a label from its value unless digits stand on both sides (a time, 10:30).
_SEPARATOR_COLON = re.compile(r"(?<!\d)[:：]|[:：](?!\d)")
# Tabs, ideographic spaces, and runs of two or more spaces split a line into fields.
_GAP = re.compile(r"\t|\u3000|\s{2,}")
_LABEL_TRIM = " \t:：-—=|>,.;；，。()（）[]【】"
_CURRENCY_ONLY = re.compile(rf"^\s*{_CURRENCY}?\s*[:：]?\s*$", re.IGNORECASE)


# --------------------------------------------------------------------------------------------
# Pages and lines


@dataclass
class _Line:
    index: int
    text: str
    box: tuple[float, float, float, float]
    score: float
    row: int
    left: int | None = None
    right: int | None = None
    above: int | None = None
    below: int | None = None

    @property
    def height(self) -> float:
        return max(1.0, self.box[3] - self.box[1])


@dataclass
class _Page:
    number: int
    source: str | None
    height: float
    width: float
    lines: list[_Line] = field(default_factory=list)


def _sub_box(line: _Line, part: str) -> tuple[float, float, float, float]:
    """The estimated box of a part of a line: its share of the line's width, a Chinese character counting double."""
    at = line.text.find(part)
    if at < 0:
        return line.box

    def width(text: str) -> int:
        return sum(2 if _is_cjk(ch) or ord(ch) >= 0xFF00 else 1 for ch in text)

    total = width(line.text) or 1
    x0, y0, x1, y1 = line.box
    start = x0 + (x1 - x0) * width(line.text[:at]) / total
    end = x0 + (x1 - x0) * width(line.text[: at + len(part)]) / total
    return (round(start, 1), y0, round(end, 1), y1)


def _x_overlap(a: _Line, b: _Line) -> float:
    """Horizontal overlap of two lines as a share of the narrower one."""
    inter = min(a.box[2], b.box[2]) - max(a.box[0], b.box[0])
    narrow = max(1.0, min(a.box[2] - a.box[0], b.box[2] - b.box[0]))
    return max(0.0, inter) / narrow


def _page(doc: Document, index: int) -> _Page:
    meta = doc.metadata or {}
    raw_lines = meta.get("lines")
    if raw_lines is None:  # a plain text Document: one row per text line, fake boxes
        raw_lines = [{"text": t, "row": i} for i, t in enumerate(doc.page_content.splitlines())]
    lines = [
        _Line(
            index=i,
            text=str(raw.get("text", "")),
            box=line_box(raw) or (0.0, 20.0 * i, 10.0 * len(str(raw.get("text", ""))), 20.0 * i + 16.0),
            score=1.0 if raw.get("score") is None else float(raw["score"]),
            row=int(raw.get("row", i)),
        )
        for i, raw in enumerate(raw_lines)
    ]
    page = _Page(
        number=int(meta.get("page") or index + 1),
        source=None if meta.get("source") is None else str(meta.get("source")),
        height=float(meta.get("height") or max((ln.box[3] for ln in lines), default=1.0) or 1.0),
        width=float(meta.get("width") or max((ln.box[2] for ln in lines), default=1.0) or 1.0),
        lines=[ln for ln in lines if ln.text.strip()],
    )
    _link_neighbours(page)
    return page


def _link_neighbours(page: _Page) -> None:
    """Set each line's left/right neighbour on its row and above/below neighbour in its column."""
    by_row: dict[int, list[_Line]] = {}
    for line in page.lines:
        by_row.setdefault(line.row, []).append(line)
    rows = sorted(by_row)
    for r in rows:
        members = sorted(by_row[r], key=lambda ln: ln.box[0])
        for a, b in itertools.pairwise(members):
            a.right, b.left = b.index, a.index
    by_index = {ln.index: ln for ln in page.lines}
    for pos, r in enumerate(rows):
        for line in by_row[r]:
            # the nearest line below in the same column, at most a few line heights away
            for r2 in rows[pos + 1 : pos + 4]:
                best = max(by_row[r2], key=lambda other: _x_overlap(line, other))
                if best.box[1] - line.box[3] > 2.5 * max(line.height, best.height):
                    break
                if _x_overlap(line, best) >= 0.3 or abs(best.box[0] - line.box[0]) < line.height:
                    if line.below is None:
                        line.below = best.index
                    if best.above is None or _closer_above(by_index[best.above], line, best):
                        best.above = line.index
                    break


def _closer_above(current: _Line, new: _Line, target: _Line) -> bool:
    return new.box[3] > current.box[3] or (
        new.box[3] == current.box[3] and _x_overlap(new, target) > _x_overlap(current, target)
    )


# --------------------------------------------------------------------------------------------
# Building the candidates


# A registration number in brackets at the end of a name: "99 SPEED MART S/B (519537-X)"
_TRAILING_REG = re.compile(r"\s*[(（][^()（）]*\d[^()（）]*(?:[)）]|$)\s*$")
# A store or terminal code before a name: "31212012 SYARIKAT PERNIAGAAN", "#000002 BAIFU"
_LEADING_CODE = re.compile(
    r"^\s*(?:#?\d[\d-]*\s+(?=[^\W\d])|#?\d{5,}[\d-]*\s+|\d{5,}-[A-Z]\s+|[(（][^()（）]*\d[^()（）]*[)）]\s*)(?=\S)"
)
_TRAILING_PUNCT = " .,;:：，。;"


def _trimmed(text: str) -> list[str]:
    """Variants of a line without a trailing registration number, a leading code, trailing punctuation."""
    out: list[str] = []
    current = text.strip()
    for step in (
        lambda t: _TRAILING_REG.sub("", t),
        lambda t: _LEADING_CODE.sub("", t),
        lambda t: t.rstrip(_TRAILING_PUNCT),
    ):
        changed = step(current).strip()
        if changed and changed != current and any(ch.isalpha() for ch in changed):
            out.append(changed)
            current = changed
    return out


# A currency mark printed after a label: "Total Sales Incl GST: RM", "CASH RM" (RH/RK: OCR slips)
_CURRENCY_TAIL = re.compile(r"(?:(?<=[\s:：(（])|^)(?:RM|R[HKN]|MYR|RMB|USD|US\$|\$|¥|￥|元)[\s)）]*$", re.IGNORECASE)


def _looks_like_label(text: str) -> bool:
    """Whether a line can be the printed label of the line below it."""
    text = _CURRENCY_TAIL.sub("", text)
    squashed = squash(text)
    if not squashed or len(squashed) > 30:
        return False
    digits = sum(ch.isdigit() for ch in squashed)
    if digits > 0.3 * len(squashed):
        return False
    sep = _SEPARATOR_COLON.search(text)
    return sep is None or not text[sep.end() :].strip()


def _clean_label(text: str | None) -> str | None:
    if text is None:
        return None
    label = _CURRENCY_TAIL.sub("", text.strip(_LABEL_TRIM)).strip(_LABEL_TRIM)
    return label or None


class _Builder:
    def __init__(self, page: _Page, max_run_lines: int) -> None:
        self.page = page
        self.max_run_lines = max_run_lines
        self.by_index = {ln.index: ln for ln in page.lines}
        self.rank = {row: i for i, row in enumerate(sorted({ln.row for ln in page.lines}))}
        self.out: list[Candidate] = []

    # -- labels and neighbours ---------------------------------------------------------------

    def _left_label(self, line: _Line) -> str | None:
        left = line.left
        while left is not None:
            other = self.by_index[left]
            if not _CURRENCY_ONLY.match(other.text):
                # a value to the left ("25.07 | 6月11日" under "最低还款额 | 到期还款日") is no label
                return _clean_label(other.text) if _looks_like_label(other.text) else None
            left = other.left
        return None

    def _outer_label(self, first: _Line) -> tuple[str | None, str | None]:
        if (label := self._left_label(first)) is not None:
            return label, "left"
        # the line above, when it reads like a label (short, not "label: value") and labels no value on its own row
        above = None if first.above is None else self.by_index[first.above]
        right = None if above is None or above.right is None else self.by_index[above.right].text
        if above is not None and _looks_like_label(above.text) and (right is None or _looks_like_label(right)):
            label = _clean_label(above.text)
            return label, "above" if label else None
        return None, None

    def _add(
        self,
        text: str,
        kind: str,
        lines: Sequence[_Line],
        *,
        label: str | None = None,
        label_source: str | None = None,
    ) -> None:
        text = text.strip()
        if not text:
            return
        if label_source is None:
            label, label_source = self._outer_label(lines[0])
        boxes = [ln.box for ln in lines]
        box = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))
        if len(lines) == 1 and kind not in ("line", "run"):
            box = _sub_box(lines[0], text)
        self.out.append(
            Candidate(
                text,
                kind,
                self.page.number,
                tuple(ln.index for ln in lines),
                box,
                min(ln.score for ln in lines),
                label,
                label_source if label is not None else None,
                self.page.source,
                y=((box[1] + box[3]) / 2) / self.page.height,
                x=((box[0] + box[2]) / 2) / self.page.width,
                order=(self.rank[lines[0].row], len(self.rank) - 1 - self.rank[lines[-1].row]),
            )
        )

    # -- kinds ----------------------------------------------------------------------------

    def build(self) -> list[Candidate]:
        for line in self.page.lines:
            self._add(line.text, "line", [line])
            for variant in _trimmed(line.text):
                self._add(variant, "line", [line])  # the line as printed, less a code
            self._spans(line)
            self._script_spans(line)
            self._typed(line)
        self._row_runs()
        self._column_runs()
        amounts = {(c.lines, squash(c.text)): parse_number(c.text) for c in self.out if c.kind == "amount"}
        # a line or span printed as just an amount is that amount (its size ranked too)
        values = {id(c): amounts.get((c.lines, squash(c.text))) for c in self.out}
        larger = sorted({v for v in values.values() if v is not None}, reverse=True)
        typed: dict[int, set[tuple[str, str]]] = {}
        for c in self.out:
            if c.kind not in ("line", "span", "run"):
                typed.setdefault(c.lines[0], set()).add((c.kind, c.text))
        return [
            replace(
                c,
                magnitude=None if values.get(id(c)) is None else larger.index(values[id(c)]),
                contents=frozenset(k for i in c.lines for k, t in typed.get(i, ()) if t in c.text),
            )
            for c in self.out
        ]

    def _spans(self, line: _Line) -> None:
        """Split a line at wide gaps and label separators; the part before a separator is the label."""
        text = line.text
        fields = [part.strip() for part in _GAP.split(text) if part.strip()]
        previous: str | None = None
        for part in fields:
            sep = _SEPARATOR_COLON.search(part)
            if sep is not None:
                label = _clean_label(part[: sep.start()])
                value = part[sep.end() :].strip()
                if value and value != text.strip():
                    self._span(value, line, label)
                previous = None if value else label
                continue
            if len(fields) > 1:
                self._span(part, line, _clean_label(previous))
            previous = part

    def _script_spans(self, line: _Line) -> None:
        """Split a line where Chinese meets Latin letters or digits: "5432141980****0711陈明梓"."""
        parts = [(m.start(), m.end()) for m in _SCRIPT_RUN.finditer(line.text)]
        texts = [line.text[a:b].strip() for a, b in parts]
        if len(parts) < 2 or any(len(t) < 2 for t in texts):
            return
        for i, text in enumerate(texts):
            before = texts[i - 1] if i else " "
            label = _is_cjk(before[-1]) and not _is_cjk(text[0]) and _looks_like_label(before)
            self._span(text, line, _clean_label(before) if label else None)

    def _span(self, value: str, line: _Line, label: str | None) -> None:
        self._add(value, "span", [line], label=label, label_source=None if label is None else "prefix")

    def _typed_label(self, line: _Line, start: int, taken: list[tuple[int, int]]) -> tuple[str | None, str | None]:
        """The text before a typed span on its own line (after the previous typed span), else outer."""
        cut = max((e for s, e in taken if e <= start), default=0)
        prefix = line.text[cut:start]
        gap = list(_GAP.finditer(prefix))
        if gap:  # "TOTAL  Qty 3  RM 9.00": the field just before
            tail = prefix[gap[-1].end() :]
            prefix = tail if _clean_label(tail) else prefix[: gap[-1].start()]
        label = _clean_label(prefix)
        if label is not None and _CURRENCY_ONLY.match(label) and gap:  # "TOTAL  RM 9.00": the field before "RM"
            label = _clean_label(prefix[: gap[-1].start()])
        if label is not None and not _CURRENCY_ONLY.match(label):
            return label, "prefix"
        return self._outer_label(line)

    def _typed(self, line: _Line) -> None:
        text = to_halfwidth(line.text)
        taken: list[tuple[int, int]] = []

        def emit(kind: str, start: int, end: int, at: int | None = None, before: list | None = None) -> None:
            label, source = self._typed_label(line, start if at is None else at, taken if before is None else before)
            self._add(line.text[start:end], kind, [line], label=label, label_source=source)

        def free(start: int, end: int) -> bool:
            return all(end <= s or start >= e for s, e in taken)

        def scan(kind: str, pattern: re.Pattern[str]) -> None:
            for m in pattern.finditer(text):
                if free(*m.span()):
                    emit(kind, *m.span())
                    taken.append(m.span())

        scan("email", _EMAIL)
        for m in _DATE.finditer(text):
            if not free(*m.span()):
                continue
            emit("date", *m.span())
            taken.append(m.span())
            # a date followed by a time: "2019年01月15日 08:30开", "25/12/2018 10:00"
            rest = text[m.end() :]
            t = _TIME.match(text, m.end() + len(rest) - len(rest.lstrip()))
            if t is not None and t.start() - m.end() <= 2:
                emit("date", m.start(), t.end(), before=taken[:-1])
        scan("time", _TIME)
        scan("percent", _PERCENT)
        for m in _AMOUNT_MARKED.finditer(text):
            if not free(*m.span()):
                continue
            # "¥20.8元", "¥20.8", "20.8"; "RM 9.00", "9.00"
            spans = [m.span(), *((m.span("pre"), m.span("a")) if m.group("a") is not None else (m.span("b"),))]
            for start, end in dict.fromkeys(spans):
                emit("amount", start, end, at=m.start())
            taken.append(m.span())
        for m in _PHONE.finditer(text):
            digits = sum(ch.isdigit() for ch in m.group())
            looks_dialled = bool(re.search(r"[-\s()+]", m.group())) or m.group()[0] == "0" or digits == 11
            if free(*m.span()) and digits >= 7 and looks_dialled and not _AMOUNT_BARE.fullmatch(m.group()):
                emit("phone", *m.span())
                taken.append(m.span())
        scan("amount", _AMOUNT_BARE)
        scan("id", _ID)
        scan("number", _NUMBER)

    def _row_runs(self) -> None:
        by_row: dict[int, list[_Line]] = {}
        for line in self.page.lines:
            by_row.setdefault(line.row, []).append(line)
        for members in by_row.values():
            if len(members) < 2:
                continue
            members.sort(key=lambda ln: ln.box[0])
            for i in range(len(members)):
                for j in range(i + 2, len(members) + 1):
                    part = members[i:j]
                    self._run(part)

    def _column_runs(self) -> None:
        for line in self.page.lines:
            run = [line]
            while len(run) < self.max_run_lines and run[-1].below is not None:
                nxt = self.by_index[run[-1].below]
                # one string of the page text: the run goes on only from a row's last box to the next row's first
                if nxt.above != run[-1].index or run[-1].right is not None or nxt.left is not None:
                    break
                run.append(nxt)
                self._run(run)

    def _run(self, lines: list[_Line]) -> None:
        text = " ".join(ln.text.strip() for ln in lines)
        for variant in (text, *_trimmed(text)):
            self._add(variant, "run", list(lines))


def page_candidates(documents: Sequence[Document], *, max_run_lines: int = DEFAULT_MAX_RUN_LINES) -> list[Candidate]:
    """All candidate values of the pages.

    Args:
        documents: OCR Documents, one per page, as :class:`~ocr_kie.loader.PPOCRLoader` makes them
            (``metadata["lines"]`` with ``text``, ``box``, ``score``, ``row``). Documents without
            lines are read one text line per row, without real boxes.
        max_run_lines: The most consecutive lines of a column joined into one ``run``.

    Returns:
        The candidates, page by page in reading order; the same text may appear as several
        candidates (a line and a span of it, with different labels).
    """
    out: list[Candidate] = []
    for index, doc in enumerate(documents):
        out.extend(_Builder(_page(doc, index), max_run_lines).build())
    return out


# --------------------------------------------------------------------------------------------
# Keys: what they hold, and which candidates fit them

# (type, words in a key's name or description that mean it) — checked in this order.
_NAME_RULES: list[tuple[KeyType, re.Pattern[str]]] = [
    (KeyType.EMAIL, re.compile(r"e-?mail|邮箱|电子邮件|邮件", re.IGNORECASE)),
    (KeyType.PHONE, re.compile(r"phone|\btel\b|telephone|mobile|\bfax\b|电话|手机|联系方式|传真", re.IGNORECASE)),
    (KeyType.PERCENT, re.compile(r"percent|\brate\b|ratio|百分比|费率|利率|税率|比例|折扣率", re.IGNORECASE)),
    (KeyType.ADDRESS, re.compile(r"address|\baddr\b|地址|住址|所在地", re.IGNORECASE)),
    (KeyType.TIME, re.compile(r"\btime\b|时间|时刻|几点", re.IGNORECASE)),
    (
        KeyType.DATE,
        re.compile(r"date|\bday\b|birthday|expiry|expires|日期|日$|期限|有效期|生日|出生|年月", re.IGNORECASE),
    ),
    (
        KeyType.AMOUNT,
        re.compile(
            r"total|amount|price|cost|fee|balance|payment|paid|due|tax|\bsum\b|subtotal|cash|change|limit|credit"
            r"|金额|额度|价|合计|总计|总额|实付|应付|应还|还款|实收|余额|费|税|款|元|收入|支出",
            re.IGNORECASE,
        ),
    ),
    (KeyType.NUMBER, re.compile(r"quantity|\bqty\b|count|weight|数量|个数|件数|重量|次数|人数", re.IGNORECASE)),
    (
        KeyType.ID,
        re.compile(
            r"\bno\b\.?|number|\bid\b|code|serial|invoice|order|receipt|train|seat|account|card|号码|编号|号$|单号|卡号|账号"
            r"|车次|座位|代码|身份证|证件|流水",
            re.IGNORECASE,
        ),
    ),
    (
        KeyType.NAME,
        re.compile(
            r"company|merchant|vendor|seller|store|shop|restaurant|name|station|payee|issuer"
            r"|公司|商户|商家|店|名称|姓名|单位|销售方|购买方|收款人|站|户名",
            re.IGNORECASE,
        ),
    ),
]

# Candidate kinds that fit each type, with how well.
_FIT: dict[KeyType, dict[str, float]] = {
    KeyType.DATE: {"date": 1.0},
    KeyType.TIME: {"time": 1.0, "date": 0.6},
    KeyType.AMOUNT: {"amount": 1.0, "number": 0.5},
    KeyType.NUMBER: {"number": 1.0, "amount": 0.8, "percent": 0.3},
    KeyType.PERCENT: {"percent": 1.0},
    KeyType.PHONE: {"phone": 1.0},
    KeyType.EMAIL: {"email": 1.0},
    KeyType.ID: {"id": 1.0, "number": 0.6, "phone": 0.4, "span": 0.4, "line": 0.3},
    KeyType.ADDRESS: {"run": 1.0, "line": 0.8, "span": 0.7},
    KeyType.NAME: {"line": 1.0, "span": 1.0, "run": 0.8},
    KeyType.TEXT: {"span": 1.0, "line": 0.9, "run": 0.5, "date": 0.3, "amount": 0.3, "id": 0.4, "number": 0.3},
}


def key_type(key: str, prop: Mapping[str, Any] | None = None) -> KeyType:
    """What a key holds: from its JSON Schema first, else from its name and description.

    Schema first: ``format`` ``date``/``date-time`` → DATE, ``time`` → TIME, ``email`` → EMAIL;
    ``type`` ``number``/``integer`` → AMOUNT when the name speaks of money, else NUMBER. Otherwise
    the key's name (and then its ``title`` and ``description``), in Chinese or English: 日期/date →
    DATE, 金额/额度/价/合计/total/amount → AMOUNT, 电话/phone → PHONE, 号码/编号/no./number/id → ID,
    邮箱/email → EMAIL, 地址/address → ADDRESS, 公司/名称/company/name → NAME; else TEXT.

    Example:
        >>> key_type("可用额度"), key_type("到期还款日"), key_type("x", {"format": "email"})
        (<KeyType.AMOUNT: 'amount'>, <KeyType.DATE: 'date'>, <KeyType.EMAIL: 'email'>)

    Args:
        key: The key's name.
        prop: Its JSON Schema (``{"type": ..., "format": ..., "description": ...}``), if any.

    Returns:
        The key's type.
    """
    prop = prop or {}
    by_format = {"date": KeyType.DATE, "date-time": KeyType.DATE, "time": KeyType.TIME, "email": KeyType.EMAIL}
    if (fmt := str(prop.get("format") or "").lower().removeprefix("idn-")) in by_format:
        return by_format[fmt]
    types = prop.get("type")
    types = {types} if isinstance(types, str) else set(types or ())
    name, description = f"{key} {prop.get('title') or ''}".strip(), str(prop.get("description") or "")
    by_name = _type_from_words(name)
    if types & {"number", "integer"}:
        if by_name in (KeyType.AMOUNT, KeyType.PERCENT, KeyType.NUMBER):
            return by_name
        return KeyType.AMOUNT if _type_from_words(description) is KeyType.AMOUNT else KeyType.NUMBER
    if by_name is not None:
        return by_name
    return _type_from_words(description) or KeyType.TEXT


# A key named after a number of something is an id, whatever the something: "credit card no", "账单号码"
_ID_TAIL = re.compile(r"(?:\bno\.?|\bnumber|\bid|\bcode|号码|编号|卡号|账号|单号|代码)\s*$", re.IGNORECASE)


def _type_from_words(text: str) -> KeyType | None:
    if not text.strip():
        return None
    for kind, pattern in _NAME_RULES:
        if kind not in (KeyType.EMAIL, KeyType.PHONE) and _ID_TAIL.search(text.strip().replace("_", " ")):
            return KeyType.ID
        if pattern.search(text.strip()):
            return kind
    return None


def _similarity(a: str, b: str) -> float:
    """How alike a label and a key name are, in [0, 1] (containment counts: 还款日 in 到期还款日)."""
    a, b = squash(a).strip(_LABEL_TRIM), squash(b).strip(_LABEL_TRIM)
    if not a or not b:
        return 0.0
    ratio = fuzz.ratio(a, b) / 100
    short, long = sorted((a, b), key=len)
    min_len = 2 if any(_is_cjk(ch) for ch in short) else 4  # "ant" in "merchant" is no match
    if len(short) >= min_len and len(short) >= 0.3 * len(long) and short in long:
        ratio = max(ratio, 0.75 + 0.25 * len(short) / len(long))
    # unrelated strings still share a few letters (ratio ~0.3): only the part above 0.4 counts
    return max(0.0, (ratio - 0.4) / 0.6)


_ID_WORDS = re.compile(r"n[o0]\b|number|\bid\b|号|编号|代码", re.IGNORECASE)


def label_similarity(label: str | None, names: Sequence[str]) -> float:
    """How alike a label is to any of a key's names (0..1); a number's label ("Reg No") fits only a number key."""
    if not label:
        return 0.0
    id_label = bool(_ID_WORDS.search(label))
    return max(
        (_similarity(label, n) * (0.3 if id_label and not _ID_WORDS.search(n) else 1.0) for n in names), default=0.0
    )


def _enum_candidates(candidates: Sequence[Candidate], values: Sequence[Any]) -> list[Candidate]:
    """Candidates equal to an enum value, or the enum value found inside a candidate line."""
    wanted = {squash(str(v)): str(v) for v in values if v is not None}
    out: list[Candidate] = []
    for cand in candidates:
        sq = squash(cand.text)
        if sq in wanted:
            out.append(cand)
            continue
        if cand.kind != "line":
            continue
        folded = to_halfwidth(cand.text).casefold()
        for value in wanted.values():
            # whole words only: the enum value 12 is not in "¥12.00", "PAID" is not in "UNPAID"
            needle = re.escape(to_halfwidth(value).casefold())
            m = re.search(rf"(?<![0-9a-z.,]){needle}(?![0-9a-z]|[.,]\d)", folded)
            if m is not None:
                out.append(replace(cand, text=cand.text[m.start() : m.end()], kind="span"))
    return out


def key_candidates(
    candidates: Sequence[Candidate],
    key: str,
    prop: Mapping[str, Any] | None = None,
    *,
    limit: int | None = None,
    profile: KeyProfile | None = None,
) -> list[ScoredCandidate]:
    """The candidates a key could take, best first, each with a prior score.

    Narrowing: only the candidate kinds that fit :func:`key_type` (dates for a date, amounts and
    numbers for an amount, lines, spans and runs for text …) and the kinds the examples' values
    were found as; the schema's ``pattern`` (searched, as JSON Schema does) and ``enum`` (values
    equal to one of them, or found inside a line) filter further. When nothing of the key's type
    is on the page, lines and spans are offered instead.

    Ranking (the prior, 0..1). With a ``profile`` learned from the examples: how well the candidate
    matches the nearest example (0.75: label, kind, shape, position, order, lines; see
    :meth:`ocr_kie.profiles.KeyProfile.match`), its label's similarity to the key (0.1), type fit
    (0.1) and OCR score (0.05); the parts the examples answer with are candidates too ("2931" of
    "**** 2931"). Without examples: the label's similarity to the key's name and title (0.55),
    type fit (0.35) and OCR score (0.1); when no label on the page resembles the key, type fit and
    OCR score alone. A candidate whose text is the key's own name (the printed label) is pushed
    down. Texts are de-duplicated (the best-scored copy is kept). No rule knows a document type.

    Example:
        >>> ranked = key_candidates(page_candidates(docs), "可用额度", limit=5)  # doctest: +SKIP
        >>> ranked[0].text, ranked[0].candidate.label, ranked[0].label_score  # doctest: +SKIP
        ('12,000.00', '可用额度', 1.0)

    Args:
        candidates: What :func:`page_candidates` returned.
        key: The key's name.
        prop: The key's JSON Schema, if any.
        limit: Keep at most this many (best first).
        profile: The key's profile learned from the examples, if any example answers it.

    Returns:
        The scored candidates, best first.
    """
    prop = prop or {}
    kind = key_type(key, prop)
    names = [n for n in (key, str(prop.get("title") or "")) if n]
    fit = dict(_FIT[kind])
    pool: list[Candidate] = list(candidates)
    profile = profile if profile is not None and profile.kinds else None
    if profile is not None:
        pool += profile.derive(candidates)
        fit.update({k: max(fit.get(k, 0.0), 0.8) for k in profile.kinds})
    if prop.get("enum"):
        pool = _enum_candidates(pool, prop["enum"])
        fit = {k: 1.0 for k in ("line", "span", *fit)}
    typed = [c for c in pool if c.kind in fit]
    if not typed and pool:  # nothing of the type on the page: fall back to lines and spans
        typed = [c for c in pool if c.kind in ("line", "span")]
        fit = {"line": 0.2, "span": 0.2}
    if prop.get("pattern"):
        with contextlib.suppress(re.error):  # an invalid pattern narrows nothing
            typed = [c for c in typed if re.search(str(prop["pattern"]), c.text)]
    own_names = {squash(n) for n in names}
    by_label = {c.label: label_similarity(c.label, names) for c in {c.label: c for c in typed}.values()}
    labelled = max(by_label.values(), default=0.0) >= 0.5
    best: dict[str, ScoredCandidate] = {}
    for cand in typed:
        label_sim = by_label[cand.label]
        type_fit = fit.get(cand.kind, 0.0)
        if cand.kind in ("line", "run") and kind is not KeyType.ADDRESS and _LABELLED_VALUE.search(cand.text):
            type_fit *= 0.5  # "收款单位：物美超市": the value alone is a span
        reasons = [f"label~key {label_sim:.2f}", f"type={cand.kind} {type_fit:.1f}"]
        example, features, match = None, {}, None
        if profile is not None:
            match, example, features = profile.match(cand)
            prior = 0.75 * match + 0.1 * label_sim + 0.1 * type_fit + 0.05 * cand.ocr_score
            reasons.append(f"example {example} {match:.2f}")
        elif labelled:
            prior = 0.55 * label_sim + 0.35 * type_fit + 0.1 * cand.ocr_score
        else:
            prior = 0.85 * type_fit + 0.1 * cand.ocr_score
        sq = squash(cand.text)
        if sq in own_names or any(
            abs(len(sq) - len(own)) <= max(2, len(own) // 3) and _similarity(sq, own) >= 0.9 for own in own_names
        ):
            prior *= 0.3
            reasons.append("is the key's label")
        profile_score, prior = None if match is None else round(match, 4), round(min(1.0, max(0.0, prior)), 4)
        scored = ScoredCandidate(cand, prior, tuple(reasons), round(label_sim, 4), profile_score, example, features)
        if sq not in best or scored.prior > best[sq].prior:
            best[sq] = scored
    ranked = sorted(best.values(), key=lambda s: (-s.prior, s.candidate.page, s.candidate.lines))
    return ranked if limit is None else ranked[:limit]
