"""The OCR result types: :class:`OcrLine` and :class:`OcrPage` (what every engine returns)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["OcrLine", "OcrPage", "Point"]

Point = tuple[float, float]


class OcrLine(BaseModel):
    """One recognised text line.

    Attributes:
        text: The recognised text.
        polygon: The four corners of the text box, clockwise from top-left, in page pixels.
        score: The recogniser's confidence in ``[0, 1]``.
        row: The index of the visual row the line belongs to (set by the reading order).
    """

    model_config = ConfigDict(frozen=True)

    text: str
    polygon: tuple[Point, Point, Point, Point]
    score: float
    row: int = 0

    @property
    def box(self) -> tuple[float, float, float, float]:
        """The axis-aligned bounding box ``(x0, y0, x1, y1)``."""
        xs = [p[0] for p in self.polygon]
        ys = [p[1] for p in self.polygon]
        return (min(xs), min(ys), max(xs), max(ys))


class OcrPage(BaseModel):
    """The OCR of one image or PDF page.

    Attributes:
        lines: The text lines in reading order (rows top to bottom, left to right in a row).
        width: The page width in pixels.
        height: The page height in pixels.
        engine: The registry name of the engine that produced it.
        model: The models used, e.g. ``"PP-OCRv4_mobile_det+PP-OCRv4_mobile_rec"``.
    """

    model_config = ConfigDict(frozen=True)

    lines: list[OcrLine] = Field(default_factory=list)
    width: int
    height: int
    engine: str
    model: str

    @property
    def rows(self) -> list[list[OcrLine]]:
        """The lines grouped by visual row."""
        rows: dict[int, list[OcrLine]] = {}
        for line in self.lines:
            rows.setdefault(line.row, []).append(line)
        return [rows[r] for r in sorted(rows)]

    @property
    def text(self) -> str:
        """The page text: one visual row per line, the row's pieces joined by a space."""
        return "\n".join(" ".join(line.text for line in row) for row in self.rows)
