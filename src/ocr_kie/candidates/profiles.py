"""Key profiles learned from the worked examples: how each key's value looks and where it sits.

The examples, not rules written for one kind of document, decide which candidate a key takes.
:func:`learn_profiles` finds each example's value on the example's own page (equal, a token slice
of a candidate, or fuzzily equal where grounding agrees) and keeps a :class:`ValueView`: the
printed label and its relation (prefix, left, above), position, place in the reading order,
lines spanned, candidate kind, the typed kinds on its lines, an amount's rank by size, the
**shape** as printed (``"**** 2931"`` is ``"**** 9999"``) and the part of the printed text the
answer is (the last four digits of ``"**** 2931"``). :meth:`KeyProfile.match` scores a
candidate against every view, the nearest example deciding (k-NN, k = 1, so examples of
different layouts all count); :meth:`KeyProfile.derive` cuts the examples' parts out of the
page's candidates; :meth:`KeyProfile.null_prior` makes ``null`` likely when no example's label is
on the page and nothing fits otherwise::

    >>> profiles = learn_profiles(["卡号后四位"], [(example_docs, {"卡号后四位": "2931"})])  # doctest: +SKIP
    >>> profiles["卡号后四位"].views[0].part  # doctest: +SKIP
    (-1, None)
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from langchain_core.documents import Document
from rapidfuzz import fuzz

from ocr_kie.candidates.builder import page_candidates
from ocr_kie.candidates.ranking import label_similarity
from ocr_kie.candidates.types import Candidate, ScoredCandidate
from ocr_kie.grounding import ground
from ocr_kie.normalize import CJK_CHARS, squash, to_halfwidth

__all__ = [
    "InconsistentExampleWarning",
    "KeyProfile",
    "ValueView",
    "collapsed",
    "learn_profiles",
    "shape_of",
    "shape_similarity",
]

#: Feature weights of :meth:`KeyProfile.match` (they sum to 1).
WEIGHTS: Mapping[str, float] = dict(
    label=0.25, kind=0.05, shape=0.15, position=0.1, order=0.1, lines=0.1, magnitude=0.15, contents=0.1
)
#: A candidate this far from an example's position (share of the page's diagonal) gets no position credit.
POSITION_SCALE = 0.5
#: The prior of null when the examples' printed labels are not on the page and nothing fits well.
ABSENT_NULL_PRIOR = 0.75
#: A candidate whose features besides the label fit an example this well keeps null unlikely.
FIT_FLOOR = 0.8

_TOKEN = re.compile(rf"\d+|[A-Za-z]+|[{CJK_CHARS}]+|[^\s\d A-Za-z{CJK_CHARS}]")
_TEXT_KINDS = frozenset({"line", "span", "run"})


class InconsistentExampleWarning(UserWarning):
    """An example's value is not on the example's own page (that key-example pair is skipped)."""


def shape_of(text: str) -> str:
    """The value's shape: digits as ``9``, Latin letters as ``A``/``a``, Chinese as ``汉``, the rest as printed.

    Example:
        >>> shape_of("**** 2931"), shape_of("¥1,200.00"), shape_of("每月5日")
        ('**** 9999', '¥9,999.99', '汉汉9汉')
    """
    classes = ((r"\d", "9"), ("[a-z]", "a"), ("[A-Z]", "A"), (f"[{CJK_CHARS}]", "汉"))
    out = to_halfwidth(text.strip())
    for pattern, mark in classes:  # ASCII classes only: re's \d would take other scripts' digits too
        out = re.sub(pattern, mark, out, flags=re.ASCII)
    return re.sub(r"\s+", " ", out)


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
    target = to_halfwidth(value.strip())
    at, toks = to_halfwidth(container).find(target), _tokens(container)
    starts = [i for i, t in enumerate(toks) if t.start() == at]
    ends = [i for i, t in enumerate(toks) if t.end() == at + len(target)]
    if at < 0 or not target or not starts or not ends:
        return None
    i, j, n = starts[0], ends[0] + 1, len(toks)
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
    m = re.match(rf"(?:\s*\S){{{count}}}", text)
    return text[m.end() :].strip(" :：\t") if m else ""


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
        order: Rows above and below it on its page (:attr:`Candidate.order`).
        magnitude: For an amount, how many larger amounts its page prints.
        contents: The typed kinds on its lines (:attr:`Candidate.contents`).
        lines: How many OCR lines it spans.
        shape: :func:`shape_of` the value.
        part: For a slice, the token slice of the container (negative: from the end).
        container_shape: The shape of the candidate the slice is cut from.
    """

    example: int
    value: str
    kind: str
    label: str | None
    label_source: str | None
    x: float
    y: float
    order: tuple[int, int]
    magnitude: int | None
    contents: frozenset[str]
    lines: int
    shape: str
    part: tuple[int, int | None] | None = None
    container_shape: str | None = None


