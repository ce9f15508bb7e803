"""Shared fixtures: the rendered test images with their ground truth, and the real engines.

Also the fresh-machine guard (``tests/file_guard.py``): a test that opens a file outside the repo,
the Python installation, the installed packages, temp and cache dirs fails, naming the file.

And the ``model`` marker (``tests/model_guard.py``): a test that runs the real PP-OCR or the real
embedded LLM is marked ``model``, so ``pytest -m "not model"`` is the fast suite; an unmarked test
that runs a real model fails, naming what it ran.

And Ray's token: recent Ray (2.60 here) turns token authentication on for a new local cluster and
keeps the token in ``~/.ray/auth_token``, a file outside the repo that a fresh machine lacks. The
tests give Ray a token of their own in the environment (before anything imports Ray, so every
local cluster they start, here or in a child process, inherits it): authentication stays on,
without the file.
"""

from __future__ import annotations

import json
import os
import secrets
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from rapidfuzz.distance import Levenshtein

import model_guard
from file_guard_plugin import (  # noqa: F401 - the fresh-machine guard's hooks, registered by being names here
    pytest_collectstart,
    pytest_runtest_call,
    pytest_runtest_setup,
    pytest_runtest_teardown,
    pytest_sessionfinish,
)
from file_guard_plugin import pytest_configure as _configure_file_guard
from ocr_kie.ocr import OcrEngine, get_engine

FIXTURES = Path(__file__).parent / "fixtures"


def pytest_configure(config: pytest.Config) -> None:
    _configure_file_guard(config)
    if "RAY_AUTH_TOKEN" not in os.environ and "RAY_AUTH_TOKEN_PATH" not in os.environ:
        os.environ.setdefault("RAY_AUTH_MODE", "token")
        os.environ["RAY_AUTH_TOKEN"] = secrets.token_hex(32)
    if not config.pluginmanager.has_plugin("ocr_kie_model_guard"):
        config.pluginmanager.register(model_guard, "ocr_kie_model_guard")


def squash(text: str) -> str:
    """Whitespace removed, full-width unified: PP-OCR drops spaces, so compare without them."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def cer(recognised: str, truth: str) -> float:
    """Character error rate of ``recognised`` against ``truth``, ignoring whitespace."""
    truth = squash(truth)
    return Levenshtein.distance(squash(recognised), truth) / len(truth)


def truth(name: str) -> dict:
    """The ground truth written by scripts/make_fixtures.py: lines with boxes, rows, size."""
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def rgb(name: str) -> np.ndarray:
    return np.asarray(Image.open(FIXTURES / name).convert("RGB"))


@pytest.fixture(scope="session", params=["paddle", "onnx"])
def engine(request: pytest.FixtureRequest) -> OcrEngine:
    """Each real engine, created once for the whole session (as users get it)."""
    return get_engine(request.param)


@pytest.fixture(scope="session")
def paddle() -> OcrEngine:
    return get_engine("paddle")
