"""Turning what users hand us (paths, globs, directories, bytes, PIL images, arrays, PDFs) into
RGB page images, with a clear :class:`~ocr_kie.errors.InputError` for anything unreadable."""

from __future__ import annotations

import contextlib
import glob
import hashlib
import os
import re
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

import numpy as np

from ocr_kie.errors import (
    EmptyInputError,
    ImageTooLargeError,
    InvalidImageError,
    InvalidPdfError,
    SourceNotFoundError,
)

if TYPE_CHECKING:
    from PIL import Image

#: What can be OCR'd: a path (file, directory or glob), raw bytes, a PIL image or an RGB array.
Source = Union[str, os.PathLike, bytes, "Image.Image", np.ndarray]

#: File extensions read from directories (other files there are ignored).
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"})
#: Formats whose frames are pages: multi-page TIFFs, and animated GIFs, WebPs and PNGs (APNG), so
#: that text shown in any frame is read (a still image has one frame: one page).
MULTI_FRAME_FORMATS = frozenset({"TIFF", "GIF", "WEBP", "PNG"})
PDF_SUFFIXES = frozenset({".pdf"})

#: Default pixel limit per image or rendered page (about 15k x 12k): larger is treated as a bomb.
#: Pillow refuses images above twice its ``Image.MAX_IMAGE_PIXELS`` (the same number by default)
#: on its own; raise that too if you raise this.
DEFAULT_MAX_PIXELS = 178_956_970
#: Default resolution at which PDF pages are rendered.
DEFAULT_DPI = 200


@dataclass(frozen=True)
class PageImage:
    """One page ready for OCR.

    Attributes:
        source: A printable name of where it came from.
        page: The 1-based page number (1 for single images).
        image: The page as an RGB ``uint8`` array.
    """

    source: str
    page: int
    image: np.ndarray


def source_name(source: Source) -> str:
    """A printable name for a source, used in documents' metadata and in errors."""
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return f"<bytes sha256:{hashlib.sha256(source).hexdigest()[:12]}>"
    if isinstance(source, np.ndarray):
        return f"<array {'x'.join(map(str, source.shape))}>"
    filename = getattr(source, "filename", "")
    return str(filename) if filename else "<PIL image>"


def expand_sources(sources: Source | Sequence[Source]) -> list[Source]:
    """Expand directories and glob patterns into sorted file paths; other sources pass through.

    A path that does not exist, and a directory with no image or PDF in it, are kept as they are,
    so that reading them reports the error for that source alone (and a batch records it and goes
    on without it): :class:`~ocr_kie.errors.SourceNotFoundError` and
    :class:`~ocr_kie.errors.EmptyInputError`.
    """
    if isinstance(sources, (str, os.PathLike, bytes, bytearray, np.ndarray)) or not isinstance(sources, Sequence):
        sources = [sources]  # type: ignore[list-item]
    out: list[Source] = []
    for source in sources:
        if not isinstance(source, (str, os.PathLike)):
            out.append(source)
            continue
        path = Path(source).expanduser()
        if path.is_dir():
            found = sorted(
                p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES | PDF_SUFFIXES
            )
            out.extend(found or [source])  # an empty folder: its own error when read
        elif not path.exists() and glob.has_magic(os.fspath(source)):
            matches = sorted(glob.glob(os.path.expanduser(os.fspath(source)), recursive=True))
            out.extend([Path(m) for m in matches if Path(m).is_file()] or [source])
        else:
            out.append(source)
    return out


