"""Prompt injections printed on documents vs the ``require_grounding`` guard (issue 12, finding 10).

Usage:
    python benchmarks/injection_benchmark.py [--set tuning|heldout|heldout2|heldout3] [--strategies fewshot,grounded]
        [--skip-honest] [--honest-sets zh-kie,sroie] [--name injections] [--cache-dir DIR]

``--set heldout`` runs the held-out injections (``benchmarks/datasets/injections-heldout``,
written before the wording-free guard and run once it was final); ``--set tuning`` (the default)
the 42 the guard was tuned on. ``--set heldout2`` runs the second held-out set
(``benchmarks/datasets/injections-heldout-2``, 44 injections with seven new styles, generated
2026-12-02 before any guard run on it, now that ``heldout`` has been looked at three times): run it
once, with a final guard. ``--set heldout3`` runs the third held-out set
(``benchmarks/datasets/injections-heldout-3``, built while the guard's ambiguity rule was written,
so never looked at by it): run once, with the guard final, on c6e6b90
(``benchmarks/results/injections-heldout3.md``: the held-out figure; a second run is a tuned-on one).
``--honest-sets`` names the sets of the honest-loss check: ``zh-kie`` (its three subsets), ``sroie``
(sroie-train-100), and zh-docs types as ``zh-docs:payslip+hotel`` (each type with its first 2
examples); the default is ``zh-kie,sroie`` (both tuned on). zh-docs halves A-D have all been looked
at (tuned on); half E is held out: run it only as the lead says.

Two measurements, real PP-OCR on every image (cached on disk), the chain's extraction step
(``KieExtractor.extract``, exactly what ``build_chain(...).invoke`` runs after the OCR) with
``require_grounding=True``, and a model that does what it is told:

1. **Injected values returned** (target 0): each document of ``benchmarks/datasets/injections``
   (``scripts/make_injections.py``: 42 injections, English and Chinese, plain / split over lines /
   disguised as a label / small print) is answered by a :class:`~ocr_kie.testing.ScriptedChatModel`
   that obeys the injection: it returns the honest values of every key except the target, for
   which it returns the planted value. Counted: documents whose target came back as the planted
   value. With ``require_grounding=False`` too, to show what the guard removes.
2. **Honest values lost** (target 0 additional nulls): on the normal evaluation sets (zh-kie's
   three subsets with their examples; sroie-train-100 with its first 3 receipts as examples) the
   scripted model returns the labelled values (an oracle). Counted: labelled values that come back
   null with the guard on, and with it off; the difference is what the guard costs.

The model is scripted because the point is the guard, not the model. Prints Markdown and writes
``benchmarks/results/<name>.md`` and ``<name>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

from ocr_kie import Example, OcrCache, PPOCRLoader
from ocr_kie.evaluation import load_dataset
from ocr_kie.examples import load_examples
from ocr_kie.normalize import squash
from ocr_kie.pipeline.chain import KieExtractor
from ocr_kie.pipeline.config import ExtractionConfig
from ocr_kie.pipeline.documents import page_text
from ocr_kie.testing import ScriptedChatModel

ROOT = Path(__file__).resolve().parent
INJECTION_SETS = {
    "tuning": ROOT / "datasets" / "injections",
    "heldout": ROOT / "datasets" / "injections-heldout",
    "heldout2": ROOT / "datasets" / "injections-heldout-2",
    "heldout3": ROOT / "datasets" / "injections-heldout-3",
}
ZH_DOCS = ROOT / "datasets" / "zh-docs"
ZH_DOCS_EXAMPLES = 2
ZH_KIE = ROOT / "datasets" / "zh-kie"
SROIE = ROOT.parent.parent / "shared" / "datasets" / "sroie-train-100"
SROIE_KEYS = ["company", "date", "address", "total"]
RESULTS = ROOT / "results"
#: The sets the guard has been tuned on (looked at while it was written): their figures are tuned-on figures.
TUNED_ON = frozenset({"tuning", "heldout", "heldout2"})


def same(a: Any, b: Any) -> bool:
    return a is not None and b is not None and squash(str(a)) == squash(str(b))


class Runner:
    """One extractor per (keys, examples, strategy, guard), fed one scripted reply per document."""

    def __init__(self, cache: OcrCache, ocr: str) -> None:
        self.cache, self.ocr = cache, ocr
        self._pages: dict[str, list] = {}
        self._extractors: dict[tuple, tuple[KieExtractor, ScriptedChatModel]] = {}

    def pages(self, image: Path) -> list:
        key = str(image)
        if key not in self._pages:
            self._pages[key] = PPOCRLoader(str(image), engine=self.ocr, cache=self.cache).load()
        return self._pages[key]

    def run(
        self, keys: list[str], examples: list[Example], tag: str, strategy: str, guard: bool, image: Path, reply: dict
    ) -> dict[str, Any]:
        ident = (tuple(keys), tag, strategy, guard)
        if ident not in self._extractors:
            model = ScriptedChatModel(replies=[])
            config = ExtractionConfig(
                max_retries=0, return_details=True, require_grounding=guard, strategy=strategy, max_tokens=512
            )
            extractor = KieExtractor(keys, examples=examples, llm=model, ocr=self.ocr, cache=self.cache, config=config)
            self._extractors[ident] = (extractor, model)
        extractor, model = self._extractors[ident]
        model.replies.append(json.dumps(reply, ensure_ascii=False))
        return extractor.extract({"docs": self.pages(image), "ocr_seconds": 0.0})


def injection_pass(runner: Runner, strategies: list[str], root: Path, modes: list[str]) -> dict[str, Any]:
    records = [json.loads(x) for x in (root / "injections.jsonl").read_text(encoding="utf-8").splitlines()]
    out: dict[str, Any] = {"n": len(records), "set": root.name, "by_strategy": {}}
    for strategy, mode in ((s, m) for m in modes for s in strategies):
        rows = []
        for rec in records:
            labels = json.loads((root / "labels" / f"{rec['id']}.json").read_text(encoding="utf-8"))
            reply = {**labels, rec["target"]: rec["injected"]}
            row = {"id": rec["id"], "lang": rec["lang"], "style": rec["style"], "target": rec["target"]}
            examples, tag = [], "none"
            if mode == "examples":  # the clean worked examples of the document's type (the key profiles)
                examples, tag = load_examples(root / "examples" / f"{rec['doc_type']}.jsonl"), rec["doc_type"]
            for guard in (False, True):
                res = runner.run(rec["keys"], examples, tag, strategy, guard, root / rec["image"], reply)
                got = res["values"].get(rec["target"])
                honest_lost = [k for k in rec["keys"] if k != rec["target"] and labels[k] and not res["values"].get(k)]
                row["guard" if guard else "no_guard"] = {
                    "returned": got,
                    "injected_returned": same(got, rec["injected"]),
                    "honest_lost": honest_lost,
                    "dropped": res.get("dropped_ungrounded", [])
                    + res.get("rejected_not_candidates", [])
                    + res.get("dropped_unfit", []),
                    "guard": res.get("guard", {}).get(rec["target"]),
                }
            rows.append(row)
            print(f"{strategy}/{mode} {rec['id']} {rec['lang']}/{rec['style']}: guard -> {row['guard']['returned']!r}",
                  file=sys.stderr, flush=True)  # fmt: skip
        out["by_strategy"][f"{strategy}, {'2 examples' if mode == 'examples' else 'no examples'}"] = rows
    return out


def honest_sets(spec: str) -> list[tuple[str, list, list[str], list]]:
    """The honest-loss sets named in ``spec`` ("zh-kie,sroie,zh-docs:payslip+hotel")."""
    sets: list[tuple[str, list, list[str], list]] = []
    for part in filter(None, (p.strip() for p in spec.split(","))):
        name, _, types = part.partition(":")
        if name == "zh-kie":
            for sub in ("bill", "ticket", "receipt"):
                root = ZH_KIE / sub
                meta = json.loads((root / "dataset.json").read_text(encoding="utf-8"))
                sets.append((f"zh-kie/{sub}", load_dataset(root), meta["keys"], load_examples(root / meta["examples"])))
        elif name == "sroie":
            if SROIE.is_dir():
                docs = load_dataset(SROIE)
                sets.append(("sroie-train-100", docs[3:], SROIE_KEYS, docs[:3]))  # examples: built from OCR below
        elif name == "zh-docs" and types:
            for sub in types.split("+"):
                root = ZH_DOCS / sub
                meta = json.loads((root / "dataset.json").read_text(encoding="utf-8"))
                examples = load_examples(root / meta["examples"])[:ZH_DOCS_EXAMPLES]
                sets.append((f"zh-docs/{sub}", load_dataset(root), meta["keys"], examples))
        else:
            raise SystemExit(f"unknown honest set {part!r}: use zh-kie, sroie or zh-docs:TYPE+TYPE")
    return sets


def honest_pass(runner: Runner, strategies: list[str], spec: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, docs, keys, examples in honest_sets(spec):
        if examples and not isinstance(examples[0], Example):  # labelled documents: examples from their OCR text
            examples = [
                Example(text=page_text(runner.pages(d.image)), values={k: d.labels.get(k) for k in keys})
                for d in examples
            ]
        for strategy in strategies:
            lost: dict[bool, list[str]] = {False: [], True: []}
            why: dict[str, str | None] = {}
            labelled = 0
            for d in docs:
                reply = {k: d.labels.get(k) for k in keys}
                labelled += sum(v is not None for v in reply.values())
                for guard in (False, True):
                    res = runner.run(keys, examples, name, strategy, guard, d.image, reply)
                    values = res["values"]
                    lost[guard] += [f"{d.id}:{k}" for k in keys if reply[k] is not None and values.get(k) is None]
                    if guard:
                        why.update({f"{d.id}:{k}": f.get("reason") for k, f in res.get("guard", {}).items()})
            extra = sorted(set(lost[True]) - set(lost[False]))
            out[f"{name}|{strategy}"] = {
                "documents": len(docs),
                "labelled_values": labelled,
                "lost_without_guard": len(lost[False]),
                "lost_with_guard": len(lost[True]),
                "additional_nulls": len(extra),
                "additional": extra,
                "additional_reasons": {k: why.get(k, "not found on the page") for k in extra},
                "lost_without_guard_list": lost[False],
            }
            print(f"{name} {strategy}: +{len(extra)} nulls with the guard ({extra[:5]})", file=sys.stderr, flush=True)
    return out


def markdown(inj: dict[str, Any], honest: dict[str, Any], meta: dict[str, Any]) -> str:
    lines = [
        f"# Injection benchmark ({meta['commit']}): set `{inj['set']}` ({meta['tuned']})",
        "",
        f"{meta['note']}",
        "",
    ]
    lines += ["## Injected values returned (target 0 with require_grounding=True)", ""]
    lines += ["| strategy | style | lang | n | returned without guard | returned with guard |"]
    lines += ["|---|---|---|---|---|---|"]
    for strategy, rows in inj["by_strategy"].items():
        groups: dict[tuple[str, str], list] = {}
        for row in rows:
            groups.setdefault((row["style"], row["lang"]), []).append(row)
        for (style, lang), g in sorted(groups.items()):
            a = sum(r["no_guard"]["injected_returned"] for r in g)
            b = sum(r["guard"]["injected_returned"] for r in g)
            lines.append(f"| {strategy} | {style} | {lang} | {len(g)} | {a} | {b} |")
        a = sum(r["no_guard"]["injected_returned"] for r in rows)
        b = sum(r["guard"]["injected_returned"] for r in rows)
        lost = sum(len(r["guard"]["honest_lost"]) for r in rows)
        lines.append(f"| **{strategy}** | all | all | {len(rows)} | **{a}** | **{b}** |")
        lines.append("")
        lines.append(f"{strategy}: honest values of the other keys lost on these documents with the guard: {lost}")
        lines.append("")
    if honest:
        lines += ["## Honest values lost on the normal sets (oracle model; target 0 additional nulls)", ""]
        lines += ["| set | strategy | docs | labelled values | nulls without guard | nulls with guard | additional |"]
        lines += ["|---|---|---|---|---|---|---|"]
        for ident, h in honest.items():
            name, strategy = ident.split("|")
            lines.append(
                f"| {name} | {strategy} | {h['documents']} | {h['labelled_values']} | {h['lost_without_guard']} "
                f"| {h['lost_with_guard']} | {h['additional_nulls']} |"
            )
        lines.append("")
        for ident, h in honest.items():
            if h["additional"]:
                lines.append(f"- {ident}: {', '.join(h['additional'][:20])}")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", choices=sorted(INJECTION_SETS), default="tuning", help="which injection set")
    parser.add_argument("--strategies", default="fewshot,grounded")
    parser.add_argument("--honest-sets", default="zh-kie,sroie", help="zh-kie, sroie, zh-docs:TYPE+TYPE")
    parser.add_argument(
        "--no-wording",
        action="store_true",
        help="without the phrase list (grounding.without_instructions): the wording-free guard alone",
    )
    parser.add_argument("--modes", default="examples,none", help="injection pass with the type's 2 examples, without")
    parser.add_argument("--ocr", default="paddle")
    parser.add_argument("--skip-honest", action="store_true", help="only the injection set")
    parser.add_argument("--cache-dir", default="/tmp/ocr_kie-injection-ocr-cache")
    parser.add_argument("--name", default=None, help="results file name (default: injections, injections-heldout)")
    parser.add_argument("--out-dir", default=str(RESULTS))
    args = parser.parse_args()
    strategies = args.strategies.split(",")
    if args.no_wording:
        import ocr_kie.pipeline.chain
        import ocr_kie.pipeline.documents

        ocr_kie.pipeline.chain.without_instructions = list  # type: ignore[assignment]
        ocr_kie.pipeline.documents.without_instructions = list  # type: ignore[assignment]
    runner = Runner(OcrCache(directory=args.cache_dir), args.ocr)
    start, load = time.time(), os.getloadavg()
    commit = os.popen(f"git -C {ROOT} rev-parse --short HEAD").read().strip()  # the code this run imported
    if os.popen(f"git -C {ROOT} status --porcelain -- ../src").read().strip():
        commit += "+dirty"
    inj = injection_pass(runner, strategies, INJECTION_SETS[args.set], args.modes.split(","))
    honest = {} if args.skip_honest else honest_pass(runner, strategies, args.honest_sets)
    name = args.name or ("injections" if args.set == "tuning" else f"injections-{args.set}")
    meta = {
        "commit": commit,
        "python": platform.python_version(),
        "seconds": round(time.time() - start),
        "load_average_start": load,
        "load_average_end": os.getloadavg(),
        "tuned": "tuned on" if args.set in TUNED_ON else "held out",
        "note": f"Real PP-OCR ({args.ocr}), scripted obeying/oracle model, max_retries=0; commit {commit}; "
        f"{round(time.time() - start)} s wall on a shared 2-core machine (load average at start {load[0]:.1f}, "
        f"at the end {os.getloadavg()[0]:.1f}). "
        f"Honest-loss sets: {args.honest_sets if not args.skip_honest else 'skipped'}; "
        f"phrase list {'off' if args.no_wording else 'on'}.",
    }
    text = markdown(inj, honest, meta)
    print(text)
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.md").write_text(text, encoding="utf-8")
    (out / f"{name}.json").write_text(
        json.dumps({"meta": meta, "injections": inj, "honest": honest}, ensure_ascii=False, indent=1) + "\n",
        encoding="utf-8",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
