"""ocr_kie: key information extraction from images with PP-OCR and an LLM.

Example:
    >>> from ocr_kie import build_chain
    >>> chain = build_chain(["可用额度", "账单日"], examples="examples.jsonl")  # doctest: +SKIP
    >>> chain.invoke("screenshot.png")  # doctest: +SKIP
    {'可用额度': '12,000.00', '账单日': '每月5日'}
"""

from importlib.metadata import PackageNotFoundError, version

from ocr_kie.batch import BatchSummary, run_batch
from ocr_kie.cache import OcrCache
from ocr_kie.chain import build_chain
from ocr_kie.decoding import GroundedOptions
from ocr_kie.errors import (
    ExampleError,
    ExtractionParseError,
    ImageTooLargeError,
    InputError,
    InvalidImageError,
    InvalidPdfError,
    LlmCallError,
    LlmConfigError,
    MissingDependencyError,
    ModelFilesNotFoundError,
    OcrEngineError,
    OcrKieError,
    SourceNotFoundError,
)
from ocr_kie.evaluation import EvaluationReport, evaluate
from ocr_kie.examples import Example, load_examples
from ocr_kie.grounding import Evidence
from ocr_kie.llms import resolve_llm
from ocr_kie.loader import LoadFailure, PPOCRLoader
from ocr_kie.ocr import OcrEngine, OcrLine, OcrPage, create_engine, get_engine
from ocr_kie.parser import KieOutputParser

try:
    __version__ = version("ocr-kie")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "BatchSummary",
    "EvaluationReport",
    "Evidence",
    "Example",
    "ExampleError",
    "ExtractionParseError",
    "GroundedOptions",
    "ImageTooLargeError",
    "InputError",
    "InvalidImageError",
    "InvalidPdfError",
    "KieOutputParser",
    "LlmCallError",
    "LlmConfigError",
    "LoadFailure",
    "MissingDependencyError",
    "ModelFilesNotFoundError",
    "OcrCache",
    "OcrEngine",
    "OcrEngineError",
    "OcrKieError",
    "OcrLine",
    "OcrPage",
    "PPOCRLoader",
    "SourceNotFoundError",
    "__version__",
    "build_chain",
    "create_engine",
    "evaluate",
    "get_engine",
    "load_examples",
    "resolve_llm",
    "run_batch",
]
