"""Grounded decoding vs plain multi-turn prompting, same model, same examples, same OCR, same run.

Usage:
    python benchmarks/grounded_benchmark.py [--dataset DIR] [--limit N] [--examples 3] [--llm SPEC]
        [--strategies fewshot,grounded] [--name grounded-sroie]

Datasets: ``images/`` + ``labels/`` (:func:`ocr_kie.evaluation.load_dataset`). With a
``dataset.json`` (the zh-kie sets) its ``keys`` and ``examples`` file are used and every document
is scored; without one (sroie-train-100) the keys are company/date/address/total and the first
``--examples`` documents are the examples, the rest are scored. Scoring is
``extraction_benchmark.score`` (exact after normalisation; lenient = edit similarity ≥ 0.8).

Per variant: per-key exact/lenient accuracy, seconds per document (LLM only: the OCR is cached on
disk and done before), and the share of returned values that are in the document (found in the
OCR lines exactly or normalized). For the grounded variant, each key's errors are split into
OCR errors (the labelled value is not in the OCR text), candidate-recall errors (in the text, but
not among the key's candidates) and choice errors (among the candidates, another one chosen).

Prints Markdown and writes ``benchmarks/results/<name>.md`` and ``<name>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from extraction_benchmark import KEYS as SROIE_KEYS
from extraction_benchmark import normalise, score

from ocr_kie import Example, OcrCache, PPOCRLoader
from ocr_kie.errors import ExtractionParseError, OcrKieError
from ocr_kie.evaluation import load_dataset, value_in_text
from ocr_kie.examples import load_examples
from ocr_kie.llms import resolve_llm
from ocr_kie.normalize import squash
from ocr_kie.parser import schema_from_keys
from ocr_kie.pipeline.chain import KieExtractor
from ocr_kie.pipeline.config import ExtractionConfig
from ocr_kie.pipeline.documents import page_text
from ocr_kie.pipeline.grounded import GroundedOptions
from ocr_kie.schema import default_max_tokens

RESULTS = Path(__file__).parent / "results"


def _flat(text: str) -> str:
    return "".join(squash(text).split())


def _run(extractor: KieExtractor, pages: list, keys: list[str]) -> tuple[dict, float, str | None]:
    start = time.perf_counter()
    try:
        out = extractor.extract({"docs": pages, "ocr_seconds": 0.0})
        if extractor.decoder is not None:  # keep every option's scores, to analyse and tune the weights
            out["scores"] = {k: c.scores for k, c in getattr(extractor.decoder, "captured", {}).items()}
        error = None
    except (ExtractionParseError, OcrKieError) as e:
        out, error = {"values": dict.fromkeys(keys), "evidence": {}, "fields": {}}, f"{type(e).__name__}: {e}"[:300]
    return out, time.perf_counter() - start, error


def _capture_choices(decoder) -> None:
    """Keep the last document's choices on the decoder (this benchmark runs one document at a time)."""
    decode = decoder.decode

    def capturing(messages, candidates):
        values, choices, info = decode(messages, candidates)
        decoder.captured = choices
        return values, choices, info

    decoder.decode = capturing


