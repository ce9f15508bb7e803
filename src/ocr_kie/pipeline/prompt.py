"""The few-shot multi-turn prompt.

Layout of the messages (no scene-classification step; the examples go straight in)::

    system   the task and the rules
    human    example 1: its OCR text + the keys           ┐ the example history, kept inside a
    ai       example 1: the JSON answer                   │ token budget by
    …                                                     ┘ BudgetedExampleSelector
    human    the document's OCR text + the task and keys restated

With ``max_message_chars`` (endpoints that cap one message, like ERNIE's old ~2,000 characters),
a long OCR text is split over several human turns, each acknowledged by a short AI turn, and the
task comes in the last human turn; nothing is truncated.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.prompts import ChatPromptTemplate, FewShotChatMessagePromptTemplate, MessagesPlaceholder

from ocr_kie.examples import BudgetedExampleSelector, split_text

SYSTEM_PROMPT = (
    "You extract key information from the OCR text of a document (a screenshot, receipt, invoice, "
    "ticket, form, ID card …). The text comes from OCR: one visual row per line, a label and its value "
    "usually on the same row; spaces may be missing.\n"
    "Rules:\n"
    "1. Copy each value exactly as it is printed in the document's text. Do not translate, reformat, "
    "compute or complete it.\n"
    "2. If the document does not contain a key's value, use null. Never guess, and never copy a value "
    "from an earlier example: each document is new.\n"
    "3. Answer with one JSON object only, with exactly the keys asked and no others, and nothing else."
)

#: The AI turn acknowledging one part of a split OCR text.
CONTINUE_REPLY = "OK."


def describe_keys(schema: Mapping[str, Any]) -> str:
    """The keys to extract, one per line, with their descriptions and constraints when given."""
    lines = []
    for key, prop in schema["properties"].items():
        details = []
        if isinstance(prop, Mapping):
            if prop.get("description"):
                details.append(str(prop["description"]))
            kind = prop.get("type")
            if kind and kind not in ("string", ["string", "null"]):
                details.append(f"type {kind}")
            if "enum" in prop:
                details.append("one of " + json.dumps(prop["enum"], ensure_ascii=False))
            if "pattern" in prop:
                details.append(f"matching {prop['pattern']}")
            if prop.get("type") == "array" and isinstance(prop.get("items"), Mapping):
                fields = list(prop["items"].get("properties", {}))
                if fields:
                    details.append("a list of objects with " + json.dumps(fields, ensure_ascii=False))
        lines.append(f"- {json.dumps(key, ensure_ascii=False)}" + (f": {'; '.join(details)}" if details else ""))
    return "\n".join(lines)


def task_text(schema: Mapping[str, Any]) -> str:
    """The task, restated in every final human turn so many turns do not make the model forget it."""
    keys = json.dumps(list(schema["properties"]), ensure_ascii=False)
    return (
        f"Extract these keys from the document above:\n{describe_keys(schema)}\n"
        f"Answer with one JSON object with exactly the keys {keys}; use null for a value the document does not contain."
    )


def document_turns(text: str, schema: Mapping[str, Any], max_message_chars: int | None = None) -> list[tuple[str, str]]:
    """The human/AI turns that present one document, ending with a human turn holding the task.

    Returns:
        ``(role, content)`` pairs, roles ``"human"`` and ``"ai"``.
    """
    task = task_text(schema)
    whole = f"OCR text of the document:\n<<<\n{text}\n>>>\n\n{task}"
    if max_message_chars is None or len(whole) <= max_message_chars:
        return [("human", whole)]
    header = "OCR text of the document, part {i} of {n}:\n"
    pieces = split_text(text, max(max_message_chars - len(header) - 8, 1))
    turns: list[tuple[str, str]] = []
    for i, piece in enumerate(pieces, start=1):
        turns += [("human", header.format(i=i, n=len(pieces)) + piece), ("ai", CONTINUE_REPLY)]
    return [*turns, ("human", task)]


def answer_json(values: Mapping[str, Any], schema: Mapping[str, Any]) -> str:
    """An example's answer as the model should write it: every key, in order, null when absent."""
    return json.dumps({key: values.get(key) for key in schema["properties"]}, ensure_ascii=False)


def example_turn_group(
    text: str, values: Mapping[str, Any], schema: Mapping[str, Any], max_message_chars: int | None = None
) -> list[dict[str, str]]:
    """One example as ``{"input", "output"}`` turn dicts for the few-shot template."""
    turns = [*document_turns(text, schema, max_message_chars), ("ai", answer_json(values, schema))]
    return [{"input": turns[i][1], "output": turns[i + 1][1]} for i in range(0, len(turns), 2)]


def as_messages(turns: Sequence[tuple[str, str]]) -> list[BaseMessage]:
    return [HumanMessage(content) if role == "human" else AIMessage(content) for role, content in turns]


def build_prompt(selector: BudgetedExampleSelector) -> ChatPromptTemplate:
    """The prompt: system, the budgeted example history, the document's turns.

    Input variables: ``system`` (the system prompt), ``text`` (the document's OCR text, for
    relevance), ``example_budget`` (tokens for examples, or None) and ``document`` (messages).
    """
    few_shot = FewShotChatMessagePromptTemplate(
        example_selector=selector,
        example_prompt=ChatPromptTemplate.from_messages([("human", "{input}"), ("ai", "{output}")]),
        input_variables=["text", "example_budget"],
    )
    return ChatPromptTemplate.from_messages([("system", "{system}"), few_shot, MessagesPlaceholder("document")])
