"""The candidate builder: every value a key could take, read off a page's lines with its box, score and label.

:func:`page_candidates` reads the page view (:func:`ocr_kie.page.read_pages`) and emits, per page,
the kinds described in :mod:`ocr_kie.candidates`: lines, runs, spans and typed spans, each with its
printed label (a prefix before a separator, a label-like text to its left on the row, or the
label-like line just above it in its column).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from langchain_core.documents import Document

from ocr_kie.candidates.kinds import (
    _AMOUNT_BARE,
    _AMOUNT_MARKED,
    _CURRENCY_ONLY,
    _DATE,
    _EMAIL,
    _GAP,
    _ID,
    _LABEL_TRIM,
    _NUMBER,
    _PERCENT,
    _PHONE,
    _SCRIPT_RUN,
    _SEPARATOR_COLON,
    _TIME,
)
from ocr_kie.candidates.types import Candidate
from ocr_kie.normalize import is_cjk, parse_number, squash, to_halfwidth
from ocr_kie.page import MAX_COLUMN_RUN, Line, Page, read_pages

__all__ = ["DEFAULT_MAX_RUN_LINES", "page_candidates"]

#: Longest run of consecutive lines of one column offered as a candidate (:data:`ocr_kie.page.MAX_COLUMN_RUN`).
DEFAULT_MAX_RUN_LINES = MAX_COLUMN_RUN


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
    def __init__(self, page: Page, max_run_lines: int) -> None:
        self.page = page
        self.max_run_lines = max_run_lines
        self.by_index = {ln.index: ln for ln in page.lines}
        self.rank = {row: i for i, row in enumerate(sorted({ln.row for ln in page.lines}))}
        self.out: list[Candidate] = []

    # -- labels and neighbours ---------------------------------------------------------------

    def _left_label(self, line: Line) -> str | None:
        left = line.left
        while left is not None:
            other = self.by_index[left]
            if not _CURRENCY_ONLY.match(other.text):
                # a value to the left ("25.07 | 6月11日" under "最低还款额 | 到期还款日") is no label
                return _clean_label(other.text) if _looks_like_label(other.text) else None
            left = other.left
        return None

    def _outer_label(self, first: Line) -> tuple[str | None, str | None]:
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
        lines: Sequence[Line],
        *,
        label: str | None = None,
        label_source: str | None = None,
    ) -> None:
        text = text.strip()
        if not text:
            return
        if label_source is None:
            label, label_source = self._outer_label(lines[0])
        boxes = [ln.geometry for ln in lines]
        box = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))
        if len(lines) == 1 and kind not in ("line", "run"):
            box = lines[0].part_box(text)
        self.out.append(
            Candidate(
                text,
                kind,
                self.page.number,
                tuple(ln.index for ln in lines),
                box,
                min(ln.confidence for ln in lines),
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

    def _spans(self, line: Line) -> None:
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

    def _script_spans(self, line: Line) -> None:
        """Split a line where Chinese meets Latin letters or digits: "5432141980****0711陈明梓"."""
        parts = [(m.start(), m.end()) for m in _SCRIPT_RUN.finditer(line.text)]
        texts = [line.text[a:b].strip() for a, b in parts]
        if len(parts) < 2 or any(len(t) < 2 for t in texts):
            return
        for i, text in enumerate(texts):
            before = texts[i - 1] if i else " "
            label = is_cjk(before[-1]) and not is_cjk(text[0]) and _looks_like_label(before)
            self._span(text, line, _clean_label(before) if label else None)

    def _span(self, value: str, line: Line, label: str | None) -> None:
        self._add(value, "span", [line], label=label, label_source=None if label is None else "prefix")

    def _typed_label(self, line: Line, start: int, taken: list[tuple[int, int]]) -> tuple[str | None, str | None]:
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

    def _typed(self, line: Line) -> None:
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
        by_row: dict[int, list[Line]] = {}
        for line in self.page.lines:
            by_row.setdefault(line.row, []).append(line)
        for members in by_row.values():
            if len(members) < 2:
                continue
            members.sort(key=lambda ln: ln.geometry[0])
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

    def _run(self, lines: list[Line]) -> None:
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
    for page in read_pages(documents):
        out.extend(_Builder(page, max_run_lines).build())
    return out
