"""Cutting text lines out of a page image, the way PP-OCR's recogniser expects them."""

from __future__ import annotations

import math

import numpy as np


def crop_line(image: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Cut a (possibly skewed) quadrilateral out of an image and straighten it.

    Args:
        image: The page, ``(H, W, 3)``.
        polygon: Four corners, clockwise from top-left, shape ``(4, 2)``.

    Returns:
        The straightened crop; tall crops (height ≥ 1.5 × width) are turned to lie flat, since
        vertical text lines are read top to bottom.
    """
    import cv2

    pts = polygon.astype(np.float32)
    width = int(max(np.linalg.norm(pts[0] - pts[1]), np.linalg.norm(pts[2] - pts[3])))
    height = int(max(np.linalg.norm(pts[0] - pts[3]), np.linalg.norm(pts[1] - pts[2])))
    width, height = max(width, 1), max(height, 1)
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(pts, target)
    crop = cv2.warpPerspective(image, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE, flags=cv2.INTER_CUBIC)
    if crop.shape[0] >= 1.5 * crop.shape[1]:
        crop = np.rot90(crop)
    return np.ascontiguousarray(crop)


def pad_to_aspect(crop: np.ndarray, size: tuple[int, int], *, fill: int = 128) -> np.ndarray:
    """Resize a crop to ``size`` (width, height) keeping its aspect ratio, padding on the right.

    Crops wider than the target ratio are squeezed to the full width (as PP-OCR's own classifier
    preprocessing does). The padding is mid-grey by default: PP-OCR pads with 0 *after*
    normalising to ``[-1, 1]``, which is grey, not black.
    """
    import cv2

    target_w, target_h = size
    h, w = crop.shape[:2]
    new_w = min(target_w, max(1, math.ceil(target_h * w / h)))
    resized = cv2.resize(crop, (new_w, target_h))
    out = np.full((target_h, target_w, 3), fill, dtype=crop.dtype)
    out[:, :new_w] = resized
    return out
