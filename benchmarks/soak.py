"""Soak: ``ocr-kie extract --workers 2`` over 1,000 documents against a faulty OpenAI-compatible server.

Usage::

    python benchmarks/soak.py [--docs 1000] [--workers 2] [--fault-rate 0.3] [--seed 12] [--kills 300,650]

What it does, and what it checks (issue 12, "Soak"):

1. Writes ``--docs`` tiny PNGs (64×32 px) into a work folder; each encodes its number in its
   pixels. OCR is a fake engine (registered as ``--ocr soak`` in the child process) that reads the
   number back and "recognises" two lines, ``INVOICE NO 0042`` and ``TOTAL 42.50``: the PP-OCR
   models are not what is soaked, and with them 1,000 documents would take an hour here.
2. Starts a local OpenAI-compatible server on 127.0.0.1 (:class:`ocr_kie.fake_openai.FakeOpenAIServer`)
   that answers each request with the document's right values, or, at random (seeded) with
   probability ``--fault-rate``, with a fault: 429, 500, a hang (the client's ``--timeout`` ends
   it), an HTML page, garbage text, truncated JSON, a lone surrogate (``"\\ud800"``), a cut-off
   body, a dropped connection, a 401 that echoes the API key. Faults are bounded in count
   (``--max-faults``, hangs by ``--max-hangs``) and in time (``--fault-seconds``); after that the
   server answers correctly, and it stops with the run.
3. Runs the real CLI (``ocr_kie.cli.main``: ``extract DIR --keys invoice total --llm openai:soak
   --ocr soak --workers 2 --timeout 1 --output results.jsonl``) in a child process, samples the
   child's RSS (``/proc/<pid>/status``) and the results file's line count every 0.2 s, kills
   the child with SIGKILL when the file holds ``--kills`` records (twice by default), and runs the
   same command again to resume, until a run ends by itself.
4. Checks the results file: every document exactly once, each with values or its error, no
   partial line, no value of another document (a server's lone surrogate, which the results writer
   turns into U+FFFD, is counted apart), no API key; and reports the RSS growth from
   document 100 to the last of an uninterrupted run (a second, fresh run over the same documents
   with a fresh fault budget), since a killed process cannot be followed from 100 to 1,000.

Prints a table; writes ``benchmarks/results/soak.json`` and ``soak.md``. Not a timed test: the
timings depend on the machine's load (recorded).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
KEYS = ["invoice", "total"]
REPLACED = "\ufffd"  # what the results writer makes of a lone surrogate in a value
FAULTS = (
    "429",
    "500",
    "hang",
    "html",
    "garbage",
    "truncated_json",
    "surrogate",
    "cut_body",
    "dropped",
    "401_echo",
)


# ----------------------------------------------------------------------------- the documents


def number_of(image_bgr: Any) -> int:
    """The document number a soak image encodes: high byte in the left half, low byte in the right."""
    height, width = image_bgr.shape[:2]
    hi = int(image_bgr[height // 2, width // 4, 1])
    lo = int(image_bgr[height // 2, 3 * width // 4, 1])
    return hi * 256 + lo


def lines_of(number: int) -> list[str]:
    return [f"INVOICE NO {number:04d}", f"TOTAL {number}.50"]


def expected_values(number: int) -> dict[str, str]:
    return {"invoice": f"{number:04d}", "total": f"{number}.50"}


def write_images(folder: Path, count: int) -> list[Path]:
    import numpy as np
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(count):
        pixels = np.zeros((32, 64, 3), np.uint8)
        pixels[:, :32] = number // 256
        pixels[:, 32:] = number % 256
        path = folder / f"doc-{number:04d}.png"
        Image.fromarray(pixels).save(path)
        paths.append(path)
    return paths


# ------------------------------------------------------------------------------ the child


def child(argv: list[str]) -> int:
    """The real CLI, with the fake OCR engine registered as ``soak``."""
    from ocr_kie.cli import main
    from ocr_kie.ocr import ENGINES
    from ocr_kie.ocr.base import EngineOptions
    from ocr_kie.testing import FakeOcrEngine

    class SoakOcrEngine(FakeOcrEngine):
        name = "soak"

        def __init__(self, options: EngineOptions | None = None) -> None:
            super().__init__(lambda image: lines_of(number_of(image)))
            self.options = options or EngineOptions()

    ENGINES["soak"] = SoakOcrEngine
    return main(argv)


# ----------------------------------------------------------------------------- the server


class FaultyServer:
    """Right answers, or at random a bounded number of faults; counts what it did."""

    def __init__(
        self,
        *,
        rate: float,
        seed: int,
        max_faults: int,
        max_hangs: int,
        fault_seconds: float,
        key: str,
        kinds: tuple[str, ...] = FAULTS,
    ):
        from ocr_kie.fake_openai import FakeOpenAIServer

        self.kinds = kinds
        self.rate = rate
        self.random = random.Random(seed)
        self.max_faults = max_faults
        self.max_hangs = max_hangs
        self.fault_seconds = fault_seconds
        self.key = key
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.started = time.monotonic()
        self.server = FakeOpenAIServer(self.respond, max_hang=5.0)

    def fault(self) -> str | None:
        with self.lock:
            faults = sum(v for k, v in self.counts.items() if k != "ok")
            if faults >= self.max_faults or time.monotonic() - self.started > self.fault_seconds:
                return None
            if self.random.random() >= self.rate:
                return None
            kind = self.random.choice(self.kinds)
            if kind == "hang" and self.counts["hang"] >= self.max_hangs:
                kind = "500"
            self.counts[kind] += 1
            return kind

    def respond(self, request: Any) -> Any:
        from ocr_kie.fake_openai import Reply

        text = " ".join(str(m.get("content", "")) for m in request.messages if m.get("role") == "user")
        found = re.findall(r"INVOICE NO (\d{4})", text)
        number = int(found[-1]) if found else -1
        answer = json.dumps(expected_values(number)) if number >= 0 else '{"invoice": null, "total": null}'
        kind = self.fault()
        if kind is None:
            with self.lock:
                self.counts["ok"] += 1
            return Reply.chat(answer)
        fast = {"retry-after-ms": "20"}
        if kind == "429":
            return Reply.error(429, "Rate limit reached, slow down", headers=fast)
        if kind == "500":
            return Reply.error(500, "The server had an error while processing your request", headers=fast)
        if kind == "hang":
            return Reply(hang=True)
        if kind == "html":
            return Reply(body="<html><body><h1>502 Bad Gateway</h1></body></html>", content_type="text/html")
        if kind == "garbage":
            return Reply.chat("I'm sorry, as an AI I cannot read invoices. ☃ \x00\x1b[31m")
        if kind == "truncated_json":
            return Reply.chat(answer[: self.random.randint(1, len(answer) - 2)])
        if kind == "surrogate":
            return Reply.chat(answer.replace(f'"{number:04d}"', '"\\ud800"') if number >= 0 else '{"total": "\\ud800"}')
        if kind == "cut_body":
            return Reply(body=json.dumps(Reply.chat(answer).body)[:60])
        if kind == "dropped":
            return Reply.chat(answer, cut_at=25)
        auth = request.headers.get("authorization", "")
        return Reply.error(401, f"Incorrect API key provided: {auth.removeprefix('Bearer ')}")


# -------------------------------------------------------------------------------- running


def rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def count_lines(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except OSError:
        return 0


def run_segment(command: list[str], env: dict[str, str], out: Path, kill_at: int | None) -> dict[str, Any]:
    """One CLI run; SIGKILL when the results file holds ``kill_at`` records."""
    start = time.monotonic()
    log = tempfile.TemporaryFile()  # noqa: SIM115 - read and closed below
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log)
    samples: list[tuple[float, int, int]] = []  # (seconds, records, RSS KiB)
    killed = False
    while proc.poll() is None:
        records, rss = count_lines(out), rss_kib(proc.pid)
        if rss is not None:
            samples.append((time.monotonic() - start, records, rss))
        if kill_at is not None and records >= kill_at:
            os.kill(proc.pid, signal.SIGKILL)
            killed = True
            proc.wait()
            break
        time.sleep(0.2)
    log.seek(0)
    stderr = log.read().decode("utf-8", "replace")
    log.close()
    return {
        "returncode": proc.returncode,
        "killed": killed,
        "seconds": round(time.monotonic() - start, 1),
        "records_at_end": count_lines(out),
        "samples": samples,
        "stderr_tail": stderr[-600:],
        "stderr": stderr,
    }


def crashed(segment: dict[str, Any]) -> bool:
    """Ended by itself, but not as designed (exit 0 or 1 with a summary): a traceback, another code."""
    return not segment["killed"] and (segment["returncode"] not in (0, 1) or "Traceback" in segment["stderr"])


def check(out: Path, paths: list[Path], key: str) -> dict[str, Any]:
    raw = out.read_bytes()
    text = raw.decode("utf-8")
    lines = text.split("\n")
    partial = lines[-1] != ""
    records = [json.loads(line) for line in lines if line.strip()]
    sources = Counter(r["source"] for r in records)
    wanted = {str(p.resolve()) for p in paths}
    result: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    wrong = []
    for record in records:
        number = int(Path(record["source"]).stem.split("-")[1])
        if "values" in record and "error" not in record:
            values, right = record["values"], expected_values(number)
            if values == right:
                result["values: both right"] += 1
            elif all(values.get(k) in (right[k], None) for k in KEYS):
                result["values: some null"] += 1
            elif all(values.get(k) in (right[k], None, REPLACED) for k in KEYS):
                result["values: U+FFFD"] += 1  # the server's lone surrogate, written as U+FFFD (strict JSON)
            else:
                result["values: other"] += 1
                wrong.append(record)
        elif "error" in record and "values" not in record:
            result["error record"] += 1
            errors[record["error"]["type"]] += 1
        else:
            result["malformed"] += 1
    return {
        "records": len(records),
        "documents": len(wanted),
        "missing": len(wanted - set(sources)),
        "duplicates": sum(1 for n in sources.values() if n > 1),
        "foreign": len(set(sources) - wanted),
        "partial_last_line": partial,
        "key_in_file": key in text,
        "outcomes": dict(result),
        "errors": dict(errors),
        "values_other": wrong[:5],
    }


def rss_growth(samples: list[tuple[float, int, int]], first: int = 100) -> dict[str, Any]:
    after = [s for s in samples if s[1] >= first]
    if len(after) < 2:
        return {"rss_at_first_kib": None, "rss_at_last_kib": None, "growth_percent": None}
    (_, n0, r0), (_, n1, r1) = after[0], after[-1]
    peak = max(s[2] for s in after)
    return {
        "from_document": n0,
        "to_document": n1,
        "rss_at_first_kib": r0,
        "rss_at_last_kib": r1,
        "rss_peak_kib": peak,
        "growth_percent": round(100.0 * (r1 - r0) / r0, 2),
    }


def soak_run(
    args: argparse.Namespace,
    paths: list[Path],
    work: Path,
    name: str,
    kills: list[int],
    seed: int,
    exclude: tuple[str, ...] = (),
) -> dict[str, Any]:
    key = f"sk-soak-{random.Random(seed).getrandbits(64):016x}"
    server = FaultyServer(
        rate=args.fault_rate,
        seed=seed,
        max_faults=args.max_faults,
        max_hangs=args.max_hangs,
        fault_seconds=args.fault_seconds,
        key=key,
        kinds=tuple(k for k in FAULTS if k not in exclude),
    )
    server.server.start()
    out = work / f"{name}.jsonl"
    out.unlink(missing_ok=True)
    env = {**os.environ, "OPENAI_BASE_URL": server.server.base_url, "OPENAI_API_KEY": key}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "src"), env.get("PYTHONPATH", "")) if p)
    command = [sys.executable, str(Path(__file__).resolve()), "--child", "--"]
    command += ["extract", str(paths[0].parent), "--keys", *KEYS, "--llm", "openai:soak", "--ocr", "soak"]
    command += ["--workers", str(args.workers), "--timeout", str(args.timeout), "--output", str(out), "--quiet"]
    segments = []
    pending = list(kills)
    start = time.monotonic()
    try:
        for _ in range(len(kills) + args.max_resumes + 1):
            segment = run_segment(command, env, out, pending[0] if pending else None)
            if segment["killed"]:
                pending.pop(0)
            segments.append(segment)
            if not segment["killed"] and not crashed(segment):
                break
    finally:
        server.server.close()
    wall = time.monotonic() - start
    result = check(out, paths, key)
    stderr = "".join(s["stderr"] for s in segments)
    result.update(
        {
            "name": name,
            "excluded_faults": list(exclude),
            "wall_seconds": round(wall, 1),
            "requests": len(server.server.requests),
            "server": dict(server.counts),
            "key_in_stderr": key in stderr,
            "segments": [
                {
                    "returncode": s["returncode"],
                    "killed": s["killed"],
                    "seconds": s["seconds"],
                    "records_at_end": s["records_at_end"],
                    "rss_first_kib": s["samples"][0][2] if s["samples"] else None,
                    "rss_last_kib": s["samples"][-1][2] if s["samples"] else None,
                    "crashed": crashed(s),
                    "stderr_tail": s["stderr_tail"] if crashed(s) else "",
                    "crash": _last_line(s["stderr"]) if crashed(s) else None,
                }
                for s in segments
            ],
            "rss": rss_growth(segments[-1]["samples"]) if not kills else None,
        }
    )
    return result


def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def _ending(segment: dict[str, Any]) -> str:
    if segment["killed"]:
        return "SIGKILL"
    return f"crash, exit {segment['returncode']}" if segment["crashed"] else f"exit {segment['returncode']}"


def table(runs: list[dict[str, Any]], load: tuple[float, float, float], args: argparse.Namespace) -> str:
    rows = [
        f"Soak: {args.docs} documents, --workers {args.workers}, --timeout {args.timeout}, fault rate "
        f"{args.fault_rate} (at most {args.max_faults} faults, {args.max_hangs} hangs, in the first "
        f"{args.fault_seconds:.0f} s), seed {args.seed}; load average at start {load[0]:.2f} {load[1]:.2f} "
        f"{load[2]:.2f} (shared machine).",
        "",
        "| run | segments (records at end, how it ended) | wall s | requests | records | missing | duplicates "
        "| partial line | key in file/stderr | values right | some null | U+FFFD for a surrogate | other values "
        "| error records |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        ends = ", ".join(f"{s['records_at_end']} ({_ending(s)})" for s in run["segments"])
        o = run["outcomes"]
        rows.append(
            f"| {run['name']} | {ends} | {run['wall_seconds']} | {run['requests']} | {run['records']} | "
            f"{run['missing']} | {run['duplicates']} | {run['partial_last_line']} | "
            f"{run['key_in_file']}/{run['key_in_stderr']} | {o.get('values: both right', 0)} | "
            f"{o.get('values: some null', 0)} | {o.get('values: U+FFFD', 0)} | {o.get('values: other', 0)} | "
            f"{o.get('error record', 0)} |"
        )
    rows += ["", "| run | faults injected | error records by type |", "|---|---|---|"]
    for run in runs:
        faults = ", ".join(f"{k} {v}" for k, v in sorted(run["server"].items()) if k != "ok")
        errors = ", ".join(f"{k} {v}" for k, v in sorted(run["errors"].items())) or "none"
        rows.append(f"| {run['name']} | {faults} (and {run['server'].get('ok', 0)} right answers) | {errors} |")
    for run in runs:
        crashes = Counter(s["crash"] for s in run["segments"] if s["crash"])
        for line, n in crashes.items():
            rows += ["", f"{run['name']}: {n} run(s) crashed (then resumed): `{line}`"]
    for run in runs:
        if run.get("rss") and run["rss"].get("growth_percent") is not None:
            r = run["rss"]
            rows += [
                "",
                f"RSS of the uninterrupted run ({run['name']}): {r['rss_at_first_kib'] / 1024:.1f} MiB at document "
                f"{r['from_document']}, {r['rss_at_last_kib'] / 1024:.1f} MiB at document {r['to_document']} "
                f"(peak {r['rss_peak_kib'] / 1024:.1f} MiB): growth {r['growth_percent']:+.2f}%.",
            ]
    return "\n".join(rows) + "\n"


def main() -> int:
    if "--child" in sys.argv:
        rest = sys.argv[sys.argv.index("--child") + 1 :]
        return child(rest[1:] if rest[:1] == ["--"] else rest)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=1.0, help="the CLI's --timeout (a hang costs this)")
    parser.add_argument("--fault-rate", type=float, default=0.3)
    parser.add_argument("--max-faults", type=int, default=600)
    parser.add_argument("--max-hangs", type=int, default=30)
    parser.add_argument("--fault-seconds", type=float, default=900.0)
    parser.add_argument("--kills", default="300,650", help="SIGKILL when the results file holds this many records")
    parser.add_argument("--max-resumes", type=int, default=200, help="resumes after crashes (a crash is a finding)")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--no-rss-run", action="store_true", help="skip the uninterrupted run for the RSS figure")
    parser.add_argument(
        "--rss-exclude",
        default="",
        help="fault kinds the RSS run leaves out, comma-separated (e.g. 'surrogate' where a lone surrogate still "
        "crashes the results writer: the run would not be uninterrupted)",
    )
    parser.add_argument("--work", type=Path, default=None, help="work folder (default: a temporary one)")
    args = parser.parse_args()
    kills = [int(k) for k in args.kills.split(",") if k.strip()]
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="ocr-kie-soak-") as tmp:
        work = args.work or Path(tmp)
        paths = write_images(work / "docs", args.docs)
        runs = [soak_run(args, paths, work, "killed twice, resumed", kills, args.seed)]
        print(table(runs, load, args), flush=True)
        if not args.no_rss_run:
            exclude = tuple(k.strip() for k in args.rss_exclude.split(",") if k.strip())
            name = "uninterrupted (RSS)" + (f", without {'/'.join(exclude)}" if exclude else "")
            runs.append(soak_run(args, paths, work, name, [], args.seed + 1, exclude))
    text = table(runs, load, args)
    print(text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "soak.md").write_text(text, encoding="utf-8")
    data = {"args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}, "load": load}
    data["runs"] = runs
    (RESULTS / "soak.json").write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    ok = all(
        r["missing"] == r["duplicates"] == r["outcomes"].get("values: other", 0) == 0 and not r["key_in_file"]
        for r in runs
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