def iter_pages(
    source: Source, *, name: str | None = None, dpi: int = DEFAULT_DPI, max_pixels: int = DEFAULT_MAX_PIXELS
) -> Iterator[PageImage]:
    """Read a single source into RGB page images.

    Images give one page; multi-frame TIFFs and animated GIFs, WebPs and PNGs one per frame
    (:data:`MULTI_FRAME_FORMATS`); PDFs one per page rendered at ``dpi``. EXIF orientation is
    applied.

    Args:
        source: A file path, bytes, a PIL image or an RGB/grayscale ``uint8`` array.
        name: The name to report (default: :func:`source_name`); for bytes read from a file,
            its path, whose suffix also tells a PDF.
        dpi: Resolution for rendering PDF pages.
        max_pixels: Refuse images (and rendered pages) with more pixels than this.

    Raises:
        SourceNotFoundError: The path does not exist (or a glob matched nothing).
        InvalidImageError: Empty, not an image, or undecodable data.
        ImageTooLargeError: More pixels than ``max_pixels``.
        InvalidPdfError: An encrypted or corrupt PDF, or one with no pages.
        EmptyInputError: A directory (with no image or PDF in it).
    """
    name = name or source_name(source)
    if isinstance(source, np.ndarray):
        yield PageImage(name, 1, _check_array(source, name, max_pixels))
        return
    if not isinstance(source, (str, os.PathLike, bytes, bytearray, memoryview)):
        if not hasattr(source, "convert"):
            raise InvalidImageError(
                f"unsupported source type {type(source).__name__}; give a path, bytes, a PIL image or a numpy array",
                source=name,
            )
        yield from _pil_pages(source, name, max_pixels)
        return
    data = read_bytes(source, name)
    if data[:5] == b"%PDF-" or Path(name).suffix.lower() in PDF_SUFFIXES:
        yield from _pdf_pages(data, name, dpi, max_pixels)
    else:
        yield from _image_pages(data, name, max_pixels)


