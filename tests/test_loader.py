"""PPOCRLoader: every input type through the real PP-OCR engine, every bad input, batch modes."""

from __future__ import annotations

import io
import shutil
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from langchain_core.documents import Document
from PIL import Image

from conftest import FIXTURES, cer, rgb, squash, truth
from ocr_kie import (
    ImageTooLargeError,
    InvalidImageError,
    InvalidPdfError,
    PPOCRLoader,
    SourceNotFoundError,
)
from ocr_kie.ocr import get_engine
from ocr_kie.testing import FakeOcrEngine

SCREENSHOT = FIXTURES / "screenshot_zh.png"
SCREENSHOT_TEXT = "\n".join(truth("screenshot_zh")["rows"])
RECEIPT_TEXT = "\n".join(truth("receipt_en")["rows"])


def assert_screenshot(doc: Document, *, source: str | None = None, page: int = 1) -> None:
    assert cer(doc.page_content, SCREENSHOT_TEXT) <= 0.02
    meta = doc.metadata
    assert (meta["page"], meta["width"], meta["height"], meta["engine"]) == (page, 720, 1280, "paddle")
    if source is not None:
        assert meta["source"] == source
    line = next(ln for ln in meta["lines"] if squash(ln["text"]) == "可用额度")
    assert set(line) == {"text", "box", "polygon", "score", "row"}
    x0, y0, x1, y1 = line["box"]
    assert 0 <= x0 < x1 <= 720 and 0 <= y0 < y1 <= 1280 and 0.5 <= line["score"] <= 1


# -- input types, real model --------------------------------------------------------------


@pytest.mark.parametrize("as_type", [str, Path])
def test_path(as_type):
    (doc,) = PPOCRLoader(as_type(SCREENSHOT)).load()
    assert_screenshot(doc, source=str(SCREENSHOT))


@pytest.mark.parametrize("fmt", ["JPEG", "BMP", "TIFF", "WEBP"])
def test_other_image_formats(tmp_path, fmt):
    path = tmp_path / f"screenshot.{fmt.lower()}"
    Image.open(SCREENSHOT).convert("RGB").save(path, fmt, **({"quality": 95} if fmt in ("JPEG", "WEBP") else {}))
    (doc,) = PPOCRLoader(path).load()
    assert_screenshot(doc, source=str(path))


def test_bytes_pil_image_and_numpy_array():
    image = Image.open(SCREENSHOT)
    docs = PPOCRLoader([SCREENSHOT.read_bytes(), image, np.asarray(image.convert("RGB"))]).load()
    assert [d.metadata["source"][:14] for d in docs] == ["<bytes sha256:", str(SCREENSHOT)[:14], "<array 1280x72"]
    for doc in docs:
        assert_screenshot(doc)


def test_pdf_gives_one_document_per_page():
    docs = PPOCRLoader(FIXTURES / "two_pages.pdf").load()
    assert [d.metadata["page"] for d in docs] == [1, 2]
    assert cer(docs[0].page_content, RECEIPT_TEXT) <= 0.05
    assert cer(docs[1].page_content, SCREENSHOT_TEXT) <= 0.02
    # Rendered at 200 dpi from a 150 dpi page: 4/3 of the pixels.
    assert abs(docs[1].metadata["width"] - 960) <= 1 and abs(docs[1].metadata["height"] - 1707) <= 1


def test_pdf_from_bytes_is_detected_by_its_signature():
    docs = PPOCRLoader((FIXTURES / "two_pages.pdf").read_bytes(), dpi=100).load()
    assert len(docs) == 2 and docs[0].metadata["width"] == 400  # the 600 px receipt, 150 -> 100 dpi


def test_multi_frame_tiff_gives_one_document_per_frame(tmp_path):
    path = tmp_path / "pages.tiff"
    first = Image.open(FIXTURES / "receipt_en.png").convert("RGB")
    first.save(path, save_all=True, append_images=[Image.open(SCREENSHOT).convert("RGB")])
    docs = PPOCRLoader(path).load()
    assert [d.metadata["page"] for d in docs] == [1, 2]
    assert cer(docs[1].page_content, SCREENSHOT_TEXT) <= 0.02


def test_exif_orientation_is_honoured():
    (doc,) = PPOCRLoader(FIXTURES / "rotated_exif.jpg").load()
    assert (doc.metadata["width"], doc.metadata["height"]) == (600, 900)  # stored 900x600, shown upright
    assert cer(doc.page_content, RECEIPT_TEXT) <= 0.05


