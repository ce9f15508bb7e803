"""The settings of the pipeline (:class:`ExtractionConfig`) and the choice of strategy.

``build_chain(..., config=ExtractionConfig(...))`` takes them as one object; its keyword
arguments of the same names override the config's values (see :func:`~ocr_kie.pipeline.chain.build_chain`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel
from pydantic import BaseModel, ConfigDict, Field

from ocr_kie.examples import lexical_relevance
from ocr_kie.llms import LlamaCppChatModel
from ocr_kie.parser import DEFAULT_MAX_REPLY_CHARS
from ocr_kie.pipeline.checks import Checks
from ocr_kie.pipeline.grounded import GroundedOptions, flat_schema
from ocr_kie.pipeline.prompt import SYSTEM_PROMPT

__all__ = ["ExtractionConfig", "Strategy", "resolve_strategy"]

logger = logging.getLogger(__name__)

Strategy = Literal["auto", "fewshot", "grounded"]


class ExtractionConfig(BaseModel):
    """How :class:`~ocr_kie.pipeline.chain.KieExtractor` prompts, re-asks and reports.

    See :func:`~ocr_kie.pipeline.chain.build_chain` for each field.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    max_retries: int = Field(default=2, ge=0)
    return_details: bool = False
    require_grounding: bool = False
    example_budget: int | None = Field(default=None, ge=0)
    context_window: int | None = Field(default=None, gt=0)
    max_message_chars: int | None = Field(default=None, gt=0)
    max_tokens: int = Field(default=256, gt=0)
    max_reply_chars: int = Field(default=DEFAULT_MAX_REPLY_CHARS, gt=0)
    system_prompt: str = SYSTEM_PROMPT
    relevance: Callable[[str, Sequence[str]], list[float]] = lexical_relevance
    strategy: Strategy = "auto"
    grounded: GroundedOptions = GroundedOptions()
    checks: Checks | bool = True


def resolve_strategy(strategy: str, llm: BaseChatModel, schema: Mapping[str, Any]) -> str:
    """``"fewshot"`` or ``"grounded"`` for this model and schema.

    ``"auto"``: grounded for a local llama.cpp model (:class:`~ocr_kie.llms.LlamaCppChatModel`) when
    every key holds one scalar value; few-shot otherwise (API models, lists, nested objects).
    ``"grounded"`` with a nested schema falls back to few-shot (with a warning).
    """
    if strategy not in ("auto", "fewshot", "grounded"):
        raise ValueError(f"strategy must be 'auto', 'fewshot' or 'grounded', got {strategy!r}")
    flat = flat_schema(schema)
    if strategy == "grounded" and not flat:
        logger.warning("strategy='grounded' needs keys holding one value each (no arrays/objects): using fewshot")
        return "fewshot"
    if strategy == "auto":
        return "grounded" if flat and isinstance(llm, LlamaCppChatModel) else "fewshot"
    return strategy