@dataclass
class KeyProfile:
    """What the examples teach about one key: its :class:`ValueView` per example.

    Attributes:
        key: The key.
        views: One or more views per usable example (the same text found as several candidates).
        examples: How many examples answer the key (a value or null).
        null_examples: How many of them answer null.
        foreign: The other keys' names and printed labels: a candidate under one of them is theirs.
        others: Labels the examples' pages print over other values (every label of a page whose
            example answers null): a candidate under one of them is not this key's, whatever it looks like.
    """

    key: str
    views: list[ValueView] = field(default_factory=list)
    examples: int = 0
    null_examples: int = 0
    foreign: list[str] = field(default_factory=list)
    others: list[str] = field(default_factory=list)

    @property
    def kinds(self) -> frozenset[str]:
        """The candidate kinds the examples' values were found as."""
        return frozenset(v.kind for v in self.views)

    @property
    def labels(self) -> dict[str, str]:
        """The examples' printed labels (squashed: as printed)."""
        return {squash(v.label): v.label for v in self.views if v.label and v.label_source != "varies"}

    def lines_fit(self, lines: int) -> float:
        """How well a value spanning ``lines`` OCR lines fits the examples' values (all of them, as a distribution)."""
        counts = [v.lines for v in {v.example: v for v in self.views}.values()]
        return sum(1.0 - abs(lines - c) / (max(lines, c) + 1) for c in counts) / len(counts) if counts else 1.0

    def derive(self, candidates: Sequence[Candidate]) -> list[Candidate]:
        """The parts of the page's candidates that the examples answer with (``"2931"`` of ``"**** 2931"``)."""
        parts = {(v.part, v.container_shape) for v in self.views if v.part is not None}
        out: list[Candidate] = []
        for cand in candidates:
            if cand.kind == "line":  # the examples' label glued to the value: "收件人赵军勇"
                folded = squash(cand.text)
                for sq, label in self.labels.items():
                    if folded.startswith(sq) and len(folded) > len(sq) and (rest := _after(cand.text, len(sq))):
                        out.append(replace(cand, text=rest, kind="span", label=label, label_source="prefix"))
            for part, container in parts:
                # any candidate printed like the example's container ("138****1903" as a line, an id, a span)
                if shape_similarity(shape_of(cand.text), container or "") >= 0.7 and (
                    text := _apply_part(cand.text, part)  # type: ignore[arg-type]
                ):
                    out.append(replace(cand, text=text, kind="part"))
        return out

    def foreign_label(self, cand: Candidate) -> bool:
        """Whether the candidate's label is another key's (a date under 下单时间 is not 送达时间's)."""
        if not cand.label or not self.foreign:
            return False
        own = label_similarity(cand.label, [self.key, *self.labels.values()])
        return label_similarity(cand.label, self.foreign) >= max(0.8, own + 0.1)

    def other_label(self, cand: Candidate) -> bool:
        """Whether the candidate's label is one the examples' pages print over other values (:attr:`others`)."""
        if not cand.label or not self.others:
            return False
        own = label_similarity(cand.label, [self.key, *self.labels.values()])
        return label_similarity(cand.label, self.others) >= max(0.8, own + 0.1)

    def match(self, cand: Candidate) -> tuple[float, int | None, dict[str, float]]:
        """How well a candidate fits the nearest example (0..1), that example's index, and the features."""
        best: tuple[float, int | None, dict[str, float]] = (0.0, None, {})
        foreign = self.foreign_label(cand)
        shape = shape_of(cand.text)
        spans = self.lines_fit(len(cand.lines))
        for view in self.views:
            same_place = 0.9 + 0.1 * (cand.label_source == view.label_source)
            if foreign:
                label = 0.0
            elif view.label_source == "varies":  # the examples' neighbours differ: a label says nothing
                label = 0.8
            elif view.label:
                label = label_similarity(cand.label, [view.label]) * same_place
            else:  # printed without a label in the example: a candidate without one fits best
                label = 0.6 + 0.4 * (cand.label is None)
            near = 0 if view.order[0] <= view.order[1] else 1  # counted from the nearer end of the page
            features = {
                "label": label,
                "kind": 1.0 if cand.kind == view.kind else 0.75 * ({cand.kind, view.kind} <= _TEXT_KINDS),
                "shape": shape_similarity(shape, view.shape),
                "position": max(0.0, 1.0 - math.hypot(cand.x - view.x, cand.y - view.y) / POSITION_SCALE),
                "order": max(0.0, 1.0 - abs(cand.order[near] - view.order[near]) / 4),
                "lines": spans,
                "magnitude": (1.0 if cand.magnitude is None else 0.5)
                if view.magnitude is None
                else max(0.0, 1.0 - abs((cand.magnitude or 0) - view.magnitude) / 2) * (cand.magnitude is not None),
                "contents": len(cand.contents & view.contents) / len(cand.contents | view.contents)
                if cand.contents | view.contents
                else 1.0,
            }
            score = sum(WEIGHTS[k] * v for k, v in features.items())
            if score > best[0]:
                best = (score, view.example, {k: round(v, 3) for k, v in features.items()})
        return best

    def label_on_page(self, candidates: Sequence[Candidate]) -> bool | None:
        """Whether any example's printed label is on the page (None: the examples print none)."""
        if not self.labels:
            return None
        page_labels = {c.label for c in candidates if c.label}
        texts = {squash(c.text) for c in candidates if c.kind == "line"}
        return any(
            any(label in t for t in texts) or any(label_similarity(p, [label]) >= 0.8 for p in page_labels)
            for label in self.labels
        )

    def null_prior(self, ranked: Sequence[ScoredCandidate], candidates: Sequence[Candidate], default: float) -> float:
        """The prior of null on a page: high when no example's label is on it and no candidate fits otherwise.

        A candidate fits otherwise when its features besides the label (kind, shape, position,
        order, lines) match an example at :data:`FIT_FLOOR` and it is not printed under a label
        the examples show belongs to something else: another key's, or one the examples' pages
        print over another value (:attr:`others`). A date printed without the examples' "Date:",
        or under a label no example shows (another layout's name for it), is still the date; one
        printed after "账单日：" is not "到期还款日" when an example's page prints 账单日 beside it.
        """
        if not self.views or self.label_on_page(candidates) is not False:  # printed without labels: no sign
            return default
        shown = [k for k in WEIGHTS if k not in ("label", "magnitude")]  # a text's magnitude says nothing
        rest = sum(WEIGHTS[k] for k in shown)

        def labelled(s: ScoredCandidate) -> bool:
            """Printed under a label of its own (on its line or row) that is not the examples'."""
            return s.candidate.label_source in ("prefix", "left") and s.features["label"] < 0.5

        def owned(s: ScoredCandidate) -> bool:
            """Printed under another key's label, or under a label the examples give to other values."""
            return self.foreign_label(s.candidate) or (labelled(s) and self.other_label(s.candidate))

        taken = {squash(s.text) for s in ranked if s.features and owned(s)}
        for s in ranked:
            if not s.features or squash(s.text) in taken:
                continue
            if s.candidate.kind not in _TEXT_KINDS and not labelled(s):  # a typed value: kind and shape say enough
                fit = (s.features["kind"] + s.features["shape"]) / 2 + 0.1
            else:  # text, or under a label no example shows: where it sits must fit as well
                fit = sum(WEIGHTS[k] * s.features[k] for k in shown) / rest
                fit *= s.features["shape"] >= 0.7
            if fit >= FIT_FLOOR:
                return default
        return ABSENT_NULL_PRIOR


