"""Fonts shipped with ocr_kie, so nothing that draws Chinese depends on the machine's fonts.

``wqy-microhei.ttc`` is WenQuanYi Micro Hei 0.2.0-beta (文泉驿微米黑; face 0: Micro Hei, face 1:
Micro Hei Mono), Apache-2.0 (or GPL-3+ with the font exception), copyright 2008-2009 The WenQuanYi
Project Board of Trustees, based on Google's Droid fonts; see ``LICENSE-wqy-microhei.txt``. It is
used by the dataset and fixture generators under ``scripts/`` and by the evaluation plot.

Example:
    >>> from ocr_kie.fonts import cjk_font_path
    >>> cjk_font_path().name
    'wqy-microhei.ttc'
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["cjk_font_path"]


def cjk_font_path() -> Path:
    """The path of the bundled CJK font (WenQuanYi Micro Hei, a TrueType collection)."""
    return Path(__file__).with_name("wqy-microhei.ttc")
