"""How many CPU threads the library uses by default: the one place that counts CPUs.

Both counts read the CPUs this process may run on (its affinity, so a container's or
``taskset``'s limit counts), not the machine's:

* :func:`physical_cores` for the local LLM (llama.cpp) and for the number of worker processes of
  a local model: one thread per physical core, since two hyper-threads of one core share its
  arithmetic units and a second thread per core only adds contention;
* :func:`default_threads` for an OCR engine's inference: the CPUs available, at most
  :data:`MAX_OCR_THREADS` (the OCR models gain little from more, and a batch runs several engines).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["MAX_OCR_THREADS", "available_cpus", "default_threads", "physical_cores"]

#: The most threads an OCR engine takes by default.
MAX_OCR_THREADS = 4


def available_cpus() -> list[int] | None:
    """The logical CPUs this process may run on, sorted; None where the platform cannot say."""
    try:
        return sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return None


def physical_cores() -> int:
    """The physical cores this process may run on (hyper-threads of one core count once); at least 1."""
    cpus = available_cpus()
    if cpus is None:  # pragma: no cover - not Linux: guess two hyper-threads per core
        return max(1, (os.cpu_count() or 2) // 2)
    cores = set()
    for cpu in cpus:
        base = Path(f"/sys/devices/system/cpu/cpu{cpu}/topology")
        try:
            cores.add(((base / "physical_package_id").read_text().strip(), (base / "core_id").read_text().strip()))
        except OSError:  # pragma: no cover - no topology in sysfs: count logical CPUs
            return max(1, len(cpus))
    return max(1, len(cores))


def default_threads() -> int:
    """An OCR engine's default thread count: the CPUs available, at most :data:`MAX_OCR_THREADS`."""
    cpus = available_cpus()
    available = len(cpus) if cpus is not None else (os.cpu_count() or 1)
    return max(1, min(available, MAX_OCR_THREADS))
