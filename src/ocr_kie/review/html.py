"""The review page: one self-contained, offline HTML file (no CDN, no network, no build step).

The documents go into the file as JSON and a small script draws one document at a time, so only
the current document's image is loaded (lazy) and a review of 1,000 documents stays small when
the images are linked. The Chinese glyphs the page needs are subset from the bundled WenQuanYi
Micro Hei (:mod:`ocr_kie.fonts`) and embedded, so Chinese renders on machines without a CJK font.
"""

from __future__ import annotations

import base64
import html
import io
import json
import logging
import mimetypes
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Literal
from urllib.parse import quote

from ocr_kie.review.documents import ReviewDocument

__all__ = ["ImageMode", "render_review", "write_review"]

logger = logging.getLogger(__name__)

ImageMode = Literal["link", "embed", "none"]

#: Characters at or above this code point are drawn with the embedded font (CJK, full-width forms).
_FONT_FROM = 0x2E80


def _image_size(path: str) -> tuple[int, int] | None:
    try:
        from PIL import Image, ImageOps

        with Image.open(path) as im:
            im = ImageOps.exif_transpose(im) or im
            return im.size
    except Exception:  # an unreadable image is shown as missing, its record is still reviewed
        return None


def _image_url(path: str, mode: ImageMode, base: Path) -> str | None:
    if mode == "none" or not os.path.isfile(path):
        return None
    if mode == "embed":
        mime = mimetypes.guess_type(path)[0] or "application/octet-stream"
        return f"data:{mime};base64,{base64.b64encode(Path(path).read_bytes()).decode('ascii')}"
    try:
        relative = os.path.relpath(os.path.abspath(path), base.resolve())
    except ValueError:  # another drive (Windows)
        return Path(os.path.abspath(path)).as_uri()
    return quote(Path(relative).as_posix())


def _compact_line(line: list) -> list:
    text, box, score = [*line, None, None, None][:3]
    if box:
        box = [round(float(v)) for v in box]
    return [text, box, None if score is None else round(float(score), 3)]


def _font_face(text: str) -> str:
    """A ``@font-face`` with the bundled CJK font, subset to the characters of ``text`` (empty if none)."""
    chars = sorted(c for c in set(text) if ord(c) >= _FONT_FROM)
    if not chars:
        return ""
    try:
        from fontTools import subset
        from fontTools.ttLib import TTFont
    except ImportError:  # pragma: no cover - fonttools is a dependency
        logger.warning(
            "fonttools is not installed (pip install fonttools): Chinese needs a font on the viewer's machine"
        )
        return ""
    from ocr_kie.fonts import cjk_font_path

    options = subset.Options()
    options.layout_features = []
    options.hinting = False
    options.name_IDs = []
    options.notdef_outline = True
    options.drop_tables += ["FFTM"]
    font = TTFont(cjk_font_path(), fontNumber=0, lazy=True)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(chars))
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.save(buffer)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (
        "@font-face{font-family:'ocr-kie-cjk';font-display:block;"
        f"src:url(data:font/ttf;base64,{data}) format('truetype');unicode-range:U+2E80-10FFFF}}"
    )


def render_review(
    documents: Sequence[ReviewDocument],
    *,
    title: str = "ocr-kie review",
    images: ImageMode = "link",
    base_dir: str | os.PathLike[str] = ".",
) -> str:
    """The review page as HTML text.

    Args:
        documents: The documents, in order.
        title: The page title.
        images: ``"link"``: images referenced relative to ``base_dir`` (the HTML file's folder);
            ``"embed"``: images inside the file (data URLs); ``"none"``: no images (the pages are
            drawn from their OCR lines).
        base_dir: The folder the HTML file will be in (for relative image links).

    Returns:
        The HTML document.
    """
    if images not in ("link", "embed", "none"):
        raise ValueError(f"images must be 'link', 'embed' or 'none', got {images!r}")
    base = Path(base_dir)
    data = []
    for doc in documents:
        item = doc.model_dump(exclude={"image"})
        for page in item["pages"]:  # whole pixels and 3-digit scores keep 1,000 documents' lines small
            page["lines"] = [_compact_line(line) for line in page["lines"]]
        item["image_url"] = _image_url(doc.image, images, base) if doc.image else None
        if doc.image and item["image_url"] and (not doc.pages or not doc.pages[0].width):
            size = _image_size(doc.image)
            if size:
                page = item["pages"][0] if item["pages"] else {"page": 1, "lines": []}
                page.update(width=size[0], height=size[1])
                item["pages"] = [page, *item["pages"][1:]]
        data.append(item)
    payload = json.dumps({"title": title, "documents": data}, ensure_ascii=False, separators=(",", ":"), default=str)
    payload = payload.replace("</", "<\\/").replace("<!--", "<\\!--")
    font = _font_face(payload + title)
    return (
        _TEMPLATE.replace("__TITLE__", html.escape(title))
        .replace("/*__FONT__*/", font)
        .replace("/*__CSS__*/", _CSS)
        .replace("__DATA__", payload)
        .replace("/*__SCRIPT__*/", _SCRIPT)
    )


