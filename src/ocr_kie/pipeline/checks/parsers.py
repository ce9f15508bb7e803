"""Value parsers the checks use: dates, ID and card checksums, 大写 amounts, amounts and rates."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from ocr_kie.normalize import parse_number, to_halfwidth

# ------------------------------------------------------------------------------ value parsers

_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS = {m: i for i, m in enumerate(_MONTH_NAMES, 1)}
_YMD = re.compile(r"(?<!\d)(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)")
_DMY = re.compile(r"(?<!\d)(\d{1,2})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{4}|\d{2})(?![\d])")
_D_MON_Y = re.compile(r"(?<!\d)(\d{1,2})[\s\-/.]*([a-z]{3})[a-z]*\.?[\s\-/.,]*(\d{4}|\d{2})(?!\d)", re.IGNORECASE)
_MON_D_Y = re.compile(r"\b([a-z]{3})[a-z]*\.?\s*(\d{1,2})(?:st|nd|rd|th)?,?\s*(\d{4})(?!\d)", re.IGNORECASE)
_COMPACT = re.compile(r"(?<!\d)((?:19|20)\d{2})(\d{2})(\d{2})(?!\d)")


def _exists(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def _year(text: str) -> int:
    y = int(text)
    return y + 2000 if len(text) == 2 else y


def parse_date(text: str) -> bool | None:
    """Whether the date written in ``text`` exists; None when no date is recognised.

    Year first (``2025-02-28``, ``2025年2月28日``, ``2025.02.28``, ``20250228``), day or month first
    with ``/ - .`` (``31/01/2024``, ``01-31-24``: valid when either reading exists), and month names
    (``5 Jan 2024``, ``Jan 5, 2024``).

    Example:
        >>> parse_date("2024-02-29"), parse_date("2023-02-29"), parse_date("每月5日")
        (True, False, None)
    """
    t = to_halfwidth(str(text))
    if m := _YMD.search(t):
        return _exists(int(m[1]), int(m[2]), int(m[3]))
    if m := _DMY.search(t):
        a, b, y = int(m[1]), int(m[2]), _year(m[3])
        return _exists(y, b, a) or _exists(y, a, b)
    if (m := _D_MON_Y.search(t)) and m[2].lower() in _MONTHS:
        return _exists(_year(m[3]), _MONTHS[m[2].lower()], int(m[1]))
    if (m := _MON_D_Y.search(t)) and m[1].lower() in _MONTHS:
        return _exists(int(m[3]), _MONTHS[m[1].lower()], int(m[2]))
    if m := _COMPACT.search(t):
        return _exists(int(m[1]), int(m[2]), int(m[3]))
    return None


_GB11643_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_GB11643_CODES = "10X98765432"


def gb11643_valid(number: str) -> bool:
    """Whether an 18-character Chinese resident ID number has the right check character and birth date.

    Example:
        >>> gb11643_valid("11010519491231002X"), gb11643_valid("110105194912310021")
        (True, False)
    """
    n = to_halfwidth(number).strip().upper()
    if not re.fullmatch(r"\d{17}[\dX]", n):
        return False
    total = sum(int(d) * w for d, w in zip(n[:17], _GB11643_WEIGHTS, strict=True))
    return _GB11643_CODES[total % 11] == n[17] and _exists(int(n[6:10]), int(n[10:12]), int(n[12:14]))


def luhn_valid(number: str) -> bool:
    """Whether a card number (digits, spaces and dashes allowed) passes the Luhn check.

    Example:
        >>> luhn_valid("4111 1111 1111 1111"), luhn_valid("4111 1111 1111 1112")
        (True, False)
    """
    digits = [int(c) for c in to_halfwidth(number) if c.isdigit()]
    if not digits:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2:
            d *= 2
            d -= 9 if d > 9 else 0
        total += d
    return total % 10 == 0


_DAXIE_DIGITS = {
    ch: digit
    for digit, chars in enumerate(
        ("零〇", "壹一", "贰貳二两", "叁參三", "肆四", "伍五", "陆陸六", "柒七", "捌八", "玖九")
    )
    for ch in chars
}
_DAXIE_UNITS = {"拾": 10, "十": 10, "佰": 100, "百": 100, "仟": 1000, "千": 1000}
_DAXIE_NOISE = re.compile(r"[\s:：()（）⊗ⓧ×¥￥]|人民币|大写|金额|合计|价税")


def _daxie_integer(text: str) -> int:
    total = section = number = 0
    for ch in text:
        if ch in _DAXIE_DIGITS:
            number = _DAXIE_DIGITS[ch]
        elif ch in _DAXIE_UNITS:
            section += (number or 1) * _DAXIE_UNITS[ch]
            number = 0
        elif ch in "万萬":
            total += (section + number) * 10_000
            section = number = 0
        elif ch in "亿億":
            total = (total + section + number) * 100_000_000
            section = number = 0
        else:
            raise ValueError(f"{ch!r} is not a 大写 numeral")
    return total + section + number


def parse_daxie(text: str) -> Decimal:
    """Read 大写金额 (``壹佰贰拾叁元肆角伍分``, ``人民币叁万元整``) as a Decimal.

    Example:
        >>> parse_daxie("壹万贰仟叁佰肆拾伍元陆角柒分"), parse_daxie("⊗叁拾元整")
        (Decimal('12345.67'), Decimal('30'))

    Raises:
        ValueError: Not a 大写 amount.
    """
    t = _DAXIE_NOISE.sub("", str(text)).rstrip("整正")
    if not t:
        raise ValueError("empty")
    head, sep, tail = t.partition("元") if "元" in t else t.partition("圆")
    if not sep:
        head, tail = ("", t) if re.search("[角分]", t) else (t, "")
    amount = Decimal(_daxie_integer(head)) if head else Decimal(0)
    for unit, scale in (("角", Decimal("0.1")), ("分", Decimal("0.01"))):
        m = re.search(f"([{''.join(_DAXIE_DIGITS)}])?{unit}", tail)
        if m:
            amount += _DAXIE_DIGITS[m[1]] * scale if m[1] else Decimal(0)
            tail = tail[: m.start()] + tail[m.end() :]
    if tail.strip("零〇"):
        raise ValueError(f"{tail!r} is left over")
    return amount


def _amount(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return Decimal(str(value))
    number = parse_number(str(value))
    if number is None:  # "￥166.0元": a sign and a unit both
        number = parse_number(re.sub(r"\s*[元圆]\s*$", "", str(value)))
    return None if number is None else Decimal(str(number))


def _rate(value: Any) -> Decimal | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        rate = Decimal(str(value))
        return rate / 100 if rate > 1 else rate
    t = to_halfwidth(str(value)).strip()
    if m := re.fullmatch(r"(\d+(?:\.\d+)?)\s*%", t):
        return Decimal(m[1]) / 100
    number = _amount(t)
    if number is None:
        return None
    return number / 100 if number > 1 else number


def _close(a: Decimal, b: Decimal, tolerance: Decimal = Decimal("0.01")) -> bool:
    return abs(a - b) <= max(tolerance, abs(b) * Decimal("0.001"))
