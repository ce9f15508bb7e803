"""The interface every OCR engine implements (:class:`OcrEngine`) and the options they share.

The result types live in :mod:`ocr_kie.ocr.types` (re-exported here); the reading order in
:mod:`ocr_kie.ocr.layout`. Both import nothing from here, so there is no import cycle.
"""

from __future__ import annotations

import abc
from typing import ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from ocr_kie.cpus import default_threads
from ocr_kie.errors import OcrEngineError, OcrKieError
from ocr_kie.ocr.layout import order_lines
from ocr_kie.ocr.types import OcrLine, OcrPage, Point

__all__ = ["EngineOptions", "OcrEngine", "OcrLine", "OcrPage", "Point"]


class EngineOptions(BaseModel):
    """Options shared by every engine. Subclasses add their own; unknown names are rejected.

    Attributes:
        threads: CPU threads for inference.
        max_side: Images whose long side exceeds this are scaled down before detection (big scans
            gain nothing from more pixels and take many times longer); boxes are reported in the
            original image's pixels.
        min_score: Lines recognised with a lower confidence are dropped.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    threads: int = Field(default_factory=default_threads, ge=1)
    max_side: int = Field(default=2000, ge=64)
    min_score: float = Field(default=0.5, ge=0.0, le=1.0)


class OcrEngine(abc.ABC):
    """An OCR engine: an RGB image in, an :class:`OcrPage` out.

    Engines load their models once, in ``__init__``; create one and reuse it (or take the shared
    one from :func:`ocr_kie.ocr.get_engine`).

    Subclasses set ``name``, ``options_class`` and implement :meth:`_recognize`.
    """

    name: ClassVar[str]
    options_class: ClassVar[type[EngineOptions]] = EngineOptions

    def __init__(self, options: EngineOptions | None = None) -> None:
        self.options = options or self.options_class()

    @property
    @abc.abstractmethod
    def model(self) -> str:
        """The model names, for provenance in the results."""

    @abc.abstractmethod
    def _recognize(self, image_bgr: np.ndarray) -> list[tuple[list[Point], str, float]]:
        """Detect and recognise the text of a BGR image: ``(polygon, text, score)`` per line."""

    def recognize(self, image: np.ndarray, *, source: str | None = None) -> OcrPage:
        """Recognise the text of an image.

        Args:
            image: An RGB (or grayscale) ``uint8`` array of shape ``(H, W[, 3])``.
            source: A name for the image, used in error messages.

        Returns:
            The page, lines in reading order, boxes in the image's own pixels.

        Raises:
            OcrEngineError: The engine failed on this image.
        """
        image = _as_rgb(image)
        height, width = image.shape[:2]
        scale = min(1.0, self.options.max_side / max(height, width))
        work = image if scale == 1.0 else _resize(image, scale)
        try:
            raw = self._recognize(np.ascontiguousarray(work[:, :, ::-1]))
        except OcrKieError:
            raise
        except Exception as e:  # translate at the boundary
            raise OcrEngineError(f"{type(e).__name__}: {e}", engine=self.name, source=source) from e
        lines = [
            OcrLine(
                text=text,
                polygon=tuple((float(x) / scale, float(y) / scale) for x, y in polygon),  # type: ignore[arg-type]
                score=float(score),
            )
            for polygon, text, score in raw
            if text.strip() and score >= self.options.min_score
        ]
        return OcrPage(lines=order_lines(lines), width=width, height=height, engine=self.name, model=self.model)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.options!r})"


def _as_rgb(image: np.ndarray) -> np.ndarray:
    if image.dtype != np.uint8:
        raise TypeError(f"expected a uint8 image array, got dtype {image.dtype}")
    if image.ndim == 2:
        return np.repeat(image[:, :, None], 3, axis=2)
    if image.ndim == 3 and image.shape[2] == 4:
        return image[:, :, :3]
    if image.ndim == 3 and image.shape[2] == 3:
        return image
    raise TypeError(f"expected an image array of shape (H, W), (H, W, 3) or (H, W, 4), got {image.shape}")


def _resize(image: np.ndarray, scale: float) -> np.ndarray:
    import cv2

    height, width = image.shape[:2]
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)
