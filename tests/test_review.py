"""The review page: records to documents, the HTML file, the commands, and a real browser on a real extraction.

The browser test drives Debian's headless Chromium over the DevTools protocol (a small client on
``websockets``): it opens the page written for a real extraction of the bundled sample (PP-OCR and
the embedded LLM), reads the DOM and a screenshot, and checks that each key's box is drawn at its
evidence coordinates (scaled to the displayed image), that the Chinese text is there in the
embedded font, that the keyboard moves between documents, and that nothing came from the network.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from PIL import Image

import ocr_kie.pipeline.chain
from ocr_kie.cli import main
from ocr_kie.evaluation import evaluate
from ocr_kie.evaluation.dataset import LabelledDocument
from ocr_kie.review import (
    ReviewInputError,
    documents_from_records,
    documents_from_report,
    load_results,
    render_review,
    write_review,
)
from ocr_kie.testing import FakeOcrEngine, ScriptedChatModel

SAMPLES = Path(ocr_kie.pipeline.chain.__file__).parents[1] / "samples"
SAMPLE = SAMPLES / "screenshot_zh.png"
KEYS = ["可用额度", "账单日", "到期还款日"]
CHROMIUM = next((p for p in (shutil.which("chromium"), shutil.which("chromium-browser")) if p), None)
#: Flags that work in containers and CI (as root: --no-sandbox), with nothing phoning home.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
]

DETAILS = {
    "source": str(SAMPLE),
    "values": {"可用额度": "12,000.00", "到期还款日": "2026年02月30日"},
    "fields": {
        "可用额度": {"value": "12,000.00", "box": [502, 229, 663, 265], "page": 1, "confidence": 0.8, "checks": []},
        "到期还款日": {
            "value": "2026年02月30日",
            "box": [393, 563, 657, 601],
            "page": 1,
            "confidence": 0.3,
            "alternatives": [["每月5日", 0.2]],
            "label": "到期还款日",
            "kind": "date",
            "checks": [{"check": "date", "key": "到期还款日", "passed": False, "message": "not a date that exists"}],
        },
    },
    "ocr": [{"page": 1, "width": 720, "height": 1280, "lines": [["可用额度", [40, 229, 200, 265], 0.99]]}],
}
ERROR = {"source": "/data/broken.png", "error": {"type": "InvalidImageError", "message": "</script><b>not an image"}}


def _data(html: str) -> dict:
    payload = re.search(r'<script type="application/json" id="ocr-kie-data">(.*?)</script>', html, re.S)
    assert payload is not None
    return json.loads(payload.group(1).replace("<\\/", "</"))


# ------------------------------------------------------------------------------ records and HTML


def test_records_become_documents():
    plain = {"source": "/data/a.png", "values": {"total": "9.90"}}
    docs = documents_from_records([DETAILS, plain, ERROR])
    assert [d.id for d in docs] == ["screenshot_zh.png", "a.png", "broken.png"]
    due = docs[0].fields[1]
    assert due.key == "到期还款日" and due.box == [393, 563, 657, 601] and due.runner_up == ["每月5日", 0.2]
    assert due.checks[0]["passed"] is False and "next to '到期还款日'" in due.why
    assert docs[0].pages[0].width == 720 and docs[0].pages[0].lines[0][0] == "可用额度"
    assert docs[1].fields[0].value == "9.90" and docs[1].fields[0].box is None and docs[1].pages == []
    assert docs[2].error["type"] == "InvalidImageError" and docs[2].fields == []


def test_html_is_self_contained_with_data_a_font_and_no_network(tmp_path):
    html = render_review(documents_from_records([DETAILS, ERROR]), base_dir=tmp_path)
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html)  # no CDN, nothing remote
    assert "https://" not in html and "http://" not in html
    assert "default-src 'none'" in html  # the page's own CSP forbids fetching anything else
    assert "@font-face{font-family:'ocr-kie-cjk'" in html  # the Chinese glyphs travel with the file
    data = _data(html)
    assert data["documents"][1]["error"]["message"] == "</script><b>not an image"  # escaped, not markup
    assert "</script><b>" not in html
    # linked relative to the HTML file's folder
    assert data["documents"][0]["image_url"] == Path(os.path.relpath(SAMPLE, tmp_path)).as_posix()


def test_images_embedded_linked_or_none(tmp_path):
    docs = documents_from_records([DETAILS])
    embedded = _data(render_review(docs, images="embed"))["documents"][0]["image_url"]
    assert embedded.startswith("data:image/png;base64,")
    assert base64.b64decode(embedded.split(",", 1)[1]) == SAMPLE.read_bytes()
    assert _data(render_review(docs, images="none"))["documents"][0]["image_url"] is None
    with pytest.raises(ValueError, match="images must be"):
        render_review(docs, images="inline")
    # a plain record (no OCR sizes): the image's own size is used
    plain = documents_from_records([{"source": str(SAMPLE), "values": {"a": "1"}}])
    assert _data(render_review(plain))["documents"][0]["pages"][0]["width"] == 720


def test_load_results_skips_a_partial_last_line_and_refuses_foreign_files(tmp_path):
    good = tmp_path / "r.jsonl"
    good.write_text(json.dumps(DETAILS) + "\n" + json.dumps(ERROR) + "\n" + '{"source": "x", "val', encoding="utf-8")
    assert len(load_results(good)) == 2
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"name": "not ours"}\n', encoding="utf-8")
    with pytest.raises(ReviewInputError, match="line 1: not a results record") as info:
        load_results(bad)
    assert info.value.path == str(bad) and info.value.line == 1
    with pytest.raises(ReviewInputError, match="cannot read"):
        load_results(tmp_path / "missing.jsonl")


def test_review_command_and_its_usage_errors(tmp_path, capsys):
    results = tmp_path / "results.jsonl"
    results.write_text(json.dumps(DETAILS, ensure_ascii=False) + "\n" + json.dumps(ERROR) + "\n", encoding="utf-8")
    assert main(["review", str(results)]) == 0
    page = tmp_path / "results.html"
    assert len(_data(page.read_text(encoding="utf-8"))["documents"]) == 2
    assert "wrote" in capsys.readouterr().err
    assert main(["review", str(results), "-o", str(tmp_path / "out" / "r.html"), "--images", "embed"]) == 0
    assert "data:image/png;base64," in (tmp_path / "out" / "r.html").read_text(encoding="utf-8")
    assert main(["review", str(tmp_path / "nope.jsonl")]) == 2
    assert "cannot read the results file" in capsys.readouterr().err
    assert main(["review", str(results), "-o", str(results)]) == 2
    assert "would overwrite the results file" in capsys.readouterr().err
    assert json.loads(results.read_text(encoding="utf-8").splitlines()[0])["values"] == DETAILS["values"]


class _FakeBuild:
    def __call__(self, **kwargs):
        from langchain_core.runnables import RunnableLambda

        self.kwargs = kwargs
        return RunnableLambda(self.invoke)

    def invoke(self, source):
        if Path(source).stem.startswith("bad"):
            from ocr_kie.errors import InvalidImageError

            raise InvalidImageError("not an image", source=str(source))
        values = {"total": f"total@{Path(source).stem}"}
        assert self.kwargs["return_details"]
        return {"values": values, "fields": {"total": {"box": [1, 2, 3, 4], "page": 1, "confidence": 0.5}}}


def test_extract_html_keeps_plain_records_and_draws_the_details(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(ocr_kie.pipeline.chain, "build_chain", _FakeBuild())
    a, bad = tmp_path / "a.png", tmp_path / "bad.png"
    shutil.copy(SAMPLE, a)
    bad.write_bytes(b"x")
    page = tmp_path / "review.html"
    assert main(["extract", str(a), str(bad), "--keys", "total", "--html", str(page), "--quiet"]) == 1
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert records[0] == {"source": str(a), "values": {"total": "total@a"}}  # records as asked: plain
    docs = _data(page.read_text(encoding="utf-8"))["documents"]
    assert docs[0]["fields"][0]["box"] == [1, 2, 3, 4] and docs[0]["image_url"] == "a.png"
    assert docs[1]["error"]["type"] == "InvalidImageError"
    # with --output: the page follows the results file
    out = tmp_path / "r.jsonl"
    assert main(["extract", str(a), "--keys", "total", "-o", str(out), "--html", str(page), "--quiet"]) == 0
    assert [d["id"] for d in _data(page.read_text(encoding="utf-8"))["documents"]] == ["a.png"]
    # --html must not overwrite the results file: bad usage, nothing done
    before = out.read_bytes()
    assert main(["extract", str(a), "--keys", "total", "-o", str(out), "--html", str(out)]) == 2
    assert "would overwrite the results file" in capsys.readouterr().err and out.read_bytes() == before


def test_evaluation_review_shows_wrong_values_next_to_labels_and_flag_precision(tmp_path):
    docs = [
        LabelledDocument(id="d1", image=SAMPLE, labels={"日期": "2026-01-05", "total": "9.90"}),
        LabelledDocument(id="d2", image=SAMPLE, labels={"日期": "2026-01-06", "total": "5.00"}),
    ]
    replies = ['{"日期": "2026-01-05", "total": "9.90"}', '{"日期": "2026-02-30", "total": "5.00"}']
    engine = FakeOcrEngine(["日期 2026-01-05", "total 9.90", "日期 2026-02-30", "total 5.00"])
    report = evaluate(
        docs, ["日期", "total"], ocr=engine, llm=ScriptedChatModel(replies=replies), cache_dir=False, strategy="fewshot"
    )
    flags = report.metrics["checks"]
    assert flags["values"] == 4 and flags["flagged"] == 1 and flags["flagged_wrong"] == 1 and flags["precision"] == 1
    assert flags["wrong"] == 1 and flags["wrong_flagged"] == 1 and flags["right_flagged"] == 0
    assert "precision of the flag 100% (1/1" in report.to_markdown()
    assert report.documents[1].checks["日期"][0]["passed"] is False
    review = documents_from_report(report)
    wrong = review[1].fields[0]
    assert review[1].evaluated and wrong.correct is False and wrong.expected == "2026-01-06"
    assert wrong.value == "2026-02-30" and wrong.box is not None and review[1].pages[0].lines
    assert [(c["check"], c["passed"]) for c in wrong.checks] == [("date", False)]
    assert "ocr" not in report.to_dict()["documents"][0]  # the OCR lines stay out of report.json
    page = write_review(review, tmp_path / "eval.html")
    assert _data(page.read_text(encoding="utf-8"))["documents"][1]["fields"][0]["expected"] == "2026-01-06"


# ------------------------------------------------------------------------------ the real browser


class DevTools:
    """A minimal Chrome DevTools Protocol client over one page's websocket."""

    def __init__(self, url: str) -> None:
        from websockets.sync.client import connect

        self.ws = connect(url, max_size=None, open_timeout=60)
        self.next_id = 0
        self.events: list[dict] = []

    def call(self, method: str, timeout: float = 60, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            message = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]
            self.events.append(message)

    def wait_for(self, event: str, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        for seen in self.events:
            if seen.get("method") == event:
                return seen
        while True:
            message = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            self.events.append(message)
            if message.get("method") == event:
                return message

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"])
        return result["result"].get("value")

    def key(self, key: str, code: int) -> None:
        for kind in ("keyDown", "keyUp"):
            self.call("Input.dispatchKeyEvent", type=kind, key=key, code=key, windowsVirtualKeyCode=code)


@pytest.fixture
def chromium(tmp_path):
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed: apt-get install chromium (Debian's package; .ci/run installs it)")
    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    proc = subprocess.Popen(
        [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        port = None
        deadline = time.monotonic() + 120
        assert proc.stderr is not None
        while port is None and time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line and proc.poll() is not None:
                raise RuntimeError(f"chromium exited with {proc.returncode}")
            if m := re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line):
                port = int(m.group(1))
        assert port is not None, "chromium did not start its DevTools endpoint"
        threading_drain(proc)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30) as r:  # local DevTools
            pages = [t for t in json.load(r) if t["type"] == "page"]
        client = DevTools(pages[0]["webSocketDebuggerUrl"])
        yield client
        client.ws.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def threading_drain(proc: subprocess.Popen) -> None:
    """Keep reading chromium's stderr so a full pipe never blocks it."""
    import threading

    threading.Thread(target=lambda: proc.stderr.read(), daemon=True).start()


@pytest.fixture(scope="module")
def real_results(tmp_path_factory):
    """A real extraction of the bundled sample (PP-OCR + embedded LLM) and a document that fails."""
    folder = tmp_path_factory.mktemp("review")
    broken = folder / "broken.png"
    broken.write_bytes(b"not an image")
    results = folder / "results.jsonl"
    argv = ["extract", str(SAMPLE), str(broken), "--keys", *KEYS, "--examples", str(SAMPLES / "examples.jsonl")]
    code = main([*argv, "--details", "--output", str(results), "--html", str(folder / "extract.html"), "--quiet"])
    assert code == 1  # the broken document failed, the sample did not
    return results


COLLECT = """
(async () => {
  await document.fonts.ready;
  const img = document.querySelector("img.page-image");
  if (!img.complete) await new Promise((ok) => { img.onload = ok; img.onerror = ok; });
  await img.decode();
  await new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok)));
  const r = img.getBoundingClientRect();
  const rect = (e) => { const b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; };
  return {
    image: {rect: [r.left, r.top, r.right, r.bottom], natural: [img.naturalWidth, img.naturalHeight]},
    boxes: [...document.querySelectorAll(".box")].map((b) => ({
      key: b.dataset.key, rect: rect(b), colour: getComputedStyle(b).borderLeftColor,
      label: b.querySelector(".box-label").textContent})),
    rows: [...document.querySelectorAll("table.fields tr[data-key]")].map((tr) => ({
      key: tr.dataset.key, value: tr.querySelector("td.value").textContent,
      checks: [...tr.querySelectorAll(".check")].map((c) => c.dataset.check)})),
    fonts: [...document.fonts].map((f) => [f.family, f.status]),
    cjk: document.fonts.check("14px ocr-kie-cjk", "可用额度到期还款日"),
    keyFont: getComputedStyle(document.querySelector("td.key")).fontFamily,
    text: document.body.innerText,
    failed: document.querySelector("#failed").innerText,
    index: document.querySelector("#doc").dataset.index,
    dpr: window.devicePixelRatio,
  };
})()
"""


@pytest.mark.model
def test_the_page_in_a_real_browser(real_results, chromium, tmp_path):
    records = load_results(real_results)
    assert [("values" in r, "error" in r) for r in records] == [(True, False), (False, True)]
    details = records[0]
    page = tmp_path / "site" / "review.html"
    assert main(["review", str(real_results), "-o", str(page)]) == 0

    cdp = chromium
    for domain in ("Network.enable", "Page.enable", "Runtime.enable"):
        cdp.call(domain)
    # The 720 px wide screenshot is drawn smaller than its natural size (at most 640 px), so boxes must scale.
    cdp.call("Emulation.setDeviceMetricsOverride", width=1400, height=1000, deviceScaleFactor=1, mobile=False)
    cdp.call("Page.navigate", url=page.as_uri())
    cdp.wait_for("Page.loadEventFired", timeout=120)
    got = cdp.evaluate(COLLECT)

    # Nothing from the network: the page, its image (linked relative to the page) and data: URLs only.
    requested = [e["params"]["request"]["url"] for e in cdp.events if e.get("method") == "Network.requestWillBeSent"]
    assert requested and all(u.startswith(("file:", "data:")) for u in requested), requested
    assert any(u.endswith("screenshot_zh.png") for u in requested)

    # Each key's box at its evidence coordinates, scaled to the displayed image.
    (x0, y0, x1, y1), (nat_w, nat_h) = got["image"]["rect"], got["image"]["natural"]
    assert (nat_w, nat_h) == (details["ocr"][0]["width"], details["ocr"][0]["height"])
    scale = (x1 - x0) / nat_w
    assert 0.3 < scale < 0.95, scale
    assert abs((y1 - y0) / nat_h - scale) < 0.01
    found = {k for k, f in details["fields"].items() if f.get("box")}
    assert found and {b["key"] for b in got["boxes"]} == found
    for b in got["boxes"]:
        ex0, ey0, ex1, ey1 = details["fields"][b["key"]]["box"]
        expected = [x0 + ex0 * scale, y0 + ey0 * scale, x0 + ex1 * scale, y0 + ey1 * scale]
        assert all(abs(a - e) < 1.5 for a, e in zip(b["rect"], expected, strict=True)), (b, expected)
        assert b["label"] == b["key"]

    # The values and the checks are in the table; the Chinese text is there, in the embedded font.
    assert [r["key"] for r in got["rows"]] == KEYS
    assert {r["key"]: r["value"] for r in got["rows"]} == {k: str(v) if v is not None else "null"
                                                          for k, v in details["values"].items()}  # fmt: skip
    due = next(r for r in got["rows"] if r["key"] == "到期还款日")
    assert due["checks"] == [c["check"] for c in details["fields"]["到期还款日"]["checks"]]
    for text in ["可用额度", "到期还款日", "账单日", *[v for v in details["values"].values() if v]]:
        assert text in got["text"]
    assert ["ocr-kie-cjk", "loaded"] in got["fonts"] and got["cjk"] is True
    assert got["keyFont"].startswith("ocr-kie-cjk")
    assert "Failed documents (1)" in got["failed"] and "broken.png" in got["failed"]

    # The screenshot: each box's border is drawn in its colour where the DOM says it is.
    shot = cdp.call("Page.captureScreenshot", format="png")
    png = base64.b64decode(shot["data"])
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert got["dpr"] == 1
    for b in got["boxes"]:
        colour = tuple(int(v) for v in re.findall(r"\d+", b["colour"])[:3])
        left, top, _right, bottom = b["rect"]
        y = int((top + bottom) / 2)
        edge = [image.getpixel((int(left) + dx, y)) for dx in (0, 1)]
        assert any(sum(abs(p - c) for p, c in zip(px, colour, strict=True)) < 60 for px in edge), (b, edge)
        inside = image.getpixel((int(left) + 8, y))
        assert sum(abs(p - c) for p, c in zip(inside, colour, strict=True)) > 60  # a frame, not a filled block
    if os.environ.get("OCR_KIE_REVIEW_SCREENSHOT"):  # how docs/images/review.png is made
        Path(os.environ["OCR_KIE_REVIEW_SCREENSHOT"]).write_bytes(png)

    # Keyboard: next document (the failed one, with its error), OCR lines on, back.
    cdp.key("ArrowRight", 39)
    assert cdp.evaluate("document.querySelector('#doc').dataset.index") == "1"
    assert "InvalidImageError" in cdp.evaluate("document.querySelector('#doc .error').textContent")
    cdp.key("ArrowLeft", 37)
    cdp.key("o", 79)
    shown = cdp.evaluate(
        "[...document.querySelectorAll('.ocr-line')].filter((e) => getComputedStyle(e).display !== 'none').length"
    )
    assert cdp.evaluate("document.querySelector('#doc').dataset.index") == "0"
    assert shown == len(details["ocr"][0]["lines"]) > 0


def test_a_pdf_is_drawn_from_its_ocr_lines_page_by_page():
    pages = [{"page": n, "width": 600, "height": 800, "lines": [[f"第{n}页", [10, 10, 90, 30], 0.9]]} for n in (1, 2)]
    record = {
        "source": "/data/two_pages.pdf",
        "values": {"合计": "9.90"},
        "fields": {"合计": {"value": "9.90", "page": 2, "box": [10, 10, 90, 30], "confidence": 0.9}},
        "ocr": pages,
    }
    (doc,) = documents_from_records([record])
    assert doc.image is None and [p.page for p in doc.pages] == [1, 2] and doc.fields[0].page == 2
    data = _data(render_review([doc]))["documents"][0]
    assert data["image_url"] is None and data["pages"][1]["lines"][0] == ["第2页", [10, 10, 90, 30], 0.9]
