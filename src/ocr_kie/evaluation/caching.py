"""On-disk caches for evaluation re-runs: OCR results and LLM replies.

OCR goes through :class:`ocr_kie.cache.OcrCache` (one JSON file per image, keyed by the image's
bytes and the engine's settings). LLM replies go through LangChain's cache API: a
``SQLiteCache`` (``langchain_community.cache``) assigned to the chat model's ``cache`` field, keyed
by the exact prompt messages and the model's parameters, so changing the model, the prompt, the
examples or the keys misses. :class:`CountingCache` wraps it to count hits.
"""

from __future__ import annotations

import os
import threading
import warnings
from pathlib import Path
from typing import Any

from langchain_core.caches import RETURN_VAL_TYPE, BaseCache

from ocr_kie.errors import require

__all__ = ["CountingCache", "default_cache_dir", "sqlite_llm_cache"]


def default_cache_dir() -> Path:
    """``$OCR_KIE_CACHE_DIR/eval``, else ``<user cache dir>/ocr-kie/eval`` (platformdirs)."""
    from platformdirs import user_cache_dir

    return Path(os.environ.get("OCR_KIE_CACHE_DIR") or user_cache_dir("ocr-kie", appauthor=False)) / "eval"


class CountingCache(BaseCache):
    """A LangChain LLM cache that counts the lookups another cache answered.

    Args:
        inner: The cache doing the work.

    Attributes:
        hits: Lookups answered from the cache.
        misses: Lookups that were not.
    """

    def __init__(self, inner: BaseCache) -> None:
        self.inner = inner
        self.hits = 0
        self.misses = 0
        self._lock = threading.Lock()

    def lookup(self, prompt: str, llm_string: str) -> RETURN_VAL_TYPE | None:
        with warnings.catch_warnings():
            # SQLiteCache warns on every read that its deserialisation default will change.
            warnings.filterwarnings("ignore", message=".*allowed_objects.*")
            value = self.inner.lookup(prompt, llm_string)
        with self._lock:
            if value is None:
                self.misses += 1
            else:
                self.hits += 1
        return value

    def update(self, prompt: str, llm_string: str, return_val: RETURN_VAL_TYPE) -> None:
        self.inner.update(prompt, llm_string, return_val)

    def clear(self, **kwargs: Any) -> None:
        self.inner.clear(**kwargs)


def sqlite_llm_cache(path: str | os.PathLike[str]) -> CountingCache:
    """A counting ``SQLiteCache`` in the file ``path`` (its folder is created)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*langchain-community.*", category=DeprecationWarning)
        module = require("langchain_community.cache", package="langchain-community", purpose="caching LLM replies")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return CountingCache(module.SQLiteCache(database_path=str(path)))
