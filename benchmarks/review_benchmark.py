"""Size and load time of a review page for many documents (images linked).

Usage::

    python benchmarks/review_benchmark.py [--documents 1000] [--out DIR]

Writes synthetic ``--details`` records (4 keys with boxes, checks and runner-ups, 40 OCR lines of
Chinese and digits per document, every 50th document failed) whose images are the 25 zh-kie
receipts (linked, cycled), runs ``ocr-kie review`` on them (timed, a new process), and opens the
page in headless Chromium over the DevTools protocol: the time from navigation to the first
document drawn, and to step through 50 documents with the keyboard. Prints a table and writes
``benchmarks/results/review.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from test_review import CHROMIUM, CHROMIUM_FLAGS, DevTools  # noqa: E402

IMAGES = sorted((ROOT / "benchmarks/datasets/zh-kie/receipt/images").glob("*.jpg"))
KEYS = ["商户名称", "日期", "合计金额", "发票号码"]
WORDS = "红旗连锁滨江店全麦面包五花肉发票联欢迎光临合计金额日期收银员找零现金实收单号电话小计数量单价"


def record(i: int, rng: random.Random) -> dict:
    image = IMAGES[i % len(IMAGES)]
    if i % 50 == 49:
        return {"source": str(image), "error": {"type": "InvalidImageError", "message": f"{image}: truncated"}}
    lines = []
    for row in range(40):
        text = "".join(rng.choice(WORDS) for _ in range(rng.randint(2, 8))) + f" {rng.randint(1, 999)}.{row:02d}"
        y = 30 + row * 28
        lines.append([text, [20.0, float(y), 20.0 + 14 * len(text), y + 22.0], round(rng.uniform(0.8, 1.0), 4)])
    fields, values = {}, {}
    for k, key in enumerate(KEYS):
        text, box, score = lines[k * 7 + 3]
        values[key] = text
        fields[key] = {
            "value": text,
            "kind": "text",
            "page": 1,
            "box": box,
            "label": key,
            "ocr_score": score,
            "prior": 0.5,
            "model_score": 0.5,
            "confidence": round(rng.random(), 4),
            "alternatives": [[lines[k * 7 + 4][0], 0.2]],
            "checks": [{"check": "date", "key": key, "passed": rng.random() > 0.1, "message": "m", "keys": [key]}],
        }
    return {"source": str(image), "values": values, "fields": fields, "ocr": [{"page": 1, "width": 600,
            "height": 1200, "lines": lines}]}  # fmt: skip


def browse(page: Path, steps: int) -> dict:
    profile = Path(tempfile.mkdtemp())
    proc = subprocess.Popen(
        [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        import re
        import threading
        import urllib.request

        port = None
        while port is None:
            line = proc.stderr.readline()
            if m := re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line):
                port = int(m.group(1))
        threading.Thread(target=proc.stderr.read, daemon=True).start()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30) as r:
            target = next(t for t in json.load(r) if t["type"] == "page")
        cdp = DevTools(target["webSocketDebuggerUrl"])
        cdp.call("Page.enable")
        cdp.call("Network.enable")
        cdp.call("Emulation.setDeviceMetricsOverride", width=1400, height=1000, deviceScaleFactor=1, mobile=False)
        cdp.call("Page.navigate", url=page.as_uri())
        cdp.wait_for("Page.loadEventFired", timeout=300)
        ready = cdp.evaluate(
            "new Promise((ok) => { const t = () => document.body.dataset.ready ? ok(performance.now()) : "
            "setTimeout(t, 5); t(); })"
        )
        load = cdp.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
        start = time.perf_counter()
        for _ in range(steps):
            cdp.key("ArrowRight", 39)
        index = cdp.evaluate("document.querySelector('#doc').dataset.index")
        step_ms = 1000 * (time.perf_counter() - start) / steps
        images = sum(
            1
            for e in cdp.events
            if e.get("method") == "Network.requestWillBeSent" and e["params"]["request"]["url"].endswith(".jpg")
        )
        heap = cdp.evaluate("performance.memory ? performance.memory.usedJSHeapSize : null")
        cdp.ws.close()
        return {"first_document_ms": ready, "load_event_ms": load, "step_ms": step_ms, "index_after_steps": index,
                "image_requests": images, "js_heap_bytes": heap}  # fmt: skip
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--out", type=Path, default=Path(tempfile.mkdtemp(prefix="review-bench-")))
    args = parser.parse_args()
    rng = random.Random(15)
    args.out.mkdir(parents=True, exist_ok=True)
    results = args.out / "results.jsonl"
    with results.open("w", encoding="utf-8") as f:
        for i in range(args.documents):
            f.write(json.dumps(record(i, rng), ensure_ascii=False) + "\n")
    page = args.out / "review.html"
    start = time.perf_counter()
    subprocess.run(["ocr-kie", "review", str(results), "-o", str(page)], check=True, capture_output=True)
    write_seconds = time.perf_counter() - start
    browser = browse(page, args.steps)
    load = os.getloadavg()
    out = {
        "documents": args.documents,
        "results_bytes": results.stat().st_size,
        "html_bytes": page.stat().st_size,
        "write_seconds": round(write_seconds, 2),
        **{k: round(v, 1) if isinstance(v, float) else v for k, v in browser.items()},
        "load_average": [round(x, 2) for x in load],
        "cores": os.cpu_count(),
        "chromium": subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True).stdout.strip(),
    }
    (ROOT / "benchmarks/results/review.json").write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    md = [
        f"## Review page for {args.documents} documents (synthetic `--details` records, images linked)",
        "",
        "| measure | value |",
        "|---|---|",
        f"| results file | {out['results_bytes'] / 1e6:.1f} MB |",
        f"| review.html | {out['html_bytes'] / 1e6:.1f} MB |",
        f"| `ocr-kie review` (new process) | {out['write_seconds']:.1f} s |",
        f"| Chromium: navigation to first document drawn | {out['first_document_ms']:.0f} ms |",
        f"| Chromium: load event | {out['load_event_ms']:.0f} ms |",
        f"| next document (keyboard, mean of {args.steps}) | {out['step_ms']:.0f} ms |",
        f"| images requested after {args.steps} steps | {out['image_requests']} |",
        "",
        f"Shared machine: {out['cores']} cores, load average {out['load_average']}; {out['chromium']}.",
    ]
    (ROOT / "benchmarks/results/review.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    print("\n".join(md))


if __name__ == "__main__":
    main()
