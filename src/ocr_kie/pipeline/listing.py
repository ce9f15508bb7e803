"""A written answer held against the page: candidates offered to an API model, values copied from examples.

Grounded decoding on a local model (:mod:`ocr_kie.pipeline.grounded`) chooses each value among
the page's candidates by the model's log-probabilities. A model behind an API has none, so
:func:`candidate_listing` offers the candidates in the prompt and :func:`check_against_candidates`
sets an answer that is not one of them, nor found in the document, to ``None``.
:func:`copied_from_examples` finds values an answer copied from the examples (any strategy).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ocr_kie.candidates import ScoredCandidate
from ocr_kie.grounding import Evidence
from ocr_kie.normalize import squash

__all__ = ["candidate_listing", "check_against_candidates", "copied_from_examples"]


def candidate_listing(candidates: Mapping[str, Sequence[ScoredCandidate]]) -> str:
    """The candidates as prompt text, one key per block, ``[label] value`` per candidate.

    Example:
        >>> print(candidate_listing(options))  # doctest: +SKIP
        Candidates (copy one exactly, or null):
        "账单日":
          [账单日] 每月5日
          [到期还款日] 2026年12月25日
    """
    blocks = ["Candidates (the value of each key is one of these, copied exactly, or null):"]
    for key, scored in candidates.items():
        blocks.append(f"{json.dumps(key, ensure_ascii=False)}:")
        for s in scored:
            label = f"[{s.candidate.label}] " if s.candidate.label else ""
            blocks.append(f"  {label}{s.candidate.text}")
    return "\n".join(blocks)


def _matches(value: Any, texts: Sequence[str]) -> bool:
    target = squash(str(value))
    return bool(target) and any(squash(t) == target for t in texts)


def check_against_candidates(
    values: Mapping[str, Any],
    candidates: Mapping[str, Sequence[ScoredCandidate]],
    evidence: Mapping[str, Evidence],
) -> tuple[dict[str, Any], list[str]]:
    """An API model's answer checked against the offered candidates.

    A value is kept when it is one of its key's candidates (compared without spaces, case or
    full-width differences) or is found in the document as printed (exact or normalized match);
    otherwise it becomes None.

    Args:
        values: The parsed answer.
        candidates: Each key's offered candidates.
        evidence: :func:`~ocr_kie.grounding.ground` of the answer.

    Returns:
        The checked values and the keys set to None.
    """
    out, rejected = dict(values), []
    for key, value in values.items():
        if value is None or isinstance(value, (list, dict)):
            continue
        offered = [s.candidate.text for s in candidates.get(key, ())]
        ev = evidence.get(key)
        in_document = ev is not None and ev.found and ev.match in ("exact", "normalized")
        if not (_matches(value, offered) or in_document):
            out[key] = None
            rejected.append(key)
    return out, rejected


def copied_from_examples(
    values: Mapping[str, Any], example_values: Sequence[Mapping[str, Any]], evidence: Mapping[str, Evidence]
) -> list[str]:
    """The keys whose value equals a value of an example's answer and is not found in the document.

    Args:
        values: The answer.
        example_values: The examples' answers.
        evidence: :func:`~ocr_kie.grounding.ground` of the answer.
    """
    shown: list[str] = []
    for answer in example_values:
        for v in answer.values():
            if v is not None and not isinstance(v, (list, dict)):
                shown.append(str(v))
    copied = []
    for key, value in values.items():
        if value is None or isinstance(value, (list, dict)) or not _matches(value, shown):
            continue
        ev = evidence.get(key)
        if ev is None or not ev.found:
            copied.append(key)
    return copied
