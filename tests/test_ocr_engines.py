"""The real PP-OCRv4 engines on rendered images whose text is known."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import cer, rgb, squash, truth
from ocr_kie.errors import OcrEngineError
from ocr_kie.ocr import PaddleEngine, PaddleOptions, create_engine, get_engine

# Thresholds. The screenshot is clean 36 px text: PP-OCRv4 reads it without a single error, so
# 2% (two characters) only absorbs noise. The receipt is a monospace face where PP-OCRv4 reads
# some O as 0 and some commas as full-width (6 of 281 characters measured, 2.1%); 4% leaves room
# for that and still fails if a line goes missing (the shortest receipt line is 11 characters).
SCREENSHOT_MAX_CER = 0.02
RECEIPT_MAX_CER = 0.04


def test_screenshot_text_matches_rendered_text(engine):
    page = engine.recognize(rgb("screenshot_zh.png"))
    expected = truth("screenshot_zh")
    assert cer(page.text, "\n".join(expected["rows"])) <= SCREENSHOT_MAX_CER
    assert (page.width, page.height) == (expected["width"], expected["height"])
    assert page.engine == engine.name and page.model == engine.model


def test_label_and_value_share_a_row_in_reading_order(engine):
    page = engine.recognize(rgb("screenshot_zh.png"))
    rows = [squash(r) for r in page.text.splitlines()]
    expected = [squash(r) for r in truth("screenshot_zh")["rows"]]
    assert rows == expected  # e.g. "可用额度12,000.00" on one line, rows top to bottom


def test_receipt_text_matches_rendered_text(engine):
    page = engine.recognize(rgb("receipt_en.png"))
    assert cer(page.text, "\n".join(truth("receipt_en")["rows"])) <= RECEIPT_MAX_CER


def test_boxes_lie_on_the_rendered_text(engine):
    page = engine.recognize(rgb("screenshot_zh.png"))
    for drawn in truth("screenshot_zh")["lines"]:
        hits = [ln for ln in page.lines if squash(drawn["text"]) in squash(ln.text)]
        assert hits, f"{drawn['text']!r} not recognised"
        x0, y0, x1, y1 = hits[0].box
        cx, cy = (drawn["box"][0] + drawn["box"][2]) / 2, (drawn["box"][1] + drawn["box"][3]) / 2
        assert x0 <= cx <= x1 and y0 <= cy <= y1, (drawn, hits[0].box)
        assert 0.0 < hits[0].score <= 1.0


def test_big_images_are_scaled_down_and_boxes_reported_in_original_pixels(engine):
    small = rgb("screenshot_zh.png")
    big = np.kron(small, np.ones((3, 3, 1), dtype=np.uint8))  # 2160x3840, above max_side=2000
    page_small, page_big = engine.recognize(small), engine.recognize(big)
    assert (page_big.width, page_big.height) == (3 * small.shape[1], 3 * small.shape[0])
    assert cer(page_big.text, page_small.text) <= SCREENSHOT_MAX_CER
    # Detection at another scale may split a line differently; compare the lines read alike.
    same = {ln.text: ln for ln in page_small.lines}
    pairs = [(same[b.text], b) for b in page_big.lines if b.text in same]
    assert len(pairs) >= 0.8 * len(page_small.lines)
    for a, b in pairs:
        assert np.allclose(np.array(b.box) / 3, a.box, atol=6), (a, b)


def test_blank_image_gives_an_empty_page(engine):
    page = engine.recognize(rgb("blank.png"))
    assert page.lines == [] and page.text == ""


def test_grayscale_and_rgba_arrays_are_accepted(engine):
    image = rgb("screenshot_zh.png")
    gray = image.mean(axis=2).astype(np.uint8)
    rgba = np.dstack([image, np.full(image.shape[:2], 255, np.uint8)])
    expected = squash(engine.recognize(image).text)
    assert cer(engine.recognize(gray).text, expected) <= SCREENSHOT_MAX_CER
    assert squash(engine.recognize(rgba).text) == expected


def test_upside_down_lines_are_turned_and_upright_lines_left_alone(paddle):
    receipt = rgb("receipt_en.png")
    expected = "\n".join(truth("receipt_en")["rows"])
    # Upside down, the classifier must turn the lines back; the rows then come bottom-up and may
    # split differently, so count the printed words found anywhere in the text.
    flipped = squash(paddle.recognize(np.ascontiguousarray(receipt[::-1, ::-1])).text)
    words = [squash(w) for w in expected.split()]
    assert sum(w in flipped for w in words) >= 0.85 * len(words)
    # Upright, orientation on or off must give the same text: the step never damages upright text.
    no_orientation = get_engine("paddle", textline_orientation=False)
    for name in ("receipt_en.png", "screenshot_zh.png"):
        assert paddle.recognize(rgb(name)).text == no_orientation.recognize(rgb(name)).text


def test_engines_are_shared_per_options():
    assert get_engine("paddle") is get_engine("paddle")
    assert get_engine("paddle", PaddleOptions()) is get_engine("paddle")
    assert get_engine("paddle", textline_orientation=False) is not get_engine("paddle")


def test_engine_options_are_validated():
    with pytest.raises(ValueError, match="unknown OCR engine 'tesseract'"):
        create_engine("tesseract")
    with pytest.raises(ValueError, match="no_such_option"):
        PaddleOptions(no_such_option=1)  # type: ignore[call-arg]
    with pytest.raises(ValueError):
        PaddleOptions(threads=0)


def test_engine_failures_are_translated_with_context(paddle):
    broken = PaddleEngine.__new__(PaddleEngine)
    broken.options = PaddleOptions()

    class Exploding:
        def predict(self, *_a, **_k):
            raise RuntimeError("kernel died")

    broken._det = Exploding()  # type: ignore[attr-defined]
    broken._owner = paddle._owner  # type: ignore[attr-defined]  # every call runs on the owner thread
    with pytest.raises(OcrEngineError, match=r"\[paddle\] on scan\.png: RuntimeError: kernel died") as info:
        broken.recognize(rgb("blank.png"), source="scan.png")
    assert info.value.engine == "paddle" and info.value.source == "scan.png"
