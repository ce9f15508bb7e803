"""The ``ocr-kie`` command.

``ocr-kie ocr PATH...`` prints the OCR text (or, with ``--json``, one JSON object per page with the
lines and boxes); ``ocr-kie demo`` runs the main job on the bundled sample: OCR, then extraction
with the bundled examples and the default LLM (the embedded one, offline).
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
from ocr_kie.ocr import ENGINES, OcrEngine, get_engine

#: The bundled sample image, its examples and keys, used by ``ocr-kie demo``.
SAMPLE = "screenshot_zh.png"
SAMPLE_EXAMPLES = "examples.jsonl"
SAMPLE_KEYS = ("可用额度", "账单日", "到期还款日")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ocr-kie", description="Key information extraction from images.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    sub = parser.add_subparsers(dest="command", required=True)

    ocr = sub.add_parser("ocr", help="print the OCR text of images and PDFs")
    ocr.add_argument("paths", nargs="+", help="files, directories or glob patterns")
    ocr.add_argument("--ocr", choices=list(ENGINES), default=next(iter(ENGINES)), help="OCR engine")
    ocr.add_argument("--json", action="store_true", help="one JSON object per page, with lines and boxes")

    demo = sub.add_parser("demo", help="extract from the bundled sample with the default LLM, offline")
    demo.add_argument("--ocr", choices=list(ENGINES), default=next(iter(ENGINES)), help="OCR engine")
    demo.add_argument("--llm", default=None, help="LLM spec (default: ERNIE if credentials are set, else embedded)")
    return parser


def _print_pages(loader: PPOCRLoader, as_json: bool) -> None:
    for doc in loader.lazy_load():
        if as_json:
            print(json.dumps({"page_content": doc.page_content, **doc.metadata}, ensure_ascii=False), flush=True)
        else:
            print(f"# {doc.metadata['source']} (page {doc.metadata['page']})")
            print(doc.page_content, flush=True)


def _demo(engine: OcrEngine, llm: str | None) -> int:
    from ocr_kie.chain import build_chain
    from ocr_kie.examples import load_examples

    samples = files("ocr_kie.samples")
    with as_file(samples.joinpath(SAMPLE)) as sample, as_file(samples.joinpath(SAMPLE_EXAMPLES)) as examples:
        print(f"# OCR of the bundled sample {SAMPLE} ({engine.model})")
        _print_pages(PPOCRLoader(sample, engine=engine), as_json=False)
        chain = build_chain(list(SAMPLE_KEYS), examples=load_examples(examples), llm=llm, ocr=engine)
        print(f"# Extracted {list(SAMPLE_KEYS)}")
        print(json.dumps(chain.invoke(sample), ensure_ascii=False), flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 1 some inputs failed, 2 bad usage)."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING, format="%(levelname)s %(message)s")
    try:
        engine = get_engine(args.ocr)
        if args.command == "demo":
            return _demo(engine, args.llm)
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
