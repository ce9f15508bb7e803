"""The public surface is pinned: changing it is a decision, not an accident."""

import importlib
import inspect
import json
import pkgutil
import subprocess
import sys
from importlib.metadata import version

import pytest

import ocr_kie

PUBLIC = [
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
        if name != "BatchInterrupted":  # a KeyboardInterrupt, so Ctrl-C still stops what catches OcrKieError
            assert issubclass(getattr(errors, name), ocr_kie.OcrKieError), name
    e = ocr_kie.SourceNotFoundError("no such file", source="a.png")
    assert isinstance(e, FileNotFoundError) and e.source == "a.png" and str(e) == "a.png: no such file"


def test_missing_optional_dependency_says_how_to_fix_it():
    import pytest

    with pytest.raises(ocr_kie.MissingDependencyError, match=r"pip install 'ocr-kie\[local\]'") as info:
        errors_require = __import__("ocr_kie.errors", fromlist=["require"]).require
        errors_require("surely_not_installed_module", package="llama-cpp-python", extra="local")
    assert isinstance(info.value, ImportError)


def test_importing_ocr_kie_is_light_and_sets_nothing_in_the_environment():
    """``import ocr_kie`` loads no engine, LLM back end, batch runner or evaluation (PEP 562)."""
    code = (
        "import json, os, sys; before = dict(os.environ); import ocr_kie; "
        "after = dict(os.environ); "
        "print(json.dumps({'changed': sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k)), "
        "'modules': sorted(sys.modules)}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    seen = json.loads(out)
    assert seen["changed"] == []
    heavy = (
        "paddle",
        "paddleocr",
        "paddlex",
        "rapidocr_onnxruntime",
        "llama_cpp",
        "ocr_kie.evaluation",
        "ocr_kie.batch",
    )
    loaded = [m for m in seen["modules"] if m.split(".")[0] in heavy or m.startswith(heavy)]
    assert loaded == [], loaded
    # ... and a name still loads when it is used.
    code = "import sys, ocr_kie; ocr_kie.run_batch; print('ocr_kie.batch' in sys.modules)"
    assert (
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
        == "True"
    )


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no_such_name"):
        ocr_kie.no_such_name  # noqa: B018
    assert set(ocr_kie.__all__) <= set(dir(ocr_kie))


def _package_error_classes() -> set[type]:
    """Every ``OcrKieError`` subclass defined in a module of the package (dynamic ones left out)."""
    for info in pkgutil.walk_packages(ocr_kie.__path__, "ocr_kie."):
        try:
            importlib.import_module(info.name)
        except ImportError:  # a module of an optional extra that is not installed
            continue
    found: set[type] = set()
    todo = [ocr_kie.OcrKieError]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        module = sys.modules.get(cls.__module__)
        # Classes made at run time (a worker's error named after the original type) are no module's attribute.
        if cls.__module__.startswith("ocr_kie") and getattr(module, cls.__qualname__, None) is cls:
            found.add(cls)
    return found


def test_every_error_class_lives_in_errors_and_is_exported():
    from ocr_kie import errors

    classes = _package_error_classes()
    assert len(classes) > 20
    for cls in classes:
        assert cls.__module__ == "ocr_kie.errors", f"{cls.__name__} is defined in {cls.__module__}"
        assert cls.__name__ in errors.__all__, cls.__name__
        assert getattr(ocr_kie, cls.__name__) is cls and cls.__name__ in ocr_kie.__all__, cls.__name__
    errors_defined = {n for n, v in vars(errors).items() if inspect.isclass(v) and v.__module__ == "ocr_kie.errors"}
    assert {n for n in errors_defined if not n.startswith("_")} == set(errors.__all__)
    assert ocr_kie.BatchInterrupted is errors.BatchInterrupted and issubclass(
        errors.BatchInterrupted, KeyboardInterrupt
    )


def test_old_import_paths_of_moved_errors_still_work():
    from ocr_kie import errors
    from ocr_kie.batch import BatchInterrupted, ResultsFileError
    from ocr_kie.cli.options import UsageError
    from ocr_kie.review import ReviewInputError

    assert (BatchInterrupted, ResultsFileError, UsageError, ReviewInputError) == (
        errors.BatchInterrupted,
        errors.ResultsFileError,
        errors.UsageError,
        errors.ReviewInputError,
    )


def _module_imports() -> dict[str, set[str]]:
    """Each ocr_kie module's imports of other ocr_kie modules when it is imported (not in functions)."""
    import ast
    from pathlib import Path

    root = Path(ocr_kie.__file__).parent
    names = {
        ".".join(("ocr_kie", *p.relative_to(root).with_suffix("").parts)).removesuffix(".__init__")
        for p in root.rglob("*.py")
    }
    graph: dict[str, set[str]] = {}
    for path in root.rglob("*.py"):
        name = ".".join(("ocr_kie", *path.relative_to(root).with_suffix("").parts)).removesuffix(".__init__")
        targets: set[str] = set()
        for node in ast.parse(path.read_text(encoding="utf-8")).body:  # top level only
            if isinstance(node, ast.Import):
                targets.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    targets.add(sub if sub in names else node.module)
        # A submodule's import of its own package is no edge: the package is being imported already.
        graph[name] = {t for t in targets if t in names and t != name and not name.startswith(t + ".")}
    return graph


def test_no_import_cycle_between_the_modules():
    graph = _module_imports()
    assert "ocr_kie.ocr.types" in graph["ocr_kie.ocr.layout"] and "ocr_kie.ocr.layout" in graph["ocr_kie.ocr.base"]
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []
