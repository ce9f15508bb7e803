"""AMX CPUs: llama.cpp's AMX weight buffers crash the first forward pass, so models load without them."""

from __future__ import annotations

import os
from pathlib import Path

import llama_cpp
import pytest
from langchain_core.messages import HumanMessage

from ocr_kie.amx import cpu_has_amx, model_params_without_amx
from ocr_kie.llms import LlamaCppChatModel, resolve_llm


def _cpuinfo(tmp_path: Path, flags: str) -> Path:
    path = tmp_path / "cpuinfo"
    path.write_text(f"processor\t: 0\nmodel name\t: Xeon\nflags\t\t: {flags}\n\n", encoding="ascii")
    return path


def test_amx_flags_are_read_from_cpuinfo(tmp_path: Path):
    assert cpu_has_amx.__wrapped__(_cpuinfo(tmp_path, "fpu sse2 avx2 avx512f amx_bf16 amx_tile amx_int8"))
    assert not cpu_has_amx.__wrapped__(_cpuinfo(tmp_path, "fpu sse2 avx2 avx512f avx512_bf16"))
    assert not cpu_has_amx.__wrapped__(tmp_path / "missing")


@pytest.mark.parametrize("amx", [True, False])
def test_default_params_are_wrapped_only_for_the_block_and_only_on_amx(amx: bool):
    original = llama_cpp.llama_cpp.llama_model_default_params
    with model_params_without_amx(llama_cpp, amx=amx) as off:
        assert off is amx
        assert llama_cpp.llama_cpp.llama_model_default_params().use_extra_bufts is (not amx)
    assert llama_cpp.llama_cpp.llama_model_default_params is original
    assert original().use_extra_bufts is True


def test_default_params_are_restored_when_the_load_fails():
    original = llama_cpp.llama_cpp.llama_model_default_params
    with pytest.raises(RuntimeError), model_params_without_amx(llama_cpp, amx=True):
        raise RuntimeError("the model did not load")
    assert llama_cpp.llama_cpp.llama_model_default_params is original


@pytest.mark.model
def test_the_embedded_model_loads_and_answers_on_this_cpu(monkeypatch: pytest.MonkeyPatch):
    for name in [n for n in os.environ if n.startswith("QIANFAN_")]:
        monkeypatch.delenv(name)
    embedded = resolve_llm(None)  # the shared llama of the process (one per process: test_llms)
    assert isinstance(embedded, LlamaCppChatModel)
    reply = embedded.invoke([HumanMessage("What is the capital of France? Answer in one word.")])
    assert reply.content.strip()
    assert embedded.client.model_params.use_extra_bufts is (not cpu_has_amx())
