"""Extraction quality and speed on a labelled dataset: three prompts, same model, same examples.

Usage:
    python benchmarks/extraction_benchmark.py [--dataset DIR] [--limit N] [--examples 3] [--llm SPEC]
        [--variants multi-turn single-turn structured-output [grounded]]

Every variant uses the same model, the same examples (the first N documents of the dataset, not
scored) and the same OCR (cached, done once), in the same run, documents interleaved (each
document goes through every variant before the next), so machine load hits them alike:

- ``multi-turn``: ocr_kie's few-shot prompt (``strategy="fewshot"``): system, each example as a
  human/AI pair inside the token budget, most relevant last, the document as the last human turn
  with the task restated; JSON-schema-constrained decoding.
- ``single-turn``: PP-ChatOCR's way: the examples concatenated into one human message with the
  document and the task.
- ``structured-output``: LangChain's extraction tutorial: its system prompt ("You are an expert
  extraction algorithm…"), the examples as plain human/AI turns in their given order (no budget,
  no task restated), the OCR text as the last human message, ``llm.with_structured_output(schema)``.
- ``grounded`` (optional): the chain with ``strategy="grounded"`` (the model picks each value among
  the page's candidates).

Scores come from ``ocr_kie.evaluation.score_value`` (the evaluation's normaliser and lenient
threshold). Prints Markdown tables and writes ``benchmarks/results/extraction.json`` (and ``.md``).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from ocr_kie import Example, OcrCache, PPOCRLoader
from ocr_kie.errors import ExtractionParseError, OcrKieError
from ocr_kie.evaluation import LENIENT_THRESHOLD, load_dataset, machine_info, normalize_value, score_value
from ocr_kie.llms import resolve_llm
from ocr_kie.parser import schema_from_keys
from ocr_kie.pipeline.chain import KieExtractor
from ocr_kie.pipeline.config import ExtractionConfig
from ocr_kie.pipeline.documents import page_text
from ocr_kie.pipeline.prompt import SYSTEM_PROMPT, answer_json, task_text
from ocr_kie.schema import default_max_tokens

KEYS = ["company", "date", "address", "total"]
VARIANTS = ("multi-turn", "single-turn", "structured-output", "grounded")
#: The system prompt of LangChain's extraction tutorial (python.langchain.com/docs/tutorials/extraction).
TUTORIAL_PROMPT = (
    "You are an expert extraction algorithm. Only extract relevant information from the text. If you do not "
    "know the value of an attribute asked to extract, return null for the attribute's value."
)


def normalise(value: object) -> str:
    """The evaluation's scoring form of a value (``ocr_kie.evaluation.normalize_value``)."""
    return normalize_value(value)


def score(pred: object, gold: object) -> tuple[bool, bool]:
    s = score_value(pred, gold, LENIENT_THRESHOLD)
    return s.exact, s.lenient


