"""OCR benchmark: speed, memory, loader overhead, paddle vs raw paddleocr, OCR ceiling, big scans.

Usage::

    python benchmarks/ocr_benchmark.py [--dataset DIR] [--limit N] [--engines paddle onnx]
                                       [--timing-limit M] [--out benchmarks/results/ocr.json]

Every engine is measured in its own subprocess, so the peak memory (``ru_maxrss``) is that
engine's. Prints Markdown tables and writes the results as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATASET = Path("/work/shared/datasets/sroie-train-100")
SCREENSHOT = ROOT / "tests" / "fixtures" / "screenshot_zh.png"
KEYS = ["company", "date", "address", "total"]
A4_300DPI = (2480, 3508)
PHONE = (1000, 1300)


# --------------------------------------------------------------------------- helpers


def _rgb(path: Path) -> np.ndarray:
    from PIL import Image, ImageOps

    with Image.open(path) as im:
        return np.asarray((ImageOps.exif_transpose(im) or im).convert("RGB"))


def _pixels(path: Path) -> int:
    from PIL import Image

    with Image.open(path) as im:
        return im.width * im.height


def _stats(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return {"median": statistics.median(ordered), "p90": p90, "mean": statistics.fmean(ordered), "n": len(ordered)}


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _on_canvas(image: np.ndarray, size: tuple[int, int], fill: float = 0.9) -> np.ndarray:
    """The image scaled to fill ``fill`` of a white canvas of ``size`` (width, height), centred."""
    import cv2

    width, height = size
    h, w = image.shape[:2]
    scale = min(fill * width / w, fill * height / h)
    resized = cv2.resize(image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_CUBIC)
    canvas = np.full((height, width, 3), 255, dtype=np.uint8)
    y, x = (height - resized.shape[0]) // 2, (width - resized.shape[1]) // 2
    canvas[y : y + resized.shape[0], x : x + resized.shape[1]] = resized
    return canvas


def _screenshot_lines_found(text: str) -> float:
    from ocr_kie.evaluation import normalize_for_match

    truth = json.loads(SCREENSHOT.with_suffix(".json").read_text(encoding="utf-8"))
    expected = [normalize_for_match(line["text"]) for line in truth["lines"]]
    found = normalize_for_match(text)
    return sum(e in found for e in expected) / len(expected)


# --------------------------------------------------------------------------- workers (subprocesses)


def worker_engine(args: argparse.Namespace) -> dict[str, Any]:
    """Load time, per-image time, ceiling, loader overhead and big scans of one engine."""
    from ocr_kie.evaluation import load_dataset, ocr_ceiling
    from ocr_kie.loader import PPOCRLoader
    from ocr_kie.ocr import create_engine

    options = json.loads(args.options)
    docs = load_dataset(args.dataset)[: args.limit]
    out: dict[str, Any] = {"engine": args.engine, "options": options, "rss_before_load_mb": _peak_rss_mb()}
    load_s, engine = _timed(lambda: create_engine(args.engine, **options))
    out["load_s"] = load_s
    out["resolved_options"] = engine.options.model_dump()
    out["model"] = engine.model

    out["load_average_start"] = os.getloadavg()
    base = _rgb(docs[0].image)
    engine.recognize(base)  # warm-up
    texts, times = {}, []
    for doc in docs:  # decoded one at a time (not timed), so that the peak memory is the engine's
        image = _rgb(doc.image)
        t, page = _timed(lambda image=image, doc=doc: engine.recognize(image, source=doc.id))
        texts[doc.id] = page.text
        times.append(t)
    del image
    out["sroie"] = {**_stats(times), "per_image": dict(zip([d.id for d in docs], times, strict=True))}
    out["ceiling"] = ocr_ceiling(docs, texts, KEYS)
    out["texts"] = texts
    if args.ceiling_only:
        out["peak_rss_mb"] = _peak_rss_mb()
        return out

    screenshot = _rgb(SCREENSHOT)
    engine.recognize(screenshot)
    shot_times = []
    for _ in range(args.repeats):
        t, page = _timed(lambda: engine.recognize(screenshot))
        shot_times.append(t)
    out["screenshot"] = {**_stats(shot_times), "lines_found": _screenshot_lines_found(page.text)}

    # Loader vs direct: same images, the order alternated per image to cancel drift.
    subset = docs[: args.timing_limit]
    loader_t, direct_t = [], []

    def via_loader(path: Path) -> str:
        return next(iter(PPOCRLoader([path], engine=engine).lazy_load())).page_content

    def direct(path: Path) -> str:
        return engine.recognize(_rgb(path), source=str(path)).text

    for i, doc in enumerate(subset):
        pair = [(loader_t, via_loader), (direct_t, direct)]
        for bucket, fn in pair if i % 2 == 0 else pair[::-1]:
            t, _ = _timed(lambda fn=fn, doc=doc: fn(doc.image))
            bucket.append(t)
    out["loader"] = {
        "loader": _stats(loader_t),
        "direct": _stats(direct_t),
        "ratio_of_medians": statistics.median(loader_t) / statistics.median(direct_t),
    }

    # Big scans vs a phone-photo-sized image.
    largest = max(load_dataset(args.dataset), key=lambda d: _pixels(d.image))
    big = {
        f"phone {PHONE[0]}x{PHONE[1]} ({docs[0].id})": _on_canvas(base, PHONE),
        f"A4 300 dpi {A4_300DPI[0]}x{A4_300DPI[1]} ({docs[0].id})": _on_canvas(base, A4_300DPI),
        f"largest SROIE ({largest.id})": _rgb(largest.image),
    }
    out["big_scans"] = {}
    for name, image in big.items():
        engine.recognize(image)
        big_times = [_timed(lambda image=image: engine.recognize(image))[0] for _ in range(args.repeats)]
        out["big_scans"][name] = {"size": f"{image.shape[1]}x{image.shape[0]}", **_stats(big_times)}
    out["peak_rss_mb"] = _peak_rss_mb()
    out["load_average_end"] = os.getloadavg()
    return out


def worker_paired(args: argparse.Namespace) -> dict[str, Any]:
    """paddle vs onnx in one process, alternated per image, so that machine load cancels out."""
    from ocr_kie.evaluation import load_dataset
    from ocr_kie.ocr import create_engine

    docs = load_dataset(args.dataset)[: args.timing_limit]
    engines = {"paddle": create_engine("paddle"), "onnx": create_engine("onnx")}
    first = _rgb(docs[0].image)
    for engine in engines.values():
        engine.recognize(first)
    times: dict[str, list[float]] = {name: [] for name in engines}
    for i, doc in enumerate(docs):
        image = _rgb(doc.image)
        names = list(engines) if i % 2 == 0 else list(engines)[::-1]
        for name in names:
            times[name].append(_timed(lambda name=name, image=image: engines[name].recognize(image))[0])
    return {
        **{name: _stats(t) for name, t in times.items()},
        "ratio_of_medians": statistics.median(times["paddle"]) / statistics.median(times["onnx"]),
        "threads": {name: e.options.threads for name, e in engines.items()},
    }


def worker_raw(args: argparse.Namespace) -> dict[str, Any]:
    """Our paddle engine vs the raw paddleocr pipeline on the same models and settings."""
    import paddleocr

    from ocr_kie.evaluation import load_dataset
    from ocr_kie.ocr import create_engine
    from ocr_kie.ocr.models import CLS_MODEL, DET_MODEL, REC_MODEL, prepare_paddle_models

    ours = create_engine("paddle", textline_orientation=False)
    opts = ours.options
    dirs = prepare_paddle_models(opts.model_cache_dir)
    raw = paddleocr.PaddleOCR(
        text_detection_model_name=DET_MODEL,
        text_detection_model_dir=str(dirs.det),
        text_recognition_model_name=REC_MODEL,
        text_recognition_model_dir=str(dirs.rec),
        textline_orientation_model_name=CLS_MODEL,
        textline_orientation_model_dir=str(dirs.cls),
        use_doc_orientation_classify=False,
        use_doc_unwarping=False,
        use_textline_orientation=False,
        text_det_limit_side_len=opts.det_limit_side_len,
        text_det_limit_type="min",
        text_det_box_thresh=opts.det_box_thresh,
        text_det_unclip_ratio=opts.det_unclip_ratio,
        text_rec_score_thresh=opts.min_score,
        text_recognition_batch_size=opts.rec_batch_size,
        device="cpu",
        enable_mkldnn=opts.enable_mkldnn,
        cpu_threads=opts.threads,
    )
    docs = load_dataset(args.dataset)[: args.timing_limit]

    def pre_resized(doc: Any) -> np.ndarray:
        import cv2

        image = _rgb(doc.image)
        scale = min(1.0, opts.max_side / max(image.shape[:2]))
        if scale < 1.0:
            image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        return image

    images = [pre_resized(d) for d in docs]
    run_ours = lambda rgb: len(ours.recognize(rgb).lines)  # noqa: E731
    run_raw = lambda rgb: len(raw.predict(np.ascontiguousarray(rgb[:, :, ::-1]))[0]["rec_texts"])  # noqa: E731
    run_ours(images[0]), run_raw(images[0])  # warm-up
    ours_t, raw_t, ours_n, raw_n = [], [], 0, 0
    for i, rgb in enumerate(images):
        pair = [("ours", run_ours), ("raw", run_raw)]
        for which, fn in pair if i % 2 == 0 else pair[::-1]:
            t, n = _timed(lambda fn=fn, rgb=rgb: fn(rgb))
            if which == "ours":
                ours_t.append(t)
                ours_n += n
            else:
                raw_t.append(t)
                raw_n += n
    return {
        "ours": _stats(ours_t),
        "raw": _stats(raw_t),
        "ratio_of_medians": statistics.median(ours_t) / statistics.median(raw_t),
        "lines": {"ours": ours_n, "raw": raw_n},
        "settings": {
            "det_limit_side_len": opts.det_limit_side_len,
            "det_box_thresh": opts.det_box_thresh,
            "det_unclip_ratio": opts.det_unclip_ratio,
            "threads": opts.threads,
            "textline_orientation": False,
        },
    }


# --------------------------------------------------------------------------- orchestration


def machine() -> dict[str, Any]:
    """The CPU, core count and library versions."""
    from importlib.metadata import PackageNotFoundError, version

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for dist in ("paddlepaddle", "paddleocr", "paddlex", "onnxruntime", "rapidocr-onnxruntime", "opencv-python"):
        try:
            versions[dist] = version(dist)
        except PackageNotFoundError:
            versions[dist] = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "cores_available": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "python": platform.python_version(),
        "versions": versions,
    }


def _run_worker(args: argparse.Namespace, task: str, engine: str, options: dict[str, Any], **extra: Any) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as tmp:
        result_path = Path(tmp.name)
    cmd = [
        sys.executable,
        __file__,
        "--worker",
        task,
        "--worker-engine",
        engine,
        "--options",
        json.dumps(options),
        "--dataset",
        str(args.dataset),
        "--limit",
        str(args.limit),
        "--timing-limit",
        str(args.timing_limit),
        "--repeats",
        str(args.repeats),
        "--worker-out",
        str(result_path),
    ]
    if extra.get("ceiling_only"):
        cmd.append("--ceiling-only")
    print(f"… {task} {engine} {options or ''}", file=sys.stderr, flush=True)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    try:
        return json.loads(result_path.read_text(encoding="utf-8"))
    finally:
        result_path.unlink(missing_ok=True)


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def report(results: dict[str, Any]) -> str:
    """The results as Markdown tables."""
    m = results["machine"]
    out = [
        f"Machine: {m['cpu']}, {m['cores']} cores; python {m['python']}; "
        + ", ".join(f"{k} {v}" for k, v in m["versions"].items() if v),
        "",
        f"Dataset: {results['dataset']} ({results['limit']} images; timing subsets {results['timing_limit']} images)",
        "",
        "| engine | load s | SROIE median s | SROIE p90 s | screenshot median s | screenshot p90 s "
        "| screenshot lines found | peak RSS MB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results["engines"].items():
        out.append(
            f"| {name} | {r['load_s']:.2f} | {r['sroie']['median']:.2f} | {r['sroie']['p90']:.2f} "
            f"| {r['screenshot']['median']:.3f} | {r['screenshot']['p90']:.3f} "
            f"| {_pct(r['screenshot']['lines_found'])} | {r['peak_rss_mb']:.0f} |"
        )
    loads = {n: (r["load_average_start"][0], r["load_average_end"][0]) for n, r in results["engines"].items()}
    out += [
        "",
        "1-min load average at start/end of each engine's run (2 cores; > 2 means others were busy): "
        + ", ".join(f"{n} {a:.1f}/{b:.1f}" for n, (a, b) in loads.items()),
    ]
    out += ["", "OCR ceiling (share of labelled values found in the OCR text; exact / fuzzy ≥ 0.9):", ""]
    out += ["| engine | " + " | ".join(KEYS) + " | mean fuzzy |", "|---|" + "---|" * (len(KEYS) + 1)]
    for name, c in results["ceilings"].items():
        cells = [f"{c[k]['exact']:.2f} / {c[k]['fuzzy']:.2f}" for k in KEYS]
        mean = statistics.fmean(c[k]["fuzzy"] for k in KEYS)
        out.append(f"| {name} | " + " | ".join(cells) + f" | {mean:.3f} |")
    out += ["", "Overheads (ratio of median per-image times, same images, order alternated):", ""]
    out += ["| comparison | ours median s | baseline median s | ratio |", "|---|---|---|---|"]
    for name, r in results["engines"].items():
        lo = r["loader"]
        out.append(
            f"| {name}: PPOCRLoader vs decode + recognize | {lo['loader']['median']:.3f} "
            f"| {lo['direct']['median']:.3f} | {lo['ratio_of_medians']:.3f} |"
        )
    if results.get("raw"):
        raw = results["raw"]
        out.append(
            f"| paddle engine vs raw paddleocr.PaddleOCR (orientation off) | {raw['ours']['median']:.3f} "
            f"| {raw['raw']['median']:.3f} | {raw['ratio_of_medians']:.3f} |"
        )
    if results.get("paired"):
        pr = results["paired"]
        out.append(
            f"| paddle vs onnx engine, one process, alternated | {pr['paddle']['median']:.3f} "
            f"| {pr['onnx']['median']:.3f} | {pr['ratio_of_medians']:.3f} |"
        )
    out += ["", "Big scans (median of repeats, seconds):", ""]
    names = list(results["engines"])
    out += ["| image | size | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
    first = results["engines"][names[0]]["big_scans"]
    for image in first:
        cells = [f"{results['engines'][n]['big_scans'][image]['median']:.2f}" for n in names]
        out.append(f"| {image} | {first[image]['size']} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=DEFAULT_DATASET)
    parser.add_argument("--limit", type=int, default=100, help="SROIE images for timing and the OCR ceiling")
    parser.add_argument("--timing-limit", type=int, default=20, help="images for loader and raw-paddleocr comparisons")
    parser.add_argument("--repeats", type=int, default=5, help="repeats for the screenshot and big scans")
    parser.add_argument("--engines", nargs="+", default=["paddle", "onnx"])
    parser.add_argument("--no-raw", action="store_true", help="skip the raw paddleocr comparison")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "ocr.json")
    parser.add_argument("--worker", choices=["engine", "raw", "paired"], help=argparse.SUPPRESS)
    parser.add_argument("--worker-engine", dest="engine", help=argparse.SUPPRESS)
    parser.add_argument("--options", default="{}", help=argparse.SUPPRESS)
    parser.add_argument("--ceiling-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--worker-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        workers = {"engine": worker_engine, "raw": worker_raw, "paired": worker_paired}
        result = workers[args.worker](args)
        args.worker_out.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
        return 0

    results: dict[str, Any] = {
        "machine": machine(),
        "dataset": str(args.dataset),
        "limit": args.limit,
        "timing_limit": args.timing_limit,
        "repeats": args.repeats,
        "engines": {},
        "ceilings": {},
    }
    print(f"Machine: {results['machine']}", file=sys.stderr)
    for engine in args.engines:
        r = _run_worker(args, "engine", engine, {})
        results["engines"][engine] = r
        results["ceilings"][engine] = r["ceiling"]
        if engine == "paddle":
            off = _run_worker(args, "engine", "paddle", {"textline_orientation": False}, ceiling_only=True)
            results["ceilings"]["paddle, textline_orientation=False"] = off["ceiling"]
            results["engines_ceiling_only"] = {"paddle, textline_orientation=False": off}
    if "paddle" in args.engines and not args.no_raw:
        results["raw"] = _run_worker(args, "raw", "paddle", {})
    if {"paddle", "onnx"} <= set(args.engines):
        results["paired"] = _run_worker(args, "paired", "paddle+onnx", {})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    text = report(results)
    print(text)
    args.out.with_suffix(".md").write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
