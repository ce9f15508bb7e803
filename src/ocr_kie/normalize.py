"""Small pure text helpers shared by the output parser, the page view, candidates and grounding.

PP-OCR and Chinese LLMs mix full-width and half-width forms freely ("１２，０００．００",
"金额：", "（元）"), so comparisons go through :func:`squash`, and "no value" answers are
recognised with :data:`NULL_ANSWERS`::

    >>> to_halfwidth("１２，０００．００（元）")
    '12,000.00(元)'
    >>> squash(" ＴＯＴＡＬ  Amount ")
    'totalamount'
    >>> is_null_answer("N/A"), is_null_answer("未找到。")
    (True, True)
    >>> parse_number("¥1,234.50"), parse_number("1.234,50")
    (1234.5, None)
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "CJK",
    "CJK_CHARS",
    "NULL_ANSWERS",
    "is_cjk",
    "is_null_answer",
    "parse_number",
    "printed_numbers",
    "squash",
    "to_halfwidth",
]

#: The CJK ideographs, as the body of a regex character class (``rf"[{CJK_CHARS}]+"``): Extension A,
#: the Unified Ideographs and the Compatibility Ideographs (not kana, hangul or CJK punctuation).
CJK_CHARS = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
#: One CJK ideograph (:data:`CJK_CHARS`).
CJK = re.compile(f"[{CJK_CHARS}]")


def is_cjk(ch: str) -> bool:
    """Whether a character is a CJK ideograph (:data:`CJK_CHARS`).

    Example:
        >>> is_cjk("额"), is_cjk("a"), is_cjk("。")
        (True, False, False)
    """
    cp = ord(ch)
    return 0x3400 <= cp <= 0x4DBF or 0x4E00 <= cp <= 0x9FFF or 0xF900 <= cp <= 0xFAFF


# Characters that are width variants of ASCII/Latin-1 and safe to fold with NFKC. Everything else
# (CJK ideographs, kana, CJK punctuation such as 。、「」, circled digits, superscripts, ligatures) is
# left alone: NFKC would change their meaning or their look on the page.
_FULLWIDTH_ASCII = range(0xFF01, 0xFF5F)  # ！ … ～  -> ! … ~
_FULLWIDTH_SIGNS = range(0xFFE0, 0xFFE7)  # ￠ ￡ ￢ ￣ ￤ ￥ ￦
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"


def _fold_char(ch: str) -> str:
    cp = ord(ch)
    if cp in _FULLWIDTH_ASCII or cp in _FULLWIDTH_SIGNS:
        return unicodedata.normalize("NFKC", ch)
    if ch != " " and unicodedata.category(ch) == "Zs":  # ideographic space U+3000, NBSP, thin spaces …
        return " "
    return ch


def to_halfwidth(s: str) -> str:
    """Fold full-width ASCII, full-width signs and Unicode spaces to their half-width forms.

    Only the "Halfwidth and Fullwidth Forms" that mirror ASCII (``！``–``～``, e.g. ``１`` ``，``
    ``：`` ``（`` ``ＡＢ``), the full-width currency signs (``￥`` -> ``¥``) and space separators
    (``\\u3000``, NBSP …) are changed, using NFKC per character. CJK characters and CJK punctuation
    (``。`` ``、`` ``「」`` ``“”``) are kept intact.

    Args:
        s: Any text.

    Returns:
        The text with those characters folded; the length is unchanged.

    Example:
        >>> to_halfwidth("１２，０００．００：（元）")
        '12,000.00:(元)'
    """
    if s.isascii():
        return s
    return "".join(_fold_char(ch) for ch in s)


def squash(s: str) -> str:
    """Normalise text for lenient comparison: half-width, casefolded, without any whitespace.

    Zero-width characters (ZWSP, ZWJ, BOM …) are removed as well.

    Args:
        s: Any text.

    Returns:
        The squashed text.

    Example:
        >>> squash(" 可用 额度 "), squash("ＴＯＴＡＬ")
        ('可用额度', 'total')
    """
    folded = to_halfwidth(s).casefold()
    if not folded.isascii():
        folded = folded.translate({ord(c): None for c in _ZERO_WIDTH})
    return "".join(folded.split())


_RAW_NULL_ANSWERS = (
    # Chinese
    "未知", "未找到", "找不到", "无", "没有", "空", "空白", "不详", "暂无", "不存在", "未提供",
    "未识别", "无法识别", "未填写", "未注明", "未显示", "未给出", "未提及", "无数据", "无信息",
    "无此项", "不适用",
    # English
    "null", "none", "n/a", "na", "n.a.", "nil", "nan", "undefined", "unknown", "not found",
    "not available", "not applicable", "not provided", "not present", "not mentioned", "missing",
    "empty",
    # Placeholders
    "", "-", "--", "---", "—", "——", "…", "...", "?", "？",
)  # fmt: skip

NULL_ANSWERS: frozenset[str] = frozenset(squash(a) for a in _RAW_NULL_ANSWERS)
"""Answers meaning "no value", in :func:`squash` form (compare with ``squash(answer)``).

