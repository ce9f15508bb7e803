"""``ocr-kie extract PATH... --keys K [K ...]``: one JSON object per document (JSON Lines).

Records go to stdout, or to ``--output FILE``, which is resumable: running the same command again
skips the documents already there with values and retries the failed ones (see
:mod:`ocr_kie.batch`). Exit code 0 when every document has values, 1 when some failed (their
error records are in the output), 2 for bad usage, 130 when interrupted (the file stays valid).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from ocr_kie.cli.options import (
    UsageError,
    add_batch_options,
    add_extraction_options,
    add_scale_options,
    chain_kwargs,
    show_progress,
)
from ocr_kie.cli.review import add_image_option

#: ``--workers`` default: None, chosen from the model and the cores (see :mod:`ocr_kie.workers`).
DEFAULT_WORKERS = None
#: Seconds Ctrl-C waits for calls in flight to end before the process exits without them.
INTERRUPT_GRACE = 1.0

DESCRIPTION = """\
Extract keys (or a JSON Schema's fields) from images and PDFs; a multi-page PDF is one document.
Prints one JSON object per document (JSON Lines, UTF-8):
  {"source": "/abs/path.png", "values": {...}}  or  {"source": ..., "error": {"type": ..., "message": ...}}
With --output FILE, running the same command again resumes: documents already there with values
are skipped, failed ones are tried again (their error records are replaced).
A folder with no image or PDF gets an error record (EmptyInputError) when other paths have
documents, and is bad usage (exit 2) when no path has any.
Put the paths before --keys (or end the keys with --).
"""

EPILOG = """\
examples:
  ocr-kie extract screenshot.png --keys 可用额度 账单日 到期还款日 --examples examples.jsonl
  ocr-kie extract 'receipts/*.jpg' --keys company date total --output results.jsonl
  ocr-kie extract invoices/ --schema invoice.schema.json --llm openai:qwen2.5-7b-instruct --details
  ocr-kie extract scans/ --keys total --llm openai:ernie-4.0 --workers 16 --rate-limit 5 -o out.jsonl
  ocr-kie extract scans/ --keys total --ray --ray-actors 8 --output results.parquet

environment: OCR_KIE_LLM (--llm), OCR_KIE_KEYS (--keys, comma or space separated),
OCR_KIE_OCR (--ocr), OCR_KIE_EXAMPLES (--examples).
exit codes: 0 all done, 1 some documents failed (their errors are in the output), 2 bad usage.
"""


def register(subparsers: Any) -> None:
    """Add the ``extract`` subcommand."""
    parser = subparsers.add_parser(
        "extract",
        help="extract key information: one JSON line per document",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="image or PDF files, directories, glob patterns")
    add_extraction_options(parser)
    parser.add_argument(
        "--details",
        action="store_true",
        help="full records: values, evidence (boxes, scores), the LLM's reply, usage, timings",
    )
    add_batch_options(parser, workers_default=DEFAULT_WORKERS)
    review = parser.add_argument_group("review page")
    review.add_argument(
        "--html",
        metavar="FILE",
        help="also write the review page (see 'ocr-kie review'): evidence boxes on the images, checks, failures",
    )
    add_image_option(review)
    add_scale_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Check everything, build the chain, run the batch; the exit code."""
    from ocr_kie.batch import BatchInterrupted, ResultsFile, run_batch
    from ocr_kie.cpus import physical_cores
    from ocr_kie.images import expand_sources
    from ocr_kie.llms import qianfan_credentials_in_env
    from ocr_kie.workers import ChainSpec, default_processes, default_workers

    kwargs = chain_kwargs(args)
    output = args.output if args.output not in (None, "-") else None
    if getattr(args, "ray", None) is not None:
        return _run_ray(args, kwargs, output)
    sources = expand_sources(args.paths)  # a folder with no image or PDF stays: its error record
    if all(os.path.isdir(s) for s in sources):  # nothing at all to do: bad usage
        raise UsageError(f"no images or PDFs found in {' '.join(args.paths)}")
    if output is not None:
        ResultsFile(output).check_writable()
    if args.html and output is not None and os.path.abspath(args.html) == os.path.abspath(output):
        raise UsageError(f"--html {args.html} would overwrite the results file")
    probe = ChainSpec(**kwargs)
    local = probe.is_local(qianfan_credentials_in_env())
    # The review page needs every document's details, which stay in this process: --html runs one process.
    processes = 1 if args.html else min(args.processes or default_processes(local, len(sources)), len(sources))
    threads = args.threads or (max(1, physical_cores() // processes) if processes > 1 else None)
    workers = args.workers or default_workers(local, processes)
    try:
        details = args.details or bool(args.html)
        spec = ChainSpec(threads=threads, rate_limit=args.rate_limit, **kwargs, return_details=details)
        # One process: build here, so that a bad option is a usage error before any document.
        chain: Any = spec if processes > 1 else spec()
    except (TypeError, ValueError) as e:  # an option value the library refuses (e.g. an unknown strategy)
        raise UsageError(str(e)) from e
    collected: dict[str, Any] = {}
    if args.html:  # the page needs the details (boxes, OCR lines) even when the records are plain
        chain = _Collecting(chain, collected, details=args.details)
    try:
        summary = run_batch(
            chain, sources, output, workers=workers, processes=processes, threads=threads, progress=show_progress(args)
        )
    except BatchInterrupted as e:
        return _interrupted(e.summary, output)
    if not args.quiet:
        print(f"ocr-kie: {_summary_line(summary)}", file=sys.stderr)
    if args.html:
        _write_html(args, sources, output, summary, collected)
    return 1 if summary.failed else 0


class _Collecting:
    """The chain, keeping each document's details for the review page (records stay as asked)."""

    def __init__(self, chain: Any, collected: dict[str, Any], *, details: bool) -> None:
        self.chain, self.collected, self.details = chain, collected, details

    def invoke(self, source: Any, config: Any = None) -> Any:
        from ocr_kie.batch import source_key

        result = self.chain.invoke(source, config)  # an ExtractionResult (return_details=True)
        self.collected[source_key(source)] = result.model_dump() if hasattr(result, "model_dump") else result
        return result if self.details else result["values"]


def _write_html(args: argparse.Namespace, sources: list[Any], output: Any, summary: Any, collected: dict) -> None:
    from ocr_kie.batch import error_record, source_key
    from ocr_kie.review import documents_from_records, load_results, write_review

    if output is not None:
        records = [
            {"source": r["source"], **collected[r["source"]]} if r.get("source") in collected else r
            for r in load_results(output)
        ]
    else:
        failures = {key: error for key, error in summary.failures}
        records = []
        for key in dict.fromkeys(source_key(s) for s in sources):
            if key in collected:
                records.append({"source": key, **collected[key]})
            elif key in failures:
                records.append(error_record(key, failures[key]))
    path = write_review(documents_from_records(records), args.html, images=args.images)
    if not args.quiet:
        print(f"ocr-kie: wrote the review page {path}", file=sys.stderr)


def _run_ray(args: argparse.Namespace, kwargs: dict[str, Any], output: str | None) -> int:
    from ocr_kie.batch import BatchInterrupted
    from ocr_kie.distributed import import_ray, run_ray
    from ocr_kie.workers import ChainSpec

    if output is None:
        raise UsageError("--ray needs --output FILE (.jsonl, or .parquet for Parquet)")
    import_ray()  # the install hint before anything else
    threads = args.threads or max(1, int(args.ray_cpus_per_actor))
    try:
        spec = ChainSpec(threads=threads, rate_limit=args.rate_limit, **kwargs, return_details=args.details)
    except (TypeError, ValueError) as e:
        raise UsageError(str(e)) from e
    try:
        summary = run_ray(
            spec,
            args.paths,
            output,
            actors=args.ray_actors,
            cpus_per_actor=args.ray_cpus_per_actor,
            readers=args.ray_readers,
            address=args.ray or None,
        )
    except BatchInterrupted as e:
        return _interrupted(e.summary, output)
    if not args.quiet:
        print(f"ocr-kie: {_summary_line(summary)}", file=sys.stderr)
    return 1 if summary.failed else 0


def _interrupted(s: Any, output: str | None) -> int:
    """Report an interruption; calls still in flight after a short grace do not hold the exit up."""
    import os
    import time

    from ocr_kie.workers import calls_in_flight

    again = "; run the same command again to resume" if output else ""
    print(f"ocr-kie: interrupted after {s.done} of {s.total} documents{again}", file=sys.stderr)
    deadline = time.monotonic() + INTERRUPT_GRACE
    while calls_in_flight() and time.monotonic() < deadline:
        time.sleep(0.05)
    if calls_in_flight():
        # A model call (llama.cpp, an HTTP request) cannot be cancelled from outside its thread, and the
        # interpreter's shutdown would wait for it or free its model under it: the results file is
        # closed and valid, so leave now.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
    return 130


def _summary_line(summary: Any) -> str:
    parts = [f"{summary.succeeded} extracted"]
    if summary.skipped:
        parts.append(f"{summary.skipped} already done")
    if summary.failed:
        where = f" (error records in {summary.output})" if summary.output else ""
        parts.append(f"{summary.failed} failed{where}")
    return f"{summary.total} document{'s' if summary.total != 1 else ''}: {', '.join(parts)}"
