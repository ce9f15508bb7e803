"""``ocr-kie review RESULTS.jsonl [-o review.html]``: the review page of an extraction run.

One self-contained HTML file (see :mod:`ocr_kie.review`): a page per document with the evidence
boxes drawn on the image, the values, confidences, runner-ups and checks, the OCR lines, and the
failed documents. Records written with ``--details`` carry the boxes and OCR lines; plain records
show the values only. Exit code 0, 2 for bad usage (an unreadable or foreign results file).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ocr_kie.cli.options import UsageError

#: ``--images`` choices: link the image files relative to the HTML file, put them inside it, or none.
IMAGE_MODES = ("link", "embed", "none")


def add_image_option(parser: Any, flag: str = "--images") -> None:
    """``--images {link,embed,none}`` (default ``link``)."""
    parser.add_argument(
        flag,
        choices=IMAGE_MODES,
        default="link",
        help="images linked relative to the HTML file (small file; keep the images where they are), "
        "embedded in it (one portable file), or none (default: link)",
    )


def register(subparsers: Any) -> None:
    """Add the ``review`` subcommand."""
    parser = subparsers.add_parser(
        "review",
        help="an HTML page to review the results: evidence boxes on the images, checks, failures",
        description="Write one self-contained, offline HTML file to review the results of 'ocr-kie extract' "
        "(run it with --details for the evidence boxes and OCR lines): a page per document with each value's "
        "box drawn on the image, labelled with its key and coloured by confidence, a table of keys, values, "
        "confidence, the runner-up, why and the checks' verdicts, the OCR lines (key o), and the failed "
        "documents with their errors. Keys: left/right (or k/j) previous/next document.",
    )
    parser.add_argument("results", metavar="RESULTS", help="a JSON Lines results file of 'ocr-kie extract'")
    parser.add_argument("-o", "--output", metavar="FILE", help="the HTML file to write (default: RESULTS with .html)")
    add_image_option(parser)
    parser.add_argument("--title", help="the page title (default: from the output file's name)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Read the results, write the page; 0."""
    from ocr_kie.review import ReviewInputError, documents_from_records, load_results, write_review

    try:
        records = load_results(args.results)
    except ReviewInputError as e:
        raise UsageError(str(e), command="review") from e
    output = Path(args.output) if args.output else Path(args.results).with_suffix(".html")
    if output.resolve() == Path(args.results).resolve():
        raise UsageError(f"the output {output} would overwrite the results file", command="review")
    path = write_review(documents_from_records(records), output, title=args.title, images=args.images)
    print(f"ocr-kie review: wrote {path} ({len(records)} documents)", file=sys.stderr)
    return 0
