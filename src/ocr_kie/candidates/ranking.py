"""Ranking: which candidates fit a key, best first, with a prior score before any model reads them.

:func:`key_candidates` narrows and ranks a page's candidates (its docstring gives the weights);
:func:`label_similarity` says how alike a printed label and a key's names are.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from rapidfuzz import fuzz

from ocr_kie.candidates.kinds import FIT, LABEL_TRIM, LABELLED_VALUE, key_type
from ocr_kie.candidates.types import Candidate, KeyType, ScoredCandidate
from ocr_kie.normalize import is_cjk, squash, to_halfwidth

if TYPE_CHECKING:
    from ocr_kie.candidates.profiles import KeyProfile

__all__ = ["key_candidates", "label_similarity"]


def _name_similarity(a: str, b: str) -> float:
    """How alike a label and a key name are, in [0, 1] (containment counts: 还款日 in 到期还款日)."""
    a, b = squash(a).strip(LABEL_TRIM), squash(b).strip(LABEL_TRIM)
    if not a or not b:
        return 0.0
    ratio = fuzz.ratio(a, b) / 100
    short, long = sorted((a, b), key=len)
    min_len = 2 if any(is_cjk(ch) for ch in short) else 4  # "ant" in "merchant" is no match
    if len(short) >= min_len and len(short) >= 0.3 * len(long) and short in long:
        ratio = max(ratio, 0.75 + 0.25 * len(short) / len(long))
    # unrelated strings still share a few letters (ratio ~0.3): only the part above 0.4 counts
    return max(0.0, (ratio - 0.4) / 0.6)


_ID_WORDS = re.compile(r"n[o0]\b|number|\bid\b|号|编号|代码", re.IGNORECASE)


def label_similarity(label: str | None, names: Sequence[str]) -> float:
    """How alike a label is to any of a key's names (0..1); a number's label ("Reg No") fits only a number key."""
    if not label:
        return 0.0
    id_label = bool(_ID_WORDS.search(label))
    return max(
        (_name_similarity(label, n) * (0.3 if id_label and not _ID_WORDS.search(n) else 1.0) for n in names),
        default=0.0,
    )


def _enum_candidates(candidates: Sequence[Candidate], values: Sequence[Any]) -> list[Candidate]:
    """Candidates equal to an enum value, or the enum value found inside a candidate line."""
    wanted = {squash(str(v)): str(v) for v in values if v is not None}
    out: list[Candidate] = []
    for cand in candidates:
        if squash(cand.text) in wanted:
            out.append(cand)
        elif cand.kind == "line":
            folded = to_halfwidth(cand.text).casefold()
            for value in wanted.values():
                # whole words only: the enum value 12 is not in "¥12.00", "PAID" is not in "UNPAID"
                needle = re.escape(to_halfwidth(value).casefold())
                m = re.search(rf"(?<![0-9a-z.,]){needle}(?![0-9a-z]|[.,]\d)", folded)
                if m is not None:
                    out.append(replace(cand, text=cand.text[m.start() : m.end()], kind="span"))
    return out


def key_candidates(
    candidates: Sequence[Candidate],
    key: str,
    prop: Mapping[str, Any] | None = None,
    *,
    limit: int | None = None,
    profile: KeyProfile | None = None,
) -> list[ScoredCandidate]:
    """The candidates a key could take, best first, each with a prior score.

    Narrowing: only the candidate kinds that fit :func:`key_type` (dates for a date, amounts and
    numbers for an amount, lines, spans and runs for text …) and the kinds the examples' values
    were found as; the schema's ``pattern`` (searched, as JSON Schema does) and ``enum`` (values
    equal to one of them, or found inside a line) filter further. When nothing of the key's type
    is on the page, lines and spans are offered instead.

    Ranking (the prior, 0..1). With a ``profile`` learned from the examples: how well the candidate
    matches the nearest example (0.75: label, kind, shape, position, order, lines; see
    :meth:`ocr_kie.candidates.profiles.KeyProfile.match`), its label's similarity to the key (0.1), type fit
    (0.1) and OCR score (0.05); the parts the examples answer with are candidates too ("2931" of
    "**** 2931"). Without examples: the label's similarity to the key's name and title (0.55),
    type fit (0.35) and OCR score (0.1); when no label on the page resembles the key, type fit and
    OCR score alone. A candidate whose text is the key's own name (the printed label) is pushed
    down. Texts are de-duplicated (the best-scored copy is kept). No rule knows a document type.

    Example:
        >>> ranked = key_candidates(page_candidates(docs), "可用额度", limit=5)  # doctest: +SKIP
        >>> ranked[0].text, ranked[0].candidate.label, ranked[0].label_score  # doctest: +SKIP
        ('12,000.00', '可用额度', 1.0)

    Args:
        candidates: What :func:`page_candidates` returned.
        key: The key's name.
        prop: The key's JSON Schema, if any.
        limit: Keep at most this many (best first).
        profile: The key's profile learned from the examples, if any example answers it.

    Returns:
        The scored candidates, best first.
    """
    prop = prop or {}
    kind = key_type(key, prop)
    names = [n for n in (key, str(prop.get("title") or "")) if n]
    fit = dict(FIT[kind])
    pool: list[Candidate] = list(candidates)
    profile = profile if profile is not None and profile.kinds else None
    if profile is not None:
        pool += profile.derive(candidates)
        fit.update({k: max(fit.get(k, 0.0), 0.8) for k in profile.kinds})
    if prop.get("enum"):
        pool = _enum_candidates(pool, prop["enum"])
        fit = {k: 1.0 for k in ("line", "span", *fit)}
    typed = [c for c in pool if c.kind in fit]
    if not typed and pool:  # nothing of the type on the page: fall back to lines and spans
        typed = [c for c in pool if c.kind in ("line", "span")]
        fit = {"line": 0.2, "span": 0.2}
    if prop.get("pattern"):
        with contextlib.suppress(re.error):  # an invalid pattern narrows nothing
            typed = [c for c in typed if re.search(str(prop["pattern"]), c.text)]
    own_names = {squash(n) for n in names}
    by_label = {c.label: label_similarity(c.label, names) for c in {c.label: c for c in typed}.values()}
    labelled = max(by_label.values(), default=0.0) >= 0.5
    best: dict[str, ScoredCandidate] = {}
    for cand in typed:
        label_sim = by_label[cand.label]
        type_fit = fit.get(cand.kind, 0.0)
        if cand.kind in ("line", "run") and kind is not KeyType.ADDRESS and LABELLED_VALUE.search(cand.text):
            type_fit *= 0.5  # "收款单位：物美超市": the value alone is a span
        reasons = [f"label~key {label_sim:.2f}", f"type={cand.kind} {type_fit:.1f}"]
        example, features, match = None, {}, None
        if profile is not None:
            match, example, features = profile.match(cand)
            prior = 0.75 * match + 0.1 * label_sim + 0.1 * type_fit + 0.05 * cand.ocr_score
            reasons.append(f"example {example} {match:.2f}")
        elif labelled:
            prior = 0.55 * label_sim + 0.35 * type_fit + 0.1 * cand.ocr_score
        else:
            prior = 0.85 * type_fit + 0.1 * cand.ocr_score
        sq = squash(cand.text)
        if sq in own_names or any(
            abs(len(sq) - len(own)) <= max(2, len(own) // 3) and _name_similarity(sq, own) >= 0.9 for own in own_names
        ):
            prior *= 0.3
            reasons.append("is the key's label")
        profile_score, prior = None if match is None else round(match, 4), round(min(1.0, max(0.0, prior)), 4)
        scored = ScoredCandidate(cand, prior, tuple(reasons), round(label_sim, 4), profile_score, example, features)
        if sq not in best or scored.prior > best[sq].prior:
            best[sq] = scored
    ranked = sorted(best.values(), key=lambda s: (-s.prior, s.candidate.page, s.candidate.lines))
    return ranked if limit is None else ranked[:limit]