def _analyse(out: dict, gold: dict, pages: list, candidates: dict, keys: list[str]) -> dict[str, str]:
    """Per key: ok | ocr | recall | choice | null (wrong null/non-null)."""
    text = page_text(pages)
    kinds = {}
    for key in keys:
        g, p = gold.get(key), out["values"].get(key)
        if score(p, g)[0]:
            kinds[key] = "ok"
        elif not normalise(g):
            kinds[key] = "spurious"  # gold is null, a value was returned
        elif not value_in_text(str(g), text)[0]:
            kinds[key] = "ocr"
        elif not any(score(s.candidate.text, g)[0] for s in candidates.get(key, ())):
            kinds[key] = "recall"
        else:
            kinds[key] = "choice"
    return kinds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default=str(Path(__file__).parents[2] / "shared/datasets/sroie-train-100"))
    parser.add_argument("--limit", type=int, default=None, help="documents scored")
    parser.add_argument("--offset", type=int, default=0, help="skip this many scorable documents")
    parser.add_argument("--examples", type=int, default=3, help="documents used as examples (no dataset.json)")
    parser.add_argument("--llm", default=None)
    parser.add_argument("--ocr", default="paddle")
    parser.add_argument("--cache-dir", default="/tmp/ocr_kie-grounded-ocr-cache")
    parser.add_argument("--strategies", default="fewshot,grounded")
    parser.add_argument("--max-candidates", type=int, default=GroundedOptions().max_candidates)
    parser.add_argument("--prior-weight", type=float, default=GroundedOptions().prior_weight)
    parser.add_argument("--model-weight", type=float, default=GroundedOptions().model_weight)
    parser.add_argument("--null-prior", type=float, default=GroundedOptions().null_prior)
    parser.add_argument(
        "--length-normalize", action=argparse.BooleanOptionalAction, default=GroundedOptions().length_normalize
    )
    parser.add_argument("--show-candidates", action="store_true")
    parser.add_argument("--name", default=None, help="results file stem (default: grounded-<dataset>)")
    parser.add_argument("--out-dir", default=str(RESULTS))
    args = parser.parse_args()

    Path(args.out_dir).mkdir(parents=True, exist_ok=True)
    root = Path(args.dataset)
    docs = load_dataset(root)
    meta_file = root / "dataset.json"
    if meta_file.is_file():
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        keys = list(meta["keys"])
        examples = load_examples(root / meta.get("examples", "examples.jsonl"))
        scored = docs[args.offset :][: args.limit]
        name = meta.get("name", root.name)
    else:
        keys = SROIE_KEYS
        examples = None
        shots, scored = docs[: args.examples], docs[args.examples :][args.offset :][: args.limit]
        name = root.name
    cache = OcrCache(directory=args.cache_dir)
    ocr_seconds, pages = [], {}
    for d in ([] if examples is not None else shots) + scored:
        start = time.perf_counter()
        pages[d.id] = PPOCRLoader(d.image, engine=args.ocr, cache=cache).load()
        ocr_seconds.append(time.perf_counter() - start)
    if examples is None:
        examples = [Example(text=page_text(pages[d.id]), values={k: d.labels.get(k) for k in keys}) for d in shots]
    schema = schema_from_keys(keys)
    tokens = default_max_tokens(schema)
    llm = resolve_llm(args.llm, max_tokens=tokens)
    options = GroundedOptions(
        max_candidates=args.max_candidates,
        prior_weight=args.prior_weight,
        model_weight=args.model_weight,
        null_prior=args.null_prior,
        length_normalize=args.length_normalize,
        show_candidates=args.show_candidates,
    )
    results: dict[str, dict] = {}
    rows_file = Path(args.out_dir) / f"{args.name or 'grounded-' + root.name}.rows.jsonl"
    rows_file.unlink(missing_ok=True)  # rows of this run only, written as they come
    for strategy in args.strategies.split(","):
        load_start = os.getloadavg()[0]
        config = ExtractionConfig(
            max_retries=0, return_details=True, max_tokens=tokens, strategy=strategy, grounded=options
        )
        extractor = KieExtractor(keys, examples=examples, llm=llm, ocr=args.ocr, cache=cache, config=config)
        if extractor.decoder is not None:
            _capture_choices(extractor.decoder)
        rows = []
        for d in scored:
            out, seconds, error = _run(extractor, pages[d.id], keys)
            returned = [k for k in keys if out["values"].get(k) is not None]
            # "In the document": the value's characters occur in the OCR text, ignoring whitespace and
            # full-width forms (a value joined from two lines is in the document though no line holds it).
            text = _flat(page_text(pages[d.id]))
            in_doc = [k for k in returned if _flat(str(out["values"][k])) in text]
            candidates = extractor.candidates(pages[d.id]) if extractor.strategy == "grounded" else {}
            row = {
                "id": d.id,
                "error": error,
                "seconds": seconds,
                "values": out["values"],
                "gold": {k: d.labels.get(k) for k in keys},
                "scores": {k: score(out["values"].get(k), d.labels.get(k)) for k in keys},
                "returned": len(returned),
                "in_document": len(in_doc),
                "copied_dropped": out.get("dropped_copied", []),
                "confidence": {k: (out.get("fields", {}).get(k) or {}).get("confidence") for k in keys},
                "option_scores": out.get("scores"),
            }
            if candidates:
                row["errors"] = _analyse(out, d.labels, pages[d.id], candidates, keys)
            rows.append(row)
            with rows_file.open("a") as f:
                f.write(json.dumps({"strategy": strategy, **row}, ensure_ascii=False) + "\n")  # progress
            print(f"{strategy} {d.id} {seconds:.1f}s {error or ''}", file=sys.stderr, flush=True)
        n = len(rows)
        returned = sum(r["returned"] for r in rows)
        result = {
            "strategy": extractor.strategy,
            "exact": {k: sum(r["scores"][k][0] for r in rows) / n for k in keys},
            "lenient": {k: sum(r["scores"][k][1] for r in rows) / n for k in keys},
            "seconds_median": statistics.median(r["seconds"] for r in rows),
            "seconds_mean": statistics.mean(r["seconds"] for r in rows),
            "in_document": sum(r["in_document"] for r in rows) / returned if returned else 1.0,
            "returned": returned,
            "errors": sum(bool(r["error"]) for r in rows),
            "copied_dropped": sum(len(r["copied_dropped"]) for r in rows),
            "load_average": [load_start, os.getloadavg()[0]],  # 1-minute, at the start and end of the strategy
            "rows": rows,
        }
        if any("errors" in r for r in rows):
            result["error_kinds"] = {
                k: {
                    kind: sum(r["errors"][k] == kind for r in rows)
                    for kind in ("ok", "ocr", "recall", "choice", "spurious")
                }
                for k in keys
            }
        results[strategy] = result

    lines = [
        f"## Grounded vs plain multi-turn on {name}: {len(scored)} documents, {len(examples)} examples",
        "",
        f"model: {getattr(llm, 'model_name', type(llm).__name__)}; machine: {platform.machine()}, "
        f"python {platform.python_version()}, {os.cpu_count()} CPUs; 1-min load average per strategy (start/end): "
        + ", ".join(f"{s} {r['load_average'][0]:.1f}/{r['load_average'][1]:.1f}" for s, r in results.items())
        + "; "
        f"OCR (cached, not in s/doc) median {statistics.median(ocr_seconds):.2f} s/page ({args.ocr})",
        f"grounded options: {options.model_dump()}",
        "",
        "| strategy | "
        + " | ".join(f"{k} exact / lenient" for k in keys)
        + " | overall exact | overall lenient | s/doc (median) | values in document |",
        "|---|" + "---|" * len(keys) + "---|---|---|---|",
    ]
    for strategy, r in results.items():
        cells = " | ".join(f"{r['exact'][k]:.2f} / {r['lenient'][k]:.2f}" for k in keys)
        overall = statistics.mean(r["exact"].values())
        lenient = statistics.mean(r["lenient"].values())
        lines.append(
            f"| {strategy} | {cells} | {overall:.2f} | {lenient:.2f} | {r['seconds_median']:.2f} | "
            f"{r['in_document']:.0%} ({r['returned']}) |"
        )
    for strategy, r in results.items():
        if "error_kinds" in r:
            lines += [
                "",
                f"Errors of {strategy} per key (ocr: value not in the OCR text; recall: not among the key's "
                "candidates; choice: another candidate chosen; spurious: a value where there is none):",
                "",
                "| key | ok | ocr | recall | choice | spurious |",
                "|---|---|---|---|---|---|",
            ]
            for k, kinds in r["error_kinds"].items():
                lines.append(
                    f"| {k} | "
                    + " | ".join(str(kinds[x]) for x in ("ok", "ocr", "recall", "choice", "spurious"))
                    + " |"
                )
    text = "\n".join(lines)
    print(text)
    stem = args.name or f"grounded-{root.name}"
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"{stem}.md").write_text(text + "\n", encoding="utf-8")
    payload = {"dataset": name, "documents": len(scored), "options": options.model_dump(), "results": results}
    (out_dir / f"{stem}.json").write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
