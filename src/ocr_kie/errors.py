"""The exceptions ocr_kie raises.

Every error derives from :class:`OcrKieError`, so ``except OcrKieError`` catches them all.
Errors carry their context as attributes (the source, the page, …) besides the message::

    OcrKieError
    ├── InputError                 bad input; ``.source`` (and ``.page`` where known)
    │   ├── SourceNotFoundError    a path that does not exist (also a FileNotFoundError)
    │   ├── InvalidImageError      empty, not an image, truncated or undecodable
    │   ├── ImageTooLargeError     absurd dimensions (a decompression bomb)
    │   └── InvalidPdfError        encrypted, corrupt or unrenderable PDF
    ├── OcrEngineError             the OCR engine failed; ``.engine``, ``.source``
    │   └── ModelFilesNotFoundError  model files missing from the installed wheels
    └── MissingDependencyError     an optional package is not installed (also an ImportError)
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ImageTooLargeError",
    "InputError",
    "InvalidImageError",
    "InvalidPdfError",
    "MissingDependencyError",
    "ModelFilesNotFoundError",
    "OcrEngineError",
    "OcrKieError",
    "SourceNotFoundError",
]


class OcrKieError(Exception):
    """Base class of every error raised by ocr_kie."""


class InputError(OcrKieError, ValueError):
    """A source could not be read as an image or PDF.

    Attributes:
        source: A printable name of the source (path, ``"<bytes>"``, ``"<PIL image>"`` …).
        page: The 1-based page number, where the failure concerns one page of a PDF.
    """

    def __init__(self, message: str, *, source: str, page: int | None = None) -> None:
        self.source = source
        self.page = page
        where = f"{source} (page {page})" if page is not None else source
        super().__init__(f"{where}: {message}")
        self.reason = message


class SourceNotFoundError(InputError, FileNotFoundError):
    """The path does not exist or matched no file."""


class InvalidImageError(InputError):
    """The data is empty, not an image, or cannot be decoded (e.g. a truncated JPEG)."""


class ImageTooLargeError(InputError):
    """The image's dimensions exceed the configured pixel limit (a decompression bomb).

    Attributes:
        width: The declared width in pixels, when known.
        height: The declared height in pixels, when known.
        max_pixels: The limit that was exceeded.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str,
        width: int | None,
        height: int | None,
        max_pixels: int,
        page: int | None = None,
    ) -> None:
        self.width = width
        self.height = height
        self.max_pixels = max_pixels
        super().__init__(message, source=source, page=page)


class InvalidPdfError(InputError):
    """The PDF is encrypted, corrupt, or a page cannot be rendered."""


class OcrEngineError(OcrKieError, RuntimeError):
    """The OCR engine failed to load or to recognise an image.

    Attributes:
        engine: The engine's registry name (``"paddle"``, ``"onnx"`` …).
        source: The source being recognised, when known.
    """

    def __init__(self, message: str, *, engine: str, source: str | None = None) -> None:
        self.engine = engine
        self.source = source
        where = f" on {source}" if source else ""
        super().__init__(f"[{engine}]{where}: {message}")


class ModelFilesNotFoundError(OcrEngineError):
    """The OCR model files are not where the installed wheels should have put them.

    Attributes:
        missing: The paths that were looked for.
    """

    def __init__(self, message: str, *, engine: str, missing: list[str]) -> None:
        self.missing = missing
        super().__init__(message, engine=engine)


class MissingDependencyError(OcrKieError, ImportError):
    """An optional dependency is not installed; the message says how to install it.

    Attributes:
        package: The distribution that is missing.
        extra: The ocr-kie extra that provides it, if any.
    """

    def __init__(self, package: str, *, extra: str | None = None, purpose: str = "") -> None:
        self.package = package
        self.extra = extra
        fix = f"pip install 'ocr-kie[{extra}]'" if extra else f"pip install {package}"
        why = f" (needed for {purpose})" if purpose else ""
        super().__init__(f"{package} is not installed{why}: {fix}")


def require(module: str, *, package: str | None = None, extra: str | None = None, purpose: str = "") -> Any:
    """Import an optional module, or raise :class:`MissingDependencyError` saying how to fix it.

    Args:
        module: The module to import, e.g. ``"llama_cpp"``.
        package: The distribution providing it, when its name differs from the module's.
        extra: The ocr-kie extra that installs it.
        purpose: What it is needed for, for the message.

    Returns:
        The imported module.
    """
    import importlib
    import warnings

    try:
        with warnings.catch_warnings():
            # paddle warns on import that ccache (a compiler cache for custom ops) is missing.
            warnings.filterwarnings("ignore", message=".*ccache.*")
            return importlib.import_module(module)
    except ImportError as e:
        raise MissingDependencyError(package or module, extra=extra, purpose=purpose) from e
