"""End-to-end throughput: documents per minute, and the OCR and LLM shares of the time.

Usage::

    python benchmarks/throughput_benchmark.py [--dataset DIR] [--limit 20] [--examples 3] [--llm SPEC]
    python benchmarks/throughput_benchmark.py --from-report eval-out/report.json   # from an evaluation run

Runs :func:`ocr_kie.evaluation.evaluate` with no cache (every image OCR'd, every prompt sent to the
model), one document after another, the first ``--examples`` receipts of the dataset as worked
examples (not timed as documents), and reports: documents per minute over the run's wall time
(model loading and the examples' OCR included) and in steady state (60 / mean seconds per
document), and the OCR and LLM shares of the per-document time. Writes
``benchmarks/results/throughput.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATASET = Path("/work/shared/datasets/sroie-train-100")
KEYS = ["company", "date", "address", "total"]


def summarise(report: dict[str, Any]) -> dict[str, Any]:
    """Throughput figures from an evaluation report (``report.json`` data)."""
    docs = [d for d in report["documents"] if d.get("error") is None]
    ocr = sum(d["ocr_seconds"] or 0.0 for d in docs)
    llm = sum(d["llm_seconds"] or 0.0 for d in docs)
    per_doc = (ocr + llm) / len(docs) if docs else 0.0
    timings = report["timings"]
    return {
        "documents": len(report["documents"]),
        "failed": len(report["documents"]) - len(docs),
        "wall_seconds": timings["wall_seconds"],
        "documents_per_minute_wall": timings["documents_per_minute"],
        "documents_per_minute_steady": 60 / per_doc if per_doc else 0.0,
        "seconds_per_document_mean": per_doc,
        "ocr_share": ocr / (ocr + llm) if ocr + llm else 0.0,
        "llm_share": llm / (ocr + llm) if ocr + llm else 0.0,
        "ocr_median": timings["ocr"]["median"],
        "ocr_p90": timings["ocr"]["p90"],
        "llm_median": timings["llm"]["median"],
        "llm_p90": timings["llm"]["p90"],
        "ocr_cache_hits": report["cache"]["ocr_hits"],
        "llm_cache_hits": report["cache"]["llm_hits"],
        "llm": report["settings"]["llm"],
        "strategy": report["settings"].get("strategy"),
        "ocr": report["settings"]["ocr"],
        "machine": report["machine"],
        "date": report["date"],
        "dataset": report["dataset"]["name"],
    }


def to_markdown(s: dict[str, Any]) -> str:
    m = s["machine"]
    return "\n".join(
        [
            f"## Throughput on {s['dataset']}: {s['documents']} documents ({s['failed']} failed)",
            "",
            f"{s['llm']} (strategy {s['strategy']}), OCR {s['ocr']}; {m['cores']} cores, {m['cpu']}; 1-min load "
            f"average {m.get('load_average') or 0:.1f} at the start, {m.get('load_average_end') or 0:.1f} at the end; "
            f"{s['date']}; cache hits OCR {s['ocr_cache_hits']}, LLM {s['llm_cache_hits']}",
            "",
            "| documents/min (wall) | documents/min (steady) | s/doc mean | OCR share | LLM share "
            "| OCR median / p90 s | LLM median / p90 s |",
            "|---|---|---|---|---|---|---|",
            f"| {s['documents_per_minute_wall']:.2f} | {s['documents_per_minute_steady']:.2f} "
            f"| {s['seconds_per_document_mean']:.1f} | {s['ocr_share']:.0%} | {s['llm_share']:.0%} "
            f"| {s['ocr_median']:.2f} / {s['ocr_p90']:.2f} | {s['llm_median']:.2f} / {s['llm_p90']:.2f} |",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=DEFAULT_DATASET)
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument("--examples", type=int, default=3, help="the first N documents become the examples")
    parser.add_argument("--llm", default=None)
    parser.add_argument("--ocr", default="paddle")
    parser.add_argument("--strategy", default=None)
    parser.add_argument("--from-report", type=Path, help="summarise an existing evaluation report.json instead")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "throughput.json")
    args = parser.parse_args(argv)

    if args.from_report:
        report = json.loads(args.from_report.read_text(encoding="utf-8"))
    else:
        from ocr_kie.evaluation import evaluate, load_dataset

        ids = [d.id for d in load_dataset(args.dataset)[: args.examples]]
        extra = {"strategy": args.strategy} if args.strategy else {}
        result = evaluate(
            args.dataset, KEYS, example_ids=ids, llm=args.llm, ocr=args.ocr, cache_dir=False, limit=args.limit,
            progress=True, **extra,
        )  # fmt: skip
        report = result.to_dict()
    summary = summarise(report)
    text = to_markdown(summary)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    args.out.with_suffix(".md").write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
