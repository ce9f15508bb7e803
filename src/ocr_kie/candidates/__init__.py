"""Candidate values from the page: every value a key could take, with its box, OCR score and label.

A small local model reads a page badly but can pick well from a short list, so a grounded decoder
constrains each key's value to one of these (built from the OCR lines of
:class:`~ocr_kie.loader.PPOCRLoader` Documents)::

    >>> cands = page_candidates(documents)  # doctest: +SKIP
    >>> [(s.candidate.text, s.candidate.label) for s in key_candidates(cands, "账单日", limit=3)]  # doctest: +SKIP
    [('每月5日', '账单日'), ('2026年12月25日', '到期还款日'), ...]

Kinds, per page: ``line`` (each OCR line), ``run`` (boxes of one row joined left to right, and
2..``max_run_lines`` consecutive lines of one column: an address over three lines), ``span`` (a
line split at separators ``:`` ``：``, tabs, wide gaps, and where Chinese meets Latin letters or
digits; a line without its trailing registration number, leading code or trailing punctuation),
and typed spans found by pattern: ``date``, ``time``, ``amount`` (with and without its currency
mark), ``number``, ``phone``, ``id``, ``email``, ``percent``. Each keeps its printed label: the
prefix before a separator, else a label-like text to its left on the row, else the label-like
line just above it in its column.

:func:`key_type` says what a key holds (schema first, else its name and description);
:func:`key_candidates` narrows the candidates to that type and the schema's ``pattern`` and
``enum`` and ranks them by the key's profile learned from the examples
(:mod:`ocr_kie.candidates.profiles`), the label's similarity to the key, type fit and OCR score.
No rule here knows a document type.

One concern per module, imports going one way (``profiles`` → ``builder`` and ``ranking`` → ``kinds`` →
``types``): ``types`` (:class:`KeyType`, :class:`Candidate`, :class:`ScoredCandidate`), ``kinds`` (the value
kinds' patterns, :func:`key_type`), ``builder`` (:func:`page_candidates`, reading the page view of
:mod:`ocr_kie.page`), ``ranking`` (:func:`key_candidates`, :func:`label_similarity`), ``profiles`` (key
profiles learned from the examples).
"""

from ocr_kie.candidates.builder import DEFAULT_MAX_RUN_LINES, page_candidates
from ocr_kie.candidates.kinds import key_type
from ocr_kie.candidates.ranking import key_candidates, label_similarity
from ocr_kie.candidates.types import Candidate, KeyType, ScoredCandidate

__all__ = [
    "DEFAULT_MAX_RUN_LINES",
    "Candidate",
    "KeyType",
    "ScoredCandidate",
    "key_candidates",
    "key_type",
    "label_similarity",
    "page_candidates",
]
