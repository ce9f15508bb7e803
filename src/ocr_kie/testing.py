"""Public fakes for tests: yours and ours.

Fakes stand in for the heavy parts (the OCR models, the LLM) where a test is about the logic
around them. Tests of behaviour that depends on the models use the real ones.

Example:
    >>> from ocr_kie.testing import FakeOcrEngine
    >>> engine = FakeOcrEngine(["可用额度 12,000.00", "账单日 每月5日"])
    >>> engine.recognize(np.zeros((100, 200, 3), np.uint8)).text  # doctest: +SKIP
    '可用额度 12,000.00\\n账单日 每月5日'
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field, PrivateAttr

from ocr_kie.ocr.base import OcrEngine, Point

__all__ = ["FakeOcrEngine", "ScriptedChatModel"]


class FakeOcrEngine(OcrEngine):
    """An OCR engine that "recognises" given text lines, one per row, on any image.

    Args:
        lines: The text lines to return, top to bottom; or a function of the image returning them.
        score: The score reported for every line.

    Attributes:
        calls: How many images it was asked to recognise.
    """

    name = "fake"

    def __init__(
        self, lines: Sequence[str] | Callable[[np.ndarray], Sequence[str]] = (), *, score: float = 0.99
    ) -> None:
        super().__init__()
        self._lines = lines
        self._score = score
        self.calls = 0

    @property
    def model(self) -> str:
        return "fake"

    def _recognize(self, image_bgr: np.ndarray) -> list[tuple[list[Point], str, float]]:
        self.calls += 1
        texts = self._lines(image_bgr) if callable(self._lines) else self._lines
        height, width = image_bgr.shape[:2]
        row_height = height / max(len(texts), 1)
        out = []
        for index, text in enumerate(texts):
            top, bottom = index * row_height, (index + 0.8) * row_height
            polygon: list[Point] = [(0.0, top), (float(width), top), (float(width), bottom), (0.0, bottom)]
            out.append((polygon, text, self._score))
        return out


class ScriptedChatModel(BaseChatModel):
    """A chat model that plays scripted replies in order and records what it was sent.

    Replies may be strings or ``AIMessage`` objects (e.g. with ``tool_calls``, to drive an agent).
    Binding tools or a response format returns the same model, so it stands in anywhere.

    Example:
        >>> model = ScriptedChatModel(replies=['{"total": "9.90"}'])
        >>> model.invoke("hi").content
        '{"total": "9.90"}'
        >>> model.calls[0][0].content
        'hi'

    Attributes:
        replies: The replies, played once each; a call after the last one fails.
        calls: The messages of every call, oldest first.
        bound: The keyword arguments the model was called with (``response_format`` …).
    """

    replies: list[str | AIMessage]
    calls: list[list[BaseMessage]] = Field(default_factory=list)
    bound: list[dict[str, Any]] = Field(default_factory=list)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def bind_tools(self, tools: Any, **kwargs: Any) -> ScriptedChatModel:
        """Tools are accepted and ignored: the script decides the tool calls."""
        return self

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        with self._lock:
            if len(self.calls) >= len(self.replies):
                raise RuntimeError(f"ScriptedChatModel has no reply left for call {len(self.calls) + 1}")
            reply = self.replies[len(self.calls)]
            self.calls.append(list(messages))
            self.bound.append(dict(kwargs))
        message = reply if isinstance(reply, AIMessage) else AIMessage(reply)
        if message.usage_metadata is None:
            sent = sum(len(str(m.content)) for m in messages)
            out = len(str(message.content))
            message = message.model_copy(
                update={"usage_metadata": {"input_tokens": sent, "output_tokens": out, "total_tokens": sent + out}}
            )
        return ChatResult(generations=[ChatGeneration(message=message)])
