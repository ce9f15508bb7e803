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
    ├── ExtractionParseError       no usable answer from the LLM; ``.reply``, ``.errors``, ``.attempts``
    │                              (also LangChain's OutputParserException)
    ├── MissingDependencyError     an optional package is not installed (also an ImportError)
    ├── LlmConfigError             a bad ``llm=`` spec, model file or credentials; ``.spec`` (a ValueError)
    │   └── LlmModelNotFoundError  the GGUF file does not exist (also a FileNotFoundError)
    ├── LlmCallError               calling the LLM failed; ``.provider``, ``.code`` (secrets redacted;
    │   │                          also LangChain's ModelError)
    │   └── LlmContextOverflowError  the prompt does not fit the context (also ContextOverflowError)
    └── WorkerError                a document's error from a worker process; ``.type_name``, ``.fatal``
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.exceptions import ContextOverflowError, ModelError, OutputParserException

__all__ = [
    "ExtractionParseError",
    "ImageTooLargeError",
    "InputError",
    "InvalidImageError",
    "InvalidPdfError",
    "LlmCallError",
    "LlmConfigError",
    "LlmContextOverflowError",
    "LlmModelNotFoundError",
    "MissingDependencyError",
    "ModelFilesNotFoundError",
    "OcrEngineError",
    "OcrKieError",
    "SourceNotFoundError",
    "WorkerError",
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


def _unpickle_error(cls: type, message: str, state: dict[str, Any]) -> ExtractionParseError:
    err = cls.__new__(cls)
    Exception.__init__(err, message)
    err.__dict__.update(state)
    return err


class ExtractionParseError(OcrKieError, OutputParserException):
    """The LLM reply held no usable JSON object, or its values broke the schema.

    Both an :class:`~ocr_kie.errors.OcrKieError` and LangChain's ``OutputParserException``
    (with ``llm_output`` = the reply, ``send_to_llm=True`` and the errors as ``observation``), so
    LangChain's retry helpers and ``except OcrKieError`` both work.

    Attributes:
        reply: The raw reply text that failed (the last one, after retries).
        errors: Human-readable problems, one per string; validation errors start with their JSON
            path (``"$.items[1]: 'amount' is a required property"``).
        keys: The asked keys, so a re-ask can name them.
        values: The cleaned values that failed validation, when a JSON object was found.
        attempts: How many replies were tried (1 unless a retry loop says otherwise).
        replies: Every reply tried, oldest first.

    Example:
        >>> try:
        ...     ocr_kie.parser.KieOutputParser(["total"]).parse("Sorry, I cannot read this receipt.")
        ... except ExtractionParseError as e:
        ...     print(e.errors[0])
        no JSON object found in the reply
    """

    def __init__(
        self,
        message: str,
        *,
        reply: str,
        errors: Sequence[str],
        keys: Sequence[str] = (),
        values: dict[str, Any] | None = None,
        attempts: int = 1,
        replies: Sequence[str] | None = None,
    ) -> None:
        self.reply = reply
        self.errors = list(errors)
        self.keys = list(keys)
        self.values = values
        self.attempts = attempts
        self.replies = list(replies) if replies is not None else [reply]
        super().__init__(message, observation="\n".join(self.errors) or message, llm_output=reply, send_to_llm=True)
        # OutputParserException appends a troubleshooting URL to the message: keep ours short.
        self.args = (message,)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_unpickle_error, (type(self), self.args[0], dict(self.__dict__)))


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


def _unpickle_llm_error(cls: type, message: str, state: dict[str, Any]) -> OcrKieError:
    # OSError subclasses (LlmModelNotFoundError) must be created through OSError.__new__.
    err = (OSError if issubclass(cls, OSError) else Exception).__new__(cls)
    Exception.__init__(err, message)
    err.__dict__.update(state)
    return err


class LlmConfigError(OcrKieError, ValueError):
    """The ``llm=`` argument cannot be turned into a chat model.

    An unknown spec prefix, a missing model file, missing credentials, an invalid option.

    Attributes:
        spec: The ``llm=`` value as given (never a secret).
    """

    def __init__(self, message: str, *, spec: str | None = None) -> None:
        self.spec = spec
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_unpickle_llm_error, (type(self), self.args[0], dict(self.__dict__)))


class LlmModelNotFoundError(LlmConfigError, FileNotFoundError):
    """The model file (GGUF) does not exist.

    Attributes:
        path: The path that was looked for.
    """

    def __init__(self, message: str, *, path: str, spec: str | None = None) -> None:
        self.path = path
        super().__init__(message, spec=spec)


class LlmCallError(OcrKieError, ModelError):
    """Calling the LLM failed: an API error answer, an unreachable server, a failed generation.

    The message never holds a secret: registered secrets (API keys) are replaced by ``***``.
    Also LangChain's ``ModelError``, so ``is_retryable`` tells whether trying again may help.

    Attributes:
        provider: ``"qianfan"``, ``"openai"``, ``"llamacpp"`` …
        code: The provider's error code, when it sent one (e.g. ERNIE's ``error_code``).
        is_retryable: Whether retrying the same request may succeed.
    """

    def __init__(self, message: str, *, provider: str, code: Any = None, retryable: bool = False) -> None:
        self.provider = provider
        self.code = code
        self.is_retryable = retryable
        super().__init__(f"[{provider}] {message}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (_unpickle_llm_error, (type(self), self.args[0], dict(self.__dict__)))


class LlmContextOverflowError(LlmCallError, ContextOverflowError):
    """The prompt plus the answer do not fit the model's context window."""


class WorkerError(OcrKieError):
    """A document's error raised in a worker process, carried back by type name and message.

    The batch runner's worker processes and Ray actors hand back a subclass named after the
    original error type, so a record's ``error.type`` is the original's (``InvalidImageError`` …);
    ``WorkerProcessDied`` is the error of a document whose worker process died under it.

    Attributes:
        type_name: The original error type's name.
        page: The page, when the original error had one.
        fatal: Whether the original error is one that stops the batch (configuration).
    """

    def __init__(self, message: str, *, type_name: str, page: int | None = None, fatal: bool = False) -> None:
        self.type_name = type_name
        self.page = page
        self.fatal = fatal
        super().__init__(message)