def test_blank_image_is_an_empty_page_not_an_error():
    (doc,) = PPOCRLoader(FIXTURES / "blank.png").load()
    assert doc.page_content == "" and doc.metadata["lines"] == []


# -- sources expansion (fake engine: the logic around the model) --------------------------


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for name in ("b.png", "a.jpg"):
        Image.new("RGB", (40, 20), "white").save(tmp_path / name)
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / "sub").mkdir()
    Image.new("RGB", (40, 20), "white").save(tmp_path / "sub" / "c.png")
    return tmp_path


def test_directory_reads_images_and_pdfs_sorted(folder):
    loader = PPOCRLoader(folder, engine=FakeOcrEngine(["x"]))
    assert [Path(s).name for s in loader.sources] == ["a.jpg", "b.png"]
    assert [Path(d.metadata["source"]).name for d in loader.load()] == ["a.jpg", "b.png"]


def test_glob_patterns(folder):
    loader = PPOCRLoader([str(folder / "*.png"), str(folder / "**" / "c.png")], engine=FakeOcrEngine(["x"]))
    assert [Path(s).name for s in loader.sources] == ["b.png", "c.png"]


def test_engine_by_name_and_shared_default():
    assert PPOCRLoader(SCREENSHOT).engine is get_engine("paddle")
    assert PPOCRLoader(SCREENSHOT, engine="onnx").engine is get_engine("onnx")


def test_loading_is_lazy():
    engine = FakeOcrEngine(["x"])
    docs = PPOCRLoader([SCREENSHOT] * 3, engine=engine).lazy_load()
    assert engine.calls == 0
    next(docs)
    assert engine.calls == 1


# -- bad input -----------------------------------------------------------------------------


def _png_header_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares an absurd size (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + chunk(b"IEND", b"")
    )


