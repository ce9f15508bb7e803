"""Single-value checks: which ones a key calls for (its role), and each built-in check of one value."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from ocr_kie.candidates import KeyType, key_type
from ocr_kie.normalize import to_halfwidth
from ocr_kie.pipeline.checks.parsers import _MONTH_NAMES, _amount, gb11643_valid, luhn_valid, parse_date, parse_daxie
from ocr_kie.pipeline.checks.types import Verdict

# ------------------------------------------------------------------------------ key roles

_ID_CARD_KEY = re.compile(r"身份证|身份号码|证件号|居民身份|id.?card|national.?id|resident.?id|citizen.?id", re.I)
_CARD_KEY = re.compile(r"银行卡|卡号|信用卡号|card.?(?:no|number|num)|\bpan\b", re.I)
_DAXIE_KEY = re.compile(r"大写")
_XIAOXIE_KEY = re.compile(r"小写")
_RATE_KEY = re.compile(r"税率|rate|%", re.I)
_NET_KEY = re.compile(r"^金额$|不含税|税前|金额合计|\bnet\b|nett?_|sub.?total|excl", re.I)
_TOTAL_KEY = re.compile(r"价税合计|合计|总计|总额|总价|实付|应付|total|grand|amount.?due", re.I)
_TAX_KEY = re.compile(r"税额|\btax\b|tax.?amount|^tax|\bgst\b|\bsst\b|\bvat\b", re.I)
_ITEM_AMOUNT = re.compile(r"金额|amount|小计|sub.?total|line.?total|total|合计", re.I)
_ITEM_PRICE = re.compile(r"单价|价格|price|unit", re.I)
_ITEM_QTY = re.compile(r"数量|qty|quantity|count", re.I)


def _role(key: str) -> str | None:
    name = key.replace("_", " ")
    if _DAXIE_KEY.search(name):
        return "daxie"
    if _RATE_KEY.search(name):
        return "rate"
    if _NET_KEY.search(name):
        return "net"
    if _TOTAL_KEY.search(name):
        return "total"
    if _TAX_KEY.search(name):
        return "tax"
    return None


def _value_checks(key: str, prop: Mapping[str, Any] | None) -> list[str]:
    """The built-in single-value checks the key's name (or schema) calls for."""
    if _ID_CARD_KEY.search(key):
        return ["gb11643"]
    if _CARD_KEY.search(key):
        return ["luhn"]
    if _DAXIE_KEY.search(key):
        return ["daxie"]
    if "发票号码" in key:
        return ["fapiao_number"]
    if "发票代码" in key:
        return ["fapiao_code"]
    kind = key_type(key, prop)
    if kind is KeyType.DATE:
        return ["date"]
    if kind is KeyType.AMOUNT:
        return ["amount"]
    return []


# ------------------------------------------------------------------------------ built-in checks
# Each returns (passed, message), or None when it does not apply to the value.

_CJK_DATE = re.compile(r"[〇零一二三四五六七八九十]+\s*[年月日号]")


def _check_date(value: Any) -> Verdict:
    if not isinstance(value, str) or not value.strip():
        return None
    ok = parse_date(value)
    if ok is None:
        text = to_halfwidth(value)
        if not re.search(r"\d", text) and not _CJK_DATE.search(text) and not _month_name(text):
            return False, f"{value!r} holds no date"
        if re.fullmatch(r"\s*\d{9,}\s*", text):
            return False, f"{value!r} is a number, not a date"
        return None  # a partial or recurring date ("每月5日", "12月"): nothing to judge
    return ok, "the date exists" if ok else f"{value!r} is not a date that exists"


def _month_name(text: str) -> bool:
    return any(re.search(rf"\b{m}", text, re.IGNORECASE) for m in _MONTH_NAMES)


def _check_amount(value: Any) -> Verdict:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return True, "a number"
    if not isinstance(value, str) or not value.strip():
        return None
    if _amount(value) is not None or re.fullmatch(r"\d+(?:\.\d+)?\s*[万亿]元?", to_halfwidth(value).strip()):
        return True, "parses as an amount"
    return False, f"{value!r} does not parse as an amount"


def _check_gb11643(value: Any) -> Verdict:
    text = to_halfwidth(str(value)).replace(" ", "").upper()
    if not re.fullmatch(r"[\dX*]{15,18}", text) or "*" in text:
        return None if "*" in text else (False, f"{value!r} is not an 18-character ID number")
    if len(text) != 18:
        return False, f"{value!r} is not an 18-character ID number"
    ok = gb11643_valid(text)
    return ok, "GB 11643 check character and birth date agree" if ok else "bad GB 11643 check character or birth date"


def _check_luhn(value: Any) -> Verdict:
    text = to_halfwidth(str(value))
    if re.search(r"[*xX•]", text):
        return None  # masked
    digits = re.sub(r"[\s-]", "", text)
    if not digits.isdigit():
        return False, f"{value!r} is not a card number"
    if not 12 <= len(digits) <= 19:
        return False, f"a card number has 12-19 digits, {value!r} has {len(digits)}"
    ok = luhn_valid(digits)
    return ok, "Luhn check digit agrees" if ok else "bad Luhn check digit"


def _check_fapiao_number(value: Any) -> Verdict:
    digits = re.sub(r"[\s-]", "", to_halfwidth(str(value)))
    if "*" in digits:
        return False, f"{value!r} is masked: a 发票号码 is printed whole"
    ok = digits.isdigit() and len(digits) in (8, 20)
    return ok, "8 or 20 digits" if ok else f"a 发票号码 has 8 digits (20 on 全电发票), not {value!r}"


def _check_fapiao_code(value: Any) -> Verdict:
    digits = re.sub(r"[\s-]", "", to_halfwidth(str(value)))
    ok = digits.isdigit() and len(digits) in (10, 12)
    return ok, "10 or 12 digits" if ok else f"a 发票代码 has 10 or 12 digits, not {value!r}"


def _check_daxie(value: Any) -> Verdict:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parse_daxie(value)
    except ValueError as e:
        return False, f"{value!r} is not a 大写 amount ({e})"
    return True, "reads as a 大写 amount"


_VALUE_CHECKS: dict[str, Callable[[Any], Verdict]] = {
    "date": _check_date,
    "amount": _check_amount,
    "gb11643": _check_gb11643,
    "luhn": _check_luhn,
    "daxie": _check_daxie,
    "fapiao_number": _check_fapiao_number,
    "fapiao_code": _check_fapiao_code,
}

#: Every built-in check's name.
BUILTIN_CHECKS = (*_VALUE_CHECKS, "daxie_figure", "items_total", "tax_rate", "total_net_tax")
