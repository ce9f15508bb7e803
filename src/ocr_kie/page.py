"""The page view: one typed :class:`Page` of :class:`Line` objects per OCR Document.

:class:`~ocr_kie.loader.PPOCRLoader` puts each page's OCR lines in ``Document.metadata["lines"]``
(``text``, ``box`` or ``polygon``, ``score``, ``row``); a plain text Document has none and is read
one text line per row. :func:`read_pages` turns the Documents into this view, which the candidate
builder (:mod:`ocr_kie.candidates`), the grounding step (:mod:`ocr_kie.grounding`) and the guard
read instead of the raw metadata::

    >>> pages = read_pages([Document(page_content="可用额度\\n12,000.00")])
    >>> [(ln.text, ln.row, ln.box, ln.geometry) for ln in pages[0].lines]
    [('可用额度', 0, None, (0.0, 0.0, 40.0, 16.0)), ('12,000.00', 1, None, (0.0, 20.0, 90.0, 36.0))]
    >>> pages[0].lines[0].below
    1

A line keeps the OCR box as read (``box``, None without one) and a ``geometry`` box for layout:
the OCR box, else one invented from its place (one row per text line, 20 pixels high, 10 pixels
per character), so that the candidate builder's rows, columns and positions work on text-only
Documents while grounding reports no box it did not read. Each line is linked to its neighbours:
left and right on its row, above and below in its column.

Run lengths, the two concepts in one place: a *column run* (:data:`MAX_COLUMN_RUN` lines) is a
candidate value made of consecutive lines of one column (an address over three lines); a
*grounded run* (:data:`MAX_GROUNDED_RUN` lines) is a stretch of consecutive lines in reading order
that one extracted value may span. Grounding allows one line more than a column-run candidate, so
every candidate (a column run's lines are consecutive in reading order) can be grounded.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.documents import Document

from ocr_kie.normalize import is_cjk, printed_numbers, squash, to_halfwidth

__all__ = [
    "MAX_COLUMN_RUN",
    "MAX_GROUNDED_RUN",
    "Box",
    "Line",
    "Page",
    "line_box",
    "read_pages",
]

#: Longest run of consecutive lines of one column offered as one candidate value.
MAX_COLUMN_RUN = 5
#: Longest run of consecutive lines (reading order) one extracted value may span; one more than
#: :data:`MAX_COLUMN_RUN`, so every column-run candidate can be grounded.
MAX_GROUNDED_RUN = 6

Box = tuple[float, float, float, float]


@dataclass(slots=True)
class Line:
    """One OCR line of a page.

    Attributes:
        index: Its index in the Document's ``metadata["lines"]`` (blank lines counted).
        order: Its place among the non-blank lines of all the Documents read together.
        text: The text as read.
        sq: The :func:`~ocr_kie.normalize.squash`-ed text.
        numbers: The numbers printed in it (:func:`~ocr_kie.normalize.printed_numbers`).
        box: ``(x0, y0, x1, y1)`` as the OCR read it, None without one (text-only Documents).
        geometry: The box for layout: ``box``, else one invented from its place.
        score: The OCR confidence, None without one.
        row: Its row on the page (``metadata["lines"][i]["row"]``, else its index).
        page: The page number.
        source: The page's ``metadata["source"]``.
        left: The index of the line to its left on its row, if any.
        right: The index of the line to its right on its row, if any.
        above: The index of the nearest line above it in its column, if any.
        below: The index of the nearest line below it in its column, if any.
    """

    index: int
    order: int
    text: str
    sq: str
    numbers: tuple[float, ...]
    box: Box | None
    geometry: Box
    score: float | None
    row: int
    page: int
    source: str | None
    left: int | None = None
    right: int | None = None
    above: int | None = None
    below: int | None = None

    @property
    def confidence(self) -> float:
        """The OCR score, 1.0 when the line has none."""
        return 1.0 if self.score is None else self.score

    @property
    def height(self) -> float:
        """The height of its geometry box, at least 1."""
        return max(1.0, self.geometry[3] - self.geometry[1])

    def part_box(self, part: str) -> Box:
        """The estimated box of a part of the line: its share of the width, a Chinese character counting double.

        OCR gives line boxes only; the whole box when ``part`` is not in the text.
        """
        at = self.text.find(part)
        if at < 0:
            return self.geometry

        def width(text: str) -> int:
            return sum(2 if is_cjk(ch) or ord(ch) >= 0xFF00 else 1 for ch in text)

        total = width(self.text) or 1
        x0, y0, x1, y1 = self.geometry
        start = x0 + (x1 - x0) * width(self.text[:at]) / total
        end = x0 + (x1 - x0) * width(self.text[: at + len(part)]) / total
        return (round(start, 1), y0, round(end, 1), y1)


@dataclass(slots=True)
class Page:
    """One page: its non-blank lines in reading order, and its size.

    Attributes:
        number: The page number (``metadata["page"]``, else the Document's 1-based position).
        source: ``metadata["source"]``, if any.
        width: ``metadata["width"]``, else the right edge of the rightmost line.
        height: ``metadata["height"]``, else the bottom edge of the lowest line.
        lines: The lines whose text is not blank, in the Document's order.
    """

    number: int
    source: str | None
    width: float
    height: float
    lines: list[Line] = field(default_factory=list)


def line_box(raw: Mapping[str, Any]) -> Box | None:
    """The ``(x0, y0, x1, y1)`` box of an OCR line's metadata (its ``box``, else its ``polygon``), or None."""
    box = raw.get("box")
    try:
        if box is not None and len(box) == 4:
            x0, y0, x1, y1 = (float(v) for v in box)
            return (x0, y0, x1, y1)
        polygon = raw.get("polygon")
        if polygon:
            xs = [float(p[0]) for p in polygon]
            ys = [float(p[1]) for p in polygon]
            return (min(xs), min(ys), max(xs), max(ys))
    except (TypeError, ValueError):
        pass
    return None


def read_pages(documents: Sequence[Document]) -> list[Page]:
    """The page view of OCR Documents, one :class:`Page` per Document.

    Args:
        documents: OCR Documents, one per page, as :class:`~ocr_kie.loader.PPOCRLoader` makes them;
            Documents without ``metadata["lines"]`` are read one text line per row.

    Returns:
        The pages, with their lines linked to their neighbours.
    """
    pages: list[Page] = []
    order = 0
    for index, doc in enumerate(documents):
        page = _read_page(doc, index, order)
        order += len(page.lines)
        pages.append(page)
    return pages


def _read_page(doc: Document, index: int, order: int) -> Page:
    meta = doc.metadata or {}
    raw_lines = meta.get("lines")
    if raw_lines is None:  # a plain text Document: one row per text line
        raw_lines = [{"text": t, "row": i} for i, t in enumerate(doc.page_content.splitlines())]
    number = int(meta.get("page") or index + 1)
    source = None if meta.get("source") is None else str(meta.get("source"))
    lines: list[Line] = []
    bottom, right = 1.0, 1.0  # the page's extent, blank lines included
    for i, raw in enumerate(raw_lines):
        text = str(raw.get("text", ""))
        box = line_box(raw)
        geometry = box or (0.0, 20.0 * i, 10.0 * len(text), 20.0 * i + 16.0)
        bottom, right = (geometry[3], geometry[2]) if i == 0 else (max(bottom, geometry[3]), max(right, geometry[2]))
        if not text.strip():
            continue
        score, row = raw.get("score"), raw.get("row")
        lines.append(
            Line(
                index=i,
                order=order + len(lines),
                text=text,
                sq=squash(text),
                numbers=printed_numbers(to_halfwidth(text)),
                box=box,
                geometry=geometry,
                score=None if score is None else float(score),
                row=i if row is None else int(row),
                page=number,
                source=source,
            )
        )
    page = Page(
        number=number,
        source=source,
        height=float(meta.get("height") or bottom or 1.0),
        width=float(meta.get("width") or right or 1.0),
        lines=lines,
    )
    _link_neighbours(page)
    return page


def _x_overlap(a: Line, b: Line) -> float:
    """Horizontal overlap of two lines as a share of the narrower one."""
    inter = min(a.geometry[2], b.geometry[2]) - max(a.geometry[0], b.geometry[0])
    narrow = max(1.0, min(a.geometry[2] - a.geometry[0], b.geometry[2] - b.geometry[0]))
    return max(0.0, inter) / narrow


def _link_neighbours(page: Page) -> None:
    """Set each line's left/right neighbour on its row and above/below neighbour in its column."""
    by_row: dict[int, list[Line]] = {}
    for line in page.lines:
        by_row.setdefault(line.row, []).append(line)
    rows = sorted(by_row)
    for r in rows:
        members = sorted(by_row[r], key=lambda ln: ln.geometry[0])
        for a, b in itertools.pairwise(members):
            a.right, b.left = b.index, a.index
    by_index = {ln.index: ln for ln in page.lines}
    for pos, r in enumerate(rows):
        for line in by_row[r]:
            # the nearest line below in the same column, at most a few line heights away
            for r2 in rows[pos + 1 : pos + 4]:
                best = max(by_row[r2], key=lambda other: _x_overlap(line, other))
                if best.geometry[1] - line.geometry[3] > 2.5 * max(line.height, best.height):
                    break
                if _x_overlap(line, best) >= 0.3 or abs(best.geometry[0] - line.geometry[0]) < line.height:
                    if line.below is None:
                        line.below = best.index
                    if best.above is None or _closer_above(by_index[best.above], line, best):
                        best.above = line.index
                    break


def _closer_above(current: Line, new: Line, target: Line) -> bool:
    return new.geometry[3] > current.geometry[3] or (
        new.geometry[3] == current.geometry[3] and _x_overlap(new, target) > _x_overlap(current, target)
    )
