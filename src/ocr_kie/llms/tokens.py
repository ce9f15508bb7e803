"""Context windows and token counts of chat models, offline.

Example:
    >>> from ocr_kie.llms import context_window, estimate_tokens
    >>> estimate_tokens("可用额度 12,000.00")
    7
    >>> context_window(llm)  # doctest: +SKIP
    8192
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping

from langchain_core.language_models import BaseChatModel

from ocr_kie.llms.binding import model_name
from ocr_kie.llms.llamacpp import LlamaCppChatModel

__all__ = ["DEFAULT_CONTEXT_WINDOW", "KNOWN_CONTEXT_WINDOWS", "context_window", "estimate_tokens", "token_counter"]

#: The context size assumed for models :func:`context_window` does not know.
DEFAULT_CONTEXT_WINDOW = 8192

#: Context windows (tokens) of known model families, matched as name prefixes (lowercase,
#: longest first). Names with a size suffix (``-8K``, ``-128k``) are read from the name first.
KNOWN_CONTEXT_WINDOWS: dict[str, int] = {
    "ernie-4.0": 8192,
    "ernie-3.5": 8192,
    "ernie-speed": 8192,
    "ernie-lite": 8192,
    "ernie-tiny": 8192,
    "ernie-4.5": 131072,
    "ernie-x1": 32768,
    "gpt-4.1": 1047576,
    "gpt-4o": 128000,
    "gpt-4-turbo": 128000,
    "gpt-4": 8192,
    "gpt-3.5-turbo": 16385,
    "gpt-5": 400000,
    "o1": 200000,
    "o3": 200000,
    "o4": 200000,
    "deepseek-chat": 65536,
    "deepseek-reasoner": 65536,
    "qwen-max": 32768,
    "qwen-plus": 131072,
    "qwen-turbo": 131072,
    "qwen2.5": 32768,
    "qwen3": 32768,
}


def context_window(llm: BaseChatModel, default: int = DEFAULT_CONTEXT_WINDOW) -> int:
    """The model's context size in tokens.

    In order: ``llm.metadata["context_window"]`` (set it yourself, or pass
    ``resolve_llm(..., context_window=N)``); the ``n_ctx`` of a llama.cpp model; a size in the
    model's name (``ERNIE-Speed-128K`` → 131072); :data:`KNOWN_CONTEXT_WINDOWS`; else ``default``
    (8192). ``build_chain(context_window=N)`` overrides all of these.

    Args:
        llm: The chat model (a bound model counts as its underlying one).
        default: The size for unknown models.
    """
    llm = getattr(llm, "bound", llm)
    metadata = getattr(llm, "metadata", None) or {}
    if isinstance(metadata, Mapping) and metadata.get("context_window"):
        return int(metadata["context_window"])
    n_ctx = getattr(llm, "n_ctx", None)
    if isinstance(n_ctx, int) and n_ctx > 0:
        return n_ctx
    name = model_name(llm).lower()
    if name:
        name = name.rsplit("/", 1)[-1]
        sized = re.search(r"(?:^|[-_:])(\d{1,4})k(?:$|[-_.])", name)
        if sized:
            return int(sized.group(1)) * 1024
        for prefix in sorted(KNOWN_CONTEXT_WINDOWS, key=len, reverse=True):
            if name.startswith(prefix):
                return KNOWN_CONTEXT_WINDOWS[prefix]
    return default


# CJK ideographs (with extensions and compatibility forms), kana, Hangul, bopomofo, CJK symbols
# and punctuation, full-width and half-width forms: about one token each in CJK-aware tokenizers.
_CJK = re.compile(
    "[\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u3130-\u318f\u31a0-\u31ff"
    "\u3200-\u32ff\u3300-\u33ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
    "\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003134f]"
)


def estimate_tokens(text: str) -> int:
    """An offline token estimate: each CJK character or full-width mark is one token, other text
    one per 3.5 characters (rounded up); 0 for empty text."""
    if not text:
        return 0
    cjk = len(_CJK.findall(text))
    other = len(text) - cjk
    return cjk + math.ceil(other / 3.5)


def token_counter(llm: BaseChatModel) -> Callable[[str], int]:
    """A function counting the tokens of a text for ``llm``, offline.

    The model's own tokenizer where it is local (llama.cpp); else :func:`estimate_tokens`.
    ``BaseChatModel.get_num_tokens`` is never called on other models: LangChain's default
    downloads a GPT-2 tokenizer (or tiktoken files), which fails offline.

    Args:
        llm: The chat model (a bound model counts as its underlying one).
    """
    llm = getattr(llm, "bound", llm)
    if isinstance(llm, LlamaCppChatModel):
        return llm.get_num_tokens
    client = getattr(llm, "client", None) if type(llm).__name__ == "ChatLlamaCpp" else None
    if client is not None and hasattr(client, "tokenize"):

        def count(text: str) -> int:
            return len(client.tokenize(text.encode("utf-8"), add_bos=False, special=False)) if text else 0

        return count
    return estimate_tokens
