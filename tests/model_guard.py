"""The ``model`` marker, kept honest: which tests run a real model, and a guard that catches the rest.

A test that runs the real PP-OCR or the real embedded LLM is marked ``model``: by the fixtures it
uses (:data:`MODEL_FIXTURES`), its module (:data:`MODEL_MODULES`) or its name (:data:`MODEL_TESTS`),
or by its own ``@pytest.mark.model``. ``pytest -m "not model"`` is then the fast suite: the logic
around the models, on the public fakes (``ocr_kie.testing``).

While an unmarked test runs (from before its fixtures are set up to after they are torn down), a
real OCR engine refuses to be created or called, the embedded LLM to load or generate, and paddle,
llama_cpp and onnxruntime to be imported; the test then fails, naming what it ran. So a new test
that needs a model cannot hide in the fast suite. Child processes are not watched: tests that
start the command line or a notebook in one are listed by name.

``tests/conftest.py`` registers this module as a plugin.
"""

from __future__ import annotations

import importlib.abc
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

#: Fixtures that hand a test a real OCR engine or the real embedded LLM (or results made with them).
MODEL_FIXTURES = frozenset({"engine", "paddle", "embedded", "gemma", "real_results", "local_ray"})
#: Test modules whose every test runs a real model, here or in a child process.
MODEL_MODULES = frozenset(
    {
        "test_end_to_end",
        "test_fresh_machine",
        "test_notebooks",
        "test_ocr_threads",
        "test_distributed",
    }
)
#: Single tests (by function name) that run a real model without one of the fixtures above:
#: they call ``build_chain``/``PPOCRLoader`` with the default engine or LLM, or start the command
#: line (with real OCR) in a child process, which the guard does not see.
MODEL_TESTS = frozenset(
    {
        # test_chain.py
        "test_example_error_carries_the_example_and_source",
        "test_injection_printed_in_a_real_image_does_not_get_through",
        # test_cli.py
        "test_demo_ocrs_and_extracts_from_the_bundled_sample_offline",
        "test_extract_for_real_values_and_an_error_record_then_resume",
        "test_ocr_json_lines_and_exit_code_1_when_a_source_fails",
        # test_cli_eval.py
        "test_eval_real_run_then_rerun_from_the_caches",
        # test_decoding.py
        "test_real_model_grounded_receipt",
        "test_real_model_grounded_screenshot_values_are_exact",
        "test_real_model_grounded_values_are_all_in_the_document_with_confidence",
        "test_real_model_never_returns_an_examples_value_the_document_lacks",
        "test_real_scorer_batches_many_continuations_like_a_plain_decode",
        "test_real_scorer_reports_a_prompt_longer_than_the_context",
        "test_real_scorer_reuses_the_cached_prompt",
        "test_scoring_context_on_a_llama_cpp_without_a_unified_kv_cache_says_how_to_fix_it",
        # test_llm_embedded.py
        "test_grounded_scoring_prompt_is_short_and_the_same_before_every_document",
        # test_llm_errors.py (the command line with ONNX PP-OCR, in a child process)
        "test_the_real_cli_against_a_hanging_server_records_a_timeout",
        # test_loader.py
        "test_blank_image_is_an_empty_page_not_an_error",
        "test_bytes_pil_image_and_numpy_array",
        "test_engine_by_name_and_shared_default",
        "test_exif_orientation_is_honoured",
        "test_multi_frame_tiff_gives_one_document_per_frame",
        "test_other_image_formats",
        "test_path",
        "test_pdf_from_bytes_is_detected_by_its_signature",
        "test_pdf_gives_one_document_per_page",
        "test_real_engine_on_a_mixed_batch",
        "test_rgb_array_order_is_respected",
        # test_ocr_engines.py
        "test_engines_are_shared_per_options",
        # test_offline.py (child processes with real OCR and the embedded LLM)
        "test_no_network_connection_while_loading_models_recognising_and_extracting",
        # test_readme.py (the README's commands and code, in child processes)
        "test_the_command_line_block_runs_and_writes_the_record_the_readme_shows",
        "test_the_demo_of_the_first_command_runs_the_main_job",
        "test_python_block_runs_and_prints_what_the_readme_says",
        # test_secrets_redaction.py (the command line with real OCR, in a child process)
        "test_the_cli_stderr_and_results_file_hold_no_key",
    }
)
#: Tests without a model that take seconds by design (wall-clock pacing, worker processes, the
#: docs site build, the dataset generators, property tests): marked ``slow``, so
#: ``pytest -m "not model and not slow"`` runs in under a minute. By fixture or function name.
SLOW_FIXTURES = frozenset({"site"})
SLOW_TESTS = frozenset(
    {
        # test_ratelimit.py (paced by the rate limit)
        "test_200_documents_at_concurrency_8_with_the_matching_limit_all_finish_at_the_rate",
        "test_without_the_limit_the_same_server_refuses_requests",
        "test_429_is_retried_after_retry_after",
        # test_workers.py (worker processes)
        "test_a_worker_process_that_dies_fails_its_document_and_the_rest_go_on",
        "test_processes_over_200_documents_build_the_chain_once_each_and_give_the_same_records",
        "test_ctrl_c_with_calls_in_flight_ends_within_2_s_and_leaves_a_valid_file",
        # test_zh_docs.py, test_zh_eval.py (render every document again)
        "test_generator_reproduces_the_committed_files",
        "test_injection_generator_reproduces_the_committed_files",
        # test_parser.py (hypothesis)
        "test_property_string_values_round_trip",
        # test_loader.py
        "test_skip_mode_records_each_failure_and_loses_nothing",
    }
)
#: Packages that only a real model needs: importing one in an unmarked test fails it.
_MODEL_PACKAGES = frozenset({"paddle", "paddleocr", "paddlex", "llama_cpp", "rapidocr_onnxruntime", "onnxruntime"})


