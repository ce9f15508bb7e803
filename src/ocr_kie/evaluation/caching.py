"""On-disk caches for evaluation re-runs: OCR results and LLM replies.

OCR goes through :class:`ocr_kie.cache.OcrCache` (one JSON file per image, keyed by the image's
bytes and the engine's settings). LLM replies go through LangChain's cache API: a
``SQLiteCache`` (``langchain_community.cache``) assigned to the chat model's ``cache`` field, keyed
by the exact prompt messages and the model's parameters, so changing the model, the prompt, the
examples or the keys misses. :class:`CountingCache` wraps it to count hits. Strategies that call
the local model without LangChain (``grounded``) get their whole per-document result cached by
:class:`ResultCache` instead.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import warnings
from pathlib import Path
from typing import Any

from langchain_core.caches import RETURN_VAL_TYPE, BaseCache

from ocr_kie.errors import ResultEncodeError, require
from ocr_kie.jsonout import dumps

__all__ = ["CountingCache", "ResultCache", "code_fingerprint", "default_cache_dir", "sqlite_llm_cache"]


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


class ResultCache:
    """Extraction results on disk, one JSON file per document and configuration.

    For strategies whose model calls do not go through LangChain's cache API (``grounded``
    decoding scores candidates on the local model directly), the whole result of a document is
    cached instead, keyed by its OCR'd pages and ``salt`` (everything else that decides the
    answer: the model's parameters, the schema, the examples, the chain options and the source
    of the modules that build the prompt and decode).

    Args:
        directory: Where the files go.
        salt: The configuration, JSON-serialisable.

    Attributes:
        hits: Lookups answered from the cache.
        misses: Lookups that were not.
    """

    def __init__(self, directory: str | os.PathLike[str], salt: Any) -> None:
        self.directory = Path(directory)
        self._salt = hashlib.sha256(json.dumps(salt, sort_keys=True, default=str).encode()).hexdigest()
        self.hits = 0
        self.misses = 0

    def key(self, pages: list[Any]) -> str:
        """The key of one document's pages (``Document`` objects) under this configuration."""
        digest = hashlib.sha256(self._salt.encode())
        for page in pages:
            digest.update(json.dumps([page.page_content, page.metadata], sort_keys=True, default=str).encode())
        return digest.hexdigest()

    def get(self, key: str) -> dict[str, Any] | None:
        """The cached result, or None."""
        try:
            value = json.loads((self.directory / f"{key}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.misses += 1
            return None
        self.hits += 1
        return value

    def put(self, key: str, value: dict[str, Any]) -> None:
        """Cache one result (written atomically)."""
        try:
            text = dumps(value, nonfinite="null")  # strict JSON, valid UTF-8
        except ResultEncodeError:  # nothing a result can be read back from: not cached
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{key}.json"
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)


def code_fingerprint(*modules: str) -> str:
    """A hash of the source files of some modules (so that changing the prompt code misses the cache).

    A package counts with every module in it (``ocr_kie.parser`` is ``parser/*.py``).
    """
    import importlib

    digest = hashlib.sha256()
    for name in modules:
        try:
            module = importlib.import_module(name)
        except ImportError:
            digest.update(name.encode())
            continue
        path = module.__file__
        if not path:
            digest.update(name.encode())
            continue
        files = sorted(Path(path).parent.rglob("*.py")) if hasattr(module, "__path__") else [Path(path)]
        for file in files:
            digest.update(file.read_bytes())
    return digest.hexdigest()
