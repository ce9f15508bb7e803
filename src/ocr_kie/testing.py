"""Public fakes for tests: yours and ours.

Fakes stand in for the heavy parts (the OCR models, the LLM) where a test is about the logic
around them. Tests of behaviour that depends on the models use the real ones.

Example:
    >>> from ocr_kie.testing import FakeOcrEngine
    >>> engine = FakeOcrEngine(["可用额度 12,000.00", "账单日 每月5日"])
    >>> engine.recognize(np.zeros((100, 200, 3), np.uint8)).text  # doctest: +SKIP
    '可用额度 12,000.00\\n账单日 每月5日'
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ocr_kie.ocr.base import OcrEngine, Point

__all__ = ["FakeOcrEngine"]


class FakeOcrEngine(OcrEngine):
    """An OCR engine that "recognises" given text lines, one per row, on any image.

    Args:
        lines: The text lines to return, top to bottom; or a function of the image returning them.
        score: The score reported for every line.

    Attributes:
        calls: How many images it was asked to recognise.
    """

    name = "fake"

    def __init__(self, lines: Sequence[str] | Callable[[np.ndarray], Sequence[str]] = (), *, score: float = 0.99) -> None:
        super().__init__()
        self._lines = lines
        self._score = score
        self.calls = 0

    @property
    def model(self) -> str:
        return "fake"

    def _recognize(self, image_bgr: np.ndarray) -> list[tuple[list[Point], str, float]]:
        self.calls += 1
        texts = self._lines(image_bgr) if callable(self._lines) else self._lines
        height, width = image_bgr.shape[:2]
        row_height = height / max(len(texts), 1)
        out = []
        for index, text in enumerate(texts):
            top, bottom = index * row_height, (index + 0.8) * row_height
            polygon: list[Point] = [(0.0, top), (float(width), top), (float(width), bottom), (0.0, bottom)]
            out.append((polygon, text, self._score))
        return out