def _runs_a_model(item: pytest.Item) -> bool:
    module = Path(str(item.fspath)).stem
    name = getattr(item, "originalname", item.name)
    return (
        bool(MODEL_FIXTURES & set(getattr(item, "fixturenames", ()))) or module in MODEL_MODULES or name in MODEL_TESTS
    )


def _is_slow(item: pytest.Item) -> bool:
    name = getattr(item, "originalname", item.name)
    return bool(SLOW_FIXTURES & set(getattr(item, "fixturenames", ()))) or name in SLOW_TESTS


@pytest.hookimpl(tryfirst=True)  # before ``-m`` selects on the markers
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _runs_a_model(item) and item.get_closest_marker("model") is None:
            item.add_marker(pytest.mark.model)
        if _is_slow(item) and item.get_closest_marker("model") is None:
            item.add_marker(pytest.mark.slow)


class _ModelGuard(importlib.abc.MetaPathFinder):
    """Refuses the model packages' first import while an unmarked test runs, and remembers it."""

    def __init__(self) -> None:
        self.test: str | None = None
        self.seen: list[str] = []

    def find_spec(self, name: str, path: Any, target: Any = None) -> None:
        if self.test is not None and name.partition(".")[0] in _MODEL_PACKAGES:
            self.seen.append(f"imported {name}")
            raise ImportError(f"{self.test} is not marked 'model' but imports {name} (tests/model_guard.py)")
        return None


_guard = _ModelGuard()
sys.meta_path.insert(0, _guard)


def _refuse(what: str) -> Any:
    def refused(*args: Any, **kwargs: Any) -> Any:
        _guard.seen.append(what)
        raise RuntimeError(f"{_guard.test} is not marked 'model' but uses {what} (tests/model_guard.py)")

    return refused


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    """Before the test's fixtures (a module-scoped one may load a model): guard an unmarked test."""
    if item.get_closest_marker("model") is None:
        from ocr_kie.ocr.onnx import OnnxEngine
        from ocr_kie.ocr.paddle import PaddleEngine

        patch = pytest.MonkeyPatch()
        for cls in (PaddleEngine, OnnxEngine):
            patch.setattr(cls, "__init__", _refuse(f"the real {cls.name} OCR engine"))
            patch.setattr(cls, "_recognize", _refuse(f"the real {cls.name} OCR engine"))
        llama = sys.modules.get("llama_cpp")
        if llama is not None:
            for method in ("__init__", "create_chat_completion", "create_completion", "eval"):
                patch.setattr(llama.Llama, method, _refuse("the embedded LLM (llama_cpp)"))
        item.stash[_PATCH] = patch
        _guard.test, _guard.seen = item.nodeid, []
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    try:
        result = yield
    finally:
        patch = item.stash.get(_PATCH, None)
        if patch is not None:
            patch.undo()
    if patch is None:
        return result
    seen, _guard.test, _guard.seen = sorted(set(_guard.seen)), None, []
    if seen:
        pytest.fail(
            f"{item.nodeid} runs a real model ({'; '.join(seen)}): "
            "mark it with @pytest.mark.model or list it in tests/model_guard.py",
            pytrace=False,
        )
    return result


_PATCH = pytest.StashKey[pytest.MonkeyPatch]()
