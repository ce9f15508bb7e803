"""Issue 11's benchmark: the examples teach the extractor (key profiles), in one run with the embedded model.

Usage:
    python benchmarks/profiles_benchmark.py                       # everything, the default options
    python benchmarks/profiles_benchmark.py --sets zh-kie --model-weight 0   # priors alone, one set
    python benchmarks/profiles_benchmark.py --heldout-types a,b,c --shots 0,1,2,3,5

What it measures (grounded strategy, the embedded model unless ``--llm``):

- ``heldout``: the zh-docs types given by ``--heldout-types`` (or the half ``--half`` of
  ``benchmarks/datasets/zh-docs/SPLIT.md``), with 0, 1, 2, 3 and 5 examples (``--shots``; the
  examples are the first *n* of each type's ``examples.jsonl``).
- ``sroie``: sroie-train-100, the first 3 receipts as image examples, the other 97 scored.
- ``zh-kie``: the three zh-kie subsets with their 3 examples.

Per set and number of examples: exact and lenient accuracy over every (document, key) value
(``extraction_benchmark.score``), the share of returned values that are in the document (their
characters, whitespace and full-width forms ignored, in the OCR text), nulls returned, and the
LLM seconds per document (median; OCR is cached on disk and done before). Every option's prior and
model log-probability is kept, so ``--sweep`` recombines them for other model weights without
asking the model again: that is how the default weight was chosen (on the sets marked tuned-on).

Writes ``benchmarks/results/<name>.md`` and ``.json`` (and ``.rows.jsonl``, one row per document).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from extraction_benchmark import KEYS as SROIE_KEYS
from extraction_benchmark import score

from ocr_kie import Example, OcrCache, PPOCRLoader
from ocr_kie.evaluation import load_dataset
from ocr_kie.examples import load_examples
from ocr_kie.llms import resolve_llm
from ocr_kie.normalize import squash
from ocr_kie.parser import schema_from_keys
from ocr_kie.pipeline.chain import KieExtractor
from ocr_kie.pipeline.config import ExtractionConfig
from ocr_kie.pipeline.documents import page_text
from ocr_kie.pipeline.grounded import GroundedOptions, combine
from ocr_kie.schema import default_max_tokens

HERE = Path(__file__).parent
RESULTS = HERE / "results"
ZH_DOCS = HERE / "datasets/zh-docs"
ZH_KIE = HERE / "datasets/zh-kie"
SROIE = HERE.parents[1] / "shared/datasets/sroie-train-100"


def _flat(text: str) -> str:
    return "".join(squash(text).split())


def _half(name: str) -> list[str]:
    """The types of half ``name`` (A or B): SPLIT.md's line "half A = `t1 t2 …`"."""
    split = ZH_DOCS / "SPLIT.md"
    m = re.search(rf"half\s+{re.escape(name)}\s*=\s*`([^`]+)`", split.read_text(encoding="utf-8"), re.IGNORECASE)
    if m is None:
        raise SystemExit(f"no 'half {name} = `...`' in {split}")
    return m.group(1).split()


def _subset(root: Path) -> tuple[list[str], list[Example], list]:
    meta = json.loads((root / "dataset.json").read_text(encoding="utf-8"))
    return list(meta["keys"]), load_examples(root / meta.get("examples", "examples.jsonl")), load_dataset(root)


def _recombine(rows: list[dict], weight: float, options: GroundedOptions) -> tuple[float, float]:
    """Exact and lenient accuracy had the model's weight been ``weight`` (same priors, same log-probabilities)."""
    options = options.model_copy(update={"model_weight": weight})
    exact = lenient = n = 0
    for row in rows:
        for key, options_scores in (row.get("option_scores") or {}).items():
            priors = [prior for _, prior, _, _ in options_scores]
            logprobs = [[lp / tokens] * tokens if tokens else [] for _, _, lp, tokens in options_scores]
            asked = any(tokens for *_, tokens in options_scores)
            _, _, best = combine(logprobs if asked else None, priors, options)
            e, le = score(options_scores[best][0], row["gold"][key])
            exact, lenient, n = exact + e, lenient + le, n + 1
    return (exact / n, lenient / n) if n else (0.0, 0.0)


