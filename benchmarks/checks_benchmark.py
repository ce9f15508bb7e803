"""The checks' flag against correctness, on the predictions of committed evaluation reports.

Usage::

    python benchmarks/checks_benchmark.py [REPORT.json ...]

Runs :func:`ocr_kie.pipeline.checks.run_checks` on each document's predicted values (the model is not run
again) and scores the flag with :func:`ocr_kie.evaluation.flags.flag_metrics`: the share of wrong
values flagged, of right values flagged (false alarms), and the precision of the flag. Prints a
table and the flagged values, and writes ``benchmarks/results/checks.json`` and ``.md``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import SimpleNamespace

from ocr_kie.evaluation.flags import flag_metrics
from ocr_kie.pipeline.checks import run_checks

ROOT = Path(__file__).resolve().parents[1]
REPORTS = [
    ROOT / "benchmarks/results/eval-zh-kie-receipt/report.json",
    ROOT / "benchmarks/results/eval-sroie-97/report.json",
    ROOT / "benchmarks/results/eval-zh-kie-bill/report.json",
    ROOT / "benchmarks/results/eval-zh-kie-ticket/report.json",
]


def pct(part: int, whole: int) -> str:
    return f"{part} ({100 * part / whole:.1f}%)" if whole else str(part)


def main() -> None:
    paths = [Path(p) for p in sys.argv[1:]] or REPORTS
    rows, out = [], {}
    for path in paths:
        report = json.loads(path.read_text(encoding="utf-8"))
        docs, flagged = [], []
        for d in report["documents"]:
            verdicts = run_checks({k: d["predicted"].get(k) for k in report["keys"]})
            checks = {k: [v.model_dump() for v in vs] for k, vs in verdicts.items()}
            docs.append(SimpleNamespace(error=d["error"], predicted=d["predicted"], scores=d["scores"], checks=checks))
            for key, vs in checks.items():
                for v in vs:
                    if v["passed"] is False:
                        right = "right" if d["scores"][key]["exact"] else "wrong"
                        flagged.append(f"{d['id']} {key} {d['predicted'][key]!r}: {v['check']} ({right})")
        m = flag_metrics(docs, report["keys"])
        name = report["dataset"]["name"]
        out[name] = {"report": str(path.relative_to(ROOT)), "llm": report["settings"]["llm"],
                     "date": report["date"], **m, "flagged_values": flagged}  # fmt: skip
        rows.append(
            f"| {name} ({report['dataset']['documents']} documents) | {m['values']} | {m['wrong']} "
            f"| {pct(m['flagged_wrong'], m['wrong'])} | {pct(m['right_flagged_count'], m['right'])} "
            f"| {m['flagged_wrong']}/{m['flagged']} |"
        )
    md = [
        "## Checks against correctness (predictions of the committed evaluation reports)",
        "",
        "| dataset | values | wrong | wrong values flagged | right values flagged | precision of the flag |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
        "Flagged values:",
        "",
        *[f"- {name}: {f}" for name, data in out.items() for f in data["flagged_values"]],
    ]
    (ROOT / "benchmarks/results/checks.json").write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n")
    (ROOT / "benchmarks/results/checks.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    print("\n".join(md))


if __name__ == "__main__":
    main()
