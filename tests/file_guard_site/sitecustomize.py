"""Installs tests/file_guard.py in Python processes that the tests start (see tests/conftest.py)."""

import importlib.util
import os
import sys

_log = os.environ.get("OCR_KIE_FILE_GUARD_LOG")
if _log and not hasattr(sys, "_ocr_kie_file_guard"):
    _path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "file_guard.py")
    _spec = importlib.util.spec_from_file_location("_ocr_kie_file_guard", _path)
    _module = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_module)
    _module.install(log=_log)
