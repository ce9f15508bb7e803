"""The few-shot strategy's re-ask loop: ask, parse, and on an unusable reply ask again with its errors.

Each unusable reply goes back to the model as an AI turn, followed by a human turn listing what
was wrong (:meth:`~ocr_kie.parser.KieOutputParser.retry_message`), up to ``max_retries`` times;
then :class:`~ocr_kie.errors.ExtractionParseError` carries every reply.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from ocr_kie.errors import ExtractionParseError

if TYPE_CHECKING:
    from ocr_kie.pipeline.chain import KieExtractor, Output

__all__ = ["Attempts"]


class Attempts:
    """One extraction's conversation with the model: replies, re-asks, usage, the outcome.

    The caller sends :attr:`messages` while :attr:`pending` and hands each reply to :meth:`take`
    (so the same loop serves ``invoke`` and ``ainvoke``); :meth:`result` finishes the values.

    Args:
        extractor: The configured pipeline (its parser, prompt, config and ``finish``).
        state: The document's state from :meth:`~ocr_kie.pipeline.chain.KieExtractor.documents`.
    """

    def __init__(self, extractor: KieExtractor, state: dict[str, Any]) -> None:
        self.extractor = extractor
        self.state = state
        grounded = extractor.strategy == "grounded"
        self.candidates = extractor.candidates_of(state) if grounded else None
        self.messages, self.info = extractor.messages(state["docs"], self.candidates)
        self.replies: list[str] = []
        self.errors: list[str] = []
        self.usage: list[Any] = []
        self.values: dict[str, Any] | None = None
        self.start = time.perf_counter()

    @property
    def pending(self) -> bool:
        return self.values is None and len(self.replies) <= self.extractor.config.max_retries

    def take(self, reply: BaseMessage) -> None:
        """Parse a reply; on failure, add it and its errors to the conversation as a re-ask."""
        text = reply.content if isinstance(reply.content, str) else str(reply.content)
        self.replies.append(text)
        self.usage.append(getattr(reply, "usage_metadata", None))
        try:
            self.values = self.extractor.parser.parse(text)
        except ExtractionParseError as e:
            self.errors = e.errors
            said = text[: self.extractor.config.max_reply_chars]  # what was read of it goes back, not megabytes
            self.messages += [AIMessage(said), HumanMessage(self.extractor.parser.retry_message(e))]

    def result(self) -> Output:
        """The grounded values (or details), or the error carrying every reply."""
        if self.values is None:
            raise ExtractionParseError(
                f"no valid answer after {len(self.replies)} attempts: {self.errors[0] if self.errors else 'unknown'}",
                reply=self.replies[-1],
                errors=self.errors,
                keys=list(self.extractor.schema["properties"]),
                attempts=len(self.replies),
                replies=self.replies,
            )
        seconds = time.perf_counter() - self.start
        return self.extractor.finish(
            self.values, self.state, self.replies, self.usage, seconds, self.info, candidates=self.candidates
        )
