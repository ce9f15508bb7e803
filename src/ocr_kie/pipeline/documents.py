"""A document's pages as the pipeline's steps read them.

The prompt reads their text (:func:`page_text`); the candidates and the grounding read the
pages without the lines that read like instructions to the model (:func:`evidence_pages`, made
once per document); the typed result and the review page carry each page's OCR lines
(:func:`ocr_summary`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.documents import Document

from ocr_kie.grounding import Evidence, ground, without_instructions

__all__ = ["evidence_pages", "nulled_evidence", "ocr_summary", "page_text"]


def page_text(docs: Sequence[Document]) -> str:
    """The text of one or more pages; pages after the first are marked ``[page N]``."""
    if len(docs) == 1:
        return docs[0].page_content
    return "\n\n".join(f"[page {d.metadata.get('page', i + 1)}]\n{d.page_content}" for i, d in enumerate(docs))


def evidence_pages(state: dict[str, Any]) -> list[Document]:
    """The document's pages without the lines that read like instructions to the model, made once.

    Such lines are no evidence and offer no candidates (prompt injection); the candidates and the
    grounding of one document both read these pages.
    """
    if "evidence_docs" not in state:
        state["evidence_docs"] = without_instructions(state["docs"])
    return state["evidence_docs"]


def nulled_evidence(
    evidence: dict[str, Evidence],
    answered: Mapping[str, Any],
    values: Mapping[str, Any],
    nulled: Sequence[str],
    docs: Sequence[Document],
) -> dict[str, Evidence]:
    """The evidence after the ``nulled`` keys were set to None (copied from an example, not a candidate).

    Grounding is per value, so a nulled scalar's evidence is that of None, in its place; only a
    nulled list, object or boolean (whose evidence has other paths) has the values grounded again.
    """
    changed = [k for k in dict.fromkeys(nulled) if answered.get(k) is not None]
    if not changed:
        return evidence
    regrounded = any(
        values.get(k) is not None or isinstance(answered.get(k), (Mapping, list, tuple, bool)) or k not in evidence
        for k in changed
    ) or any(values[k] != answered.get(k) for k in values if k not in changed)
    if regrounded:
        return ground(values, docs)
    out = dict(evidence)
    for key in changed:
        out[key] = Evidence(key=key, value=None)
    return out


def ocr_summary(docs: Sequence[Document]) -> list[dict[str, Any]]:
    """Each page's size and OCR lines (``[text, box, score]``), as the review page draws them."""
    return [
        {
            "page": d.metadata.get("page", i + 1),
            "width": d.metadata.get("width"),
            "height": d.metadata.get("height"),
            "lines": [[ln.get("text"), ln.get("box"), ln.get("score")] for ln in d.metadata.get("lines", [])],
        }
        for i, d in enumerate(docs)
    ]
