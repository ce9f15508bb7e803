"""``ocr-kie ocr PATH...``: the OCR text of images and PDFs, to check what the LLM sees."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ocr_kie.cli.options import add_ocr_option, ocr_engine_name
from ocr_kie.jsonout import dumps
from ocr_kie.loader import PPOCRLoader


def register(subparsers: Any) -> None:
    """Add the ``ocr`` subcommand."""
    parser = subparsers.add_parser(
        "ocr",
        help="print the OCR text of images and PDFs",
        description="Print the OCR text of each page (or, with --json, one JSON object per page with the lines, "
        "their boxes and scores). Exit code 1 when a source could not be read.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files, directories or glob patterns")
    add_ocr_option(parser)
    parser.add_argument("--json", action="store_true", help="one JSON object per page, with lines and boxes")
    parser.set_defaults(run=run)


def print_pages(loader: PPOCRLoader, *, as_json: bool) -> None:
    """Print each page the loader yields: a ``# source (page N)`` header and the text, or a JSON line."""
    for doc in loader.lazy_load():
        if as_json:
            print(dumps({"page_content": doc.page_content, **doc.metadata}), flush=True)
        else:
            print(f"# {doc.metadata['source']} (page {doc.metadata['page']})")
            print(doc.page_content, flush=True)


def run(args: argparse.Namespace) -> int:
    """OCR every source; failures are reported on stderr, one line each (exit code 1)."""
    from ocr_kie.ocr import get_engine

    engine = get_engine(ocr_engine_name(args))
    loader = PPOCRLoader(args.paths, engine=engine, on_error="skip")
    print_pages(loader, as_json=args.json)
    for failure in loader.failures:
        print(f"ocr-kie: error: {failure.error}", file=sys.stderr)
    return 1 if loader.failures else 0
