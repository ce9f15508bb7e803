"""The embedded SmolLM2 runs its weights as Q8_0, converted once into the models cache (ocr_kie.llms.quantize)."""

from __future__ import annotations

import ctypes
import logging
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import HumanMessage

from ocr_kie.errors import LlmConfigError
from ocr_kie.llms import LlamaCppChatModel, embedded_model_path, resolve_llm
from ocr_kie.llms.quantize import requantized


class _Params(ctypes.Structure):
    _fields_ = [("ftype", ctypes.c_int), ("allow_requantize", ctypes.c_bool), ("nthread", ctypes.c_int)]


class _FakeLlamaCpp:
    """The two quantizer calls of ``llama_cpp``: writes the source's bytes reversed, or fails."""

    LLAMA_FTYPE_MOSTLY_Q8_0 = 7

    def __init__(self, status: int = 0) -> None:
        self.status = status
        self.calls: list[tuple[str, str, int, bool]] = []

    def llama_model_quantize_default_params(self) -> _Params:
        return _Params()

    def llama_model_quantize(self, source: bytes, target: bytes, params: Any) -> int:
        p = ctypes.cast(params, ctypes.POINTER(_Params)).contents
        self.calls.append((source.decode(), target.decode(), p.ftype, p.allow_requantize))
        Path(target.decode()).write_bytes(Path(source.decode()).read_bytes()[::-1])
        return self.status


@pytest.fixture
def gguf(tmp_path: Path) -> Path:
    path = tmp_path / "model.Q4_1.gguf"
    path.write_bytes(b"GGUF" + bytes(range(256)) * 8)
    return path


def test_a_file_is_converted_once_named_after_its_source_and_never_left_half_written(gguf: Path, tmp_path: Path):
    fake = _FakeLlamaCpp()
    cache = tmp_path / "cache" / "models"
    first = requantized(fake, gguf, "q8_0", cache)
    assert first.parent == cache and first.name.startswith("model.Q4_1.q8_0-") and first.suffix == ".gguf"
    assert first.read_bytes() == gguf.read_bytes()[::-1]
    assert [(c[2], c[3]) for c in fake.calls] == [(7, True)]  # Q8_0, from quantized weights
    assert requantized(fake, gguf, "q8_0", cache) == first and len(fake.calls) == 1  # the second time: from the cache
    assert sorted(p.name for p in cache.iterdir()) == [first.name]  # no temporary file left
    gguf.write_bytes(gguf.read_bytes() + b"a new wheel")  # another source: another file
    assert requantized(fake, gguf, "q8_0", cache) != first and len(fake.calls) == 2


@pytest.mark.parametrize("how", ["quantizer fails", "cache is a file"])
def test_when_the_conversion_cannot_be_done_the_shipped_file_runs_with_a_warning(
    gguf: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture, how: str
):
    fake = _FakeLlamaCpp(status=1 if how == "quantizer fails" else 0)
    cache = tmp_path / "cache"
    if how == "cache is a file":
        cache.write_text("not a folder")
    with caplog.at_level(logging.WARNING, logger="ocr_kie.llms.quantize"):
        assert requantized(fake, gguf, "q8_0", cache) == gguf
    assert "running its own weights" in caplog.text and "OCR_KIE_CACHE_DIR" in caplog.text
    if cache.is_dir():
        assert list(cache.iterdir()) == []  # the failed conversion's file is gone


def test_an_unknown_quantization_is_a_config_error(gguf: Path):
    with pytest.raises(ValueError, match="q8_0"):
        requantized(_FakeLlamaCpp(), gguf, "q3_k", gguf.parent)
    with pytest.raises(LlmConfigError, match="unknown quantization 'q3_k'"):
        resolve_llm(f"llamacpp:{gguf}", quantization="q3_k")


def test_the_embedded_smollm2_asks_for_q8_0_and_other_files_run_as_shipped(gguf: Path):
    smollm2 = resolve_llm("embedded:smollm2")
    assert isinstance(smollm2, LlamaCppChatModel) and smollm2.quantization == "q8_0"
    assert smollm2._identifying_params["quantization"] == "q8_0"  # LLM caches tell the weights apart
    assert smollm2.model_name == "SmolLM2-135M-Instruct.Q4_1.gguf as Q8_0"  # what reports and traces say
    assert resolve_llm(f"llamacpp:{gguf}").quantization is None


@pytest.mark.model
def test_q8_0_weights_are_loaded_and_score_like_the_shipped_q4_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("OCR_KIE_CACHE_DIR", str(tmp_path))
    # A context size no other test uses: models are shared per process and settings, and this one
    # must be loaded (and converted) here, into this test's cache.
    shipped = LlamaCppChatModel(model_path=str(embedded_model_path()), n_ctx=776)
    q8 = LlamaCppChatModel(model_path=str(embedded_model_path()), n_ctx=776, quantization="q8_0")
    llama = q8.client
    assert Path(llama.model_path).parent == tmp_path / "models"
    assert llama.metadata["general.file_type"] == "7"  # LLAMA_FTYPE_MOSTLY_Q8_0
    assert shipped.client.metadata["general.file_type"] == "3"  # the wheel's Q4_1, untouched
    page = "CASH BILL\nDATE: 12/03/2018\nSUBTOTAL 10.60\nGST 0.64\nTOTAL 11.24\nCASH 20.00\nCHANGE 8.76"
    options = [' "11.24"}', ' "10.60"}', ' "20.00"}', ' "8.76"}', ' "12/03/2018"}']
    scores = []
    for model in (shipped, q8):
        with model.scorer() as scorer:
            prompt = scorer.prompt([HumanMessage(f"{page}\n\nThe receipt's total as JSON.")])
            scores.append([sum(lp) for lp in scorer.logprobs(prompt + '{"total":', options)])
    best = [max(range(len(options)), key=lambda i: s[i]) for s in scores]
    assert best[0] == best[1] == 0, scores  # the same choice, the total
    # Close, not equal: Q8_0's rounding of the Q4_1 values moves the sums by up to 0.39 nats with an
    # AVX2 build on a Xeon and 0.56 with a native build on an AVX-512 EPYC (the kernels differ).
    assert max(abs(a - b) for a, b in zip(*scores, strict=True)) < 1.0, scores
