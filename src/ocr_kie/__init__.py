"""ocr_kie: key information extraction from images with PP-OCR and an LLM.

Example:
    >>> from ocr_kie import build_chain
    >>> chain = build_chain(["可用额度", "账单日"], examples="examples.jsonl")  # doctest: +SKIP
    >>> chain.invoke("screenshot.png")  # doctest: +SKIP
    {'可用额度': '12,000.00', '账单日': '每月5日'}

The public names load lazily (PEP 562): ``import ocr_kie`` imports none of the OCR engines, LLM
back ends, the batch runner or the evaluation, and sets nothing in the environment; a name's
module is imported the first time the name is used.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ocr_kie.batch import BatchSummary, run_batch
    from ocr_kie.cache import OcrCache
    from ocr_kie.errors import (
        BatchInterrupted,
        EmptyInputError,
        ExampleError,
        ExtractionParseError,
        ImageTooLargeError,
        InputError,
        InvalidImageError,
        InvalidPdfError,
        LlmAuthenticationError,
        LlmBadResponseError,
        LlmCallError,
        LlmConfigError,
        LlmConnectionError,
        LlmContextOverflowError,
        LlmModelNotFoundError,
        LlmRateLimitError,
        LlmServerError,
        LlmTimeoutError,
        MissingDependencyError,
        ModelFilesNotFoundError,
        NoTextError,
        OcrEngineError,
        OcrKieError,
        ResultEncodeError,
        ResultsFileError,
        ReviewInputError,
        SourceNotFoundError,
        UsageError,
        WorkerError,
    )
    from ocr_kie.evaluation import EvaluationReport, evaluate
    from ocr_kie.examples import Example, load_examples
    from ocr_kie.grounding import Evidence
    from ocr_kie.llms import resolve_llm
    from ocr_kie.loader import LoadFailure, PPOCRLoader
    from ocr_kie.ocr import OcrEngine, OcrLine, OcrPage, create_engine, get_engine
    from ocr_kie.parser import KieOutputParser
    from ocr_kie.pipeline.chain import build_chain
    from ocr_kie.pipeline.config import ExtractionConfig
    from ocr_kie.pipeline.grounded import GroundedOptions
    from ocr_kie.pipeline.result import ExtractionResult, FieldResult

try:
    __version__ = version("ocr-kie")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

#: Each public name and the module that defines it.
_LAZY: dict[str, str] = {
    "BatchInterrupted": "ocr_kie.errors",
    "BatchSummary": "ocr_kie.batch",
    "EmptyInputError": "ocr_kie.errors",
    "EvaluationReport": "ocr_kie.evaluation",
    "Evidence": "ocr_kie.grounding",
    "Example": "ocr_kie.examples",
    "ExampleError": "ocr_kie.errors",
    "ExtractionConfig": "ocr_kie.pipeline.config",
    "ExtractionParseError": "ocr_kie.errors",
    "ExtractionResult": "ocr_kie.pipeline.result",
    "FieldResult": "ocr_kie.pipeline.result",
    "GroundedOptions": "ocr_kie.pipeline.grounded",
    "ImageTooLargeError": "ocr_kie.errors",
    "InputError": "ocr_kie.errors",
    "InvalidImageError": "ocr_kie.errors",
    "InvalidPdfError": "ocr_kie.errors",
    "KieOutputParser": "ocr_kie.parser",
    "LlmAuthenticationError": "ocr_kie.errors",
    "LlmBadResponseError": "ocr_kie.errors",
    "LlmCallError": "ocr_kie.errors",
    "LlmConfigError": "ocr_kie.errors",
    "LlmConnectionError": "ocr_kie.errors",
    "LlmContextOverflowError": "ocr_kie.errors",
    "LlmModelNotFoundError": "ocr_kie.errors",
    "LlmRateLimitError": "ocr_kie.errors",
    "LlmServerError": "ocr_kie.errors",
    "LlmTimeoutError": "ocr_kie.errors",
    "LoadFailure": "ocr_kie.loader",
    "MissingDependencyError": "ocr_kie.errors",
    "ModelFilesNotFoundError": "ocr_kie.errors",
    "NoTextError": "ocr_kie.errors",
    "OcrCache": "ocr_kie.cache",
    "OcrEngine": "ocr_kie.ocr",
    "OcrEngineError": "ocr_kie.errors",
    "OcrKieError": "ocr_kie.errors",
    "OcrLine": "ocr_kie.ocr",
    "OcrPage": "ocr_kie.ocr",
    "PPOCRLoader": "ocr_kie.loader",
    "ResultEncodeError": "ocr_kie.errors",
    "ResultsFileError": "ocr_kie.errors",
    "ReviewInputError": "ocr_kie.errors",
    "SourceNotFoundError": "ocr_kie.errors",
    "UsageError": "ocr_kie.errors",
    "WorkerError": "ocr_kie.errors",
    "build_chain": "ocr_kie.pipeline.chain",
    "create_engine": "ocr_kie.ocr",
    "evaluate": "ocr_kie.evaluation",
    "get_engine": "ocr_kie.ocr",
    "load_examples": "ocr_kie.examples",
    "resolve_llm": "ocr_kie.llms",
    "run_batch": "ocr_kie.batch",
}

__all__ = [
    "BatchInterrupted",
    "BatchSummary",
    "EmptyInputError",
    "EvaluationReport",
    "Evidence",
    "Example",
    "ExampleError",
    "ExtractionConfig",
    "ExtractionParseError",
    "ExtractionResult",
    "FieldResult",
    "GroundedOptions",
    "ImageTooLargeError",
    "InputError",
    "InvalidImageError",
    "InvalidPdfError",
    "KieOutputParser",
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
    "LoadFailure",
    "MissingDependencyError",
    "ModelFilesNotFoundError",
    "NoTextError",
    "OcrCache",
    "OcrEngine",
    "OcrEngineError",
    "OcrKieError",
    "OcrLine",
    "OcrPage",
    "PPOCRLoader",
    "ResultEncodeError",
    "ResultsFileError",
    "ReviewInputError",
    "SourceNotFoundError",
    "UsageError",
    "WorkerError",
    "__version__",
    "build_chain",
    "create_engine",
    "evaluate",
    "get_engine",
    "load_examples",
    "resolve_llm",
    "run_batch",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
