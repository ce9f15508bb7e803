"""Drawing helpers shared by the Chinese dataset generators (``make_zh_eval.py``, ``make_zh_docs.py``).

The font is the one shipped in the package (``src/ocr_kie/fonts/wqy-microhei.ttc``; face 0: Micro
Hei, face 1: Micro Hei Mono), never the system's. Everything is deterministic given the
``random.Random`` passed in. Needs Pillow and numpy only.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageFilter, ImageFont

REPO_ROOT = Path(__file__).resolve().parent.parent
# The font shipped in the package (face 0: Micro Hei, face 1: Micro Hei Mono), never the system's.
FONT = str(REPO_ROOT / "src" / "ocr_kie" / "fonts" / "wqy-microhei.ttc")

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌浩宇欣怡子轩梓涵雨辰")

_FONTS: dict[tuple[int, int], ImageFont.FreeTypeFont] = {}


def font(size: int, mono: bool = False) -> ImageFont.FreeTypeFont:
    """The WenQuanYi Micro Hei face (``mono``: the Mono face) at ``size`` pixels, cached."""
    key = (size, int(mono))
    if key not in _FONTS:
        _FONTS[key] = ImageFont.truetype(FONT, size, index=int(mono))
    return _FONTS[key]


def text_width(text: str, f: ImageFont.FreeTypeFont) -> float:
    return f.getlength(text)


def fitted(text: str, size: int, mono: bool, max_width: float) -> ImageFont.FreeTypeFont:
    """The largest font at most ``size`` in which ``text`` fits ``max_width``."""
    while size > 14 and text_width(text, font(size, mono)) > max_width:
        size -= 1
    return font(size, mono)


def money(x: float) -> str:
    return f"{x:,.2f}"


def rand_amount(r: random.Random, lo: float, hi: float) -> float:
    """A log-uniform amount in [lo, hi] with two decimals."""
    return round(float(np.exp(r.uniform(np.log(lo), np.log(hi)))), 2)


def name(r: random.Random) -> str:
    return r.choice(SURNAMES) + "".join(r.choice(GIVEN) for _ in range(r.choice([1, 2, 2])))


def photograph(page: Image.Image, r: random.Random, margin: int = 40, scale: float = 0.85) -> Image.Image:
    """Make a flat rendering look photographed: table background, tilt ≤ 2°, uneven light, blur, noise.

    The result is scaled by ``scale`` (a camera at some distance; it also keeps the JPEGs small).
    """
    rng = np.random.default_rng(r.getrandbits(63))
    bg = tuple(int(v) for v in rng.integers([95, 85, 70], [150, 135, 120]))
    w, h = page.size
    canvas = Image.new("RGB", (w + 2 * margin, h + 2 * margin), bg)
    canvas.paste(page, (margin, margin))
    canvas = canvas.rotate(r.uniform(-2.0, 2.0), resample=Image.Resampling.BICUBIC, fillcolor=bg)
    a = np.asarray(canvas, dtype=np.float32)
    yy, xx = np.mgrid[0 : a.shape[0], 0 : a.shape[1]].astype(np.float32)
    cx, cy = r.uniform(0, a.shape[1]), r.uniform(0, a.shape[0])
    dist = np.hypot(xx - cx, yy - cy) / np.hypot(a.shape[0], a.shape[1])
    light = 1.0 - r.uniform(0.15, 0.32) * dist  # brightest at (cx, cy)
    tint = np.array([1.0, r.uniform(0.97, 1.0), r.uniform(0.9, 0.98)], dtype=np.float32)  # warm indoor light
    a = a * light[..., None] * tint
    out = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    out = out.filter(ImageFilter.GaussianBlur(r.uniform(0.4, 0.9)))
    out = out.resize((round(out.width * scale), round(out.height * scale)), Image.Resampling.LANCZOS)
    a = np.asarray(out, dtype=np.float32) + rng.normal(0.0, r.uniform(0.6, 1.5), (out.height, out.width, 1))
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))


def save_image(image: Image.Image, path: Path) -> None:
    if path.suffix == ".png":
        image.quantize(256).save(path, format="PNG", optimize=True)  # flat app colours: a palette loses nothing
    else:
        image.save(path, format="JPEG", quality=85)


def pick_examples(
    keys: list[str],
    taken: list[dict[str, Any]],
    spec_of: Callable[[str], dict[str, Any]],
    fits: Callable[[int, dict[str, Any]], bool],
    count: int,
    attempts: int,
) -> list[tuple[str, dict[str, Any]]]:
    """Worked examples whose values overlap the evaluation documents' (and the earlier examples') least.

    Args:
        keys: The kind's keys.
        taken: The evaluation documents' specs (their ``"values"``).
        spec_of: The spec drawn from a tag's random stream; example *n* tries ``example-<n>-<attempt>``.
        fits: Whether a spec may be example *n* (its layout, its number of null answers …).
        count: The number of examples.
        attempts: Tags tried per example; the first without any overlap ends the search.

    Returns:
        ``(tag, spec)`` pairs; the tag re-creates the spec's random stream for rendering.
    """
    seen = {k: {s["values"][k] for s in taken if s["values"][k] is not None} for k in keys}
    chosen: list[tuple[str, dict[str, Any]]] = []
    for n in range(count):
        best: tuple[int, str, dict[str, Any]] | None = None
        for attempt in range(attempts):
            tag = f"example-{n}-{attempt}"
            spec = spec_of(tag)
            if not fits(n, spec):
                continue
            overlap = sum(spec["values"][k] is not None and spec["values"][k] in seen[k] for k in keys)
            if best is None or overlap < best[0]:
                best = (overlap, tag, spec)
            if overlap == 0:
                break
        assert best is not None, f"no spec fits example {n + 1} in {attempts} attempts"
        chosen.append((best[1], best[2]))
        for k in keys:
            if best[2]["values"][k] is not None:
                seen[k].add(best[2]["values"][k])
    return chosen


def write_dataset(
    root: Path,
    keys: list[str],
    render: Callable[[str], tuple[dict[str, Any], Image.Image]],
    ext: Callable[[dict[str, Any]], str],
    count: int,
    examples: Callable[[], list[str]] | None,
    meta: dict[str, Any],
) -> None:
    """Write one kind of document: ``count`` documents and, with ``examples``, its worked examples and dataset.json.

    Args:
        root: The kind's folder; document *i* is ``images/<root name>-<i:03d>.<ext>`` with its
            ``labels/…json``, example *n* is ``examples/example-<n>.<ext>`` (listed in ``examples.jsonl``).
        keys: The kind's keys, in the order its labels list them.
        render: ``render(tag)`` -> ``(spec, image)``, the spec with its ``"values"``; documents are
            tagged ``"000"``, ``"001"`` …
        ext: The file extension of a spec's image (``"png"``, ``"jpg"``).
        count: The number of documents.
        examples: Returns the tags of the worked examples (None: no examples, no dataset.json).
        meta: dataset.json's fields; ``"examples"`` is added after ``"keys"`` and ``"count"`` at the end.
    """
    for sub in ("images", "labels", "examples"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for i in range(count):
        spec, image = render(f"{i:03d}")
        doc_id = f"{root.name}-{i:03d}"
        save_image(image, root / "images" / f"{doc_id}.{ext(spec)}")
        labels = json.dumps({k: spec["values"][k] for k in keys}, ensure_ascii=False, indent=2) + "\n"
        (root / "labels" / f"{doc_id}.json").write_text(labels, encoding="utf-8")
    if examples is None:
        return
    records = []
    for n, tag in enumerate(examples()):
        spec, image = render(tag)
        file = f"example-{n + 1}.{ext(spec)}"
        save_image(image, root / "examples" / file)
        records.append({"image": f"examples/{file}", "values": {k: spec["values"][k] for k in keys}})
    lines = "".join(json.dumps(rec, ensure_ascii=False) + "\n" for rec in records)
    (root / "examples.jsonl").write_text(lines, encoding="utf-8")
    head = ("name", "description", "keys")
    full = {**{k: meta[k] for k in head}, "examples": "examples.jsonl"}
    full.update({k: v for k, v in meta.items() if k not in head})
    full["count"] = max(count, 0)
    (root / "dataset.json").write_text(json.dumps(full, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def ocr_check(root: Path, names: list[str], *, with_examples: bool = False) -> dict[str, Any]:
    """OCR every image of the named folders with PP-OCR: the OCR ceiling per key, and the misses.

    Args:
        root: The dataset folder (one folder per kind of document).
        names: The folders to check.
        with_examples: Also check the worked examples of each folder (``examples.jsonl``).
    """
    from ocr_kie import PPOCRLoader
    from ocr_kie.evaluation import load_dataset, ocr_ceiling, value_in_text
    from ocr_kie.evaluation.dataset import LabelledDocument
    from ocr_kie.examples import load_examples
    from ocr_kie.ocr import get_engine

    engine = get_engine("paddle")
    report: dict[str, Any] = {}
    for sub in names:
        keys = json.loads((root / sub / "dataset.json").read_text(encoding="utf-8"))["keys"]
        docs = load_dataset(root / sub)
        if with_examples:
            for n, ex in enumerate(load_examples(root / sub / "examples.jsonl")):
                docs.append(LabelledDocument(id=f"example-{n + 1}", image=Path(ex.image), labels=dict(ex.values)))
        texts = {doc.id: PPOCRLoader(str(doc.image), engine=engine).load()[0].page_content for doc in docs}
        ceiling = ocr_ceiling(docs, texts, keys)
        misses = [
            {"id": doc.id, "key": k, "label": doc.labels[k], "text": texts[doc.id]}
            for doc in docs
            for k in keys
            if doc.labels.get(k) is not None and not value_in_text(doc.labels[k], texts[doc.id])[0]
        ]
        report[sub] = {"documents": len(docs), "ceiling": ceiling, "misses": misses}
    return report


def run_cli(
    argv: list[str] | None,
    *,
    description: str,
    kinds: Mapping[str, Any],
    generate: Callable[[Any, Path, int, int], Any],
    count: int,
    out: Path,
    seed: int,
    noun: str,
    written: str = "documents",
    check_examples: bool = False,
) -> int:
    """The generators' command line: write each kind of document, then optionally the OCR ceiling.

    Args:
        argv: The arguments (None: ``sys.argv``).
        description: The ``--help`` text.
        kinds: The generator's kinds of document by name (zh-kie's subsets, zh-docs' types).
        generate: ``generate(kind, out, seed, count)`` writes one kind.
        count: The default number of documents per kind.
        out: The default output folder.
        seed: The default seed.
        noun: What a kind is called in the help ("subset", "type").
        written: What a kind's folder holds besides its count, for the progress lines.
        check_examples: Whether ``--ocr-check`` also reads the worked examples.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--subset", action="append", choices=sorted(kinds), help=f"{noun}(s) to generate (default all)")
    parser.add_argument("--count", type=int, default=count, help=f"documents per {noun}")
    parser.add_argument("--out", type=Path, default=out, help=f"output folder (holds one folder per {noun})")
    parser.add_argument("--seed", type=int, default=seed)
    parser.add_argument("--clean", action="store_true", help=f"remove each {noun}'s folder before writing it")
    parser.add_argument("--ocr-check", action="store_true", help="measure the OCR ceiling per key with PP-OCR")
    args = parser.parse_args(argv)
    names = args.subset or list(kinds)
    for sub in names:
        if args.clean and (args.out / sub).exists():
            shutil.rmtree(args.out / sub)
        generate(kinds[sub], args.out, args.seed, args.count)
        print(f"wrote {args.count} {written} to {args.out / sub}")
    if args.ocr_check:
        report = ocr_check(args.out, names, with_examples=check_examples)
        path = args.out / "ocr_ceiling.json"  # the kinds checked now replace their entries; the others stay
        summary = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        summary.update({sub: {"documents": rep["documents"], "ceiling": rep["ceiling"]} for sub, rep in report.items()})
        path.write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        for sub, rep in report.items():
            print(f"\n{sub} ({rep['documents']} documents)")
            for key, c in rep["ceiling"].items():
                print(f"  {key}: exact {c['exact']:.2f} fuzzy {c['fuzzy']:.2f} (n={c['n']})")
            for miss in rep["misses"]:
                print(f"  MISS {miss['id']} {miss['key']}={miss['label']!r}\n    {miss['text']!r}")
    return 0
