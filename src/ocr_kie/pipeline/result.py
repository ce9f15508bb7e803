"""The typed result of ``build_chain(..., return_details=True)``: :class:`ExtractionResult`.

One document's values with, per key, where each was found and how sure the chain is
(:class:`FieldResult`), the model's replies, the tokens used and the time taken. It dumps to the
JSON record ``ocr-kie extract --details`` writes::

    result = build_chain(keys, examples=examples, return_details=True).invoke("receipt.png")
    result.values["total"], result.fields["total"].confidence, result.fields["total"].box
    result.model_dump(mode="json")  # {"values": ..., "evidence": ..., "fields": ..., ...}

Reading it like the dict it used to be (``result["fields"]["total"]["confidence"]``) still works:
``result[name]`` is the JSON-ready dump of that attribute (a copy: change the attributes, not it).
"""

from __future__ import annotations

from collections.abc import KeysView, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

from ocr_kie.grounding import Evidence
from ocr_kie.guard import Fit

if TYPE_CHECKING:
    from ocr_kie.pipeline.grounded import FieldChoice

__all__ = ["ExtractionResult", "FieldResult", "OcrSummary", "Timings", "Usage", "field_details"]


class _Readable(BaseModel):
    """A model that also reads like the dict it dumps to, and leaves out optional fields never set."""

    #: Fields dumped only when they were set (they exist for one strategy, or after a failed check).
    _OPTIONAL: ClassVar[frozenset[str]] = frozenset()

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data = handler(self)
        for name in self._OPTIONAL - self.model_fields_set:
            data.pop(name, None)
        return data

    def _present(self) -> list[str]:
        return [n for n in type(self).model_fields if n not in self._OPTIONAL or n in self.model_fields_set]

    def __getitem__(self, name: str) -> Any:
        if name not in self._present():
            raise KeyError(name)
        return self.model_dump(include={name})[name]

    def __contains__(self, name: object) -> bool:
        return name in self._present()

    def get(self, name: str, default: Any = None) -> Any:
        """``self[name]``, or ``default`` when the result has no such entry."""
        return self[name] if name in self else default  # noqa: SIM401 - this is get()

    def keys(self) -> KeysView[str]:
        """The names of the dump's entries (so ``{**result}`` and ``dict(result.items())`` work)."""
        return dict.fromkeys(self._present()).keys()

    def items(self) -> list[tuple[str, Any]]:
        """``(name, self[name])`` of every entry, as the dump has them."""
        return list(self.model_dump().items())


class FieldResult(_Readable):
    """One key's value, where it was found and how sure the chain is of it.

    Attributes:
        value: The value (None: the document has none).
        kind: The candidate's kind of value (grounded decoding: ``"amount"``, ``"date"`` …).
        page: The page of the evidence.
        box: The evidence box ``[x0, y0, x1, y1]`` in page pixels.
        label: The label printed next to the value on the page, when one was found.
        ocr_score: The OCR confidence of the evidence lines.
        prior: The examples' prior of the choice (grounded decoding).
        model_score: The model's probability of the choice (grounded decoding).
        confidence: 0..1, to threshold (None for a null answer of a written reply).
        alternatives: The best alternatives ``[value, probability]`` (grounded decoding).
        decided_by: Which example and features made the prior (grounded decoding only).
        runner_up: The best other candidate and why (grounded decoding only).
        shape_fit: How well the value's shape fits the examples' (written replies only).
        checks: The checks' verdicts (:class:`ocr_kie.pipeline.checks.CheckResult` dicts).
        confidence_unchecked: The confidence before a failed check lowered it (only then).
    """

    model_config = ConfigDict(extra="forbid")
    _OPTIONAL: ClassVar[frozenset[str]] = frozenset({"decided_by", "runner_up", "shape_fit", "confidence_unchecked"})

    value: Any = None
    kind: str | None = None
    page: int | None = None
    box: list[float] | None = None
    label: str | None = None
    ocr_score: float | None = None
    prior: float | None = None
    model_score: float | None = None
    confidence: float | None = None
    alternatives: list[list[Any]] = Field(default_factory=list)
    decided_by: dict[str, Any] | None = None
    runner_up: dict[str, Any] | None = None
    shape_fit: float | None = None
    checks: list[dict[str, Any]] = Field(default_factory=list)
    confidence_unchecked: float | None = None


class Usage(_Readable):
    """Tokens, summed over the attempts."""

    model_config = ConfigDict(extra="forbid")

    input_tokens: int = 0
    output_tokens: int = 0


class Timings(_Readable):
    """Seconds spent on the OCR and on the model (all attempts)."""

    model_config = ConfigDict(extra="forbid")

    ocr_seconds: float
    llm_seconds: float