def _run_set(label, keys, examples, docs, pages, llm, options, cache, tokens, rows_file) -> dict:
    config = ExtractionConfig(
        max_retries=0, return_details=True, max_tokens=tokens, strategy="grounded", grounded=options
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        extractor = KieExtractor(keys, examples=examples, llm=llm, cache=cache, config=config)
        _ = extractor.profiles  # learn once (example images OCR'd from the cache)
    rows = []
    for d in docs:
        start = time.perf_counter()
        out = extractor.extract({"docs": pages[d.id], "ocr_seconds": 0.0})
        seconds = time.perf_counter() - start
        values = out["values"]
        text = _flat(page_text(pages[d.id]))
        returned = [k for k in keys if values.get(k) is not None]
        fields = out.get("fields", {})
        row = {
            "set": label,
            "id": d.id,
            "seconds": seconds,
            "llm_seconds": out["timings"]["llm_seconds"],
            "values": values,
            "gold": {k: d.labels.get(k) for k in keys},
            "scores": {k: score(values.get(k), d.labels.get(k)) for k in keys},
            "returned": len(returned),
            "in_document": sum(_flat(str(values[k])) in text for k in returned),
            "decided_by": {k: (fields.get(k) or {}).get("decided_by") for k in keys},
            "option_scores": {k: c.scores for k, c in getattr(extractor.decoder, "captured", {}).items()},
        }
        rows.append(row)
        with rows_file.open("a") as f:
            f.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
    pairs = [row["scores"][k] for row in rows for k in keys]
    returned = sum(r["returned"] for r in rows)
    return {
        "set": label,
        "documents": len(rows),
        "examples": len(examples),
        "exact": sum(e for e, _ in pairs) / len(pairs),
        "lenient": sum(le for _, le in pairs) / len(pairs),
        "per_key": {k: sum(r["scores"][k][0] for r in rows) / len(rows) for k in keys},
        "in_document": sum(r["in_document"] for r in rows) / returned if returned else 1.0,
        "returned": returned,
        "nulls": len(pairs) - returned,
        "gold_nulls": sum(r["gold"][k] in (None, "") for r in rows for k in keys),
        "llm_seconds_median": statistics.median(r["llm_seconds"] for r in rows),
        "example_warnings": extractor.example_warnings,
        "rows": rows,
    }


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _capture() -> None:
    """Keep each document's choices on the decoder, so every option's scores land in the rows."""
    from ocr_kie.pipeline.grounded import GroundedDecoder

    decode = GroundedDecoder.decode

    def capturing(self, messages, candidates, null_priors=None):
        values, choices, info = decode(self, messages, candidates, null_priors)
        self.captured = choices
        return values, choices, info

    GroundedDecoder.decode = capturing


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="heldout,sroie,zh-kie")
    parser.add_argument("--half", default="B", help="the zh-docs half reported (SPLIT.md)")
    parser.add_argument("--heldout-types", default=None, help="comma-separated zh-docs types (overrides --half)")
    parser.add_argument("--shots", default="0,1,2,3,5", help="numbers of examples on the held-out types")
    parser.add_argument("--model-shots", default="2", help="numbers of examples run with the model (others: priors)")
    parser.add_argument("--llm", default=None)
    parser.add_argument("--threads", type=int, default=None, help="llama.cpp threads (default one per core)")
    parser.add_argument("--model-weight", type=float, default=GroundedOptions().model_weight)
    parser.add_argument("--max-candidates", type=int, default=GroundedOptions().max_candidates)
    parser.add_argument("--scoring-examples", type=int, default=GroundedOptions().scoring_examples)
    parser.add_argument("--model-candidates", type=int, default=GroundedOptions().model_candidates)
    parser.add_argument("--scoring-prompt", choices=("answers", "examples"), default=GroundedOptions().scoring_prompt)
    parser.add_argument("--sweep", default="0,0.05,0.1,0.2,0.3,0.5,1", help="model weights recombined offline")
    parser.add_argument("--limit", type=int, default=None, help="documents per subset (a quick look)")
    parser.add_argument("--cache-dir", default="/tmp/ocr_kie-profiles-ocr-cache")
    parser.add_argument("--name", default="profiles")
    parser.add_argument("--tuned-on", default="sroie,zh-kie", help="sets marked as tuned-on in the report")
    args = parser.parse_args()

    RESULTS.mkdir(parents=True, exist_ok=True)
    rows_file = RESULTS / f"{args.name}.rows.jsonl"
    rows_file.unlink(missing_ok=True)
    cache = OcrCache(directory=args.cache_dir)
    llm = None
    _capture()
    results = []
    load = [os.getloadavg()[0]]
    for set_name in args.sets.split(","):
        jobs = []  # (label, keys, examples, docs, model asked?)
        if set_name == "heldout":
            types = args.heldout_types.split(",") if args.heldout_types else _half(args.half)
            for t in types:
                keys, examples, docs = _subset(ZH_DOCS / t)
                for n in [int(x) for x in args.shots.split(",")]:
                    if n <= len(examples):
                        jobs.append(
                            (f"heldout/{t}/{n}", keys, examples[:n], docs, str(n) in args.model_shots.split(","))
                        )
        elif set_name == "zh-kie":
            for t in ("bill", "ticket", "receipt"):
                keys, examples, docs = _subset(ZH_KIE / t)
                jobs.append((f"zh-kie/{t}/{len(examples)}", keys, examples, docs, True))
        elif set_name == "sroie":
            docs = load_dataset(SROIE)
            shots, scored = docs[:3], docs[3:]
            examples = [Example(image=d.image, values={k: d.labels.get(k) for k in SROIE_KEYS}) for d in shots]
            jobs.append(("sroie/3", SROIE_KEYS, examples, scored, True))
        for label, keys, examples, docs, asked in jobs:
            docs = docs[: args.limit]
            pages = {d.id: PPOCRLoader(d.image, cache=cache).load() for d in docs}
            schema = schema_from_keys(keys)
            tokens = default_max_tokens(schema)
            weight = args.model_weight if asked else 0.0
            if llm is None:  # loaded even for the priors alone: the grounded decoder runs on it
                extra = {"n_threads": args.threads} if args.threads else {}
                llm = resolve_llm(args.llm, max_tokens=256, **extra)
            options = GroundedOptions(
                model_weight=weight,
                max_candidates=args.max_candidates,
                scoring_examples=args.scoring_examples,
                model_candidates=args.model_candidates,
                scoring_prompt=args.scoring_prompt,
            )
            result = _run_set(label, keys, examples, docs, pages, llm, options, cache, tokens, rows_file)
            if weight:
                result["sweep"] = {w: _recombine(result["rows"], float(w), options) for w in args.sweep.split(",")}
            result["model_weight"] = weight
            result["tuned_on"] = any(label.startswith(t) for t in args.tuned_on.split(","))
            results.append(result)
            print(
                f"{label}: exact {result['exact']:.3f} lenient {result['lenient']:.3f} in-doc "
                f"{result['in_document']:.3f} llm s/doc {result['llm_seconds_median']:.2f} w={weight}",
                file=sys.stderr,
                flush=True,
            )
            load.append(os.getloadavg()[0])

    lines = [
        f"## Key profiles (issue 11): model weight {args.model_weight}, max_candidates {args.max_candidates}, "
        f"scoring_examples {args.scoring_examples}, model_candidates {args.model_candidates}, "
        f"scoring_prompt {args.scoring_prompt}",
        "",
        f"model: {getattr(llm, 'model_name', 'none asked')} ({getattr(llm, 'n_threads', '?')} threads); "
        f"{os.cpu_count()} CPUs shared with other jobs; "
        f"1-min load average during the run {min(load):.1f}..{max(load):.1f}. OCR cached, not in s/doc. "
        f"Peak memory (max RSS of the process, OCR included) {_peak_rss_mb():.0f} MB.",
        "",
        "| set / type / examples | tuned-on | docs | exact | lenient | in document | nulls (gold nulls) "
        "| LLM s/doc (median) | model weight |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['set']} | {'yes' if r['tuned_on'] else 'no'} | {r['documents']} | {r['exact']:.3f} | "
            f"{r['lenient']:.3f} | {r['in_document']:.1%} ({r['returned']}) | {r['nulls']} ({r['gold_nulls']}) | "
            f"{r['llm_seconds_median']:.2f} | {r['model_weight']} |"
        )
    held = [r for r in results if r["set"].startswith("heldout/")]
    if held:
        lines += ["", "Held-out types, mean over types, by number of examples:", "", "| examples | exact | lenient |"]
        lines.append("|---|---|---|")
        for n in sorted({int(r["set"].rsplit("/", 1)[1]) for r in held}):
            group = [r for r in held if r["set"].endswith(f"/{n}")]
            lines.append(
                f"| {n} | {statistics.mean(r['exact'] for r in group):.3f} | "
                f"{statistics.mean(r['lenient'] for r in group):.3f} |"
            )
    swept = [r for r in results if "sweep" in r]
    if swept:
        weights = args.sweep.split(",")
        lines += ["", "Model weight recombined offline (exact / lenient):", ""]
        lines.append("| set | " + " | ".join(f"w={w}" for w in weights) + " |")
        lines.append("|---|" + "---|" * len(weights))
        for r in swept:
            lines.append(
                f"| {r['set']} | "
                + " | ".join(f"{r['sweep'][w][0]:.3f} / {r['sweep'][w][1]:.3f}" for w in weights)
                + " |"
            )
    for r in results:
        del r["rows"]
    text = "\n".join(lines)
    print(text)
    (RESULTS / f"{args.name}.md").write_text(text + "\n", encoding="utf-8")
    payload = {"args": vars(args), "peak_rss_mb": _peak_rss_mb(), "results": results}
    (RESULTS / f"{args.name}.json").write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
