"""Cross-field checks: line items against the total, tax = rate × net, total = net + tax, 大写 against the figure."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ocr_kie.pipeline.checks.parsers import _amount, _close, _rate, parse_daxie
from ocr_kie.pipeline.checks.types import Verdict
from ocr_kie.pipeline.checks.values import _ITEM_AMOUNT, _ITEM_PRICE, _ITEM_QTY, _XIAOXIE_KEY, _role


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
