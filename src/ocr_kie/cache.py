"""OCR results cached by image content, so re-running a batch does not OCR the same image again."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np
from langchain_core.documents import Document


def content_key(payload: bytes | np.ndarray | object, engine_key: str) -> str | None:
    """A cache key for an image's content and the OCR settings; None when it cannot be hashed."""
    digest = hashlib.sha256(engine_key.encode())
    if isinstance(payload, (bytes, bytearray, memoryview)):
        digest.update(payload)
    elif isinstance(payload, np.ndarray):
        digest.update(f"{payload.shape}{payload.dtype}".encode())
        digest.update(np.ascontiguousarray(payload).data)
    elif hasattr(payload, "tobytes") and hasattr(payload, "size") and hasattr(payload, "mode"):  # PIL
        digest.update(f"{payload.size}{payload.mode}".encode())
        digest.update(payload.tobytes())
    else:
        return None
    return digest.hexdigest()


class OcrCache:
    """An in-memory LRU cache of OCR'd pages, optionally backed by a directory on disk.

    Example:
        >>> cache = OcrCache(directory="~/.cache/ocr-kie/ocr")  # doctest: +SKIP
        >>> PPOCRLoader(paths, cache=cache).load()  # doctest: +SKIP

    Args:
        max_items: Documents (not pages) kept in memory.
        directory: Where to keep results across processes (one small JSON file per image).

    Attributes:
        hits: Lookups answered from the cache.
        misses: Lookups that were not.
    """

    def __init__(self, max_items: int = 1024, directory: str | os.PathLike[str] | None = None) -> None:
        self.max_items = max_items
        self.directory = Path(directory).expanduser() if directory else None
        self._memory: OrderedDict[str, list[Document]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> list[Document] | None:
        """The pages cached under ``key``, or None."""
        with self._lock:
            docs = self._memory.get(key)
            if docs is not None:
                self._memory.move_to_end(key)
        if docs is None and self.directory is not None:
            docs = self._read(key)
            if docs is not None:
                self._remember(key, docs)
        with self._lock:
            if docs is None:
                self.misses += 1
            else:
                self.hits += 1
        return None if docs is None else [d.model_copy(deep=True) for d in docs]

    def put(self, key: str, docs: list[Document]) -> None:
        """Cache the pages of one image or PDF."""
        self._remember(key, [d.model_copy(deep=True) for d in docs])
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)
            path = self.directory / f"{key}.json"
            tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_text(
                json.dumps(
                    [{"page_content": d.page_content, "metadata": d.metadata} for d in docs], ensure_ascii=False
                ),
                encoding="utf-8",
            )
            tmp.replace(path)

    def _remember(self, key: str, docs: list[Document]) -> None:
        with self._lock:
            self._memory[key] = docs
            self._memory.move_to_end(key)
            while len(self._memory) > self.max_items:
                self._memory.popitem(last=False)

    def _read(self, key: str) -> list[Document] | None:
        assert self.directory is not None
        try:
            records = json.loads((self.directory / f"{key}.json").read_text(encoding="utf-8"))
            return [Document(page_content=r["page_content"], metadata=r["metadata"]) for r in records]
        except (OSError, ValueError, KeyError, TypeError):
            return None  # missing or damaged: OCR again
