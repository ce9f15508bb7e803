"""Key profiles learned from the worked examples: how each key's value looks and where it sits.

The examples are the one thing a user gives to describe a new document type, so they, not rules
written for one kind of document, decide which candidate a key takes. For each key and each
example, :func:`learn_profiles` finds the example's value on the example's own page (with
:func:`~ocr_kie.grounding.ground`: exact, normalized, fuzzy, over several lines) and keeps a
:class:`ValueView` of it: the printed label and how it relates to the value (a prefix before a
separator, left on the row, above in the column), the position on the page, the number of lines,
the candidate kind, the **shape** (character classes as printed: ``"**** 2931"`` is
``"**** 9999"``, ``"¥12.00"`` is ``"¥99.99"``) and which part of the printed text the answer is
(the whole candidate, or a slice of its tokens: the last four digits of ``"**** 2931"``)::

    >>> profiles = learn_profiles(["卡号后四位"], [(example_docs, {"卡号后四位": "2931"})])  # doctest: +SKIP
    >>> profiles["卡号后四位"].views[0].part  # doctest: +SKIP
    (-1, None)

On a new page :meth:`KeyProfile.match` scores a candidate against every view and the nearest
example decides (k-NN with k = 1, so examples of different layouts all count);
:meth:`KeyProfile.derive` cuts the same parts out of the page's candidates that the examples
answered with; :meth:`KeyProfile.null_prior` makes ``null`` likely when the examples' labels are
not on the page and no candidate fits. :func:`~ocr_kie.candidates.key_candidates` combines the
match with generic knowledge of kinds of values.
"""

from __future__ import annotations

import logging
import math
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from langchain_core.documents import Document
from rapidfuzz import fuzz

from ocr_kie.candidates import Candidate, ScoredCandidate, label_similarity, page_candidates
from ocr_kie.grounding import ground
from ocr_kie.normalize import squash, to_halfwidth

__all__ = [
    "InconsistentExampleWarning",
    "KeyProfile",
    "ValueView",
    "collapsed",
    "learn_profiles",
    "shape_of",
    "shape_similarity",
]

logger = logging.getLogger(__name__)

#: Feature weights of :meth:`KeyProfile.match` (they sum to 1).
WEIGHTS: Mapping[str, float] = {
    "label": 0.35,
    "relation": 0.05,
    "kind": 0.1,
    "shape": 0.25,
    "position": 0.15,
    "lines": 0.1,
}
#: A candidate this far from an example's position (share of the page's diagonal) gets no position credit.
POSITION_SCALE = 0.5
#: The prior of null when the examples' printed labels are not on the page and nothing fits well.
ABSENT_NULL_PRIOR = 0.6
#: A candidate matching a profile below this counts as "nothing fits".
FIT_FLOOR = 0.55

_CJK_RE = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"\d+|[A-Za-z]+|[{_CJK_RE}]+|[^\s\d A-Za-z{_CJK_RE}]")
_TEXT_KINDS = frozenset({"line", "span", "run"})


class InconsistentExampleWarning(UserWarning):
    """An example's value is not on the example's own page (that key-example pair is skipped)."""


def shape_of(text: str) -> str:
    """The value's shape: digits as ``9``, Latin letters as ``A``/``a``, Chinese as ``汉``, the rest as printed.

    Example:
        >>> shape_of("**** 2931"), shape_of("¥1,200.00"), shape_of("每月5日")
        ('**** 9999', '¥9,999.99', '汉汉9汉')
    """
    out = []
    for ch in to_halfwidth(text.strip()):
        if ch.isdigit():
            out.append("9")
        elif "a" <= ch <= "z":
            out.append("a")
        elif "A" <= ch <= "Z":
            out.append("A")
        elif re.match(f"[{_CJK_RE}]", ch):
            out.append("汉")
        elif ch.isspace():
            if out and out[-1] != " ":
                out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def collapsed(shape: str) -> str:
    """A shape with each run of one character class as one: ``"9,999.99"`` → ``"9,9.9"``."""
    return re.sub(r"(.)\1+", r"\1", shape)


def shape_similarity(a: str, b: str) -> float:
    """How alike two shapes are (0..1): the edit similarity of the shapes and of their collapsed forms."""
    return 0.5 * fuzz.ratio(a, b) / 100 + 0.5 * fuzz.ratio(collapsed(a), collapsed(b)) / 100


def _tokens(text: str) -> list[re.Match[str]]:
    return list(_TOKEN.finditer(to_halfwidth(text)))


def _part_of(container: str, value: str) -> tuple[int, int | None] | None:
    """The token slice of ``container`` that is ``value``, counted from the nearer end; None if not on token edges."""
    folded, target = to_halfwidth(container), to_halfwidth(value.strip())
    at = folded.find(target)
    if at < 0 or not target:
        return None
    toks = _tokens(container)
    starts = [i for i, t in enumerate(toks) if t.start() == at]
    ends = [i for i, t in enumerate(toks) if t.end() == at + len(target)]
    if not starts or not ends:
        return None
    i, j = starts[0], ends[0] + 1
    n = len(toks)
    if n - j < i:  # nearer the end: count from it ("the last four digits")
        return (i - n, None if j == n else j - n)
    return (i, j)


