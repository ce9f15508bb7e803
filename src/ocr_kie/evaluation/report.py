"""The evaluation report: per-key metrics, OCR ceiling, timings, tokens, caches, failures.

``report.write(out_dir)`` writes ``report.json`` (everything), ``report.md`` (the tables),
``per_key.png`` (bars of exact, lenient and OCR ceiling per key; needs the ``eval`` extra) and
``errors.jsonl`` (one line per wrong or missing value and per failed document).
"""

from __future__ import annotations

import os
import platform
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ocr_kie.errors import require
from ocr_kie.jsonout import dumps, printable
from ocr_kie.secrets import redact, redact_data

__all__ = ["DocumentResult", "EvaluationReport", "machine_info", "stats"]


@dataclass
class DocumentResult:
    """What happened to one document.

    Attributes:
        id: The document id.
        image: The image path.
        expected: The labels of the evaluated keys.
        predicted: The extracted values (empty when the document failed).
        scores: Per key: ``exact``, ``lenient``, ``similarity`` and ``ocr_found`` (whether the
            labelled value is in the OCR text, fuzzy; None for null labels or without OCR text).
        ocr_text: The OCR text (None when OCR failed).
        ocr_seconds: OCR time (including reading the image; near 0 when cached).
        llm_seconds: Time in the LLM and parser, re-asks included.
        ocr_cached: OCR came from the cache.
        llm_cached: Every LLM reply came from the cache.
        input_tokens: Prompt tokens over all attempts.
        output_tokens: Answer tokens over all attempts.
        attempts: LLM calls (1 + re-asks).
        examples_used: Example pairs in the prompt.
        strategy: The chain's strategy for this document (``fewshot``, ``grounded``).
        error: ``{"stage": "ocr" | "extraction", "type": ..., "message": ...}`` when the document failed.
        checks: Per key, the checks' verdicts on the predicted value (:mod:`ocr_kie.pipeline.checks`).
        fields: The chain's field details (boxes, confidence, runner-ups), for the review page.
        ocr: Each page's size and OCR lines, for the review page (left out of ``report.json``).
    """

    id: str
    image: str
    expected: dict[str, Any]
    predicted: dict[str, Any] = field(default_factory=dict)
    scores: dict[str, dict[str, Any]] = field(default_factory=dict)
    ocr_text: str | None = None
    ocr_seconds: float | None = None
    llm_seconds: float | None = None
    ocr_cached: bool = False
    llm_cached: bool = False
    input_tokens: int = 0
    output_tokens: int = 0
    attempts: int = 0
    examples_used: int = 0
    strategy: str | None = None
    error: dict[str, str] | None = None
    checks: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)
    ocr: list[dict[str, Any]] | None = field(default=None, repr=False)

    def fail(self, stage: str, error: BaseException) -> None:
        """Record a failure at ``stage``."""
        self.error = {"stage": stage, "type": type(error).__name__, "message": str(error)[:500]}