def _views(key: str, index: int, value: str, cands: Sequence[Candidate], grounded: bool) -> list[ValueView]:
    """Where an example's value is among its page's candidates: equal, a token slice of one, or fuzzily equal."""
    target = squash(value)

    def view(c: Candidate, kind: str | None = None, **extra: Any) -> ValueView:
        place = {"x": round(c.x, 4), "y": round(c.y, 4), "order": c.order, "magnitude": c.magnitude}
        place.update(contents=c.contents, lines=len(c.lines), shape=shape_of(value))
        return ValueView(index, value, kind or c.kind, c.label, c.label_source, **place, **extra)

    same = [c for c in cands if squash(c.text) == target]
    named = {id(c): label_similarity(c.label, [key]) for c in same}
    if max(named.values(), default=0.0) >= 0.5:  # printed several times: where a label names the key
        same = [c for c in same if named[id(c)] >= max(named.values()) - 0.1]
    if same:
        return list({(c.kind, c.label): view(c) for c in reversed(same)}.values())[::-1]
    containers = [(c, part) for c in cands if target in squash(c.text) and (part := _part_of(c.text, value))]
    if containers:
        c, part = min(containers, key=lambda cp: (cp[0].label is None, len(cp[0].text)))
        return [view(c, "part", part=part, container_shape=shape_of(c.text))]
    # an OCR slip in the example ("NO.5:55" for "NO.53 55"): close enough when grounding agrees, or long and closer
    scored = [(fuzz.ratio(target, squash(c.text)), c) for c in cands if c.kind in _TEXT_KINDS]
    ratio, c = max(scored, key=lambda rc: (rc[0], -len(rc[1].lines)), default=(0.0, None))
    if c is not None and (ratio >= 80 if grounded else ratio >= 90 and len(target) >= 12):
        return [view(c)]
    return []


