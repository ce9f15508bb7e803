"""Value kinds: the patterns that find dates, times, amounts, phones, ids … in a line, and key typing.

:func:`key_type` says what a key holds (its JSON Schema first, else its name and description);
``TYPED`` lists the typed kinds the builder finds in a line, in order; ``FIT`` says which candidate
kinds fit each :class:`~ocr_kie.candidates.types.KeyType`, with how well. The label separators and
label punctuation the builder and the ranking share are here too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from ocr_kie.candidates.types import KeyType
from ocr_kie.normalize import CJK_CHARS

__all__ = ["key_type"]

# --------------------------------------------------------------------------------------------
# Patterns

_MONTHS = (
    r"(?:JAN(?:UARY)?|FEB(?:RUARY)?|MAR(?:CH)?|APR(?:IL)?|MAY|JUNE?|JULY?|AUG(?:UST)?"
    r"|SEP(?:T(?:EMBER)?)?|OCT(?:OBER)?|NOV(?:EMBER)?|DEC(?:EMBER)?)"
)
_D = r"(?<![\d])"
_E = r"(?![\d])"
# A date ends where its digits end, or where a time glued to it by the OCR begins ("25/12/20188:13:39PM").
_DE = r"(?:(?![\d]|[-/.]\d)|(?=\d{1,2}\s*[:：]\s*\d{2}))"
_YEAR = r"(?:(?:19|20)\d{2}|\d{2})"

_DATE_PATTERNS = [
    # Chinese forms
    rf"{_D}\d{{4}}\s*年\s*\d{{1,2}}\s*月\s*\d{{1,2}}\s*[日号]",
    rf"{_D}\d{{4}}\s*年\s*\d{{1,2}}\s*月",
    r"每[个]?月\s*\d{1,2}\s*[日号]",
    rf"{_D}\d{{1,2}}\s*月\s*\d{{1,2}}\s*[日号]",
    # numeric, one separator throughout: year first, day or month first
    rf"{_D}(?:19|20)\d{{2}}\s*(?P<s1>[-/.])\s*\d{{1,2}}\s*(?P=s1)\s*\d{{1,2}}{_DE}",
    rf"{_D}\d{{1,2}}\s*(?P<s2>[-/.])\s*\d{{1,2}}\s*(?P=s2)\s*{_YEAR}{_DE}",
    # month names
    rf"{_D}\d{{1,2}}\s*[-/ ]?\s*{_MONTHS}\.?\s*[-/ ,]?\s*{_YEAR}{_DE}",
    rf"(?<![A-Z]){_MONTHS}\.?\s*\d{{1,2}}\s*,?\s*(?:19|20)\d{{2}}{_DE}",
    # compact 20180304
    rf"{_D}(?:19|20)\d{{2}}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]){_DE}",
]
DATE = re.compile("|".join(f"(?:{p})" for p in _DATE_PATTERNS), re.IGNORECASE)

TIME = re.compile(
    rf"{_D}(?:[01]?\d|2[0-3])\s*[:：]\s*[0-5]\d(?:\s*[:：]\s*[0-5]\d)?(?:\s*[AaPp]\.?[Mm]\.?)?{_E}"
    rf"|{_D}(?:[01]?\d|2[0-3])\s*[时点]\s*[0-5]?\d\s*分?(?:\s*[0-5]?\d\s*秒)?"
    rf"|{_D}(?:[01]?\d|2[0-3])\s*[:：]\s*[0-5]\d\s*开"
)

_CURRENCY = r"(?:[¥￥$€£]|RMB|CNY|MYR|USD|HKD|RM|US\$|HK\$)"
_NUM = r"-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{1,2})?"
AMOUNT_MARKED = re.compile(
    rf"(?<![A-Za-z])(?P<pre>{_CURRENCY}\s*(?P<a>{_NUM}){_E})(?:\s*[元圆])?"
    rf"|{_D}(?P<b>{_NUM})\s*(?:元|圆|RMB|CNY|MYR)",
    re.IGNORECASE,
)
AMOUNT_BARE = re.compile(rf"(?<![\d.,]){_D}(?:\d{{1,3}}(?:,\d{{3}})+|\d+)\.\d{{2}}(?![\d.,]\d)")
NUMBER = re.compile(r"(?<![\d.,])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\d]|[.,]\d)")
PERCENT = re.compile(r"(?<![\d.])\d+(?:\.\d+)?\s*[%％]")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE = re.compile(
    r"(?<![\w*.,-])(?:\+?\d{1,3}[-\s]?)?(?:\(?0\d{1,3}\)?[-\s]?)?\d{3,4}[-\s]?\d{4}(?![\d*])"
    r"|(?<![\d*])1[3-9]\d{9}(?![\d*])"
)
ID = re.compile(
    # masked ID / card numbers: 1101011990****1234, **** 8842
    r"(?<![\dA-Za-z*])\d{0,10}(?:\*{2,}\s?)+\d{2,6}[\dXx]?(?![\d])"
    # codes with letters and digits, or long digit runs: G123, INV-0042, 18203/102/T0466, 000181747712
    r"|(?<![A-Za-z0-9])(?=[A-Za-z0-9/_\-.#]*\d)(?=[A-Za-z0-9/_\-.#]*[A-Za-z])[A-Za-z0-9][A-Za-z0-9/_\-.#]{2,}[A-Za-z0-9]"
    r"|(?<![\d])\d{6,}[Xx]?(?![\d])"
)

# Runs of Chinese characters, and runs of anything else that is not a space.
SCRIPT_RUN = re.compile(rf"[{CJK_CHARS}]+(?:\s+[{CJK_CHARS}]+)*|[^\s{CJK_CHARS}]+(?:\s+[^\s{CJK_CHARS}]+)*")

# "label: value" inside one text
LABELLED_VALUE = re.compile(r"[^\d\s:：][:：]\s*\S")
# A colon separates a label from its value unless digits stand on both sides (a time, 10:30).
SEPARATOR_COLON = re.compile(r"(?<!\d)[:：]|[:：](?!\d)")
# Tabs, ideographic spaces, and runs of two or more spaces split a line into fields.
GAP = re.compile(r"\t|\u3000|\s{2,}")
LABEL_TRIM = " \t:：-—=|>,.;；，。()（）[]【】"
CURRENCY_ONLY = re.compile(rf"^\s*{_CURRENCY}?\s*[:：]?\s*$", re.IGNORECASE)


def _date_spans(text: str, m: re.Match[str]) -> list[tuple[int, int]]:
    """A date, and the date with the time printed after it: "2019年01月15日 08:30开", "25/12/2018 10:00"."""
    rest = text[m.end() :]
    t = TIME.match(text, m.end() + len(rest) - len(rest.lstrip()))
    return [m.span(), *([(m.start(), t.end())] if t is not None and t.start() - m.end() <= 2 else [])]


def _amount_spans(text: str, m: re.Match[str]) -> list[tuple[int, int]]:
    """A marked amount with and without its marks: "¥20.8元", "¥20.8", "20.8"; "RM 9.00", "9.00"."""
    marks = (m.span("pre"), m.span("a")) if m.group("a") is not None else (m.span("b"),)
    return list(dict.fromkeys([m.span(), *marks]))


def _phone_spans(text: str, m: re.Match[str]) -> list[tuple[int, int]]:
    """A phone number when it looks dialled (a separator, a leading 0, or 11 digits), not an amount."""
    digits = sum(ch.isdigit() for ch in m.group())
    looks_dialled = bool(re.search(r"[-\s()+]", m.group())) or m.group()[0] == "0" or digits == 11
    return [m.span()] if digits >= 7 and looks_dialled and not AMOUNT_BARE.fullmatch(m.group()) else []


#: The typed kinds found in a line, in this order (a match may not overlap an earlier one): kind, pattern,
#: and the spans a match gives (None: the match itself).
TYPED: list[tuple[str, re.Pattern[str], Callable[[str, re.Match[str]], list[tuple[int, int]]] | None]] = [
    ("email", EMAIL, None),
    ("date", DATE, _date_spans),
    ("time", TIME, None),
    ("percent", PERCENT, None),
    ("amount", AMOUNT_MARKED, _amount_spans),
    ("phone", PHONE, _phone_spans),
    ("amount", AMOUNT_BARE, None),
    ("id", ID, None),
    ("number", NUMBER, None),
]


# --------------------------------------------------------------------------------------------
# Keys: what they hold, and which candidates fit them

# (type, words in a key's name or description that mean it) — checked in this order.
_NAME_WORDS: list[tuple[KeyType, str]] = [
    (KeyType.EMAIL, r"e-?mail|邮箱|电子邮件|邮件"),
    (KeyType.PHONE, r"phone|\btel\b|telephone|mobile|\bfax\b|电话|手机|联系方式|传真"),
    (KeyType.PERCENT, r"percent|\brate\b|ratio|百分比|费率|利率|税率|比例|折扣率"),
    (KeyType.ADDRESS, r"address|\baddr\b|地址|住址|所在地"),
    (KeyType.TIME, r"\btime\b|时间|时刻|几点"),
    (KeyType.DATE, r"date|\bday\b|birthday|expiry|expires|日期|日$|期限|有效期|生日|出生|年月"),
    (
        KeyType.AMOUNT,
        r"total|amount|price|cost|fee|balance|payment|paid|due|tax|\bsum\b|subtotal|cash|change|limit|credit"
        r"|金额|额度|价|合计|总计|总额|实付|应付|应还|还款|实收|余额|费|税|款|元|收入|支出",
    ),
    (KeyType.NUMBER, r"quantity|\bqty\b|count|weight|数量|个数|件数|重量|次数|人数"),
    (
        KeyType.ID,
        r"\bno\b\.?|number|\bid\b|code|serial|invoice|order|receipt|train|seat|account|card|号码|编号|号$|单号|卡号|账号"
        r"|车次|座位|代码|身份证|证件|流水",
    ),
    (
        KeyType.NAME,
        r"company|merchant|vendor|seller|store|shop|restaurant|name|station|payee|issuer"
        r"|公司|商户|商家|店|名称|姓名|单位|销售方|购买方|收款人|站|户名",
    ),
]
_NAME_RULES = [(kind, re.compile(words, re.IGNORECASE)) for kind, words in _NAME_WORDS]

# Candidate kinds that fit each type, with how well.
FIT: dict[KeyType, dict[str, float]] = {
    KeyType.DATE: {"date": 1.0},
    KeyType.TIME: {"time": 1.0, "date": 0.6},
    KeyType.AMOUNT: {"amount": 1.0, "number": 0.5},
    KeyType.NUMBER: {"number": 1.0, "amount": 0.8, "percent": 0.3},
    KeyType.PERCENT: {"percent": 1.0},
    KeyType.PHONE: {"phone": 1.0},
    KeyType.EMAIL: {"email": 1.0},
    KeyType.ID: {"id": 1.0, "number": 0.6, "phone": 0.4, "span": 0.4, "line": 0.3},
    KeyType.ADDRESS: {"run": 1.0, "line": 0.8, "span": 0.7},
    KeyType.NAME: {"line": 1.0, "span": 1.0, "run": 0.8},
    KeyType.TEXT: {"span": 1.0, "line": 0.9, "run": 0.5, "date": 0.3, "amount": 0.3, "id": 0.4, "number": 0.3},
}


def key_type(key: str, prop: Mapping[str, Any] | None = None) -> KeyType:
    """What a key holds: from its JSON Schema first, else from its name and description.

    Schema first: ``format`` ``date``/``date-time`` → DATE, ``time`` → TIME, ``email`` → EMAIL;
    ``type`` ``number``/``integer`` → AMOUNT when the name speaks of money, else NUMBER. Otherwise
    the key's name (and then its ``title`` and ``description``), in Chinese or English: 日期/date →
    DATE, 金额/额度/价/合计/total/amount → AMOUNT, 电话/phone → PHONE, 号码/编号/no./number/id → ID,
    邮箱/email → EMAIL, 地址/address → ADDRESS, 公司/名称/company/name → NAME; else TEXT.

    Example:
        >>> key_type("可用额度"), key_type("到期还款日"), key_type("x", {"format": "email"})
        (<KeyType.AMOUNT: 'amount'>, <KeyType.DATE: 'date'>, <KeyType.EMAIL: 'email'>)

    Args:
        key: The key's name.
        prop: Its JSON Schema (``{"type": ..., "format": ..., "description": ...}``), if any.

    Returns:
        The key's type.
    """
    prop = prop or {}
    by_format = {"date": KeyType.DATE, "date-time": KeyType.DATE, "time": KeyType.TIME, "email": KeyType.EMAIL}
    if (fmt := str(prop.get("format") or "").lower().removeprefix("idn-")) in by_format:
        return by_format[fmt]
    types = prop.get("type")
    types = {types} if isinstance(types, str) else set(types or ())
    name, description = f"{key} {prop.get('title') or ''}".strip(), str(prop.get("description") or "")
    by_name = _type_from_words(name)
    if types & {"number", "integer"}:
        if by_name in (KeyType.AMOUNT, KeyType.PERCENT, KeyType.NUMBER):
            return by_name
        return KeyType.AMOUNT if _type_from_words(description) is KeyType.AMOUNT else KeyType.NUMBER
    return by_name or _type_from_words(description) or KeyType.TEXT


# A key named after a number of something is an id, whatever the something: "credit card no", "账单号码"
_ID_TAIL = re.compile(r"(?:\bno\.?|\bnumber|\bid|\bcode|号码|编号|卡号|账号|单号|代码)\s*$", re.IGNORECASE)


def _type_from_words(text: str) -> KeyType | None:
    for kind, pattern in _NAME_RULES:
        if kind not in (KeyType.EMAIL, KeyType.PHONE) and _ID_TAIL.search(text.strip().replace("_", " ")):
            return KeyType.ID
        if pattern.search(text.strip()):
            return kind
    return None
