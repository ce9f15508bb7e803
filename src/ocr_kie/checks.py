"""Checks that flag a well-formed but suspicious value, and never rewrite it.

A value can be copied faithfully from the page and still be wrong: a date that does not exist, an
amount that does not parse, an ID number with a bad checksum, a total that is not the sum of its
line items. :func:`run_checks` applies the built-in checks where the keys (or the schema) say what
a value is, plus the user's own, and returns each key's verdicts; :func:`apply_checks` puts them
into the chain's field details and lowers the confidence of a value that failed one::

    >>> verdicts = run_checks({"身份证号": "11010519491231002X", "日期": "2025-02-30"})
    >>> [(v.check, v.passed) for v in verdicts["身份证号"]], [(v.check, v.passed) for v in verdicts["日期"]]
    ([('gb11643', True)], [('date', False)])

Built-in checks (their names, as used in a schema's ``"x-checks"``):

- ``date``: a date that does not exist (``2025-02-30``, ``31/31/2024``); for keys of
  :func:`~ocr_kie.candidates.key_type` DATE, and a value with no date at all in it (no digit nor
  Chinese numeral date: ``发票联``; or a long number: ``002105827328``). A partial or recurring
  date (``每月5日``, ``12月``) gets no verdict. Day-first and month-first readings are both
  tried: one that exists passes.
- ``amount``: an amount that does not parse (:func:`~ocr_kie.normalize.parse_number`; ``1.2万``
  passes); for AMOUNT keys other than 大写 ones.
- ``gb11643``: an 18-character Chinese resident ID number (GB 11643-1999 check character, and the
  birth date in it must exist); for keys naming an ID card (身份证, 公民身份号码, id card …).
- ``luhn``: a bank card number (12-19 digits, Luhn); for keys naming a card (银行卡, 卡号, card
  number …). A masked number (``6222 **** 1234``) gets no verdict.
- ``fapiao_number`` / ``fapiao_code``: a 发票号码 has 8 digits (20 on a 全电发票), a 发票代码 10
  or 12; for keys with those names.
- ``daxie``: 大写金额 (``壹佰贰拾叁元肆角``) that does not read as an amount; for keys with 大写.
- ``daxie_figure``: 大写金额 against the figure (the 小写 key, else the total).
- ``items_total``: a total (or net amount) that differs from the sum of the line items (an array
  of objects with an amount, or price × quantity, per item).
- ``tax_rate``: tax = rate × net (net from its own key, else total − tax).
- ``total_net_tax``: total = net + tax.

Cross-field verdicts go to the key they judge (the total, the tax, the 大写 key) and list the keys
they read in ``keys``.

User checks: ``checks={"total": fn}`` (a callable or a list of them per key), called as
``fn(value)`` or ``fn(value, values)`` when it takes two arguments; it returns True (passed),
False or a message (failed), or None (does not apply). In a JSON Schema, a property's
``"x-checks"`` lists built-in names or ``"module:function"`` paths, and replaces the checks the
key's name would choose (``"x-checks": []`` turns them off for that key). A check that raises is
reported as that check's error (``passed: None``, ``error``), never as the document's failure.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ocr_kie.candidates import KeyType, key_type
from ocr_kie.normalize import parse_number, to_halfwidth

__all__ = [
    "BUILTIN_CHECKS",
    "CHECK_PENALTY",
    "CheckResult",
    "Checks",
    "apply_checks",
    "gb11643_valid",
    "luhn_valid",
    "parse_date",
    "parse_daxie",
    "run_checks",
    "without_checks",
]

#: A failed check multiplies the field's confidence by this.
CHECK_PENALTY = 0.5

#: What ``checks=`` takes: per key, a callable, a built-in name or ``"module:function"``, or a list of them.
Checks = Mapping[str, Any]


class CheckResult(BaseModel):
    """One check's verdict on one value.

    Example:
        >>> run_checks({"卡号": "6222021234567890123"})["卡号"][0].passed
        False

    Attributes:
        check: The check's name (a built-in name, or the callable's ``__name__``).
        key: The key whose value it judges.
        passed: True when the value passed, False when it failed, None when the check raised.
        message: What was checked, or why it failed.
        keys: Every key the check read (cross-field checks read more than ``key``).
        error: ``"TypeError: ..."`` when the check itself raised.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    check: str
    key: str
    passed: bool | None
    message: str = ""
    keys: list[str] = Field(default_factory=list)
    error: str | None = None


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

Verdict = tuple[bool, str] | None


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


def _items_sum(items: Any) -> Decimal | None:
    """The sum of the line items' amounts (or price × quantity), or None when they hold none."""
    if not isinstance(items, list) or not items or not all(isinstance(i, Mapping) for i in items):
        return None
    total = Decimal(0)
    counted = 0
    for item in items:
        amount_keys = [k for k in item if _ITEM_AMOUNT.search(str(k)) and not _ITEM_PRICE.search(str(k))]
        price_keys = [k for k in item if _ITEM_PRICE.search(str(k))]
        qty_keys = [k for k in item if _ITEM_QTY.search(str(k))]
        amount = _amount(item[amount_keys[0]]) if amount_keys else None
        if amount is None and price_keys:
            price = _amount(item[price_keys[0]])
            qty = _amount(item[qty_keys[0]]) if qty_keys else Decimal(1)
            amount = price * (qty if qty is not None else Decimal(1)) if price is not None else None
        if amount is not None:
            total += amount
            counted += 1
    return total if counted else None


