"""The one place that counts CPUs (ocr_kie.cpus), used by the OCR engines and the local LLM."""

from __future__ import annotations

import os

import pytest

from ocr_kie import cpus


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="needs CPU affinity (Linux)")
def test_both_counts_read_the_affinity_of_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    assert cpus.available_cpus() == [0]
    assert cpus.default_threads() == 1
    assert cpus.physical_cores() == 1
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(64)))
    assert cpus.default_threads() == cpus.MAX_OCR_THREADS == 4


def test_without_affinity_the_machine_count_is_the_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    def unsupported(pid: int) -> set[int]:
        raise OSError("not here")

    monkeypatch.setattr(os, "sched_getaffinity", unsupported, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 6)
    assert cpus.available_cpus() is None
    assert cpus.default_threads() == 4
    assert cpus.physical_cores() == 3


def test_the_engines_and_the_llm_use_these_counts() -> None:
    import ocr_kie.llms
    import ocr_kie.ocr
    from ocr_kie.llms.llamacpp import LlamaCppChatModel
    from ocr_kie.ocr.base import EngineOptions

    assert ocr_kie.llms.physical_cores is cpus.physical_cores
    assert ocr_kie.ocr.default_threads is cpus.default_threads
    assert EngineOptions().threads == cpus.default_threads()
    assert LlamaCppChatModel.model_fields["n_threads"].default_factory is cpus.physical_cores
    assert 1 <= cpus.physical_cores() <= len(cpus.available_cpus() or range(os.cpu_count() or 1))
