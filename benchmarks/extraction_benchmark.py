"""Extraction quality and speed on a labelled dataset: multi-turn budgeted prompt vs single-turn.

Usage:
    python benchmarks/extraction_benchmark.py [--dataset DIR] [--limit N] [--examples 3] [--llm SPEC]

Both variants use the same model, the same examples (the first N documents of the dataset, not
scored) and the same OCR (cached, done once), in the same run:

- ``multi-turn``: ocr_kie's prompt: system, each example as a human/AI pair inside the token
  budget, the document as the last human turn with the task restated.
- ``single-turn``: PP-ChatOCR's way: the examples concatenated into one human message with the
  document and the task.

Prints Markdown tables and writes ``benchmarks/results/extraction.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

from langchain_core.messages import HumanMessage, SystemMessage
from rapidfuzz.distance import Levenshtein

from ocr_kie import Example, OcrCache, PPOCRLoader
from ocr_kie.chain import ExtractionConfig, KieExtractor, default_max_tokens, page_text
from ocr_kie.errors import ExtractionParseError, OcrKieError
from ocr_kie.evaluation import load_dataset, normalize_for_match
from ocr_kie.llms import resolve_llm
from ocr_kie.parser import schema_from_keys
from ocr_kie.prompts import SYSTEM_PROMPT, answer_json, task_text

KEYS = ["company", "date", "address", "total"]
#: Lenient match: normalised edit similarity (1 - normalised Levenshtein distance) at least this.
LENIENT = 0.8


def normalise(value: object) -> str:
    text = normalize_for_match("" if value is None else str(value))
    for mark in ("rm", "$", "¥", "myr"):
        text = text.removeprefix(mark)
    return text


def score(pred: object, gold: object) -> tuple[bool, bool]:
    p, g = normalise(pred), normalise(gold)
    if not g:
        return (not p, not p)
    return p == g, Levenshtein.normalized_similarity(p, g) >= LENIENT


def single_turn_messages(extractor: KieExtractor, examples: list[Example], text: str) -> list:
    schema = extractor.schema
    shots = "\n\n".join(
        f"Example {i}:\nOCR text:\n{ex.text}\nAnswer: {answer_json(ex.values, schema)}"
        for i, ex in enumerate(examples, 1)
    )
    return [
        SystemMessage(SYSTEM_PROMPT),
        HumanMessage(f"{shots}\n\nNow the document.\nOCR text:\n{text}\n\n{task_text(schema)}"),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default=str(Path(__file__).parents[2] / "shared/datasets/sroie-train-100"))
    parser.add_argument("--limit", type=int, default=None, help="documents scored (after the examples)")
    parser.add_argument("--examples", type=int, default=3)
    parser.add_argument("--llm", default=None)
    parser.add_argument("--ocr", default="paddle")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "extraction.json"))
    args = parser.parse_args()

    docs = load_dataset(args.dataset)
    shots, scored = docs[: args.examples], docs[args.examples :][: args.limit]
    cache = OcrCache()
    ocr_seconds = []
    pages = {}
    for d in shots + scored:
        start = time.perf_counter()
        pages[d.id] = PPOCRLoader(d.image, engine=args.ocr, cache=cache).load()
        ocr_seconds.append(time.perf_counter() - start)
    examples = [Example(text=page_text(pages[d.id]), values={k: d.labels.get(k) for k in KEYS}) for d in shots]
    schema = schema_from_keys(KEYS)
    tokens = default_max_tokens(schema)
    llm = resolve_llm(args.llm, max_tokens=tokens)
    config = ExtractionConfig(max_retries=0, return_details=True, max_tokens=tokens)
    extractor = KieExtractor(KEYS, examples=examples, llm=llm, ocr=args.ocr, cache=cache, config=config)
    results: dict[str, dict] = {}
    for variant in ("multi-turn", "single-turn"):
        rows = []
        for d in scored:
            docs_ = pages[d.id]
            if variant == "multi-turn":
                messages, info = extractor.messages(docs_)
            else:
                messages, info = single_turn_messages(extractor, examples, page_text(docs_)), {}
            prompt_tokens = sum(extractor.count_tokens(str(m.content)) + 4 for m in messages)
            start = time.perf_counter()
            error = None
            try:
                reply = extractor.model.invoke(messages)
                values, valid = extractor.parser.parse(str(reply.content)), True
            except (ExtractionParseError, OcrKieError) as e:  # e.g. the prompt overflows the context
                values, valid, error = dict.fromkeys(KEYS), False, f"{type(e).__name__}: {e}"[:300]
            seconds = time.perf_counter() - start
            rows.append(
                {
                    "id": d.id,
                    "valid": valid,
                    "error": error,
                    "seconds": seconds,
                    "prompt_tokens": prompt_tokens,
                    "examples_used": len(info.get("examples_used", examples)),
                    "values": values,
                    "scores": {k: score(values.get(k), d.labels.get(k)) for k in KEYS},
                }
            )
            print(f"{variant} {d.id} {seconds:.1f}s valid={valid} {error or ''}", file=sys.stderr, flush=True)
        results[variant] = {
            "valid_json": sum(r["valid"] for r in rows) / len(rows),
            "exact": {k: sum(r["scores"][k][0] for r in rows) / len(rows) for k in KEYS},
            "lenient": {k: sum(r["scores"][k][1] for r in rows) / len(rows) for k in KEYS},
            "seconds_median": statistics.median(r["seconds"] for r in rows),
            "prompt_tokens_median": statistics.median(r["prompt_tokens"] for r in rows),
            "rows": rows,
        }

    n = len(scored)
    print(f"\n## Extraction on {Path(args.dataset).name}: {n} documents, {len(shots)} examples")
    print(f"model: {type(llm).__name__}")
    print(f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}; "
          f"OCR median {statistics.median(ocr_seconds):.2f} s/page ({args.ocr})\n")  # fmt: skip
    print(
        "| variant | valid JSON | "
        + " | ".join(f"{k} exact / lenient" for k in KEYS)
        + " | overall exact | s/doc (median) | prompt tokens (median) |"
    )
    print("|---|---|" + "---|" * len(KEYS) + "---|---|---|")
    for variant, r in results.items():
        overall = statistics.mean(r["exact"].values())
        cells = " | ".join(f"{r['exact'][k]:.2f} / {r['lenient'][k]:.2f}" for k in KEYS)
        timing = f"{r['seconds_median']:.2f} | {r['prompt_tokens_median']:.0f}"
        print(f"| {variant} | {r['valid_json']:.2f} | {cells} | {overall:.2f} | {timing} |")
    all_examples = sum(extractor.selector.costs)
    print(f"\nAll {len(examples)} examples as turns: {all_examples} tokens; the budgeted history used a median of "
          f"{statistics.median(r['examples_used'] for r in results['multi-turn']['rows'])} examples.")  # fmt: skip
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