def _apply_part(text: str, part: tuple[int, int | None]) -> str | None:
    toks = _tokens(text)
    chosen = toks[part[0] : part[1]]
    if not chosen or len(chosen) == len(toks):
        return None
    return text[chosen[0].start() : chosen[-1].end()].strip() or None


def _after(text: str, count: int) -> str:
    """The text after its first ``count`` non-space characters (separators stripped)."""
    seen = 0
    for i, ch in enumerate(text):
        if not ch.isspace():
            seen += 1
        if seen == count:
            return text[i + 1 :].strip(" :：\t")
    return ""


@dataclass(frozen=True)
class ValueView:
    """One example's value of one key, as it sits on the example's page.

    Attributes:
        example: The example's index (in the order given).
        value: The value as the example answers it.
        kind: The candidate kind it was found as (``"part"`` for a slice of a longer candidate).
        label: The printed label next to it (None: printed without one).
        label_source: ``"prefix"`` (same text, before a separator), ``"left"`` (on the row),
            ``"above"`` (in the column), ``"varies"`` (a neighbour that differs in every example,
            so no label) or None.
        x: Horizontal centre as a share of the page width.
        y: Vertical centre as a share of the page height.
        lines: How many OCR lines it spans.
        shape: :func:`shape_of` the value.
        part: For a slice, the token slice of the container (negative: from the end).
        container_kind: The kind of the candidate the slice is cut from.
        container_shape: The shape of that candidate.
    """

    example: int
    value: str
    kind: str
    label: str | None
    label_source: str | None
    x: float
    y: float
    lines: int
    shape: str
    part: tuple[int, int | None] | None = None
    container_kind: str | None = None
    container_shape: str | None = None


@dataclass
class KeyProfile:
    """What the examples teach about one key: its :class:`ValueView` per example.

    Attributes:
        key: The key.
        views: One or more views per usable example (the same text found as several candidates).
        examples: How many examples answer the key (a value or null).
        null_examples: How many of them answer null.
    """

    key: str
    views: list[ValueView] = field(default_factory=list)
    examples: int = 0
    null_examples: int = 0

    @property
    def kinds(self) -> frozenset[str]:
        """The candidate kinds the examples' values were found as."""
        return frozenset(v.kind for v in self.views)

    def derive(self, candidates: Sequence[Candidate]) -> list[Candidate]:
        """The parts of the page's candidates that the examples answer with (``"2931"`` of ``"**** 2931"``)."""
        parts = {(v.part, v.container_shape): v for v in self.views if v.part is not None}
        labels = {squash(v.label): v.label for v in self.views if v.label and v.label_source != "varies"}
        out: list[Candidate] = []
        for cand in candidates:
            if cand.kind == "line":  # the examples' label glued to the value: "收件人赵军勇"
                folded = squash(cand.text)
                for sq, label in labels.items():
                    if folded.startswith(sq) and len(folded) > len(sq):
                        rest = _after(cand.text, len(sq))
                        if rest:
                            out.append(replace(cand, text=rest, kind="span", label=label, label_source="prefix"))
            for (part, container), _view in parts.items():
                # any candidate printed like the example's container ("138****1903" as a line, an id, a span)
                if shape_similarity(shape_of(cand.text), container or "") < 0.7:
                    continue
                text = _apply_part(cand.text, part)  # type: ignore[arg-type]
                if text:
                    out.append(replace(cand, text=text, kind="part"))
        return out

    def match(self, cand: Candidate) -> tuple[float, int | None, dict[str, float]]:
        """How well a candidate fits the nearest example (0..1), that example's index, and the features."""
        best: tuple[float, int | None, dict[str, float]] = (0.0, None, {})
        for view in self.views:
            # printed without a label in the example: a candidate without one fits best
            if view.label_source == "varies":  # the examples' neighbours differ: a label says nothing
                label = 0.8
            else:
                label = label_similarity(cand.label, [view.label]) if view.label else 0.6 + 0.4 * (cand.label is None)
            kind = 1.0 if cand.kind == view.kind else 0.5 * ({cand.kind, view.kind} <= _TEXT_KINDS)
            distance = math.hypot(cand.x - view.x, cand.y - view.y)
            features = {
                "label": label,
                "relation": 1.0 if cand.label_source == view.label_source or view.label_source == "varies" else 0.0,
                "kind": kind,
                "shape": shape_similarity(shape_of(cand.text), view.shape),
                "position": max(0.0, 1.0 - distance / POSITION_SCALE),
                "lines": 1.0 if len(cand.lines) == view.lines else 0.5,
            }
            score = sum(WEIGHTS[k] * v for k, v in features.items())
            if score > best[0]:
                best = (score, view.example, {k: round(v, 3) for k, v in features.items()})
        return best

    def label_on_page(self, candidates: Sequence[Candidate]) -> bool | None:
        """Whether any example's printed label is on the page (None: the examples print none)."""
        labels = {squash(v.label) for v in self.views if v.label}
        if not labels:
            return None
        page_labels = {c.label for c in candidates if c.label}
        texts = {squash(c.text) for c in candidates if c.kind == "line"}
        for label in labels:
            if any(label in t for t in texts) or any(label_similarity(p, [label]) >= 0.8 for p in page_labels):
                return True
        return False

    def null_prior(self, ranked: Sequence[ScoredCandidate], candidates: Sequence[Candidate], default: float) -> float:
        """The prior of null for this key on a page: high when the label is absent and nothing fits."""
        if not self.views:
            return default
        best = max((s.profile_score or 0.0 for s in ranked), default=0.0)
        if self.label_on_page(candidates) is False and best < FIT_FLOOR + 0.2:
            return ABSENT_NULL_PRIOR
        if best < FIT_FLOOR:
            return max(default, ABSENT_NULL_PRIOR / 2)
        return default


