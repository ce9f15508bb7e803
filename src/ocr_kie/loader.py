"""PP-OCR as a LangChain document loader: one :class:`~langchain_core.documents.Document` per page."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from langchain_core.document_loaders import BaseLoader
from langchain_core.documents import Document

from ocr_kie.cache import OcrCache, content_key
from ocr_kie.errors import InputError, OcrEngineError, OcrKieError
from ocr_kie.images import (
    DEFAULT_DPI,
    DEFAULT_MAX_PIXELS,
    Source,
    expand_sources,
    iter_pages,
    read_bytes,
    source_name,
)
from ocr_kie.ocr import OcrEngine, OcrPage, get_engine

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadFailure:
    """A source that could not be loaded, recorded when ``on_error="skip"``.

    Attributes:
        source: The source's printable name.
        error: The error, with its context (``.source``, ``.page`` …).
    """

    source: str
    error: OcrKieError


def page_document(page: OcrPage, *, source: str, page_number: int) -> Document:
    """Wrap an OCR page as a Document: the text in reading order, the lines in the metadata."""
    return Document(
        page_content=page.text,
        metadata={
            "source": source,
            "page": page_number,
            "width": page.width,
            "height": page.height,
            "engine": page.engine,
            "model": page.model,
            "lines": [
                {
                    "text": ln.text,
                    "box": list(ln.box),
                    "polygon": [list(p) for p in ln.polygon],
                    "score": ln.score,
                    "row": ln.row,
                }
                for ln in page.lines
            ],
        },
    )


class PPOCRLoader(BaseLoader):
    """Load images and PDFs as Documents, one per page, with PP-OCRv4 (offline).

    ``page_content`` is the page text in reading order (one visual row per line); ``metadata``
    holds ``source``, ``page`` (1-based), ``width``, ``height``, ``engine``, ``model`` and
    ``lines`` (each with ``text``, ``box`` ``[x0, y0, x1, y1]``, ``polygon``, ``score``, ``row``).

    Example:
        >>> loader = PPOCRLoader(["receipt.jpg", "scans/*.pdf"], on_error="skip")  # doctest: +SKIP
        >>> docs = loader.load()  # doctest: +SKIP
        >>> loader.failures  # doctest: +SKIP
        [LoadFailure(source='scans/broken.pdf', error=InvalidPdfError(...))]

    Args:
        sources: A source or a list of them: file paths, directories, glob patterns, bytes, PIL
            images, RGB ``uint8`` numpy arrays.
        engine: An OCR engine instance, or a registry name (``"paddle"``, ``"onnx"``); default:
            the shared ``paddle`` engine.
        dpi: Resolution for rendering PDF pages.
        max_pixels: Images or pages with more pixels are refused (decompression bombs).
        on_error: ``"raise"`` stops at the first bad source; ``"skip"`` logs it, records it in
            :attr:`failures` and goes on with the others.
        cache: Reuse the OCR of images already seen (keyed by content and OCR settings).
    """

    def __init__(
        self,
        sources: Source | Sequence[Source],
        *,
        engine: OcrEngine | str | None = None,
        dpi: int = DEFAULT_DPI,
        max_pixels: int = DEFAULT_MAX_PIXELS,
        on_error: Literal["raise", "skip"] = "raise",
        cache: OcrCache | None = None,
    ) -> None:
        if on_error not in ("raise", "skip"):
            raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}")
        self.sources = expand_sources(sources)
        self._engine = engine
        self.dpi = dpi
        self.max_pixels = max_pixels
        self.on_error = on_error
        self.cache = cache
        self.failures: list[LoadFailure] = []

    @property
    def engine(self) -> OcrEngine:
        """The OCR engine, resolved (and its models loaded) on first use."""
        if not isinstance(self._engine, OcrEngine):
            self._engine = get_engine(self._engine or "paddle")
        return self._engine

    def lazy_load(self) -> Iterator[Document]:
        """Yield one Document per page, source by source.

        Raises:
            InputError: A source cannot be read (only with ``on_error="raise"``).
            OcrEngineError: The engine failed (only with ``on_error="raise"``).
        """
        self.failures = []
        for source in self.sources:
            name = source_name(source)
            try:
                yield from self._load_one(source, name)
            except (InputError, OcrEngineError) as e:
                if self.on_error == "raise":
                    raise
                logger.warning("skipping %s: %s", name, e)
                self.failures.append(LoadFailure(source=name, error=e))

    def _load_one(self, source: Source, name: str) -> Iterator[Document]:
        payload = read_bytes(source, name) if isinstance(source, (str, os.PathLike)) else source
        key = None
        if self.cache is not None:
            settings = f"{self.engine.name}|{self.engine.model}|{self.engine.options.model_dump_json()}|{self.dpi}"
            key = content_key(payload, settings)
            cached = self.cache.get(key) if key else None
            if cached is not None:
                for doc in cached:
                    doc.metadata["source"] = name
                yield from cached
                return
        docs = []
        for page in iter_pages(payload, name=name, dpi=self.dpi, max_pixels=self.max_pixels):
            docs.append(
                page_document(self.engine.recognize(page.image, source=name), source=name, page_number=page.page)
            )
            yield docs[-1]
        if key is not None and self.cache is not None:
            self.cache.put(key, docs)

    def __repr__(self) -> str:
        return f"PPOCRLoader({len(self.sources)} sources, engine={self._engine!r}, on_error={self.on_error!r})"
