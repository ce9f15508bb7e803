"""The candidate builder: every value a key could take, read off a page's lines with its box, score and label.

:func:`page_candidates` reads the page view (:func:`ocr_kie.page.read_pages`) and emits the kinds, each with
its printed label, that :mod:`ocr_kie.candidates` describes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from functools import partial

from langchain_core.documents import Document

from ocr_kie.candidates.kinds import CURRENCY_ONLY, GAP, LABEL_TRIM, SCRIPT_RUN, SEPARATOR_COLON, TYPED
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
    for step in (partial(_TRAILING_REG.sub, ""), partial(_LEADING_CODE.sub, ""), lambda t: t.rstrip(_TRAILING_PUNCT)):
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
    if not squashed or len(squashed) > 30 or sum(ch.isdigit() for ch in squashed) > 0.3 * len(squashed):
        return False  # empty, too long, or mostly digits
    sep = SEPARATOR_COLON.search(text)
    return sep is None or not text[sep.end() :].strip()


def _clean_label(text: str | None) -> str | None:
    """A label without its punctuation and a currency mark after it; None when nothing is left."""
    return None if text is None else (_CURRENCY_TAIL.sub("", text.strip(LABEL_TRIM)).strip(LABEL_TRIM) or None)


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
            if not CURRENCY_ONLY.match(other.text):
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

    def _add(self, text: str, kind: str, lines: Sequence[Line], label: str | None = None) -> None:
        """Add a candidate: ``label`` is printed before it on its line; without one, the label left of or above it."""
        text = text.strip()
        if not text:
            return
        source: str | None = "prefix"
        if label is None:
            label, source = self._outer_label(lines[0])
        boxes = [ln.geometry for ln in lines]
        box = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))
        if len(lines) == 1 and kind not in ("line", "run"):
            box = lines[0].part_box(text)
        page, indices, score = self.page, tuple(ln.index for ln in lines), min(ln.confidence for ln in lines)
        x, y = (box[0] + box[2]) / 2 / page.width, (box[1] + box[3]) / 2 / page.height
        order = (self.rank[lines[0].row], len(self.rank) - 1 - self.rank[lines[-1].row])
        self.out.append(
            Candidate(text, kind, page.number, indices, box, score, label, source, page.source, y=y, x=x, order=order)
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
        values = [amounts.get((c.lines, squash(c.text))) for c in self.out]
        larger = sorted({v for v in values if v is not None}, reverse=True)
        typed: dict[int, set[tuple[str, str]]] = {}
        for c in self.out:
            if c.kind not in ("line", "span", "run"):
                typed.setdefault(c.lines[0], set()).add((c.kind, c.text))
        return [
            replace(
                c,
                magnitude=None if value is None else larger.index(value),
                contents=frozenset(k for i in c.lines for k, t in typed.get(i, ()) if t in c.text),
            )
            for c, value in zip(self.out, values, strict=True)
        ]

    def _spans(self, line: Line) -> None:
        """Split a line at wide gaps and label separators; the part before a separator is the label."""
        fields = [part.strip() for part in GAP.split(line.text) if part.strip()]
        previous: str | None = None
        for part in fields:
            sep = SEPARATOR_COLON.search(part)
            if sep is not None:
                label = _clean_label(part[: sep.start()])
                value = part[sep.end() :].strip()
                if value and value != line.text.strip():
                    self._add(value, "span", [line], label)
                previous = None if value else label
                continue
            if len(fields) > 1:
                self._add(part, "span", [line], _clean_label(previous))
            previous = part

    def _script_spans(self, line: Line) -> None:
        """Split a line where Chinese meets Latin letters or digits: "5432141980****0711陈明梓"."""
        texts = [m.group().strip() for m in SCRIPT_RUN.finditer(line.text)]
        if len(texts) < 2 or any(len(t) < 2 for t in texts):
            return
        for i, text in enumerate(texts):
            before = texts[i - 1] if i else " "
            label = is_cjk(before[-1]) and not is_cjk(text[0]) and _looks_like_label(before)
            self._add(text, "span", [line], _clean_label(before) if label else None)

    def _typed_label(self, line: Line, start: int, taken: list[tuple[int, int]]) -> str | None:
        """The text before a typed span on its line (after the previous typed span), if it is a label."""
        cut = max((e for s, e in taken if e <= start), default=0)
        prefix = line.text[cut:start]
        gap = list(GAP.finditer(prefix))
        if gap:  # "TOTAL  Qty 3  RM 9.00": the field just before
            tail = prefix[gap[-1].end() :]
            prefix = tail if _clean_label(tail) else prefix[: gap[-1].start()]
        label = _clean_label(prefix)
        if label is not None and CURRENCY_ONLY.match(label) and gap:  # "TOTAL  RM 9.00": the field before "RM"
            label = _clean_label(prefix[: gap[-1].start()])
        return None if label is None or CURRENCY_ONLY.match(label) else label

    def _typed(self, line: Line) -> None:
        """The typed spans of a line (:data:`~ocr_kie.candidates.kinds.TYPED`), each with its label."""
        text = to_halfwidth(line.text)
        taken: list[tuple[int, int]] = []
        for kind, pattern, spans_of in TYPED:
            for m in pattern.finditer(text):
                if any(m.start() < e and m.end() > s for s, e in taken):
                    continue
                spans = [m.span()] if spans_of is None else spans_of(text, m)
                if spans:
                    label = self._typed_label(line, m.start(), taken)
                    for start, end in spans:
                        self._add(line.text[start:end], kind, [line], label)
                    taken.append(m.span())

    def _row_runs(self) -> None:
        by_row: dict[int, list[Line]] = {}
        for line in self.page.lines:
            by_row.setdefault(line.row, []).append(line)
        for members in by_row.values():
            members.sort(key=lambda ln: ln.geometry[0])
            for i in range(len(members)):
                for j in range(i + 2, len(members) + 1):
                    self._run(members[i:j])

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
    return [cand for page in read_pages(documents) for cand in _Builder(page, max_run_lines).build()]
