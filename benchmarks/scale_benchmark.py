"""Scaling figures (issue 13): local workers, Ray's overhead, a remote model under a rate limit, memory.

Re-run everything in one command (on an idle machine for figures worth quoting)::

    python benchmarks/scale_benchmark.py all

or one part: ``local`` (sroie-train-100 end to end with the embedded model: 1 worker, 2 threads,
the default processes), ``ray`` (the same images through the local runner and through Ray at equal
parallelism), ``remote`` (a local OpenAI-compatible server answering after a fixed 1 s, at
concurrency 1, 4, 16 under a 5 requests/s limit). ``--limit N`` takes the first N documents.

Every configuration runs in a fresh subprocess (models loaded there, included in its wall time),
through :func:`ocr_kie.batch.run_batch` or :func:`ocr_kie.distributed.run_ray` into a fresh
results file; every document must have a record. Peak memory is the maximum resident set size of
the parent process and of the largest worker process. Writes ``benchmarks/results/scale.json``
and ``scale.md`` (a part run updates its own section).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATASET = Path("/work/shared/datasets/sroie-train-100")
KEYS = ["company", "date", "address", "total"]
RESULTS = ROOT / "benchmarks" / "results" / "scale.json"
EXAMPLES = 3


def _images(limit: int | None) -> tuple[list[str], list[dict[str, Any]]]:
    from ocr_kie.evaluation import load_dataset

    docs = load_dataset(DATASET)
    examples = [{"image": str(d.image), "values": {k: d.labels.get(k) for k in KEYS}} for d in docs[:EXAMPLES]]
    images = [str(d.image) for d in docs[EXAMPLES:]]
    return images[:limit] if limit else images, examples


def _load() -> float:
    return os.getloadavg()[0]


class _ChildMemory:
    """Samples the peak resident set (VmHWM) of this process's descendants every 0.5 s.

    Descendants, not only children: Ray's actors are children of the raylet this process starts.
    """

    def __init__(self) -> None:
        import threading

        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            status = {}
            for path in Path("/proc").glob("[0-9]*/status"):
                try:
                    status[path.parent.name] = dict(
                        line.split(":", 1) for line in path.read_text().splitlines() if ":" in line
                    )
                except OSError:
                    continue
            mine, grew = {str(os.getpid())}, True
            while grew:
                more = {pid for pid, f in status.items() if f.get("PPid", "").strip() in mine} - mine
                mine |= more
                grew = bool(more)
            for pid in mine - {str(os.getpid())}:
                if "VmHWM" in status.get(pid, {}):
                    self.peak_kb = max(self.peak_kb, int(status[pid]["VmHWM"].split()[0]))

    def stop(self) -> float:
        self._stop.set()
        return round(self.peak_kb / 1024, 1)


# --------------------------------------------------------------------------- one configuration


def run_one(cfg: dict[str, Any]) -> dict[str, Any]:
    """One configuration, in this (fresh) process: the figures as a dict."""
    from ocr_kie.batch import run_batch
    from ocr_kie.workers import ChainSpec

    images, examples = _images(cfg.get("limit"))
    out = Path(cfg["out"])
    kind = cfg["kind"]
    load_start = _load()
    children = _ChildMemory()
    start = time.perf_counter()
    if kind == "remote":
        sys.path.insert(0, str(ROOT / "tests"))
        from ocr_kie.testing import FakeOcrEngine
        from openai_rate_server import RateLimitedServer

        with RateLimitedServer(rate=cfg["server_rate"], burst=2, delay=cfg["delay"]) as server:
            spec = ChainSpec(
                keys=["total"],
                llm="openai:fake",
                base_url=server.base_url,
                ocr=FakeOcrEngine(["TOTAL 9.90"]),
                cache=False,
                rate_limit=cfg["rate_limit"],
            )
            start = time.perf_counter()
            summary = run_batch(spec(), images, out, workers=cfg["workers"], progress=False)
            wall = time.perf_counter() - start
            extra = {"requests": server.accepted + server.rejected, "rejected_429": server.rejected}
            extra["request_rate"] = server.rate_between(0)
    elif kind == "ray":
        from ocr_kie.distributed import run_ray

        spec = ChainSpec(keys=KEYS, examples=examples, cache=False, threads=cfg.get("threads"))
        summary = run_ray(
            spec, images, out, actors=cfg["actors"], cpus_per_actor=cfg.get("cpus_per_actor", 1),
            init={"num_cpus": cfg["actors"] * cfg.get("cpus_per_actor", 1), "include_dashboard": False},
        )  # fmt: skip
        wall = time.perf_counter() - start
        extra = {}
    else:
        spec = ChainSpec(keys=KEYS, examples=examples, cache=False, threads=cfg.get("threads"))
        processes = cfg.get("processes", 1)
        chain = spec if processes > 1 else spec()
        summary = run_batch(chain, images, out, workers=cfg.get("workers", 1), processes=processes, progress=False)
        wall = time.perf_counter() - start
        extra = {}
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line.strip()]
    sources = {r["source"] for r in records}
    return {
        **{k: v for k, v in cfg.items() if k != "out"},
        "documents": len(images),
        "records": len(records),
        "unique_sources": len(sources),
        "failed": sum("error" in r for r in records),
        "errors": [{"source": Path(r["source"]).name, "error": str(r["error"])[:300]} for r in records if "error" in r],
        "wall_seconds": round(wall, 2),
        "documents_per_minute": round(60 * len(images) / wall, 2),
        "peak_rss_mb_parent": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "peak_rss_mb_largest_child": children.stop(),  # worker processes and Ray's actors
        "load_average_start": round(load_start, 2),
        "load_average_end": round(_load(), 2),
        "summary_failed": summary.failed if hasattr(summary, "failed") else None,
        **extra,
    }


def _result_file(cfg: dict[str, Any]) -> Path:
    """Where the child process of one configuration writes its figures (beside its results file)."""
    return Path(cfg["out"]).with_suffix(".figures.json")


def _subprocess(cfg: dict[str, Any]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        cfg = {**cfg, "out": str(Path(tmp) / ("out.jsonl"))}
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        print(f"  running {cfg['name']} …", file=sys.stderr, flush=True)
        done = subprocess.run(
            [sys.executable, __file__, "_one", json.dumps(cfg)], env=env, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise SystemExit(f"{cfg['name']} failed:\n{done.stderr[-3000:]}")
        # the child writes its figures to a file: Ray and the libraries print to stdout after it
        result = json.loads(_result_file(cfg).read_text(encoding="utf-8"))
        print(f"  {cfg['name']}: {result['documents_per_minute']} docs/min", file=sys.stderr, flush=True)
        return result


# ------------------------------------------------------------------------------------- parts


def part_local(limit: int | None) -> list[dict[str, Any]]:
    from ocr_kie.cpus import physical_cores
    from ocr_kie.workers import default_processes

    processes = default_processes(True, limit or 97)
    configs = [
        {"name": "1 worker", "kind": "local", "workers": 1, "limit": limit},
        {"name": "2 threads (OCR overlaps LLM)", "kind": "local", "workers": 2, "limit": limit},
        {
            "name": f"default: {processes} processes x 1 thread",
            "kind": "local",
            "processes": processes,
            "threads": max(1, physical_cores() // processes),
            "limit": limit,
        },
    ]
    return [_subprocess(c) for c in configs]


def part_ray(limit: int | None) -> list[dict[str, Any]]:
    """The local runner and Ray at equal parallelism, in the order local, Ray, Ray, local.

    The machine's speed drifts by more than the overhead measured (the same documents' CPU time
    varied by a sixth between runs minutes apart), so each runs twice, the pairs mirrored: a
    drift that is linear in time weighs on both alike.
    """
    n = limit or 50
    local = {"name": "local runner, 2 processes x 1 thread", "kind": "local", "processes": 2, "threads": 1, "limit": n}
    ray = {"name": "Ray, 2 actors x 1 CPU", "kind": "ray", "actors": 2, "cpus_per_actor": 1, "threads": 1, "limit": n}
    order = [(local, 1), (ray, 1), (ray, 2), (local, 2)]
    return [_subprocess({**cfg, "name": f"{cfg['name']} (run {i})"}) for cfg, i in order]


def ray_overhead(rows: list[dict[str, Any]]) -> float | None:
    """Ray's wall time over the local runner's, less one, summed over the runs of each."""
    ray = sum(r["wall_seconds"] for r in rows if r.get("kind") == "ray")
    local = sum(r["wall_seconds"] for r in rows if r.get("kind") == "local")
    return ray / local - 1 if ray and local else None


def part_remote(limit: int | None) -> list[dict[str, Any]]:
    n = limit or 60
    return [
        _subprocess(
            {
                "name": f"remote model (1 s per answer), concurrency {c}, --rate-limit 5",
                "kind": "remote",
                "workers": c,
                "rate_limit": 5.0,
                "server_rate": 5.0,
                "delay": 1.0,
                "limit": n,
            }
        )
        for c in (1, 4, 16)
    ]


def _machine() -> dict[str, Any]:
    """This machine and code, recorded with each part (parts are re-run on different days and machines)."""
    cpu = platform.processor() or platform.machine()
    try:
        names = [line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                 if line.startswith("model name")]  # fmt: skip
        cpu = names[0] if names else cpu
    except OSError:
        pass
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return {"cores": os.cpu_count(), "cpu": cpu, "date": time.strftime("%Y-%m-%d"), "code": commit.stdout.strip()}


def to_markdown(results: dict[str, Any]) -> str:
    lines = ["# Scaling figures (issue 13)", "", "Machines are shared with other jobs (see the load averages).", ""]
    for part, entry in results.items():
        if part == "machine" or not entry:
            continue
        rows = entry["rows"] if isinstance(entry, dict) else entry
        m = entry.get("machine", {}) if isinstance(entry, dict) else {}
        lines += [f"## {part}", ""]
        if m:
            lines += [f"{m.get('date')}, code {m.get('code')}: {m.get('cores')} CPUs, {m.get('cpu')}.", ""]
        lines += [
            "| configuration | docs | records | failed | wall s | docs/min | peak RSS MB (parent / largest worker) "
            "| load avg start / end | extra |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for r in rows:
            extra = ", ".join(f"{k} {r[k]:.2f}" if isinstance(r[k], float) else f"{k} {r[k]}"
                              for k in ("requests", "rejected_429", "request_rate") if k in r)  # fmt: skip
            lines.append(
                f"| {r['name']} | {r['documents']} | {r['records']} | {r['failed']} | {r['wall_seconds']} "
                f"| {r['documents_per_minute']} | {r['peak_rss_mb_parent']} / {r['peak_rss_mb_largest_child']} "
                f"| {r['load_average_start']} / {r['load_average_end']} | {extra} |"
            )
        if part == "ray" and (overhead := ray_overhead(rows)) is not None:
            lines += ["", f"Ray's wall time over the local runner's (both runs each): **{overhead:+.1%}**."]
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_one":
        cfg = json.loads(argv[1])
        _result_file(cfg).write_text(json.dumps(run_one(cfg)), encoding="utf-8")
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", choices=["all", "local", "ray", "remote"])
    parser.add_argument("--limit", type=int, default=None, help="the first N documents (after the examples)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    results = json.loads(args.out.read_text(encoding="utf-8")) if args.out.exists() else {}
    parts = {"local": part_local, "ray": part_ray, "remote": part_remote}
    for name, fn in parts.items():
        if args.part in ("all", name):
            results[name] = {"machine": _machine(), "rows": fn(args.limit)}
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
            args.out.with_suffix(".md").write_text(to_markdown(results) + "\n", encoding="utf-8")
    print(to_markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
