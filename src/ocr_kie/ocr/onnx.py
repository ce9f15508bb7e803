"""The ``onnx`` engine: the same PP-OCRv4 models as ONNX, on onnxruntime (via RapidOCR)."""

from __future__ import annotations

import threading

import numpy as np
from pydantic import Field

from ocr_kie.errors import OcrEngineError, require
from ocr_kie.ocr.base import EngineOptions, OcrEngine, Point


class OnnxOptions(EngineOptions):
    """Options of the ``onnx`` engine.

    Attributes:
        textline_orientation: Classify and turn upside-down text lines (RapidOCR pads crops to the
            classifier's aspect ratio and turns a line only at ``orientation_threshold``).
        orientation_threshold: The confidence needed to turn a line.
        det_limit_side_len: Detection resizes the image so that its short side is at least this.
        det_box_thresh: Minimum mean score of a detected box.
        det_unclip_ratio: How much detected boxes are grown.
    """

    textline_orientation: bool = True
    orientation_threshold: float = Field(default=0.9, ge=0.5, le=1.0)
    det_limit_side_len: int = Field(default=736, ge=32)
    det_box_thresh: float = Field(default=0.5, ge=0.0, le=1.0)
    det_unclip_ratio: float = Field(default=1.6, gt=0.0)


class OnnxEngine(OcrEngine):
    """PP-OCRv4 mobile on onnxruntime, models from the ``rapidocr-onnxruntime`` wheel.

    Lighter and faster to load than the ``paddle`` engine; nothing is downloaded.

    Example:
        >>> engine = OnnxEngine(OnnxOptions(threads=2))  # doctest: +SKIP
        >>> engine.recognize(rgb_array).text  # doctest: +SKIP
    """

    name = "onnx"
    options_class = OnnxOptions
    options: OnnxOptions

    def __init__(self, options: OnnxOptions | None = None) -> None:
        super().__init__(options)
        rapidocr = require("rapidocr_onnxruntime", package="rapidocr-onnxruntime", purpose="the onnx OCR engine")
        opts = self.options
        try:
            self._ocr = rapidocr.RapidOCR(
                intra_op_num_threads=opts.threads,
                inter_op_num_threads=1,
                text_score=opts.min_score,
                max_side_len=opts.max_side,
                use_cls=opts.textline_orientation,
                cls_thresh=opts.orientation_threshold,
                det_limit_side_len=opts.det_limit_side_len,
                det_box_thresh=opts.det_box_thresh,
                det_unclip_ratio=opts.det_unclip_ratio,
            )
        except Exception as e:
            raise OcrEngineError(f"could not load the PP-OCRv4 ONNX models: {e}", engine=self.name) from e
        self._lock = threading.Lock()

    @property
    def model(self) -> str:
        cls = ["ch_ppocr_mobile_v2.0_cls"] if self.options.textline_orientation else []
        return "+".join(["ch_PP-OCRv4_det", *cls, "ch_PP-OCRv4_rec"]) + " (onnx)"

    def _recognize(self, image_bgr: np.ndarray) -> list[tuple[list[Point], str, float]]:
        with self._lock:
            result, _ = self._ocr(
                image_bgr,
                box_thresh=self.options.det_box_thresh,
                unclip_ratio=self.options.det_unclip_ratio,
                text_score=self.options.min_score,
            )
        return [(np.asarray(box, dtype=float).tolist(), text, float(score)) for box, text, score in result or []]
