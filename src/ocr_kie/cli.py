"""The ``ocr-kie`` command.

``ocr-kie ocr PATH...`` prints the OCR text (or, with ``--json``, one JSON object per page with the
lines and boxes); ``ocr-kie demo`` runs the main job on the bundled sample.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from importlib.resources import as_file, files

from ocr_kie.errors import OcrKieError
from ocr_kie.loader import PPOCRLoader
from ocr_kie.ocr import ENGINES, get_engine

#: The bundled sample image used by ``ocr-kie demo``.
SAMPLE = "screenshot_zh.png"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ocr-kie", description="Key information extraction from images.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    sub = parser.add_subparsers(dest="command", required=True)

    ocr = sub.add_parser("ocr", help="print the OCR text of images and PDFs")
    ocr.add_argument("paths", nargs="+", help="files, directories or glob patterns")
    ocr.add_argument("--ocr", choices=list(ENGINES), default=next(iter(ENGINES)), help="OCR engine")
    ocr.add_argument("--json", action="store_true", help="one JSON object per page, with lines and boxes")

    demo = sub.add_parser("demo", help="run on the bundled sample with the embedded defaults")
    demo.add_argument("--ocr", choices=list(ENGINES), default=next(iter(ENGINES)), help="OCR engine")
    return parser


def _print_pages(loader: PPOCRLoader, as_json: bool) -> None:
    for doc in loader.lazy_load():
        if as_json:
            print(json.dumps({"page_content": doc.page_content, **doc.metadata}, ensure_ascii=False), flush=True)
        else:
            print(f"# {doc.metadata['source']} (page {doc.metadata['page']})")
            print(doc.page_content, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 1 some inputs failed, 2 bad usage)."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING, format="%(levelname)s %(message)s")
    try:
        engine = get_engine(args.ocr)
        if args.command == "demo":
            with as_file(files("ocr_kie.samples").joinpath(SAMPLE)) as sample:
                print(f"# OCR of the bundled sample {SAMPLE} ({engine.model})")
                _print_pages(PPOCRLoader(sample, engine=engine), as_json=False)
            return 0
        loader = PPOCRLoader(args.paths, engine=engine, on_error="skip")
        _print_pages(loader, as_json=args.json)
    except OcrKieError as e:
        if args.debug:
            raise
        print(f"ocr-kie: error: {e}", file=sys.stderr)
        return 2
    for failure in loader.failures:
        print(f"ocr-kie: error: {failure.error}", file=sys.stderr)
    return 1 if loader.failures else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
