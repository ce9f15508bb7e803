"""OCR engines behind one small interface, and the registry that names them.

Example:
    >>> from ocr_kie.ocr import get_engine
    >>> engine = get_engine("onnx", threads=2)  # doctest: +SKIP
    >>> engine.recognize(rgb_array).text  # doctest: +SKIP
"""

from __future__ import annotations

import threading
from typing import Any

from ocr_kie.cpus import default_threads
from ocr_kie.ocr.base import EngineOptions, OcrEngine, OcrLine, OcrPage
from ocr_kie.ocr.onnx import OnnxEngine, OnnxOptions
from ocr_kie.ocr.paddle import PaddleEngine, PaddleOptions

__all__ = [
    "ENGINES",
    "EngineOptions",
    "OcrEngine",
    "OcrLine",
    "OcrPage",
    "OnnxEngine",
    "OnnxOptions",
    "PaddleEngine",
    "PaddleOptions",
    "create_engine",
    "default_threads",
    "get_engine",
]

#: The engines by registry name; the first is the default. The CLI's choices come from here.
ENGINES: dict[str, type[OcrEngine]] = {"paddle": PaddleEngine, "onnx": OnnxEngine}

_shared: dict[tuple[str, EngineOptions], OcrEngine] = {}
_shared_lock = threading.Lock()


def _options(name: str, options: EngineOptions | None, kwargs: dict[str, Any]) -> tuple[type[OcrEngine], EngineOptions]:
    try:
        engine_class = ENGINES[name]
    except KeyError:
        raise ValueError(f"unknown OCR engine {name!r}; choose one of {', '.join(ENGINES)}") from None
    if options is None:
        options = engine_class.options_class(**kwargs)
    elif kwargs:
        options = options.model_copy(update=kwargs)
    if not isinstance(options, engine_class.options_class):
        raise TypeError(
            f"the {name!r} engine takes {engine_class.options_class.__name__}, got {type(options).__name__}"
        )
    return engine_class, options


def create_engine(name: str = "paddle", options: EngineOptions | None = None, **kwargs: Any) -> OcrEngine:
    """Create a new engine (loading its models). Prefer :func:`get_engine`, which shares one.

    Args:
        name: A registry name from :data:`ENGINES`.
        options: The engine's options model; or give its fields as keyword arguments.
        **kwargs: Option fields, e.g. ``threads=2``; unknown names are rejected.
    """
    engine_class, opts = _options(name, options, kwargs)
    return engine_class(opts)


def get_engine(name: str = "paddle", options: EngineOptions | None = None, **kwargs: Any) -> OcrEngine:
    """The process-wide engine for these options, created on first use and then reused.

    Loading the models takes seconds; this makes sure it happens once per process and set of
    options, whoever asks.

    Args:
        name: A registry name from :data:`ENGINES`.
        options: The engine's options model; or give its fields as keyword arguments.
        **kwargs: Option fields, e.g. ``threads=2``; unknown names are rejected.
    """
    engine_class, opts = _options(name, options, kwargs)
    key = (name, opts)
    with _shared_lock:
        if key not in _shared:
            _shared[key] = engine_class(opts)
        return _shared[key]
