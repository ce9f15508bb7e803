"""The public surface is pinned: changing it is a decision, not an accident."""

from importlib.metadata import version

import ocr_kie

PUBLIC = [
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


def test_all_is_pinned_and_sorted():
    assert ocr_kie.__all__ == PUBLIC
    assert sorted(ocr_kie.__all__) == ocr_kie.__all__
    for name in PUBLIC:
        assert hasattr(ocr_kie, name), name


def test_version_comes_from_package_metadata():
    assert ocr_kie.__version__ == version("ocr-kie")


def test_errors_form_one_tree_and_carry_context():
    from ocr_kie import errors

    for name in errors.__all__:
        assert issubclass(getattr(errors, name), ocr_kie.OcrKieError)
    e = ocr_kie.SourceNotFoundError("no such file", source="a.png")
    assert isinstance(e, FileNotFoundError) and e.source == "a.png" and str(e) == "a.png: no such file"


def test_missing_optional_dependency_says_how_to_fix_it():
    import pytest

    with pytest.raises(ocr_kie.MissingDependencyError, match=r"pip install 'ocr-kie\[local\]'") as info:
        errors_require = __import__("ocr_kie.errors", fromlist=["require"]).require
        errors_require("surely_not_installed_module", package="llama-cpp-python", extra="local")
    assert isinstance(info.value, ImportError)
