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
        summary = {sub: {"documents": rep["documents"], "ceiling": rep["ceiling"]} for sub, rep in report.items()}
        (args.out / "ocr_ceiling.json").write_text(
            json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        for sub, rep in report.items():
            print(f"\n{sub} ({rep['documents']} documents)")
            for key, c in rep["ceiling"].items():
                print(f"  {key}: exact {c['exact']:.2f} fuzzy {c['fuzzy']:.2f} (n={c['n']})")
            for miss in rep["misses"]:
                print(f"  MISS {miss['id']} {miss['key']}={miss['label']!r}\n    {miss['text']!r}")
    return 0