def stats(values: list[float] | list[int], *, total: bool = False) -> dict[str, float]:
    """``{"n", "median", "p90", "mean"}`` (and ``"total"``) of some numbers; zeros when empty.

    p90 is the nearest-rank 90th percentile.
    """
    out: dict[str, float] = {"n": len(values), "median": 0.0, "p90": 0.0, "mean": 0.0}
    if values:
        ordered = sorted(values)
        out["median"] = float(statistics.median(ordered))
        out["p90"] = float(ordered[max(0, -(-9 * len(ordered) // 10) - 1)])
        out["mean"] = float(statistics.fmean(ordered))
    if total:
        out["total"] = float(sum(values))
    return out


def machine_info() -> dict[str, Any]:
    """Cores, CPU model, OS, Python, the 1-minute load average."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = None
    return {
        "cores": os.cpu_count(),
        "cpu": model,
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "load_average": load,
    }


@dataclass
class EvaluationReport:
    """The result of :func:`ocr_kie.evaluation.evaluate`.

    Example:
        >>> report = evaluate("my-dataset", keys=["total"])  # doctest: +SKIP
        >>> report.metrics["per_key"]["total"]["exact"]  # doctest: +SKIP
        0.62
        >>> report.write("out")  # doctest: +SKIP
        {'json': PosixPath('out/report.json'), 'markdown': ..., 'plot': ..., 'errors': ...}

    Attributes:
        dataset: Name, path, documents evaluated, examples.
        keys: The keys scored.
        settings: LLM, OCR engine, thresholds, chain options, cache folder.
        machine: Cores, CPU model, load averages.
        date: When the run started (UTC, ISO 8601).
        metrics: ``{"per_key": {key: summary}, "overall": summary}``; a summary has ``n``,
            ``labelled``, ``exact``, ``lenient``, ``anls``, ``precision``, ``recall``, ``f1``,
            ``tp``, ``fp``, ``fn``.
        ceiling: ``{"per_key": {key: {"exact", "fuzzy", "n"}}, "overall": ...}``.
        timings: Wall time, documents per minute, OCR/LLM/document seconds (median, p90, mean).
        tokens: Input and output tokens per document (median, p90, total).
        cache: Documents whose OCR / LLM replies came from the cache.
        documents: One :class:`DocumentResult` per document.
    """

    dataset: dict[str, Any]
    keys: list[str]
    settings: dict[str, Any]
    machine: dict[str, Any]
    date: str
    metrics: dict[str, Any]
    ceiling: dict[str, Any]
    timings: dict[str, Any]
    tokens: dict[str, Any]
    cache: dict[str, Any]
    documents: list[DocumentResult] = field(default_factory=list)

    @property
    def failures(self) -> list[DocumentResult]:
        """The documents that failed."""
        return [d for d in self.documents if d.error is not None]

    def to_dict(self, *, ocr_text: bool = False) -> dict[str, Any]:
        """Everything as JSON-ready data (OCR texts left out unless asked for)."""
        data = asdict(self)
        if not ocr_text:
            for doc in data["documents"]:
                doc.pop("ocr_text", None)
        for doc in data["documents"]:
            doc.pop("ocr", None)
        data["failures"] = [{"id": d.id, **(d.error or {})} for d in self.failures]
        return redact_data(data)  # no API key in a report, whatever a server or model echoed

    def errors(self) -> list[dict[str, Any]]:
        """One record per wrong or missing value (``id, key, expected, got, ocr_found``) and per failure."""
        rows: list[dict[str, Any]] = []
        for doc in self.documents:
            if doc.error is not None:
                rows.append({"id": doc.id, "key": None, "expected": doc.expected, "got": None, "error": doc.error})
                continue
            for key in self.keys:
                score = doc.scores.get(key, {})
                if not score.get("exact", False):
                    rows.append(
                        {
                            "id": doc.id,
                            "key": key,
                            "expected": doc.expected.get(key),
                            "got": doc.predicted.get(key),
                            "similarity": score.get("similarity"),
                            "ocr_found": score.get("ocr_found"),
                        }
                    )
        return redact_data(rows)

    def to_markdown(self) -> str:
        """The report as Markdown: settings, the per-key table, timings, tokens, caches, failures."""
        m, c, t = self.metrics, self.ceiling, self.timings
        mach = self.machine
        lines = [
            f"## Evaluation of {self.dataset['name']}: {self.dataset['documents']} documents, "
            f"{self.dataset['examples']} examples",
            "",
            f"- LLM: {self.settings['llm']} ({self.settings['llm_class']}), strategy {self.settings['strategy']}; "
            f"OCR: {self.settings['ocr']}",
            f"- machine: {mach['cores']} cores, {mach['cpu']}, {mach['system']}, python {mach['python']}; "
            f"1-min load average {_num(mach.get('load_average'))} at start, "
            f"{_num(mach.get('load_average_end'))} at end",
            f"- date: {self.date}",
            f"- exact = equal after normalisation (width, case, whitespace, currency marks); lenient = "
            f"1 − NED ≥ {self.settings['lenient_threshold']}; P/R/F1 on exact matches (a value for a null "
            f"label is a false positive); OCR ceiling = labelled value found in the OCR text "
            f"(fuzzy ≥ {self.settings['fuzzy_threshold']})",
            "",
            "| key | labelled | exact | lenient | ANLS | precision | recall | F1 | OCR ceiling |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        rows = [(k, m["per_key"][k], c["per_key"][k]) for k in self.keys] + [
            ("**overall**", m["overall"], c["overall"])
        ]
        for key, s, ceil in rows:
            lines.append(
                f"| {key} | {s['labelled']}/{s['n']} | {s['exact']:.2f} | {s['lenient']:.2f} | {s['anls']:.2f} "
                f"| {s['precision']:.2f} | {s['recall']:.2f} | {s['f1']:.2f} | {ceil['fuzzy']:.2f} |"
            )
        cache = self.cache
        lines += [
            "",
            "| time per document | median s | p90 s | mean s |",
            "|---|---|---|---|",
        ]
        for name in ("ocr", "llm", "document"):
            s = t[name]
            lines.append(f"| {name.upper() if name != 'document' else 'OCR + LLM'} | {s['median']:.2f} "
                         f"| {s['p90']:.2f} | {s['mean']:.2f} |")  # fmt: skip
        tin, tout = self.tokens["input"], self.tokens["output"]
        lines += [
            "",
            f"Wall time {t['wall_seconds']:.1f} s ({t['documents_per_minute']:.1f} documents/min). "
            f"Tokens per document: input median {tin['median']:.0f} (p90 {tin['p90']:.0f}), output median "
            f"{tout['median']:.0f}; total {tin.get('total', 0):.0f} in, {tout.get('total', 0):.0f} out. "
            f"From the cache: OCR {cache['ocr_hits']}/{cache['documents']} documents, LLM answers "
            f"{cache['llm_hits']}/{cache['documents']}" + ("" if cache["llm_on_disk"] else " (LLM cache off)") + ".",
        ]
        flags = self.metrics.get("checks")
        if flags:
            lines += ["", _flags_line(flags)]
        failures = self.failures
        if failures:
            lines += ["", f"Failed documents ({len(failures)}, scored as null answers):", ""]
            lines += [f"- {d.id}: {d.error['stage']} {d.error['type']}: {d.error['message'][:200]}" for d in failures]
        return redact("\n".join(lines) + "\n")

    def plot(self, path: str | os.PathLike[str]) -> Path:
        """Draw per-key bars (exact, lenient, OCR ceiling) into a PNG. Needs matplotlib (extra ``eval``)."""
        matplotlib = require("matplotlib", extra="eval", purpose="the evaluation plot")
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import numpy as np

        names = [*self.keys, "overall"]
        series = {
            "exact": [self.metrics["per_key"][k]["exact"] for k in self.keys] + [self.metrics["overall"]["exact"]],
            "lenient": [self.metrics["per_key"][k]["lenient"] for k in self.keys]
            + [self.metrics["overall"]["lenient"]],
            "OCR ceiling": [self.ceiling["per_key"][k]["fuzzy"] for k in self.keys]
            + [self.ceiling["overall"]["fuzzy"]],
        }
        x = np.arange(len(names))
        width = 0.27
        fig, ax = plt.subplots(figsize=(max(6.0, 1.3 * len(names) + 2), 4.0))
        try:
            for i, (label, values) in enumerate(series.items()):
                bars = ax.bar(x + (i - 1) * width, values, width, label=label)
                ax.bar_label(bars, fmt="%.2f", fontsize=7)
            ax.set_xticks(x, names, rotation=20 if len(names) > 6 else 0)
            _cjk_font(plt, names)
            ax.set_ylim(0, 1.12)
            ax.set_ylabel("share of documents")
            ax.set_title(f"{self.dataset['name']} ({self.dataset['documents']} docs), {self.settings['llm']}")
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=3, fontsize=8, frameon=False)
            fig.tight_layout()
            out = Path(path)
            fig.savefig(out, dpi=110)
        finally:
            plt.close(fig)
        return out

    def write(self, out_dir: str | os.PathLike[str]) -> dict[str, Path]:
        """Write ``report.json``, ``report.md``, ``per_key.png`` and ``errors.jsonl`` into ``out_dir``.

        Returns:
            The files written, by kind: ``json``, ``markdown``, ``plot``, ``errors``.
        """
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {
            "json": out / "report.json",
            "markdown": out / "report.md",
            "plot": out / "per_key.png",
            "errors": out / "errors.jsonl",
        }
        # Strict JSON (valid UTF-8, an undefined statistic as null): see ocr_kie.jsonout.
        paths["json"].write_text(dumps(self.to_dict(), nonfinite="null", indent=1), encoding="utf-8")
        paths["markdown"].write_text(printable(self.to_markdown()), encoding="utf-8")
        paths["errors"].write_text("".join(dumps(r, nonfinite="null") + "\n" for r in self.errors()), encoding="utf-8")
        self.plot(paths["plot"])
        return paths


def _flags_line(f: dict[str, Any]) -> str:
    def pct(v: Any) -> str:
        return "–" if v is None else f"{100 * v:.0f}%"

    return (
        f"Checks: {f['checked']}/{f['values']} values checked, {f['flagged']} flagged; "
        f"precision of the flag {pct(f['precision'])} ({f['flagged_wrong']}/{f['flagged']} flagged values wrong); "
        f"{pct(f['wrong_flagged'])} of the {f['wrong']} wrong values flagged, "
        f"{pct(f['right_flagged'])} of the {f['right']} right ones (false alarms)."
    )


def _num(value: Any) -> str:
    return "?" if value is None else f"{value:.2f}"


def _cjk_font(plt: Any, names: list[str]) -> None:
    """Set the tick labels in the bundled CJK font (WenQuanYi Micro Hei) when a key is not ASCII."""
    if all(n.isascii() for n in names):
        return
    from matplotlib.font_manager import FontProperties

    from ocr_kie.fonts import cjk_font_path

    cjk = FontProperties(fname=str(cjk_font_path()))
    for label in plt.gca().get_xticklabels():
        label.set_fontproperties(cjk)