Prefer :func:`is_null_answer`, which also ignores surrounding quotes and punctuation.
"""

# Punctuation an LLM wraps around a bare "no value" answer: 未知。 / "N/A" / （无）
_WRAPPING_PUNCT = "\"'`“”‘’「」『』()（）[]【】<>《》.。,，;；:：!！"


def is_null_answer(s: str) -> bool:
    """Tell whether an answer means "no value" (``"未知"``, ``"N/A"``, ``"未找到。"``, ``"--"`` …).

    Args:
        s: The answer text.

    Returns:
        True when the squashed answer, or the squashed answer stripped of surrounding quotes,
        brackets and sentence punctuation, is in :data:`NULL_ANSWERS`.
    """
    squashed = squash(s)
    if squashed in NULL_ANSWERS:
        return True
    stripped = squashed.strip(_WRAPPING_PUNCT)
    return stripped != squashed and stripped in NULL_ANSWERS


_CURRENCY_PREFIX = re.compile(r"^(?:[¥$€£]|rmb|cny|usd|hkd|eur|gbp|jpy|rm|us\$|hk\$)\s*", re.IGNORECASE)
_CURRENCY_SUFFIX = re.compile(r"\s*(?:元|圆|rmb|cny|usd|hkd|eur|gbp|jpy)$", re.IGNORECASE)
_NUMBER = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")


def parse_number(s: str) -> int | float | None:
    """Parse a numeric answer such as ``"1,234.50"``, ``"¥12.00"``, ``"-３００元"`` when unambiguous.

    Rules: full-width forms are folded; one currency sign or code may precede or follow the
    number (``¥ $ € £ RMB CNY USD …``, ``元``); a sign may come first; a comma is accepted only as
    a thousands separator between groups of exactly three digits, and ``.`` is the decimal
    point. Anything else (``"1.234,50"``, ``"12,34"``, ``"1.2万"``, ``"12%"``, ``"(12)"``,
    ``"约12"``) is ambiguous and gives ``None``.

    Args:
        s: The text.

    Returns:
        An ``int`` when the text has no decimal part, a ``float`` when it has one, or ``None``.

    Example:
        >>> parse_number("1,234.50"), parse_number("¥12"), parse_number("1.2万")
        (1234.5, 12, None)
    """
    t = to_halfwidth(s).strip().replace("\u2212", "-")  # U+2212 MINUS SIGN
    sign = ""
    if t and t[0] in "+-":
        sign, t = t[0], t[1:].lstrip()
    t, n_prefix = _CURRENCY_PREFIX.subn("", t, count=1)
    t, n_suffix = _CURRENCY_SUFFIX.subn("", t, count=1)
    if n_prefix and n_suffix:
        return None
    if not sign and t and t[0] in "+-":  # "¥-12.00"
        sign, t = t[0], t[1:]
    if not _NUMBER.match(t):
        return None
    digits = sign.replace("+", "") + t.replace(",", "")
    return float(digits) if "." in digits else int(digits)


_NUMBER_RUN = re.compile(r"\d(?:[\d,.]*\d)?")
_VALID_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")


def printed_numbers(text: str) -> tuple[float, ...]:
    """The numbers printed in a (half-width) text; dates, times and ambiguous forms are skipped.

    Example:
        >>> printed_numbers("¥12,000.00 on 15/01/2019, -3 and 007")
        (12000.0, -3.0)
    """
    found: list[float] = []
    for m in _NUMBER_RUN.finditer(text):
        start, end = m.span()
        if start and (text[start - 1].isdigit() or text[start - 1] in ".,"):
            continue  # ".50", a fragment of something else
        if (start > 1 and text[start - 1] in "/:" and text[start - 2].isdigit()) or (
            end + 1 < len(text) and text[end] in "/:" and text[end + 1].isdigit()
        ):
            continue  # a date or a time: "15/01/2019", "12:30"
        token = m.group()
        if not _VALID_NUMBER.fullmatch(token) or (len(token) > 1 and token[0] == "0" and token[1].isdigit()):
            continue  # "2024.01.05", "1.234,50", "007"
        number = float(token.replace(",", ""))
        if start and text[start - 1] == "-" and (start == 1 or not text[start - 2].isalnum()):
            number = -number
        found.append(number)
    return tuple(found)