def _views(index: int, value: str, docs: Sequence[Document], cands: Sequence[Candidate]) -> list[ValueView]:
    target = squash(value)

    def view(c: Candidate, kind: str | None = None, **extra: Any) -> ValueView:
        return ValueView(
            example=index,
            value=value,
            kind=kind or c.kind,
            label=c.label,
            label_source=c.label_source,
            x=round(c.x, 4),
            y=round(c.y, 4),
            lines=len(c.lines),
            shape=shape_of(value),
            **extra,
        )

    same = [c for c in cands if squash(c.text) == target]
    if same:
        seen: dict[tuple[str, str | None], ValueView] = {}
        for c in same:
            seen.setdefault((c.kind, c.label), view(c))
        return list(seen.values())
    containers = [(c, part) for c in cands if target in squash(c.text) and (part := _part_of(c.text, value))]
    if containers:
        c, part = min(containers, key=lambda cp: (cp[0].label is None, len(cp[0].text)))
        return [view(c, "part", part=part, container_kind=c.kind, container_shape=shape_of(c.text))]
    scored = [(fuzz.ratio(target, squash(c.text)), c) for c in cands if c.kind in _TEXT_KINDS]
    if scored:
        ratio, c = max(scored, key=lambda rc: rc[0])
        if ratio >= 80:
            return [view(c)]
    return []


def learn_profiles(
    keys: Sequence[str], examples: Sequence[tuple[Sequence[Document], Mapping[str, Any]]]
) -> dict[str, KeyProfile]:
    """Learn each key's profile from the examples' pages and values.

    An example value that is not found on its own page (the example is inconsistent) is reported
    with an :class:`InconsistentExampleWarning` naming the example and the key, and that pair is
    skipped; example keys that were not asked are ignored (logged once).

    Args:
        keys: The keys asked for.
        examples: Per example, its OCR pages (Documents with ``metadata["lines"]``, or plain text)
            and its values.

    Returns:
        A profile per key (with no views when no example answers it).
    """
    profiles = {key: KeyProfile(key) for key in keys}
    for index, (docs, values) in enumerate(examples):
        extra = sorted(set(values) - set(keys))
        if extra:
            logger.info("example %d: keys %s were not asked for and are ignored", index + 1, extra)
        cands = page_candidates(docs)
        present = {k: v for k, v in values.items() if k in profiles}
        evidence = ground({k: v for k, v in present.items() if v is not None}, docs)
        for key, value in present.items():
            profile = profiles[key]
            profile.examples += 1
            if value is None:
                profile.null_examples += 1
                continue
            if isinstance(value, (list, dict)):
                continue
            found = evidence.get(key)
            views = _views(index, str(value), docs, cands) if found is not None and found.found else []
            if not views:
                warnings.warn(
                    f"example {index + 1}: the value of {key!r} ({str(value)[:40]!r}) is not on the example's page; "
                    "this key is not learned from that example",
                    InconsistentExampleWarning,
                    stacklevel=2,
                )
                continue
            profile.views.extend(views)
    for profile in profiles.values():
        _drop_varying_labels(profile)
    return profiles


def _drop_varying_labels(profile: KeyProfile) -> None:
    """A "label" that differs in every example is a neighbouring value (the name above a title), not a label."""
    by_example: dict[int, set[str]] = {}
    for v in profile.views:
        by_example.setdefault(v.example, set()).add(v.label or "")
    if len(by_example) < 2:
        return
    for v in list(profile.views):
        others = [ls for ex, ls in by_example.items() if ex != v.example]
        if v.label and not any(label_similarity(v.label, [o]) >= 0.8 for ls in others for o in ls if o):
            profile.views[profile.views.index(v)] = replace(v, label=None, label_source="varies")
