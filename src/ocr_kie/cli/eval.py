"""``ocr-kie eval DATASET``: extract every labelled document and score the answers.

Prints the Markdown table on stdout and writes ``report.json``, ``report.md``, ``per_key.png``
and ``errors.jsonl`` into ``--out``. Exit 0, 1 when some documents failed (they are in the
report), 2 for bad usage.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from ocr_kie.cli.options import (
    ENV_EXAMPLES,
    ENV_KEYS,
    UsageError,
    add_extraction_options,
    chain_kwargs,
    positive_int,
)
from ocr_kie.cli.review import add_image_option


def register(subparsers: Any) -> None:
    """Add the ``eval`` subcommand."""
    parser = subparsers.add_parser(
        "eval",
        help="evaluate extraction on a labelled dataset (images/ + labels/)",
        description="Run the extraction chain over a labelled dataset (images/<id>.<ext>, labels/<id>.json, "
        "optional dataset.json with keys and examples) and report per-key exact/lenient/F1 scores, the OCR "
        "ceiling, timings and tokens. OCR results and LLM replies are cached on disk, so a re-run is fast.",
    )
    parser.add_argument("dataset", metavar="DATASET", help="the dataset folder")
    add_extraction_options(parser)
    group = parser.add_argument_group("evaluation")
    group.add_argument(
        "--example-ids",
        nargs="+",
        metavar="ID",
        help="use these documents of the dataset as worked examples (they are not evaluated)",
    )
    group.add_argument("--out", metavar="DIR", help="where to write the report (default: ./eval-<dataset name>)")
    group.add_argument("--limit", type=positive_int, metavar="N", help="evaluate only the first N documents")
    group.add_argument(
        "--lenient-threshold",
        type=_share,
        default=None,
        metavar="X",
        help="similarity (1 - normalised edit distance) at which a value counts as leniently right (default 0.8)",
    )
    group.add_argument("--cache-dir", metavar="DIR", help="OCR and LLM-reply cache (default: the user cache dir)")
    group.add_argument("--no-cache", action="store_true", help="no cache on disk: OCR and ask the LLM again")
    group.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    review = parser.add_argument_group("review page")
    review.add_argument(
        "--html",
        metavar="FILE",
        help="also write the review page (see 'ocr-kie review'): wrong values next to the labels, boxes, checks",
    )
    add_image_option(review)
    parser.set_defaults(run=run)


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {value}")
    return value


def run(args: argparse.Namespace) -> int:
    """Evaluate, print the Markdown report, write the files; 1 when some documents failed."""
    from ocr_kie.evaluation import evaluate, load_labelled_dataset

    if args.no_cache and args.cache_dir:
        raise UsageError("--no-cache and --cache-dir contradict each other", command="eval")
    try:
        dataset = load_labelled_dataset(args.dataset)
    except (OSError, ValueError) as e:
        raise UsageError(f"cannot read the dataset {args.dataset}: {e}", command="eval") from e
    if not dataset.documents:
        raise UsageError(f"the dataset {args.dataset} has no labelled images", command="eval")
    if not args.schema and not args.keys and not os.environ.get(ENV_KEYS, "").strip():
        args.keys = dataset.keys
    kwargs = chain_kwargs(args)
    if not args.examples and not os.environ.get(ENV_EXAMPLES, "").strip():
        kwargs["examples"] = None  # the dataset's own examples file, if it names one
    keys = kwargs.pop("keys", None)
    if args.example_ids:
        unknown = sorted(set(args.example_ids) - {d.id for d in dataset.documents})
        if unknown:
            raise UsageError(f"--example-ids not in the dataset: {unknown}", command="eval")
    if args.lenient_threshold is not None:
        kwargs["lenient_threshold"] = args.lenient_threshold
    cache_dir: Any = False if args.no_cache else (args.cache_dir or None)
    report = evaluate(
        dataset,
        keys,
        example_ids=args.example_ids,
        cache_dir=cache_dir,
        limit=args.limit,
        progress=not args.quiet and sys.stderr.isatty(),
        **kwargs,
    )
    out = Path(args.out or f"eval-{dataset.name.replace('/', '-')}")
    paths = report.write(out)
    print(report.to_markdown(), end="", flush=True)
    print(f"ocr-kie eval: wrote {', '.join(str(p) for p in paths.values())}", file=sys.stderr)
    if args.html:
        from ocr_kie.review import documents_from_report, write_review

        title = f"ocr-kie eval: {dataset.name}"
        html = write_review(documents_from_report(report), args.html, title=title, images=args.images)
        print(f"ocr-kie eval: wrote the review page {html}", file=sys.stderr)
    return 1 if report.failures else 0
