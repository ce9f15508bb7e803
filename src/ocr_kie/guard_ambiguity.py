"""The page answers the key twice: two values of one kind under labels that fit the key as well.

A planted value need not address anyone: a page can print the key's label a second time with
another value under it ("TOTAL 36.97" below "TOTAL 49.08", "车号 川AD5573"), or print a second
value with no words at all next to the true one ("TOTAL 8.37  6.63", a second plate on the line
below). No wording gives it away; what does is that the page then answers the key twice. With
examples, the examples' layout tells the two apart (the position relative to the label, the
order counted from the nearer end of the page, the kind and shape, the number of lines): the
answered value stands only when no other value of its kind, under a label that fits the key at
least as well, fits the examples' layout better. Otherwise ``require_grounding`` ("only what
the page states unambiguously") returns null, with both values in the reason::

    >>> reason, rival = answered_twice(planted, [honest])  # doctest: +SKIP
    >>> reason  # doctest: +SKIP
    "the page answers the key twice: '36.97' (label 'TOTAL', fit 0.68) and '49.08' (label 'TOTAL', fit 0.97); …"

A page that prints one value twice ("号牌号码" on the card's face and its back) is no rival: the
same value is never another answer. Nothing here knows a document type or a phrasing.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any, Protocol

from ocr_kie.candidates import label_similarity
from ocr_kie.candidates.profiles import shape_of, shape_similarity
from ocr_kie.normalize import squash, to_halfwidth

__all__ = ["ALIKE_SHAPE", "SAME_LABEL", "TWICE_LABEL", "alike", "answered_twice", "bracketed_after"]

#: The answered value's label must fit the key (the examples' labels, or their printing no label) this well
#: for the rule to apply: a value under an unrelated label is the other rules' business.
TWICE_LABEL = 0.5
#: Two printed labels this similar are one label printed twice.
SAME_LABEL = 0.8
#: Two values of different candidate kinds are of one kind when their shapes are this alike ("2025/09/21" read
#: as a span, "2025/03/05" as a date).
ALIKE_SHAPE = 0.9
_OPEN, _CLOSE = "([【", ")]】"


class _Cand(Protocol):
    kind: str
    page: int
    lines: tuple[int, ...]


class Scored(Protocol):
    """What the rule reads of a scored candidate (:class:`ocr_kie.guard._Scored`)."""

    cand: _Cand
    fit: float
    label_fit: float
    label: str | None

    @property
    def text(self) -> str: ...


def _said(s: Scored) -> str:
    label = "no label" if s.label is None else f"label {s.label!r}"
    return f"{s.text!r} ({label}, fit {s.fit:.2f})"


def alike(a: Scored, b: Scored) -> bool:
    """Whether two candidates are values of one kind: the same candidate kind, or printed in one shape."""
    return a.cand.kind == b.cand.kind or shape_similarity(shape_of(a.text), shape_of(b.text)) >= ALIKE_SHAPE


def _same_shape(a: Scored, b: Scored) -> bool:
    """Printed in one shape: a second answer looks like the first (a mobile and a landline are two things)."""
    return shape_similarity(shape_of(a.text), shape_of(b.text)) >= ALIKE_SHAPE


def _same_label(best: Scored, other: Scored) -> bool:
    """The answered value is printed bare, or under the other's label (the label printed twice)."""
    if best.label is None:
        return True
    return other.label is not None and label_similarity(best.label, [other.label]) >= SAME_LABEL


def _one_field(best: Scored, other: Scored) -> bool:
    """Two values on one OCR line under one label are one field (a range "2022年…-2032年…", a pair)."""
    return best.cand.page == other.cand.page and bool(set(best.cand.lines) & set(other.cand.lines))


def answered_twice(
    best: Scored, rivals: Sequence[Scored], page_labels: Collection[str] = (), *, ties: bool = False
) -> tuple[str, Any] | None:
    """Whether another value of the answered value's kind, under a label as good, fits the examples better.

    "Another value of its kind": printed in its shape (a second answer looks like the first; a
    mobile number and a landline under two "联系电话" are the receiver's and the sender's).
    "Under a label as good": the answered value is printed bare, or under the other value's label
    (one label printed twice), and the other's label fits the key at least as well. A value under
    a label of its own ("保险期间至" beside "保险期间起"), a value on the answered value's own OCR
    line (one field holding a range or a pair) and a text that is a label (printed as one on the
    page, or another key's name or example label: "联系电话" beside "收款人", over its own value) are
    no second answer.

    Args:
        best: The answered value's best candidate (its fit is the key's profile match).
        rivals: The candidates of the key that are other values.
        page_labels: The texts that are labels (squashed): the page's printed labels ("性别" over "男"),
            the other keys' names and their examples' labels; such a text is no second value, whatever
            label the layout puts over it.
        ties: Whether a rival that fits exactly as well counts (without examples, where the fit is the
            label's fit to the key's name and nothing else tells the two apart).

    Returns:
        The reason and the rival that decides, or None when the answered value is the page's one answer.
    """
    if best.label_fit < TWICE_LABEL:
        return None
    twice = [
        r
        for r in rivals
        if (r.fit >= best.fit if ties else r.fit > best.fit)
        and r.label_fit >= best.label_fit
        and _same_shape(best, r)
        and _same_label(best, r)
        and not _one_field(best, r)
        and squash(r.text) not in page_labels
    ]
    if not twice:
        return None
    r = max(twice, key=lambda r: r.fit)
    if not ties:
        why = "the examples' layout fits the other better"
    else:
        why = "nothing tells them apart" if r.fit == best.fit else "the other's label fits the key better"
    return f"the page answers the key twice: {_said(best)} and {_said(r)}; {why}", r


def bracketed_after(value: str, line: str, others: Sequence[str]) -> str | None:
    """The other value the line prints before an open bracket that holds ``value``, if any.

    "2019-05-16（…2019-05-23）": a value in brackets after another value of its kind on one line is
    a note about that value (whatever the note says), not a second field: the line answers twice.

    Args:
        value: The answered value.
        line: The OCR line it was read on.
        others: The texts of the key's other candidates of the value's kind.

    Returns:
        The other value printed outside the brackets before it, or None.
    """
    text, needle = to_halfwidth(line), to_halfwidth(value).strip()
    at = text.find(needle) if needle else -1
    if at < 0:
        return None
    depth, opened = 0, 0
    for i, ch in enumerate(text[:at]):
        if ch in _OPEN:
            depth, opened = depth + 1, (i if depth == 0 else opened)
        elif ch in _CLOSE and depth:
            depth -= 1
    if not depth:
        return None
    outside = squash(text[:opened])
    return next((o for o in others if squash(o) and squash(o) in outside), None)