class OcrSummary(_Readable):
    """One page's size and OCR lines, as the review page draws them.

    Attributes:
        page: The 1-based page number.
        width: The page width in pixels.
        height: The page height in pixels.
        lines: ``[text, box, score]`` per line, in reading order.
    """

    model_config = ConfigDict(extra="forbid")

    page: int
    width: int | None = None
    height: int | None = None
    lines: list[list[Any]] = Field(default_factory=list)


class ExtractionResult(_Readable):
    """What ``build_chain(..., return_details=True)`` returns for one document.

    Example:
        >>> result = build_chain(["total"], return_details=True).invoke("receipt.png")  # doctest: +SKIP
        >>> result.values, result.fields["total"].confidence, result.usage.input_tokens  # doctest: +SKIP
        ({'total': '9.90'}, 0.97, 412)
        >>> result.model_dump(mode="json")["fields"]["total"]["box"]  # doctest: +SKIP
        [412.0, 80.0, 530.0, 104.0]

    Attributes:
        values: The extracted values (exactly the asked keys; None where the document has none).
        evidence: Where each value (each leaf of a nested one) was found in the OCR lines.
        fields: Per key: the value, its box, label, OCR score and confidence.
        checks_failed: The keys with a failed check.
        ocr: Each page's size and OCR lines.
        shape_mismatch: Keys whose answered value has a shape no example has (low confidence).
        example_warnings: Why examples (or key-example pairs) were left out.
        strategy: ``"fewshot"`` or ``"grounded"``: what ran.
        dropped_ungrounded: Keys set to None by ``require_grounding=True``.
        dropped_unfit: Keys set to None by ``require_grounding=True`` because the value's label and
            place do not fit the key (:mod:`ocr_kie.guard`, the injection guard).
        guard: The guard's verdict per answered key (empty without ``require_grounding``).
        dropped_copied: Keys set to None because the value was copied from an example.
        rejected_not_candidates: Keys set to None because the answer was none of the offered candidates.
        reply: The model's last reply.
        replies: Every reply, oldest first.
        attempts: How many replies were needed.
        usage: Tokens, summed over the attempts.
        timings: Seconds of OCR and of the model.
        pages: Pages read.
        examples_used: The examples in the prompt (indices, in prompt order).
        example_budget: The tokens the example history had to fit in.
        context_window: The context size assumed.
        evaluated_tokens: Prompt tokens the model evaluated (grounded decoding on a local model only).
    """

    model_config = ConfigDict(extra="forbid")
    _OPTIONAL: ClassVar[frozenset[str]] = frozenset({"evaluated_tokens"})

    values: dict[str, Any]
    evidence: dict[str, Evidence] = Field(default_factory=dict)
    fields: dict[str, FieldResult] = Field(default_factory=dict)
    checks_failed: list[str] = Field(default_factory=list)
    ocr: list[OcrSummary] = Field(default_factory=list)
    shape_mismatch: list[str] = Field(default_factory=list)
    example_warnings: list[str] = Field(default_factory=list)
    strategy: str
    dropped_ungrounded: list[str] = Field(default_factory=list)
    dropped_unfit: list[str] = Field(default_factory=list)
    guard: dict[str, Fit] = Field(default_factory=dict)
    dropped_copied: list[str] = Field(default_factory=list)
    rejected_not_candidates: list[str] = Field(default_factory=list)
    reply: str
    replies: list[str]
    attempts: int
    usage: Usage = Field(default_factory=Usage)
    timings: Timings
    pages: int
    examples_used: list[int] = Field(default_factory=list)
    example_budget: int
    context_window: int
    evaluated_tokens: int | None = None


def field_details(
    values: Mapping[str, Any], evidence: Mapping[str, Any], choices: Mapping[str, FieldChoice] | None
) -> dict[str, dict[str, Any]]:
    """Per-key evidence and a ``confidence`` in 0..1 (see docs/small-models.md).

    Grounded decoding knows the model's and the prior's probabilities of the choice; for a
    written answer the confidence is the match quality times the OCR score of where it was found
    (0 when it was not found; a null answer has no confidence).
    """
    fields: dict[str, dict[str, Any]] = {}
    for key, value in values.items():
        choice = (choices or {}).get(key)
        if choice is not None and choice.value == value:
            fields[key] = choice.details()
            continue
        ev = evidence.get(key)
        found = ev is not None and ev.found
        fields[key] = {
            "value": value,
            "kind": None,
            "page": ev.page if found else None,
            "box": list(ev.box) if found and ev.box else None,
            "label": None,
            "ocr_score": ev.ocr_score if found else None,
            "prior": None,
            "model_score": None,
            "confidence": None
            if value is None
            else (round(ev.match_score * (ev.ocr_score or 1.0), 4) if found else 0.0),
            "alternatives": [],
        }
    return fields