def _cross_checks(values: Mapping[str, Any], skip: set[str]) -> list[tuple[str, str, list[str], Verdict]]:
    """The cross-field verdicts: (check, judged key, keys read, verdict)."""
    roles: dict[str, list[str]] = {}
    for key in values:
        if (role := _role(key)) is not None and values[key] is not None:
            roles.setdefault(role, []).append(key)
    out: list[tuple[str, str, list[str], Verdict]] = []

    def first(role: str) -> str | None:
        return roles.get(role, [None])[0]

    total, net, tax, rate = first("total"), first("net"), first("tax"), first("rate")
    for key in roles.get("daxie", []):  # 大写金额 against the figure
        if key in skip:
            continue
        figure = next((k for k in values if k != key and _XIAOXIE_KEY.search(k) and values[k] is not None), total)
        words = values[key]
        if figure is None or not isinstance(words, str) or _amount(values[figure]) is None:
            continue
        try:
            spelled = parse_daxie(words)
        except ValueError:
            continue  # the daxie check reports it
        number = _amount(values[figure])
        assert number is not None
        ok = spelled == number
        message = f"{words} = {spelled}" + (f" = {figure}" if ok else f", but {figure} is {values[figure]}")
        out.append(("daxie_figure", key, [key, figure], (ok, message)))
    lists = [k for k, v in values.items() if _items_sum(v) is not None]
    target = total or net
    if lists and target is not None and target not in skip and (judged := _amount(values[target])) is not None:
        items = _items_sum(values[lists[0]])
        assert items is not None
        accepted = [judged]
        if target == total and (n := _amount(values[net]) if net else None) is not None:
            accepted.append(n)
        if target == total and (t := _amount(values[tax]) if tax else None) is not None:
            accepted.append(judged - t)
        ok = any(_close(items, a, Decimal("0.05")) for a in accepted)
        message = f"the {lists[0]} sum to {items}" + ("" if ok else f", not {values[target]}")
        out.append(("items_total", target, [target, lists[0]], (ok, message)))
    tax_value = _amount(values[tax]) if tax else None
    if tax and tax not in skip and rate and tax_value is not None and (r := _rate(values[rate])) is not None:
        base_key = net or total
        base = _amount(values[base_key]) if base_key else None
        if base is not None and base_key is not None:
            if base_key == total:
                base -= tax_value
            expected = (base * r).quantize(Decimal("0.01"))
            ok = _close(tax_value, expected, Decimal("0.02"))
            what = base_key if base_key == net else f"({total} − {tax})"
            message = f"{rate} × {what} = {expected}" + ("" if ok else f", not {values[tax]}")
            out.append(("tax_rate", tax, [tax, rate, base_key], (ok, message)))
    if total and net and tax and total not in skip and tax_value is not None:
        t, n = _amount(values[total]), _amount(values[net])
        if t is not None and n is not None:
            ok = _close(t, n + tax_value)
            message = f"{net} + {tax} = {n + tax_value}" + ("" if ok else f", not {values[total]}")
            out.append(("total_net_tax", total, [total, net, tax], (ok, message)))
    return out


# ------------------------------------------------------------------------------ user checks


def _resolve(check: Any) -> tuple[str, Callable[..., Any]]:
    """A check's name and callable: a callable, a built-in name, or a ``"module:function"`` path."""
    if callable(check):
        return getattr(check, "__name__", type(check).__name__), check
    if isinstance(check, str) and check in _VALUE_CHECKS:
        return check, _VALUE_CHECKS[check]
    if isinstance(check, str) and ":" in check:
        module, _, name = check.partition(":")

        def imported(*args: Any) -> Any:
            return getattr(importlib.import_module(module), name)(*args)

        imported.__signature__ = _signature_of(module, name)  # type: ignore[attr-defined]
        return check, imported
    raise ValueError(f"a check must be a callable, one of {list(_VALUE_CHECKS)} or 'module:function', got {check!r}")


def _signature_of(module: str, name: str) -> inspect.Signature | None:
    try:
        return inspect.signature(getattr(importlib.import_module(module), name))
    except Exception:  # reported when the check runs
        return None


def _arity(fn: Callable[..., Any]) -> int:
    try:
        sig = getattr(fn, "__signature__", None) or inspect.signature(fn)
    except (TypeError, ValueError):
        return 1
    params = list(sig.parameters.values())
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return 2
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return 2 if len(positional) >= 2 else 1


def _as_list(spec: Any) -> list[Any]:
    if spec is None:
        return []
    if isinstance(spec, (str, bytes)) or callable(spec):
        return [spec]
    if isinstance(spec, Iterable):
        return list(spec)
    return [spec]