def learn_profiles(
    keys: Sequence[str], examples: Sequence[tuple[Sequence[Document], Mapping[str, Any]]]
) -> dict[str, KeyProfile]:
    """Learn each key's profile from the examples' pages and values.

    An example value that is not found on its own page (the example is inconsistent) is reported
    with an :class:`InconsistentExampleWarning` naming the example and the key, and that pair is
    skipped; example keys that were not asked are ignored, with a :class:`UserWarning` naming them.

    Args:
        keys: The keys asked for.
        examples: Per example, its OCR pages (Documents with ``metadata["lines"]``, or plain text)
            and its values.

    Returns:
        A profile per key (with no views when no example answers it).
    """
    profiles = {key: KeyProfile(key) for key in keys}
    for index, (docs, values) in enumerate(examples):
        if extra := sorted(map(str, set(values) - set(keys))):
            warnings.warn(f"example {index + 1} answers keys that were not asked for, ignored: {extra}", stacklevel=2)
        cands = page_candidates(docs)
        present = {k: v for k, v in values.items() if k in profiles}
        evidence = ground({k: v for k, v in present.items() if v is not None}, docs)
        labelled = [(c.label, squash(c.text)) for c in cands if c.label and c.label_source in ("prefix", "left")]
        for key, value in present.items():
            profile = profiles[key]
            profile.examples += 1
            profile.null_examples += value is None
            if value is None:  # every label on this page is over something else
                profile.others.extend(label for label, _ in labelled)
            if value is None or isinstance(value, (list, dict)):
                continue
            found = evidence.get(key)
            views = _views(key, index, str(value), cands, found is not None and found.found)
            target, own = squash(str(value)), {v.label for v in views if v.label}
            profile.others.extend(
                label for label, text in labelled if label not in own and target not in text and text not in target
            )
            if not views:
                warnings.warn(
                    f"example {index + 1}: the value of {key!r} ({str(value)[:40]!r}) is not on the example's page; "
                    "this key is not learned from that example",
                    InconsistentExampleWarning,
                    stacklevel=2,
                )
            profile.views.extend(views)
    for profile in profiles.values():
        _drop_varying_labels(profile)
        profile.others = list(dict.fromkeys(profile.others))
    for profile in profiles.values():
        others = [p for p in profiles.values() if p is not profile]
        profile.foreign = [*(p.key for p in others), *(label for p in others for label in p.labels.values())]
    return profiles


def _drop_varying_labels(profile: KeyProfile) -> None:
    """A "label" that differs in every example is a neighbouring value (the name above a title), not a label."""
    by_example: dict[int, set[str]] = {}
    for v in profile.views:
        by_example.setdefault(v.example, set()).add(v.label or "")
    for i, v in enumerate(profile.views if len(by_example) > 1 else ()):
        others = [o for ex, labels in by_example.items() if ex != v.example for o in labels if o]
        if v.label and label_similarity(v.label, [*others, profile.key]) < 0.5:
            profile.views[i] = replace(v, label=None, label_source="varies")