def read_bytes(source: str | os.PathLike | bytes | bytearray | memoryview, name: str) -> bytes:
    """The bytes of a file or bytes-like source.

    Raises:
        SourceNotFoundError: The path does not exist.
        EmptyInputError: The path is a directory (with no image or PDF in it; see :func:`expand_sources`).
        InvalidImageError: Not a regular file, unreadable, or empty.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    else:
        path = Path(source).expanduser()
        if not path.exists():
            what = "no file matches this pattern" if glob.has_magic(os.fspath(source)) else "no such file"
            raise SourceNotFoundError(what, source=name)
        if path.is_dir():
            kinds = ", ".join(sorted(IMAGE_SUFFIXES | PDF_SUFFIXES))
            raise EmptyInputError(f"a folder with no image or PDF in it (looked for {kinds})", source=name)
        if not path.is_file():
            raise InvalidImageError("not a regular file", source=name)
        try:
            data = path.read_bytes()
        except OSError as e:
            raise InvalidImageError(f"cannot read the file: {e.strerror or e}", source=name) from e
    if not data:
        raise InvalidImageError("empty (0 bytes)", source=name)
    return data


def _image_pages(data: bytes, name: str, max_pixels: int) -> Iterator[PageImage]:
    import io

    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as e:
        raise _bomb(e, name, None) from e
    except UnidentifiedImageError as e:
        raise InvalidImageError("not an image, or a format that cannot be read", source=name) from e
    except Exception as e:
        raise InvalidImageError(f"cannot decode the image: {e}", source=name) from e
    yield from _pil_pages(image, name, max_pixels)


def _pil_pages(image: Image.Image, name: str, max_pixels: int) -> Iterator[PageImage]:
    frames = getattr(image, "n_frames", 1) if getattr(image, "format", None) in MULTI_FRAME_FORMATS else 1
    for index in range(frames):
        if frames > 1:
            image.seek(index)
        page = index + 1
        _check_size(image.size, name, max_pixels, page if frames > 1 else None)
        yield PageImage(name, page, _pil_to_rgb(image, name, page if frames > 1 else None))


def _pil_to_rgb(image: Image.Image, name: str, page: int | None) -> np.ndarray:
    from PIL import Image, ImageOps

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image.load()
            upright = ImageOps.exif_transpose(image) or image
            if upright.mode in ("RGBA", "LA", "PA") or (upright.mode == "P" and "transparency" in upright.info):
                background = Image.new("RGBA", upright.size, (255, 255, 255, 255))
                upright = Image.alpha_composite(background, upright.convert("RGBA"))
            rgb = np.asarray(upright.convert("RGB"))
    except Image.DecompressionBombError as e:
        raise _bomb(e, name, page, image.size) from e
    except (OSError, ValueError, SyntaxError) as e:  # truncated or corrupt data
        raise InvalidImageError(f"cannot decode the image: {e}", source=name, page=page) from e
    if rgb.size == 0:
        raise InvalidImageError("the image has no pixels", source=name, page=page)
    return rgb


def _bomb(error: Exception, name: str, page: int | None, size: tuple[int, int] | None = None) -> ImageTooLargeError:
    from PIL import Image

    limit = 2 * (Image.MAX_IMAGE_PIXELS or 0)
    return ImageTooLargeError(
        f"more than {limit:,} pixels (Pillow's decompression bomb limit); refusing to decode it ({error})",
        source=name,
        width=size[0] if size else None,
        height=size[1] if size else None,
        max_pixels=limit,
        page=page,
    )


def _check_size(size: tuple[int, int], name: str, max_pixels: int, page: int | None) -> None:
    width, height = size
    if width <= 0 or height <= 0:
        raise InvalidImageError(f"the image has no pixels ({width}x{height})", source=name, page=page)
    if width * height > max_pixels:
        raise ImageTooLargeError(
            f"{width}x{height} pixels exceeds the limit of {max_pixels:,} (max_pixels); refusing to decode it",
            source=name,
            width=width,
            height=height,
            max_pixels=max_pixels,
            page=page,
        )


def _check_array(array: np.ndarray, name: str, max_pixels: int) -> np.ndarray:
    if array.dtype != np.uint8:
        raise InvalidImageError(f"expected a uint8 array, got {array.dtype}", source=name)
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise InvalidImageError(f"expected shape (H, W), (H, W, 3) or (H, W, 4), got {array.shape}", source=name)
    _check_size((array.shape[1], array.shape[0]), name, max_pixels, None)
    if array.ndim == 2:
        return np.repeat(array[:, :, None], 3, axis=2)
    return np.ascontiguousarray(array[:, :, :3])


def _pdf_pages(data: bytes, name: str, dpi: int, max_pixels: int) -> Iterator[PageImage]:
    from ocr_kie.errors import require

    pdfium = require("pypdfium2", purpose="reading PDFs")
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        raise InvalidPdfError(_pdf_load_failure(pdfium, data), source=name) from e
    try:
        if len(document) == 0:
            raise InvalidPdfError("the PDF has no pages", source=name)
        scale = dpi / 72
        for index in range(len(document)):
            page = document[index]
            try:
                width, height = page.get_size()
                _check_size((round(width * scale), round(height * scale)), name, max_pixels, index + 1)
                bitmap = page.render(scale=scale)
                image: Any = bitmap.to_numpy()
                mode = bitmap.mode
            except pdfium.PdfiumError as e:
                raise InvalidPdfError(f"cannot render the page: {e}", source=name, page=index + 1) from e
            finally:
                page.close()
            yield PageImage(name, index + 1, _bitmap_to_rgb(image, mode))
    finally:
        document.close()


#: PDFium's load error codes (``FPDF_GetLastError``) and what they mean for a user.
_PDFIUM_ERRORS = {
    2: "the file cannot be read",
    3: "corrupt or not a PDF",
    4: "encrypted (password required)",
    5: "encrypted with an unsupported security handler",
    6: "its page tree cannot be read",
}
_PAGE_TREE = re.compile(rb"/Type\s*/Pages\b")
_PAGE = re.compile(rb"/Type\s*/Page(?![A-Za-z])")


def _pdf_load_failure(pdfium: Any, data: bytes) -> str:
    """Why PDFium could not open ``data``.

    PDFium's last error outlives the call that set it, and some failures (a PDF with no pages) set
    none: the error of an earlier file would be reported ("PDFium: Success", or "password" after
    an encrypted file). So the code is first set to a known value by a failing load of a stub,
    and the document is loaded again: only a code that changed is this document's.
    """
    primer = 3  # the stub is not a PDF: "data format error"
    with contextlib.suppress(pdfium.PdfiumError):
        pdfium.PdfDocument(b"%PDF-1.4\n%%EOF\n")
    code = None
    try:
        pdfium.PdfDocument(data).close()
    except pdfium.PdfiumError as e:
        code = getattr(e, "err_code", None)
    else:
        return "cannot be opened (PDFium failed once, then read it: try again)"
    if code == 4 or (code in (primer, 0, None) and b"/Encrypt" in data):
        return _PDFIUM_ERRORS[4]
    if code in (primer, 0, None) and _PAGE_TREE.search(data) and not _PAGE.search(data):
        return "the PDF has no pages"
    return _PDFIUM_ERRORS.get(code, "corrupt or not a PDF")  # type: ignore[arg-type]


def _bitmap_to_rgb(array: np.ndarray, mode: str) -> np.ndarray:
    if array.ndim == 2:
        return np.repeat(array[:, :, None], 3, axis=2)
    if mode.startswith("BGR"):
        return np.ascontiguousarray(array[:, :, 2::-1])
    return np.ascontiguousarray(array[:, :, :3])
