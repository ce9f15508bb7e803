"""``ocr-kie demo``: the main job on the bundled sample with the embedded defaults, offline."""

from __future__ import annotations

import argparse
import json
import os
from importlib.resources import as_file, files
from typing import Any

from ocr_kie.cli.ocr import print_pages
from ocr_kie.cli.options import ENV_LLM, add_ocr_option, ocr_engine_name

#: The bundled sample image, its examples and keys.
SAMPLE = "screenshot_zh.png"
SAMPLE_EXAMPLES = "examples.jsonl"
SAMPLE_KEYS = ("可用额度", "账单日", "到期还款日")


def register(subparsers: Any) -> None:
    """Add the ``demo`` subcommand."""
    parser = subparsers.add_parser(
        "demo",
        help="OCR and extract from the bundled sample with the default LLM, offline",
        description=f"OCR the bundled sample ({SAMPLE}), then extract {', '.join(SAMPLE_KEYS)} with the bundled "
        "examples and the default LLM (the embedded offline model unless ERNIE credentials are set).",
    )
    add_ocr_option(parser)
    parser.add_argument(
        "--llm",
        metavar="SPEC",
        default=None,
        help=f"LLM spec (default: ${ENV_LLM}, else ERNIE if QIANFAN credentials are set, else embedded)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print the sample's OCR text, then the extracted dict as one JSON line."""
    from ocr_kie.examples import load_examples
    from ocr_kie.loader import PPOCRLoader
    from ocr_kie.ocr import get_engine
    from ocr_kie.pipeline.chain import build_chain

    engine = get_engine(ocr_engine_name(args))
    llm = args.llm or os.environ.get(ENV_LLM, "").strip() or None
    samples = files("ocr_kie.samples")
    with as_file(samples.joinpath(SAMPLE)) as sample, as_file(samples.joinpath(SAMPLE_EXAMPLES)) as examples:
        chain = build_chain(list(SAMPLE_KEYS), examples=load_examples(examples), llm=llm, ocr=engine)
        print(f"# OCR of the bundled sample {SAMPLE} ({engine.model})")
        print_pages(PPOCRLoader(sample, engine=engine), as_json=False)
        print(f"# Extracted {list(SAMPLE_KEYS)}")
        print(json.dumps(chain.invoke(sample), ensure_ascii=False), flush=True)
    return 0