def _run_user(name: str, fn: Callable[..., Any], key: str, value: Any, values: Mapping[str, Any]) -> CheckResult | None:
    try:
        verdict = fn(value, values) if _arity(fn) == 2 else fn(value)
    except Exception as e:  # the check's error, never the document's failure
        return CheckResult(check=name, key=key, passed=None, keys=[key], error=f"{type(e).__name__}: {e}"[:300])
    if verdict is None:
        return None
    if isinstance(verdict, tuple) and verdict and isinstance(verdict[0], bool):  # (passed, message)
        message = str(verdict[1]) if len(verdict) > 1 else ""
        return CheckResult(check=name, key=key, passed=verdict[0], message=message, keys=[key])
    if isinstance(verdict, str):
        return CheckResult(check=name, key=key, passed=False, message=verdict, keys=[key])
    passed = bool(verdict)
    return CheckResult(check=name, key=key, passed=passed, message="" if passed else "failed", keys=[key])


# ------------------------------------------------------------------------------ entry points


def run_checks(
    values: Mapping[str, Any],
    schema: Mapping[str, Any] | None = None,
    checks: Checks | bool | None = True,
) -> dict[str, list[CheckResult]]:
    """Every check's verdict on the values, by key (keys without a verdict are left out).

    Args:
        values: The extracted values (null values are not checked).
        schema: The JSON Schema of the answer: ``format``, ``type`` and ``description`` help
            :func:`~ocr_kie.candidates.key_type`; a property's ``"x-checks"`` names its checks.
        checks: True: the built-in checks; False or None: none at all; a mapping of key to
            user checks (callables, built-in names, ``"module:function"``): the built-ins plus those.

    Returns:
        ``{key: [CheckResult, ...]}``.
    """
    if checks is False or checks is None:
        return {}
    user = dict(checks) if isinstance(checks, Mapping) else {}
    props: Mapping[str, Any] = (schema or {}).get("properties", {}) or {}
    out: dict[str, list[CheckResult]] = {}
    explicit: set[str] = set()
    for key, value in values.items():
        if value is None:
            continue
        prop = props.get(key) if isinstance(props.get(key), Mapping) else None
        if prop is not None and "x-checks" in prop:
            explicit.add(key)
            specs = _as_list(prop["x-checks"])
        else:
            specs = list(_value_checks(key, prop))
        specs += _as_list(user.get(key))
        for spec in specs:
            try:
                name, fn = _resolve(spec)
            except ValueError as e:
                out.setdefault(key, []).append(CheckResult(check=str(spec), key=key, passed=None, error=str(e)))
                continue
            if fn in _VALUE_CHECKS.values():
                try:
                    verdict = fn(value)
                except Exception as e:  # a built-in's bug is reported like any check's
                    out.setdefault(key, []).append(
                        CheckResult(check=name, key=key, passed=None, keys=[key], error=f"{type(e).__name__}: {e}")
                    )
                    continue
                if verdict is not None:
                    result = CheckResult(check=name, key=key, passed=verdict[0], message=verdict[1], keys=[key])
                    out.setdefault(key, []).append(result)
                continue
            result = _run_user(name, fn, key, value, values)
            if result is not None:
                out.setdefault(key, []).append(result)
    try:
        cross = _cross_checks(values, explicit)
    except Exception as e:  # never the document's failure
        cross = []
        out.setdefault("", []).append(CheckResult(check="cross-field", key="", passed=None, error=repr(e)))
    for name, key, keys, verdict in cross:
        if verdict is not None:
            out.setdefault(key, []).append(
                CheckResult(check=name, key=key, passed=verdict[0], message=verdict[1], keys=keys)
            )
    return out


def without_checks(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of the schema without the properties' ``"x-checks"`` (what the model and its API are sent).

    Example:
        >>> without_checks({"type": "object", "properties": {"a": {"type": "string", "x-checks": ["luhn"]}}})
        {'type': 'object', 'properties': {'a': {'type': 'string'}}}
    """
    props = schema.get("properties")
    if not isinstance(props, Mapping) or not any(isinstance(p, Mapping) and "x-checks" in p for p in props.values()):
        return dict(schema)
    clean = {
        k: ({n: v for n, v in p.items() if n != "x-checks"} if isinstance(p, Mapping) else p) for k, p in props.items()
    }
    return {**schema, "properties": clean}


def apply_checks(fields: dict[str, dict[str, Any]], verdicts: Mapping[str, Sequence[CheckResult]]) -> list[str]:
    """Put the verdicts into the chain's field details and lower the confidence of failed values.

    Each field gets ``"checks"`` (a list of :class:`CheckResult` dicts; empty when none applied);
    a field with a failed check has its ``confidence`` multiplied by :data:`CHECK_PENALTY` (the
    unchecked one stays in ``"confidence_unchecked"``).

    Returns:
        The keys with a failed check.
    """
    failed: list[str] = []
    for key, field in fields.items():
        results = list(verdicts.get(key, ()))
        field["checks"] = [r.model_dump() for r in results]
        if any(r.passed is False for r in results):
            failed.append(key)
            confidence = field.get("confidence")
            field["confidence_unchecked"] = confidence
            if confidence is not None:
                field["confidence"] = round(confidence * CHECK_PENALTY, 4)
    return failed
