"""Intel AMX and llama.cpp: load models without the AMX weight buffers where the CPU has AMX.

llama.cpp built for the machine it runs on (``pip install llama-cpp-python`` compiles with
``GGML_NATIVE``) repacks weights into an "AMX" buffer when the CPU reports AMX (Sapphire Rapids
and later Xeons). On such machines, virtual ones in particular, the first forward pass then dies
with a segmentation fault in ``ggml_backend_amx_mul_mat``: the whole Python process goes, not one
document (ggml-org/llama.cpp#20824; seen here on a 2-core Xeon VM with SmolLM2's Q4_1 weights).
llama.cpp has no environment switch for it, only the model parameter ``use_extra_bufts``, which
llama-cpp-python does not take as an argument. :func:`model_params_without_amx` sets it while a
model loads, and only on CPUs that report AMX; elsewhere nothing changes.

The cost is llama.cpp's other extra buffer (weight repacking for AVX2/AVX-512), which the same
switch turns off: ``benchmarks/`` figures taken on AMX machines say so.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

__all__ = ["cpu_has_amx", "model_params_without_amx"]


@functools.cache
def cpu_has_amx(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Whether the CPU reports AMX (an ``amx_*`` flag in ``/proc/cpuinfo``; False where it cannot be read).

    Args:
        cpuinfo: The file to read (a parameter for tests).

    Returns:
        True when any ``amx_`` flag is listed.
    """
    try:
        text = cpuinfo.read_text(encoding="ascii", errors="replace")
    except OSError:
        return False
    for line in text.splitlines():
        if line.startswith("flags"):
            return any(flag.startswith("amx_") for flag in line.split(":", 1)[-1].split())
    return False


@contextlib.contextmanager
def model_params_without_amx(llama_cpp_module: Any, *, amx: bool | None = None) -> Iterator[bool]:
    """While the block runs, ``llama_model_default_params()`` returns ``use_extra_bufts=False`` on AMX CPUs.

    ``llama_cpp.Llama.__init__`` takes its model parameters from
    ``llama_cpp.llama_cpp.llama_model_default_params()``; this wraps that function for the block
    (the caller holds the lock under which models are loaded) and restores it afterwards.

    Args:
        llama_cpp_module: The ``llama_cpp`` package.
        amx: Whether to switch the extra buffers off (default: :func:`cpu_has_amx`).

    Yields:
        Whether the extra buffers are switched off.
    """
    off = cpu_has_amx() if amx is None else amx
    if not off:
        yield False
        return
    low = llama_cpp_module.llama_cpp
    original = low.llama_model_default_params

    def without_extra_buffers() -> Any:
        params = original()
        params.use_extra_bufts = False
        return params

    logger.info("the CPU has AMX: loading without llama.cpp's extra (AMX/repack) weight buffers")
    low.llama_model_default_params = without_extra_buffers
    try:
        yield True
    finally:
        low.llama_model_default_params = original
