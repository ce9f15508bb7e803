"""The review page: see what the extraction found, with the evidence drawn on the image.

One self-contained HTML file (no CDN, nothing fetched; images linked relative to the file or
embedded) with a page per document: the image with each value's evidence box, labelled with its
key and coloured by confidence; a table of keys, values, confidence, the runner-up, why, and the
checks' verdicts (:mod:`ocr_kie.pipeline.checks`); the OCR lines toggled on and off; failed documents
listed with their error; for an evaluation, wrong values next to their labels. Keyboard: ``←``/``→``
(or ``k``/``j``) previous/next document, ``o`` the OCR lines.

Example:
    >>> from ocr_kie.review import documents_from_records, load_results, write_review
    >>> docs = documents_from_records(load_results("results.jsonl"))  # doctest: +SKIP
    >>> write_review(docs, "review.html")  # doctest: +SKIP
    PosixPath('review.html')

The command line: ``ocr-kie review results.jsonl -o review.html`` (and ``--html FILE`` on
``ocr-kie extract`` and ``ocr-kie eval``).
"""

from __future__ import annotations

from ocr_kie.review.documents import (
    ReviewDocument,
    ReviewField,
    ReviewInputError,
    ReviewPage,
    documents_from_records,
    documents_from_report,
    load_results,
)
from ocr_kie.review.html import ImageMode, render_review, write_review

__all__ = [
    "ImageMode",
    "ReviewDocument",
    "ReviewField",
    "ReviewInputError",
    "ReviewPage",
    "documents_from_records",
    "documents_from_report",
    "load_results",
    "render_review",
    "write_review",
]