def structured_output_messages(examples: list[Example], text: str) -> list:
    """The tutorial's layout: its system prompt, examples as human/AI turns, the text last."""
    messages: list = [SystemMessage(TUTORIAL_PROMPT)]
    for ex in examples:
        messages += [HumanMessage(ex.text or ""), AIMessage(json.dumps(ex.values, ensure_ascii=False))]
    return [*messages, HumanMessage(text)]


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
    parser.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS[:3]))
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
    config = ExtractionConfig(max_retries=0, return_details=True, max_tokens=tokens, strategy="fewshot")
    extractor = KieExtractor(KEYS, examples=examples, llm=llm, ocr=args.ocr, cache=cache, config=config)
    structured = llm.with_structured_output(schema)
    grounded = None
    if "grounded" in args.variants:
        grounded_config = config.model_copy(update={"strategy": "grounded"})
        grounded = KieExtractor(KEYS, examples=examples, llm=llm, ocr=args.ocr, cache=cache, config=grounded_config)
    example_values = {k: {str(ex.values.get(k)) for ex in examples if ex.values.get(k)} for k in KEYS}
    rows: dict[str, list[dict]] = {v: [] for v in args.variants}
    for d in scored:
        docs_ = pages[d.id]
        text = page_text(docs_)
        for variant in args.variants:
            info: dict = {}
            if variant == "multi-turn":
                messages, info = extractor.messages(docs_)
            elif variant == "single-turn":
                messages = single_turn_messages(extractor, examples, text)
            elif variant == "structured-output":
                messages = structured_output_messages(examples, text)
            else:
                messages = []
            prompt_tokens = sum(extractor.count_tokens(str(m.content)) + 4 for m in messages)
            start = time.perf_counter()
            error = None
            try:
                if variant == "structured-output":
                    values, valid = dict(structured.invoke(messages) or {}), True
                elif variant == "grounded":
                    assert grounded is not None
                    details = grounded.extract({"docs": docs_, "ocr_seconds": 0.0})
                    values, valid, prompt_tokens = details["values"], True, details["usage"]["input_tokens"]
                    info = details
                else:
                    reply = extractor.model.invoke(messages)
                    values, valid = extractor.parser.parse(str(reply.content)), True
            except (ExtractionParseError, OcrKieError, ValueError) as e:  # e.g. the prompt overflows the context
                values, valid, error = dict.fromkeys(KEYS), False, f"{type(e).__name__}: {e}"[:300]
            seconds = time.perf_counter() - start
            rows[variant].append(
                {
                    "id": d.id,
                    "valid": valid,
                    "error": error,
                    "seconds": seconds,
                    "prompt_tokens": prompt_tokens,
                    "examples_used": len(info.get("examples_used", examples)),
                    "values": values,
                    "copied": sum(str(values.get(k)) in example_values[k] for k in KEYS if values.get(k)),
                    "scores": {k: score(values.get(k), d.labels.get(k)) for k in KEYS},
                }
            )
            print(f"{variant} {d.id} {seconds:.1f}s valid={valid} {error or ''}", file=sys.stderr, flush=True)
    results: dict[str, dict] = {}
    for variant, vrows in rows.items():
        answered = sum(1 for r in vrows for k in KEYS if r["values"].get(k))
        results[variant] = {
            "valid_json": sum(r["valid"] for r in vrows) / len(vrows),
            "exact": {k: sum(r["scores"][k][0] for r in vrows) / len(vrows) for k in KEYS},
            "lenient": {k: sum(r["scores"][k][1] for r in vrows) / len(vrows) for k in KEYS},
            "copied_from_examples": sum(r["copied"] for r in vrows) / answered if answered else 0.0,
            "seconds_median": statistics.median(r["seconds"] for r in vrows),
            "prompt_tokens_median": statistics.median(r["prompt_tokens"] for r in vrows),
            "rows": vrows,
        }

    machine = machine_info()
    lines = [
        f"## Extraction on {Path(args.dataset).name}: {len(scored)} documents, {len(shots)} examples",
        "",
        f"model: {getattr(llm, 'model_name', type(llm).__name__)}; machine: {machine['cores']} cores, "
        f"{machine['cpu']}, python {platform.python_version()}, 1-min load average {machine['load_average']:.1f} "
        f"at the end; OCR median {statistics.median(ocr_seconds):.2f} s/page ({args.ocr})",
        "",
        "| variant | valid JSON | "
        + " | ".join(f"{k} exact / lenient" for k in KEYS)
        + " | overall exact | copied from examples | s/doc (median) | prompt tokens (median) |",
        "|---|---|" + "---|" * len(KEYS) + "---|---|---|---|",
    ]
    for variant, r in results.items():
        overall = statistics.mean(r["exact"].values())
        cells = " | ".join(f"{r['exact'][k]:.2f} / {r['lenient'][k]:.2f}" for k in KEYS)
        timing = f"{r['seconds_median']:.2f} | {r['prompt_tokens_median']:.0f}"
        copied = f"{r['copied_from_examples']:.0%}"
        lines.append(f"| {variant} | {r['valid_json']:.2f} | {cells} | {overall:.2f} | {copied} | {timing} |")
    if "multi-turn" in results:
        used = statistics.median(r["examples_used"] for r in results["multi-turn"]["rows"])
        lines += [
            "",
            f"All {len(examples)} examples as turns: {sum(extractor.selector.costs)} tokens; the budgeted history "
            f"used a median of {used} examples.",
        ]
    text = "\n".join(lines)
    print("\n" + text)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    payload = {"machine": machine, "dataset": args.dataset, "examples": [d.id for d in shots], **results}
    out.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
    out.with_suffix(".md").write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