def write_review(
    documents: Sequence[ReviewDocument],
    path: str | os.PathLike[str],
    *,
    title: str | None = None,
    images: ImageMode = "link",
) -> Path:
    """Write the review page to ``path`` (images linked relative to its folder, or embedded).

    Returns:
        The path written.
    """
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    text = render_review(documents, title=title or f"ocr-kie review: {out.stem}", images=images, base_dir=out.parent)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, out)
    return out


_TEMPLATE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src 'self' data: file:; \
style-src 'unsafe-inline'; font-src data:; script-src 'unsafe-inline'">
<title>__TITLE__</title>
<style>/*__FONT__*/
/*__CSS__*/</style>
</head>
<body>
<header><h1 id="title"></h1><span id="summary"></span>
<span class="keys"><kbd>←</kbd>/<kbd>→</kbd> or <kbd>k</kbd>/<kbd>j</kbd> previous/next ·
<label><input type="checkbox" id="show-ocr"> OCR lines (<kbd>o</kbd>)</label></span></header>
<div id="layout">
<nav><ol id="doclist"></ol><section id="failed"></section></nav>
<main id="doc"></main>
</div>
<script type="application/json" id="ocr-kie-data">__DATA__</script>
<script>/*__SCRIPT__*/</script>
</body>
</html>
"""

_CSS = """
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 'ocr-kie-cjk',system-ui,-apple-system,'Segoe UI','Noto Sans CJK SC','PingFang SC',
'Microsoft YaHei',sans-serif;color:#1d2330;background:#f4f5f7}
header{position:sticky;top:0;z-index:5;display:flex;gap:1em;align-items:baseline;flex-wrap:wrap;
padding:.5em 1em;background:#1d2330;color:#fff}
header h1{font-size:1.1em;margin:0}
header .keys{margin-left:auto;opacity:.85}
kbd{border:1px solid #888;border-radius:3px;padding:0 .3em;font-size:.9em}
#layout{display:flex;align-items:flex-start}
nav{width:16em;flex:none;max-height:calc(100vh - 3em);overflow:auto;position:sticky;top:3em;padding:.5em;
background:#fff;border-right:1px solid #ddd}
nav ol{margin:0;padding-left:2.5em}
nav li{cursor:pointer;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
nav li.current{font-weight:bold;background:#e6eefc}
nav li.failed{color:#b00020}
.badge{display:inline-block;border-radius:8px;padding:0 .45em;margin-left:.3em;font-size:.8em;color:#fff}
.badge.flag{background:#c77700}.badge.wrong{background:#b00020}.badge.err{background:#555}
#failed h2{font-size:1em;margin:.8em 0 .3em}
#failed li{color:#b00020}
main{flex:1;padding:1em;min-width:0}
.dochead{display:flex;gap:1em;align-items:baseline;flex-wrap:wrap}
.dochead h2{margin:0;font-size:1.1em;word-break:break-all}
.error{background:#fde8ea;border:1px solid #b00020;padding:.6em;border-radius:4px;white-space:pre-wrap}
.content{display:flex;gap:1.2em;align-items:flex-start;flex-wrap:wrap;margin-top:.8em}
.pages{flex:1 1 420px;max-width:640px}
.page-view{position:relative;width:100%;background:#fff;box-shadow:0 1px 4px rgba(0,0,0,.2);margin-bottom:1em}
.page-view img{display:block;width:100%;height:auto}
.box{position:absolute;border:2px solid var(--c);background:color-mix(in srgb,var(--c) 12%,transparent)}
.box.failed{border-style:dashed;outline:2px dashed #b00020;outline-offset:1px}
.box.wrong{outline:2px solid #b00020;outline-offset:2px}
.box-label{position:absolute;left:-2px;bottom:100%;background:var(--c);color:#fff;font-size:11px;line-height:1.3;
padding:0 3px;white-space:nowrap;border-radius:2px 2px 0 0}
.ocr-line{position:absolute;border:1px solid rgba(40,90,200,.55);display:none;overflow:hidden;color:#1d3d8f;
font-size:10px;line-height:1;white-space:nowrap}
body.show-ocr .ocr-line,.page-view.no-image .ocr-line{display:block}
body.show-ocr .ocr-line{background:rgba(255,255,255,.55)}
table.fields{border-collapse:collapse;background:#fff;flex:1 1 380px;min-width:320px}
table.fields th,table.fields td{border:1px solid #ddd;padding:.3em .5em;text-align:left;vertical-align:top}
table.fields th{background:#eef0f3}
td.key{white-space:nowrap}
td.value{font-weight:600;min-width:6em;overflow-wrap:anywhere}
tr.wrong td.value{color:#b00020}
td.expected{color:#0a6b2e}
.conf{display:inline-block;min-width:3.2em;padding:0 .3em;border-radius:3px;color:#fff;background:var(--c)}
.check{display:block;font-size:.9em}
.check.fail{color:#b00020}.check.pass{color:#0a6b2e}.check.error{color:#7a4d00}
.muted{color:#777}
"""

_SCRIPT = r"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("ocr-kie-data").textContent);
  var docs = data.documents;
  var current = -1;
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function colour(c) {
    if (c === null || c === undefined) return "#8a8f98";
    var hue = Math.round(Math.max(0, Math.min(1, c)) * 120);
    return "hsl(" + hue + ",75%,36%)";
  }
  function show(v) {
    if (v === null || v === undefined) return "null";
    return typeof v === "string" ? v : JSON.stringify(v);
  }
  function failedChecks(f) { return (f.checks || []).filter(function (c) { return c.passed === false; }); }
  function pct(v, total) { return (100 * v / total) + "%"; }
  function place(node, box, page) {
    node.style.left = pct(box[0], page.width);
    node.style.top = pct(box[1], page.height);
    node.style.width = pct(box[2] - box[0], page.width);
    node.style.height = pct(box[3] - box[1], page.height);
  }
  document.getElementById("title").textContent = data.title;
  var nFailed = 0, nFlagged = 0, nWrong = 0;
  docs.forEach(function (d) {
    if (d.error) nFailed++;
    d.fields.forEach(function (f) {
      if (failedChecks(f).length) nFlagged++;
      if (f.correct === false) nWrong++;
    });
  });
  var summary = docs.length + " documents · " + nFailed + " failed · " + nFlagged + " values flagged by a check";
  if (docs.some(function (d) { return d.evaluated; })) summary += " · " + nWrong + " wrong values";
  document.getElementById("summary").textContent = summary;
  var list = document.getElementById("doclist");
  var failedList = el("ol");
  docs.forEach(function (d, i) {
    var li = el("li", d.error ? "failed" : "", d.id);
    li.title = d.source || d.id;
    var flagged = d.fields.filter(function (f) { return failedChecks(f).length; }).length;
    var wrong = d.fields.filter(function (f) { return f.correct === false; }).length;
    if (d.error) li.appendChild(el("span", "badge err", "error"));
    if (flagged) li.appendChild(el("span", "badge flag", flagged));
    if (wrong) li.appendChild(el("span", "badge wrong", wrong));
    li.addEventListener("click", function () { go(i); });
    list.appendChild(li);
    if (d.error) {
      var fl = el("li", "", d.id + ": " + (d.error.type || "error"));
      fl.title = d.error.message || "";
      fl.addEventListener("click", function () { go(i); });
      failedList.appendChild(fl);
    }
  });
  if (nFailed) {
    var box = document.getElementById("failed");
    box.appendChild(el("h2", "", "Failed documents (" + nFailed + ")"));
    box.appendChild(failedList);
  }
  function drawPage(d, page, index) {
    var view = el("div", "page-view");
    view.dataset.page = page.page;
    var hasSize = page.width && page.height;
    if (index === 0 && d.image_url) {
      var img = el("img", "page-image");
      img.loading = "lazy";
      img.decoding = "async";
      img.alt = d.id;
      img.src = d.image_url;
      view.appendChild(img);
    } else {
      view.classList.add("no-image");
      if (hasSize) view.style.aspectRatio = page.width + " / " + page.height;
      else view.style.minHeight = "4em";
    }
    if (!hasSize) return view;
    (page.lines || []).forEach(function (ln) {
      if (!ln[1]) return;
      var o = el("div", "ocr-line", ln[0]);
      o.title = ln[0] + (ln[2] !== null && ln[2] !== undefined ? " (OCR " + Number(ln[2]).toFixed(2) + ")" : "");
      place(o, ln[1], page);
      view.appendChild(o);
    });
    d.fields.forEach(function (f) {
      if (!f.box || (f.page || 1) !== page.page) return;
      var b = el("div", "box");
      b.dataset.key = f.key;
      b.style.setProperty("--c", colour(f.confidence));
      if (failedChecks(f).length) b.classList.add("failed");
      if (f.correct === false) b.classList.add("wrong");
      b.title = f.key + ": " + show(f.value);
      place(b, f.box, page);
      b.appendChild(el("span", "box-label", f.key));
      view.appendChild(b);
    });
    return view;
  }
  function drawTable(d) {
    var table = el("table", "fields");
    var head = el("tr");
    var cols = ["key", "value"];
    if (d.evaluated) cols.push("label");
    cols.push("confidence", "runner-up", "why", "checks");
    cols.forEach(function (c) { head.appendChild(el("th", "", c)); });
    table.appendChild(head);
    d.fields.forEach(function (f) {
      var tr = el("tr");
      tr.dataset.key = f.key;
      if (f.correct === false) tr.className = "wrong";
      tr.appendChild(el("td", "key", f.key));
      tr.appendChild(el("td", "value", show(f.value)));
      if (d.evaluated) tr.appendChild(el("td", "expected", f.correct === false ? show(f.expected) : ""));
      var tc = el("td", "confidence");
      if (f.confidence !== null && f.confidence !== undefined) {
        var span = el("span", "conf", Number(f.confidence).toFixed(2));
        span.style.setProperty("--c", colour(f.confidence));
        tc.appendChild(span);
      }
      tr.appendChild(tc);
      tr.appendChild(el("td", "runner-up", f.runner_up ? show(f.runner_up[0]) + " (" +
        Number(f.runner_up[1]).toFixed(2) + ")" : ""));
      tr.appendChild(el("td", "why muted", f.why));
      var checks = el("td", "checks");
      (f.checks || []).forEach(function (c) {
        var kind = c.passed === true ? "pass" : c.passed === false ? "fail" : "error";
        var mark = kind === "pass" ? "✓ " : kind === "fail" ? "✗ " : "! ";
        var s = el("span", "check " + kind, mark + c.check + (c.message ? ": " + c.message : "") +
          (c.error ? ": " + c.error : ""));
        s.dataset.check = c.check;
        checks.appendChild(s);
      });
      tr.appendChild(checks);
      table.appendChild(tr);
    });
    return table;
  }
  function go(i) {
    if (!docs.length) return;
    i = Math.max(0, Math.min(docs.length - 1, i));
    if (i === current) return;
    current = i;
    var d = docs[i];
    var main = document.getElementById("doc");
    main.textContent = "";
    main.dataset.index = i;
    main.dataset.id = d.id;
    var head = el("div", "dochead");
    head.appendChild(el("h2", "", (i + 1) + " / " + docs.length + " · " + d.id));
    if (d.source) head.appendChild(el("span", "muted", d.source));
    main.appendChild(head);
    if (d.error) main.appendChild(el("div", "error", (d.error.type || "error") + ": " + (d.error.message || "")));
    var content = el("div", "content");
    var pages = el("div", "pages");
    var ps = d.pages && d.pages.length ? d.pages : [{page: 1, lines: []}];
    ps.forEach(function (p, k) { pages.appendChild(drawPage(d, p, k)); });
    if (!d.pages.length && !d.image_url) pages.appendChild(el("p", "muted", "no image or OCR lines in this record"));
    content.appendChild(pages);
    if (d.fields.length) content.appendChild(drawTable(d));
    main.appendChild(content);
    Array.prototype.forEach.call(list.children, function (li, k) { li.classList.toggle("current", k === i); });
    if (list.children[i]) list.children[i].scrollIntoView({block: "nearest"});
    if (location.hash !== "#" + (i + 1)) history.replaceState(null, "", "#" + (i + 1));
    document.body.dataset.ready = "1";
  }
  var ocrBox = document.getElementById("show-ocr");
  ocrBox.addEventListener("change", function () { document.body.classList.toggle("show-ocr", ocrBox.checked); });
  document.addEventListener("keydown", function (e) {
    if (e.target && (e.target.tagName === "INPUT" && e.target.type !== "checkbox")) return;
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    var k = e.key;
    if (k === "ArrowRight" || k === "j" || k === "n" || k === "PageDown") { go(current + 1); e.preventDefault(); }
    else if (k === "ArrowLeft" || k === "k" || k === "p" || k === "PageUp") { go(current - 1); e.preventDefault(); }
    else if (k === "Home") { go(0); e.preventDefault(); }
    else if (k === "End") { go(docs.length - 1); e.preventDefault(); }
    else if (k === "o") { ocrBox.checked = !ocrBox.checked; ocrBox.dispatchEvent(new Event("change")); }
  });
  function fromHash() {
    var n = parseInt(location.hash.slice(1), 10);
    go(isNaN(n) ? 0 : n - 1);
  }
  window.addEventListener("hashchange", fromHash);
  fromHash();
})();
"""
