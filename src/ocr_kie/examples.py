"""Worked examples and the memory-managed (token-budgeted) example history.

An :class:`Example` is a document (OCR text, or an image OCR'd once on first use) plus the values
a perfect answer gives for it. Before each extraction, :class:`BudgetedExampleSelector` picks the
examples that fit the prompt's token budget: the most relevant to the document at hand first,
whole examples only (an example's turns are kept or dropped together, never cut).
"""

from __future__ import annotations

import json
import math
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from langchain_core.documents import Document
from langchain_core.example_selectors import BaseExampleSelector
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from ocr_kie.errors import ExampleError, InputError, OcrEngineError
from ocr_kie.normalize import squash

TokenCounter = Callable[[str], int]


class Example(BaseModel):
    """A worked example: a document and the values a perfect answer gives for it.

    Give the document as OCR text, or as an image (path, bytes, …) that is OCR'd once, on first
    use, with the chain's OCR engine.

    Example:
        >>> Example(text="可用额度 12,000.00\\n账单日 每月5日", values={"可用额度": "12,000.00", "账单日": "每月5日"})
        Example(text='可用额度 12,000.00\\n账单日 每月5日', image=None, values={...})

    Attributes:
        text: The document's OCR text, one visual row per line.
        image: An image or PDF to OCR instead, when ``text`` is not given.
        values: The expected answer, ``{key: value or None}``.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    text: str | None = None
    image: Any = None
    values: dict[str, Any] = Field(default_factory=dict)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _docs: list[Document] | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _needs_a_document(self) -> Example:
        if self.text is None and self.image is None:
            raise ValueError("an Example needs its OCR text or an image")
        return self

    def ocr_text(self, ocr: Callable[[Any], str]) -> str:
        """The example's text, OCR'ing its image with ``ocr`` the first time (thread-safe)."""
        if self.text is None:
            with self._lock:
                if self.text is None:
                    self.text = ocr(self.image)
        return self.text

    def documents(self, load: Callable[[Any], list[Document]], *, index: int = 1) -> list[Document]:
        """The example's pages: its image OCR'd with ``load`` the first time (thread-safe), or its text.

        A text example is one Document without boxes (each text line a row); an image example keeps
        its OCR lines and boxes, which is what the key profiles learn layouts from.

        Args:
            load: OCRs an image into Documents (one per page).
            index: The example's 1-based position, for the error message.

        Raises:
            ExampleError: The image cannot be read or OCR'd.
        """
        if self._docs is None:
            with self._lock:
                if self._docs is None and self.image is not None:
                    try:
                        docs = load(self.image)
                    except (InputError, OcrEngineError) as e:
                        raise ExampleError(str(e), source=_name(self.image), example=index) from e
                    self._docs = docs
                    if self.text is None:
                        self.text = "\n\n".join(d.page_content for d in docs)
                elif self._docs is None:
                    self._docs = [Document(page_content=self.text or "")]
        return self._docs

    def __repr__(self) -> str:
        return f"Example(text={self.text!r}, image={self.image!r}, values={self.values!r})"


def _name(image: Any) -> str:
    return str(image) if isinstance(image, (str, os.PathLike)) else f"<{type(image).__name__}>"


def as_examples(items: Iterable[Example | Mapping[str, Any]]) -> list[Example]:
    """The worked examples as :class:`Example` objects; dicts (a JSON Lines record's shape) are validated.

    Raises:
        InputError: An item is neither an Example nor a valid example dict (the message names its
            1-based position).
    """
    examples = []
    for number, item in enumerate(items, start=1):
        if isinstance(item, Example):
            examples.append(item)
            continue
        try:
            if not isinstance(item, Mapping):
                raise ValueError(f"expected an Example or a dict, got {type(item).__name__}")
            examples.append(Example.model_validate(dict(item)))
        except ValueError as e:
            raise InputError(f"example {number} is not a valid example: {e}", source="examples") from e
    return examples


def load_examples(path: str | os.PathLike[str]) -> list[Example]:
    """Read examples from a JSON Lines file.

    Each line is an object with ``values`` and either ``text`` or ``image`` (a path, relative to
    the file's folder). Blank lines and lines starting with ``#`` are ignored.

    Raises:
        InputError: The file cannot be read, or a line is not a valid example (the message
            names the line).
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read the examples file: {e}", source=str(path)) from e
    examples = []
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            record = json.loads(line)
            if isinstance(record, dict) and isinstance(record.get("image"), str):
                record["image"] = str(path.parent / record["image"])
            examples.append(Example.model_validate(record))
        except ValueError as e:
            raise InputError(f"line {number} is not a valid example: {e}", source=str(path)) from e
    return examples


class Relevance(Protocol):
    """Scores how relevant each example text is to a document (higher is more relevant)."""

    def __call__(self, document: str, examples: Sequence[str]) -> list[float]: ...


def _shingles(text: str, n: int = 2) -> Counter[str]:
    s = squash(text)
    return Counter(s[i : i + n] for i in range(max(len(s) - n + 1, 1)))


def lexical_relevance(document: str, examples: Sequence[str]) -> list[float]:
    """Character-bigram cosine similarity: language-neutral (Chinese has no spaces), no model.

    Documents of the same type share their printed labels ("可用额度", "TAX INVOICE"), which is
    what this rewards.
    """
    doc = _shingles(document)
    doc_norm = math.sqrt(sum(v * v for v in doc.values())) or 1.0
    scores = []
    for text in examples:
        ex = _shingles(text)
        dot = sum(v * doc.get(k, 0) for k, v in ex.items())
        scores.append(dot / (doc_norm * (math.sqrt(sum(v * v for v in ex.values())) or 1.0)))
    return scores


class BudgetedExampleSelector(BaseExampleSelector):
    """Select whole example turns that fit a token budget, the most relevant first.

    Used as the ``example_selector`` of a ``FewShotChatMessagePromptTemplate``. Each example is
    a group of turn dicts (``{"input": human text, "output": AI text}``; more than one when a
    long example is split over several messages). The selector ranks the groups by
    ``relevance`` to ``input_variables["text"]``, keeps them greedily while their tokens fit
    ``input_variables["example_budget"]`` (a group that does not fit is skipped, smaller ones
    after it may still fit), and returns them with the most relevant *last*, nearest the
    document. (Measured with the embedded SmolLM2: with a blank example last instead of the
    similar one, it answered null for every key of the sample screenshot; most relevant last, it
    got all three.) With no budget given, every example is kept.

    Args:
        groups: The turn groups, one per example, in the user's order.
        count_tokens: Counts the tokens of a text.
        relevance: Ranks examples against the document; ties keep the user's order.
        turn_overhead: Tokens a chat template adds per message.
    """

    def __init__(
        self,
        groups: Sequence[Sequence[dict[str, str]]],
        count_tokens: TokenCounter,
        relevance: Relevance = lexical_relevance,
        turn_overhead: int = 4,
    ) -> None:
        self.groups = [list(g) for g in groups]
        self.count_tokens = count_tokens
        self.relevance = relevance
        self.costs = [
            sum(count_tokens(t["input"]) + count_tokens(t["output"]) + 2 * turn_overhead for t in g)
            for g in self.groups
        ]

    def add_example(self, example: dict[str, str]) -> Any:  # pragma: no cover - interface
        """Add a one-turn example group."""
        self.groups.append([example])
        self.costs.append(self.count_tokens(example["input"]) + self.count_tokens(example["output"]))

    def select(self, document: str, budget: int | None) -> list[int]:
        """The indices of the groups to show, in prompt order."""
        if not self.groups:
            return []
        texts = ["\n".join(t["input"] for t in g) for g in self.groups]
        scores = self.relevance(document, texts)
        ranked = sorted(range(len(self.groups)), key=lambda i: (-scores[i], i))
        chosen, used = [], 0
        for i in ranked:
            if budget is None or used + self.costs[i] <= budget:
                chosen.append(i)
                used += self.costs[i]
        return list(reversed(chosen))

    def select_examples(self, input_variables: dict[str, Any]) -> list[dict[str, str]]:
        """Select the turns for the few-shot prompt (see the class docstring)."""
        budget = input_variables.get("example_budget")
        chosen = self.select(input_variables.get("text", ""), None if budget is None else int(budget))
        return [turn for i in chosen for turn in self.groups[i]]


def split_text(text: str, limit: int | None) -> list[str]:
    """Split text at line boundaries into pieces of at most ``limit`` characters.

    Lines longer than the limit are cut at the limit. ``None`` means no limit.
    """
    if limit is None or len(text) <= limit:
        return [text]
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current or not pieces:
        pieces.append(current)
    return pieces
