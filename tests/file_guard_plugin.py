"""The pytest side of ``tests/file_guard.py``: a test that opens a file outside the allowed roots fails.

``tests/conftest.py`` imports these hooks; elsewhere ``pytest -p file_guard_plugin`` (with ``tests/``
on ``sys.path``) does the same.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest

import file_guard


class _State:
    def __init__(self) -> None:
        self.guard: file_guard.Guard | None = None
        self.log = ""
        self.reported: set[tuple[str, str]] = set()


_state = _State()


def pytest_configure(config: Any) -> None:
    """Install the guard; child Python processes install it too (sitecustomize) and log to a file."""
    if _state.guard is not None:
        return
    _state.guard = file_guard.install()
    _state.log = os.path.join(tempfile.gettempdir(), f"ocr-kie-file-guard-{os.getpid()}.log")
    os.environ[file_guard.LOG_ENV] = _state.log
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(file_guard.SITE_DIR), os.environ.get("PYTHONPATH")]))


def _outside(test: str) -> list[str]:
    """Files ``test`` (or a child process it started) opened outside the allowed roots, not yet reported."""
    found = [(t, path) for t, path in _state.guard.outside if t == test]
    found += [(t, f"{p} (in a child process: {c})") for t, p, c in file_guard.read_log(_state.log)]
    new = [(t, p) for t, p in found if t == test and (t, p) not in _state.reported]
    _state.reported.update(new)
    return sorted({p for _, p in new})


def _fail_if_outside(item: Any) -> None:
    paths = _outside(item.nodeid)
    if paths:
        pytest.fail(
            f"{item.nodeid} opened files outside the repo and the installed packages (a fresh machine lacks them; "
            f"see tests/file_guard.py): " + ", ".join(paths),
            pytrace=False,
        )


def pytest_collectstart(collector: Any) -> None:
    _state.guard.current = f"<collecting {collector.nodeid or 'the session'}>"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: Any) -> None:
    _state.guard.current = item.nodeid


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: Any):
    result = yield
    _fail_if_outside(item)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: Any, nextitem: Any | None):
    result = yield
    _state.guard.current = ""
    _fail_if_outside(item)
    return result


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    left = [(t, p) for t, p in _state.guard.outside if (t, p) not in _state.reported]
    children = [(t, f"{p} (in a child process: {c})") for t, p, c in file_guard.read_log(_state.log)]
    left += [(t, p) for t, p in children if (t, p) not in _state.reported]
    Path(_state.log).unlink(missing_ok=True)
    if left:
        lines = "\n".join(f"  {t}: {p}" for t, p in sorted(set(left)))
        print(f"\nfiles opened outside the repo and the installed packages (tests/file_guard.py):\n{lines}")
        if session.exitstatus == 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
