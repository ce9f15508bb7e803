"""The exceptions ocr_kie raises.

Every error derives from :class:`OcrKieError`, so ``except OcrKieError`` catches them all.
Errors carry their context as attributes (the source, the page, …) besides the message::

    OcrKieError
    ├── InputError                 bad input; ``.source`` (and ``.page`` where known)
    │   ├── SourceNotFoundError    a path that does not exist (also a FileNotFoundError)
    │   ├── InvalidImageError      empty, not an image, truncated or undecodable
    │   ├── ImageTooLargeError     absurd dimensions (a decompression bomb)
    │   ├── InvalidPdfError        encrypted, corrupt or unrenderable PDF (or one with no pages)
    │   ├── ExampleError           a worked example's image cannot be read; ``.example`` (1-based)
    │   └── EmptyInputError        nothing to read: ``[]``, a folder or glob with no image or PDF
    │       └── NoTextError        the OCR found no text on the page(s): the LLM is not asked
    ├── OcrEngineError             the OCR engine failed; ``.engine``, ``.source``
    │   └── ModelFilesNotFoundError  model files missing from the installed wheels
    ├── ExtractionParseError       no usable answer from the LLM; ``.reply``, ``.errors``, ``.attempts``
    │                              (also LangChain's OutputParserException)
    ├── ResultEncodeError          a result cannot be written as strict JSON; ``.path`` (a ValueError)
    ├── ResultsFileError           a results file that cannot be written or is no results file; ``.path``
    ├── ReviewInputError           a results file the review page cannot read; ``.path``, ``.line``
    ├── UsageError                 a wrong command line (exit code 2); ``.command`` (a ValueError)
    ├── MissingDependencyError     an optional package is not installed (also an ImportError)
    ├── LlmConfigError             a bad ``llm=`` spec, model file or credentials; ``.spec`` (a ValueError)
    │   └── LlmModelNotFoundError  the GGUF file does not exist (also a FileNotFoundError)
    ├── LlmCallError               calling the LLM failed; ``.provider``, ``.model``, ``.status``, ``.code``,
    │   │                          ``.retryable``, ``.body`` (secrets redacted; also LangChain's ModelError)
    │   ├── LlmContextOverflowError  the prompt does not fit the context (also ContextOverflowError)
    │   ├── LlmTimeoutError        no answer within the timeout (retryable; also ModelTimeoutError)
    │   ├── LlmConnectionError     the server cannot be reached, or dropped the connection (retryable)
    │   ├── LlmRateLimitError      HTTP 429, a quota or QPS limit (retryable; also ModelRateLimitError)
    │   ├── LlmServerError         HTTP 5xx (retryable; also ModelAPIError)
    │   ├── LlmAuthenticationError   HTTP 401/403, a rejected key (also ModelAuthenticationError)
    │   └── LlmBadResponseError    an answer that is no chat completion: HTML, a cut-off or foreign JSON body
    └── WorkerError                a document's error from a worker process; ``.type_name``, ``.fatal``

    KeyboardInterrupt
    └── BatchInterrupted           Ctrl-C during a batch; ``.summary`` (the file is valid and resumable)

Every class is importable from here and from ``ocr_kie``; the modules that raise them
(:mod:`ocr_kie.batch`, :mod:`ocr_kie.review`, :mod:`ocr_kie.cli.options`) re-export theirs.

Why this module is over 500 lines: it is the whole tree in one place, by design (one file to read
to know what can go wrong and what each error carries); it is all class definitions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from langchain_core.exceptions import (
    ContextOverflowError,
    ModelAPIError,
    ModelAuthenticationError,
    ModelConnectionError,
    ModelError,
    ModelRateLimitError,
    ModelTimeoutError,
    OutputParserException,
)

if TYPE_CHECKING:
    from ocr_kie.batch import BatchSummary

__all__ = [
    "BatchInterrupted",
    "EmptyInputError",
    "ExampleError",
    "ExtractionParseError",
    "ImageTooLargeError",
    "InputError",
    "InvalidImageError",
    "InvalidPdfError",
    "LlmAuthenticationError",
    "LlmBadResponseError",
    "LlmCallError",
    "LlmConfigError",
    "LlmConnectionError",
    "LlmContextOverflowError",
    "LlmModelNotFoundError",
    "LlmRateLimitError",
    "LlmServerError",
    "LlmTimeoutError",
    "MissingDependencyError",
    "ModelFilesNotFoundError",
    "NoTextError",
    "OcrEngineError",
    "OcrKieError",
    "ResultEncodeError",
    "ResultsFileError",
    "ReviewInputError",
    "SourceNotFoundError",
    "UsageError",
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
    """The PDF is encrypted, corrupt, has no pages, or a page cannot be rendered."""


class EmptyInputError(InputError):
    """There is nothing to read: an empty list, or a folder or glob pattern with no image or PDF in it.

    Raised instead of asking the LLM about no text (which would return its guesses as values).
    """


class NoTextError(EmptyInputError):
    """The OCR found no text on the page(s) (a blank page, a photo): the LLM is not asked."""


class ExampleError(InputError):
    """A worked example cannot be used: its image (or PDF) cannot be read or OCR'd.

    The chain reports it as a warning and goes on with the usable examples.

    Attributes:
        example: The example's 1-based position in the examples given.
    """

    def __init__(self, message: str, *, source: str, example: int, page: int | None = None) -> None:
        self.example = example
        super().__init__(f"example {example}: {message}", source=source, page=page)


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


class ResultEncodeError(OcrKieError, ValueError):
    """A result cannot be written as strict JSON: ``NaN``/``Infinity``, an integer too long, a cycle.

    A batch writes the document's error record instead (with this error), so the run goes on.

    Attributes:
        path: The JSON path of the value, e.g. ``"$.values.total"``.
        reason: What is wrong with it.
    """

    def __init__(self, reason: str, *, path: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"cannot write {path} as strict JSON: {reason}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (_unpickle_llm_error, (type(self), self.args[0], dict(self.__dict__)))


class ResultsFileError(OcrKieError, ValueError):
    """The results file cannot be written, or holds something that is not a results record.

    Attributes:
        path: The results file.
    """

    def __init__(self, message: str, *, path: str) -> None:
        self.path = path
        super().__init__(f"{path}: {message}")


class ReviewInputError(OcrKieError, ValueError):
    """A results file that cannot be reviewed (missing, or a line that is no results record).

    Attributes:
        path: The file.
        line: The 1-based line number, where one line is at fault.
    """

    def __init__(self, message: str, *, path: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        where = f"{path}, line {line}" if line is not None else path
        super().__init__(f"{where}: {message}")


class UsageError(OcrKieError, ValueError):
    """The command line (or an environment default) is wrong: exit code 2, nothing done.

    Attributes:
        command: The subcommand's name, when known (for the ``--help`` hint).
    """

    def __init__(self, message: str, *, command: str | None = None) -> None:
        self.command = command
        super().__init__(message)


class BatchInterrupted(KeyboardInterrupt):
    """Ctrl-C during :func:`~ocr_kie.batch.run_batch`: the results file is valid and resumable.

    A ``KeyboardInterrupt`` (not an :class:`OcrKieError`), so code that stops on Ctrl-C still does.

    Attributes:
        summary: What was done before the interruption (a :class:`~ocr_kie.batch.BatchSummary`).
    """

    def __init__(self, summary: BatchSummary) -> None:
        self.summary = summary
        super().__init__(f"interrupted after {summary.done} of {summary.total} documents")


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


#: The most characters of a raw response body an :class:`LlmCallError` keeps (``.body``).
BODY_LIMIT = 2048


def _cut(text: str | bytes | None, limit: int = BODY_LIMIT) -> str | None:
    if text is None:
        return None
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… [cut: {len(text)} characters in all]"


class LlmCallError(OcrKieError, ModelError):
    """Calling the LLM failed: an API error answer, an unreachable server, a failed generation.

    The message and the body never hold a secret: registered secrets (API keys, qianfan AK/SK,
    the secret environment variables of :mod:`ocr_kie.secrets`) and bearer tokens are replaced by
    ``***`` when the error is made. Also LangChain's ``ModelError``, so ``is_retryable`` tells
    whether trying again may help; the subclasses say what went wrong (timeout, rate limit …).

    Example:
        >>> try:
        ...     chain.invoke("receipt.png")  # doctest: +SKIP
        ... except LlmCallError as e:
        ...     print(e.provider, e.status, e.retryable, e.body)  # doctest: +SKIP
        openai 429 True {"error": {"message": "rate limited"}}

    Attributes:
        provider: ``"qianfan"``, ``"openai"``, ``"llamacpp"``, or the class name of another model.
        model: The model's name, when known.
        status: The HTTP status of the answer, when there was one.
        code: The provider's error code, when it sent one (e.g. ERNIE's ``error_code``).
        body: The raw response body, cut to :data:`BODY_LIMIT` characters (secrets redacted), when
            there was one.
        is_retryable: Whether retrying the same request may succeed (``retryable`` is the same).
    """

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        code: Any = None,
        retryable: bool | None = None,
        status: int | None = None,
        body: str | bytes | None = None,
        model: str | None = None,
    ) -> None:
        from ocr_kie.secrets import redact

        self.provider = provider
        self.code = code
        self.is_retryable = type(self).is_retryable if retryable is None else bool(retryable)
        self.status = status
        self.body = None if body is None else redact(_cut(body) or "")
        self.model = model
        super().__init__(redact(f"[{provider}] {message}"))

    @property
    def retryable(self) -> bool:
        """Whether retrying the same request may succeed (``is_retryable``)."""
        return self.is_retryable

    def __reduce__(self) -> tuple[Any, ...]:
        return (_unpickle_llm_error, (type(self), self.args[0], dict(self.__dict__)))


class LlmContextOverflowError(LlmCallError, ContextOverflowError):
    """The prompt plus the answer do not fit the model's context window."""


class LlmTimeoutError(LlmCallError, ModelTimeoutError):
    """No answer within the request timeout (``timeout=``, ``--timeout``); retryable."""

    is_retryable = True


class LlmConnectionError(LlmCallError, ModelConnectionError):
    """The server cannot be reached, or dropped the connection before the answer was complete; retryable."""

    is_retryable = True


class LlmRateLimitError(LlmCallError, ModelRateLimitError):
    """HTTP 429 or a provider's rate, quota or QPS limit; retryable (after a while)."""

    is_retryable = True


class LlmServerError(LlmCallError, ModelAPIError):
    """HTTP 5xx: the server failed; retryable."""

    is_retryable = True


class LlmAuthenticationError(LlmCallError, ModelAuthenticationError):
    """HTTP 401/403: the key or credentials were refused; not retryable."""


class LlmBadResponseError(LlmCallError):
    """An answer that is no chat completion: an HTML page, a cut-off or foreign JSON body.

    ``.body`` holds what came (cut to :data:`BODY_LIMIT`). A cut-off body is retryable (a proxy or
    network hiccup), a well-formed foreign answer is not (usually a wrong ``base_url``).
    """


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
