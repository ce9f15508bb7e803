"""ocr_kie: key information extraction from images with PP-OCR and an LLM.

Example:
    >>> from ocr_kie import PPOCRLoader
    >>> docs = PPOCRLoader("receipt.jpg").load()  # doctest: +SKIP
    >>> print(docs[0].page_content)  # doctest: +SKIP
"""

from importlib.metadata import PackageNotFoundError, version

from ocr_kie.errors import (
    ImageTooLargeError,
    InputError,
    InvalidImageError,
    InvalidPdfError,
    MissingDependencyError,
    ModelFilesNotFoundError,
    OcrEngineError,
    OcrKieError,
    SourceNotFoundError,
)
from ocr_kie.loader import LoadFailure, PPOCRLoader
from ocr_kie.ocr import OcrEngine, OcrLine, OcrPage, create_engine, get_engine

try:
    __version__ = version("ocr-kie")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "ImageTooLargeError",
    "InputError",
    "InvalidImageError",
    "InvalidPdfError",
    "LoadFailure",
    "MissingDependencyError",
    "ModelFilesNotFoundError",
    "OcrEngine",
    "OcrEngineError",
    "OcrKieError",
    "OcrLine",
    "OcrPage",
    "PPOCRLoader",
    "SourceNotFoundError",
    "__version__",
    "create_engine",
    "get_engine",
]
