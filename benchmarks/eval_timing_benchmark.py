"""Evaluation re-run timings: first run, re-run with the OCR cached, re-run with OCR and LLM replies cached.

Usage::

    python benchmarks/eval_timing_benchmark.py [--dataset DIR] [--limit N] [--cache-dir DIR]

Runs the ``ocr-kie eval`` command three times as a user would (a new process each time, model
loading included), on sroie-train-100 with keys company/date/address/total and the first three
receipts as worked examples (``--example-ids``; they are not evaluated):

1. with an empty cache folder (everything OCR'd, every prompt sent to the model);
2. after deleting the LLM caches (``llm.sqlite``, ``results/``): OCR from the cache, the model asked again;
3. again with both caches.

Prints a table and writes ``benchmarks/results/eval-timing.json`` and ``.md``; the three reports
are kept under the cache folder.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATASET = Path("/work/shared/datasets/sroie-train-100")
KEYS = ["company", "date", "address", "total"]
EXAMPLE_IDS = ["X00016469612", "X00016469672", "X51005268400"]


def run_eval(args: argparse.Namespace, cache: Path, name: str) -> dict[str, Any]:
    out = cache / "reports" / name
    command = ["ocr-kie", "eval", str(args.dataset), "--keys", *KEYS, "--example-ids", *EXAMPLE_IDS,
               "--cache-dir", str(cache), "--out", str(out), "-q"]  # fmt: skip
    if args.limit:
        command += ["--limit", str(args.limit)]
    if args.llm:
        command += ["--llm", args.llm]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"ocr-kie eval failed ({done.returncode}): {done.stderr[-2000:]}")
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    print(f"{name}: {seconds:.1f} s", file=sys.stderr, flush=True)
    return {
        "name": name,
        "process_seconds": seconds,
        "eval_wall_seconds": report["timings"]["wall_seconds"],
        "documents": report["dataset"]["documents"],
        "failed": len(report["failures"]),
        "ocr_median": report["timings"]["ocr"]["median"],
        "llm_median": report["timings"]["llm"]["median"],
        "ocr_hits": report["cache"]["ocr_hits"],
        "llm_hits": report["cache"]["llm_hits"],
        "overall_exact": report["metrics"]["overall"]["exact"],
        "load_average": [report["machine"]["load_average"], report["machine"]["load_average_end"]],
        "settings": report["settings"],
        "machine": report["machine"],
        "report": str(out / "report.json"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=DEFAULT_DATASET)
    parser.add_argument("--limit", type=int, default=None, help="documents evaluated (default: all but the examples)")
    parser.add_argument("--llm", default=None)
    parser.add_argument("--cache-dir", type=Path, help="an empty folder for the caches (default: a new temp folder)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "eval-timing.json")
    args = parser.parse_args(argv)

    cache = args.cache_dir or Path(tempfile.mkdtemp(prefix="ocr-kie-eval-timing-"))
    if cache.exists() and any(p.name != "reports" for p in cache.iterdir()):
        raise SystemExit(f"{cache} is not empty: give an empty or new --cache-dir")
    runs = [run_eval(args, cache, "1-first-run")]
    (cache / "llm.sqlite").unlink()
    shutil.rmtree(cache / "results", ignore_errors=True)  # per-document results (grounded strategy)
    runs.append(run_eval(args, cache, "2-ocr-cached"))
    runs.append(run_eval(args, cache, "3-ocr-and-llm-cached"))
    first = runs[0]["process_seconds"]
    machine = runs[0]["machine"]
    lines = [
        f"## ocr-kie eval re-runs on {args.dataset.name}: {runs[0]['documents']} documents, keys {', '.join(KEYS)}, "
        f"examples {', '.join(EXAMPLE_IDS)} (not evaluated)",
        "",
        f"{runs[0]['settings']['llm']} (strategy {runs[0]['settings']['strategy']}), OCR {runs[0]['settings']['ocr']}; "
        f"{machine['cores']} cores, {machine['cpu']}; cpu_count {os.cpu_count()}",
        "",
        "| run | process wall s | evaluation wall s | vs first run | OCR median s | LLM median s | OCR from cache "
        "| LLM from cache | overall exact | 1-min load avg start / end |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        lines.append(
            f"| {r['name']} | {r['process_seconds']:.1f} | {r['eval_wall_seconds']:.1f} "
            f"| {r['process_seconds'] / first:.2f} | {r['ocr_median']:.2f} | {r['llm_median']:.2f} "
            f"| {r['ocr_hits']}/{r['documents']} | {r['llm_hits']}/{r['documents']} | {r['overall_exact']:.3f} "
            f"| {r['load_average'][0]:.1f} / {r['load_average'][1]:.1f} |"
        )
    text = "\n".join(lines)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"cache_dir": str(cache), "runs": runs}, ensure_ascii=False, indent=1), "utf-8")
    args.out.with_suffix(".md").write_text(text + "\n", encoding="utf-8")
    if not args.cache_dir:
        shutil.rmtree(cache / "ocr", ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