def _bad_inputs(tmp_path: Path) -> dict[str, tuple[object, type[Exception], str]]:
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "text.jpg").write_text("hello, I am not an image")
    jpeg = io.BytesIO()
    Image.open(SCREENSHOT).convert("RGB").save(jpeg, "JPEG")
    (tmp_path / "truncated.jpg").write_bytes(jpeg.getvalue()[: len(jpeg.getvalue()) // 2])
    (tmp_path / "corrupt.pdf").write_bytes(b"%PDF-1.7\n1 0 obj garbage\n%%EOF")
    (tmp_path / "bomb.png").write_bytes(_png_header_claiming(100_000, 100_000))
    (tmp_path / "big.png").write_bytes(_png_header_claiming(2_000, 1_000))
    return {
        "missing": (tmp_path / "missing.png", SourceNotFoundError, "no such file"),
        "no glob match": (str(tmp_path / "*.nothing"), SourceNotFoundError, "no file matches"),
        "zero bytes": (tmp_path / "empty.png", InvalidImageError, "empty"),
        "not an image": (tmp_path / "text.jpg", InvalidImageError, "not an image"),
        "truncated jpeg": (tmp_path / "truncated.jpg", InvalidImageError, "truncated"),
        "encrypted pdf": (FIXTURES / "encrypted.pdf", InvalidPdfError, "encrypted"),
        "corrupt pdf": (tmp_path / "corrupt.pdf", InvalidPdfError, "corrupt"),
        "image bomb": (tmp_path / "bomb.png", ImageTooLargeError, "decompression bomb"),
        "image over max_pixels": (tmp_path / "big.png", ImageTooLargeError, "exceeds the limit of 1,000,000"),
        "float array": (np.zeros((10, 10, 3)), InvalidImageError, "uint8"),
        "unsupported type": (12345, InvalidImageError, "unsupported source type"),
    }


BAD = [
    "missing", "no glob match", "zero bytes", "not an image", "truncated jpeg",
    "encrypted pdf", "corrupt pdf", "image bomb", "image over max_pixels", "float array", "unsupported type",
]  # fmt: skip


@pytest.mark.parametrize("case", BAD)
def test_bad_input_raises_a_clear_error_naming_the_source(tmp_path, case):
    source, error, message = _bad_inputs(tmp_path)[case]
    engine = FakeOcrEngine(["x"])
    with pytest.raises(error, match=message) as info:
        PPOCRLoader(source, engine=engine, max_pixels=1_000_000).load()
    assert info.value.source and info.value.source in str(info.value)
    if isinstance(source, (str, Path)):
        assert info.value.source == str(source)
    assert engine.calls == 0  # refused before any OCR


def test_huge_pdf_page_is_refused_before_rendering(tmp_path):
    import pypdfium2

    pdf = pypdfium2.PdfDocument.new()
    pdf.new_page(14_400, 14_400)  # 200 inches square: 40000x40000 px at 200 dpi
    path = tmp_path / "huge.pdf"
    pdf.save(path)
    with pytest.raises(ImageTooLargeError) as info:
        PPOCRLoader(path, engine=FakeOcrEngine()).load()
    assert info.value.page == 1 and info.value.width == 40_000


def test_skip_mode_records_each_failure_and_loses_nothing(tmp_path):
    bad = _bad_inputs(tmp_path)
    good = tmp_path / "good.png"
    shutil.copy(SCREENSHOT, good)
    sources = []
    for i in range(50):
        sources.append(good)
        sources.append(list(bad.values())[i % len(bad)][0])
    loader = PPOCRLoader(sources, engine=FakeOcrEngine(["ok"]), on_error="skip", max_pixels=1_000_000)
    docs = loader.load()
    assert len(docs) == 50 and all(d.page_content == "ok" for d in docs)
    assert len(loader.failures) == 50
    assert [type(f.error) for f in loader.failures[: len(bad)]] == [e for _, e, _ in bad.values()]
    assert loader.failures[0].source == str(tmp_path / "missing.png")


def test_raise_mode_stops_at_the_first_bad_source(tmp_path):
    loader = PPOCRLoader([SCREENSHOT, tmp_path / "missing.png", SCREENSHOT], engine=FakeOcrEngine(["ok"]))
    docs = loader.lazy_load()
    assert next(docs).page_content == "ok"
    with pytest.raises(SourceNotFoundError):
        next(docs)


def test_on_error_is_validated():
    with pytest.raises(ValueError, match="on_error"):
        PPOCRLoader(SCREENSHOT, on_error="ignore")  # type: ignore[arg-type]


def test_real_engine_on_a_mixed_batch(tmp_path):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 broken")
    loader = PPOCRLoader([SCREENSHOT, bad, FIXTURES / "receipt_en.png"], on_error="skip")
    docs = loader.load()
    assert len(docs) == 2 and cer(docs[0].page_content, SCREENSHOT_TEXT) <= 0.02
    assert [f.source for f in loader.failures] == [str(bad)]


def test_rgb_array_order_is_respected():
    image = rgb("screenshot_zh.png").copy()
    (doc,) = PPOCRLoader(image).load()
    assert_screenshot(doc)


def test_cache_reuses_ocr_by_content_and_settings(tmp_path):
    from ocr_kie import OcrCache

    engine = FakeOcrEngine(["cached"])
    cache = OcrCache()
    copy = tmp_path / "copy.png"
    shutil.copy(SCREENSHOT, copy)
    first = PPOCRLoader([SCREENSHOT, copy, SCREENSHOT.read_bytes()], engine=engine, cache=cache).load()
    assert engine.calls == 1 and (cache.hits, cache.misses) == (2, 1)
    assert [d.metadata["source"] for d in first[:2]] == [str(SCREENSHOT), str(copy)]  # each keeps its name
    first[0].metadata["lines"].clear()  # callers may mutate what they get
    assert PPOCRLoader(SCREENSHOT, engine=engine, cache=cache).load()[0].metadata["lines"]
    PPOCRLoader(SCREENSHOT, engine=engine, cache=cache, dpi=300).load()  # other settings: OCR again
    assert engine.calls == 2


def test_disk_cache_survives_the_process_and_ignores_damaged_entries(tmp_path):
    from ocr_kie import OcrCache

    engine = FakeOcrEngine(["on disk"])
    PPOCRLoader(SCREENSHOT, engine=engine, cache=OcrCache(directory=tmp_path)).load()
    (doc,) = PPOCRLoader(SCREENSHOT, engine=engine, cache=OcrCache(directory=tmp_path)).load()
    assert engine.calls == 1 and doc.page_content == "on disk"
    for entry in tmp_path.glob("*.json"):
        entry.write_text("{damaged")
    PPOCRLoader(SCREENSHOT, engine=engine, cache=OcrCache(directory=tmp_path)).load()
    assert engine.calls == 2
