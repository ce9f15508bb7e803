"""Checks that flag, never rewrite: each built-in check on true and false cases, user checks, the chain."""

from __future__ import annotations

from decimal import Decimal

import pytest

from conftest import FIXTURES
from ocr_kie import build_chain
from ocr_kie.examples import Example
from ocr_kie.loader import PPOCRLoader
from ocr_kie.pipeline.checks import (
    CHECK_PENALTY,
    gb11643_valid,
    luhn_valid,
    parse_date,
    parse_daxie,
    run_checks,
)
from ocr_kie.testing import FakeOcrEngine, ScriptedChatModel


def verdicts(values, schema=None, checks=True):
    """``{key: [(check, passed), ...]}``."""
    return {k: [(r.check, r.passed) for r in rs] for k, rs in run_checks(values, schema, checks).items()}


# ---------------------------------------------------------------------------- single values


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("2024-02-29", True),
        ("2023-02-29", False),
        ("2026年12月25日", True),
        ("2026年13月01日", False),
        ("2025.08.03", True),
        ("15/01/2019", True),
        ("01/15/2019", True),  # month first: exists
        ("31/31/2019", False),
        ("32/01/2019", False),
        ("5 Jan 2024", True),
        ("31 Apr 2024", False),
        ("Jan 31, 2024", True),
        ("20250230", False),
        ("DATE: 15/01/2019 11:05:49", True),
    ],
)
def test_date_exists(text, ok):
    assert parse_date(text) is ok


@pytest.mark.parametrize("text", ["每月5日", "12月", "5日", "2018", ""])
def test_partial_date_no_verdict(text):
    assert parse_date(text) is None
    assert verdicts({"账单日": text}) == {}


@pytest.mark.parametrize("text", ["发票联", "欢迎光临", "tomorrow", "002105827328"])
def test_a_date_key_holding_no_date_is_flagged(text):
    assert verdicts({"日期": text}) == {"日期": [("date", False)]}
    assert verdicts({"date": "二〇二五年三月五日"}) == {}  # a Chinese numeral date: not judged, not flagged


def test_fapiao_number_and_code_lengths():
    assert verdicts({"发票号码": "04512345"}) == {"发票号码": [("fapiao_number", True)]}
    assert verdicts({"发票号码": "25312000000012345678"}) == {"发票号码": [("fapiao_number", True)]}
    assert verdicts({"发票号码": "5738181333671777"}) == {"发票号码": [("fapiao_number", False)]}
    assert verdicts({"发票号码": "6740****1006"}) == {"发票号码": [("fapiao_number", False)]}
    assert verdicts({"发票代码": "044031900111"}) == {"发票代码": [("fapiao_code", True)]}
    assert verdicts({"发票代码": "0440319"}) == {"发票代码": [("fapiao_code", False)]}


def test_amount_parses_or_is_flagged():
    got = verdicts({"合计金额": "¥62.48", "total": "RM 193.00", "可用额度": "12,000.00", "price": 9.9})
    assert got == {k: [("amount", True)] for k in ("合计金额", "total", "可用额度", "price")}
    bad = verdicts({"合计金额": "62.4B", "total": "1.234,50", "金额": "约12元"})
    assert bad == {k: [("amount", False)] for k in ("合计金额", "total", "金额")}
    assert verdicts({"总额": "1.2万"}) == {"总额": [("amount", True)]}
    assert verdicts({"票价": "￥166.0元"}) == {"票价": [("amount", True)]}  # a sign and a unit


def test_gb11643_checksum_and_birth_date():
    assert gb11643_valid("11010519491231002X") and gb11643_valid("110105194912310021") is False
    assert gb11643_valid("11010519491232002X") is False  # 32 December, whatever the check character
    assert verdicts({"身份证号码": "11010519491231002X"}) == {"身份证号码": [("gb11643", True)]}
    assert verdicts({"公民身份号码": "110105194912310021"}) == {"公民身份号码": [("gb11643", False)]}
    assert verdicts({"id_card": "1101051949"}) == {"id_card": [("gb11643", False)]}
    assert verdicts({"身份证": "110105********002X"}) == {}  # masked: no verdict


def test_luhn_for_bank_cards():
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert verdicts({"银行卡号": "6222 0212 3456 7890 128"})["银行卡号"][0][1] is luhn_valid("6222021234567890128")
    assert verdicts({"card_number": "4111-1111-1111-1111"}) == {"card_number": [("luhn", True)]}
    assert verdicts({"卡号": "4111 1111 1111 1112"}) == {"卡号": [("luhn", False)]}
    assert verdicts({"卡号": "**** 8842"}) == {}  # masked
    assert verdicts({"卡号": "12345"}) == {"卡号": [("luhn", False)]}


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("壹佰贰拾叁元肆角伍分", "123.45"),
        ("壹万贰仟叁佰肆拾伍元陆角柒分", "12345.67"),
        ("⊗叁拾元整", "30"),
        ("人民币壹仟零伍元整", "1005"),
        ("壹亿贰仟万元整", "120000000"),
        ("伍角", "0.5"),
        ("贰拾元零伍分", "20.05"),
        ("拾元", "10"),
    ],
)
def test_daxie_reads(text, amount):
    assert parse_daxie(text) == Decimal(amount)


def test_daxie_against_the_figure():
    right = {"价税合计(大写)": "壹佰壹拾叁元整", "价税合计(小写)": "¥113.00"}
    assert verdicts(right)["价税合计(大写)"] == [("daxie", True), ("daxie_figure", True)]
    wrong = {"价税合计(大写)": "壹佰壹拾贰元整", "价税合计(小写)": "¥113.00"}
    assert verdicts(wrong)["价税合计(大写)"] == [("daxie", True), ("daxie_figure", False)]
    assert verdicts({"金额大写": "ABC元"}) == {"金额大写": [("daxie", False)]}
    # without a 小写 key, the total is the figure
    assert verdicts({"大写金额": "叁拾元整", "total": "31.00"})["大写金额"][-1] == ("daxie_figure", False)


# ---------------------------------------------------------------------------- cross-field


def test_total_against_the_line_items():
    items = [{"name": "A", "amount": "170.00"}, {"name": "B", "amount": "15.00"}, {"name": "C", "amount": "8.00"}]
    assert verdicts({"items": items, "total": "193.00"})["total"] == [("amount", True), ("items_total", True)]
    assert verdicts({"items": items, "total": "198.00"})["total"] == [("amount", True), ("items_total", False)]
    by_price = [{"单价": "2.50", "数量": "4"}, {"单价": "1.00", "数量": "3"}]
    assert ("items_total", True) in verdicts({"商品": by_price, "合计": "13.00"})["合计"]
    # a total including tax over pre-tax line items: total - tax = sum
    assert ("items_total", True) in verdicts({"items": items, "total": "204.58", "tax": "11.58"})["total"]


def test_tax_is_rate_times_net():
    got = verdicts({"金额": "100.00", "税率": "13%", "税额": "13.00"})
    assert got["税额"] == [("amount", True), ("tax_rate", True)]
    got = verdicts({"金额": "100.00", "税率": "13%", "税额": "31.00"})
    assert got["税额"] == [("amount", True), ("tax_rate", False)]
    # net from the total: tax = rate x (total - tax)
    got = verdicts({"total": "106.00", "tax rate": "6%", "tax": "6.00"})
    assert ("tax_rate", True) in got["tax"]
    got = verdicts({"subtotal": "100.00", "tax": "6.00", "total": "107.00"})
    assert ("total_net_tax", False) in got["total"]


# ---------------------------------------------------------------------------- user and schema checks


def test_user_checks_one_or_two_arguments_and_messages():
    def positive(value):
        return float(value) > 0

    def below_limit(value, values):
        return None if values.get("limit") is None else (float(value) <= float(values["limit"]) or "over the limit")

    results = run_checks({"total": "-5", "limit": "3"}, checks={"total": [positive, below_limit]})
    by_name = {r.check: r for r in results["total"]}
    assert by_name["positive"].passed is False
    assert by_name["below_limit"].passed is True
    results = run_checks({"total": "9"}, checks={"total": below_limit})
    assert [r.check for r in results["total"]] == ["amount"]  # None: the check does not apply
    results = run_checks({"total": "9", "limit": "3"}, checks={"total": below_limit})
    assert results["total"][-1].passed is False and results["total"][-1].message == "over the limit"


def test_a_check_that_raises_is_that_checks_error():
    def broken(value):
        raise ZeroDivisionError("boom")

    results = run_checks({"total": "9.90"}, checks={"total": broken})
    amount, error = results["total"]
    assert amount.passed is True
    assert error.check == "broken" and error.passed is None and error.error == "ZeroDivisionError: boom"


def test_schema_x_checks_replace_the_name_based_ones():
    schema = {
        "type": "object",
        "properties": {
            "account": {"type": "string", "x-checks": ["luhn"]},
            "日期": {"type": "string", "x-checks": []},
            "code": {"type": "string", "x-checks": ["os.path:isabs", "nonsense"]},
        },
    }
    got = run_checks({"account": "4111111111111112", "日期": "2025-02-30", "code": "/x"}, schema)
    assert [(r.check, r.passed) for r in got["account"]] == [("luhn", False)]
    assert "日期" not in got
    assert [(r.check, r.passed) for r in got["code"]] == [("os.path:isabs", True), ("nonsense", None)]
    assert "nonsense" in got["code"][1].error


def test_checks_false_turns_everything_off():
    assert run_checks({"日期": "2025-02-30"}, checks=False) == {}


# ---------------------------------------------------------------------------- real OCR output


def test_checks_on_real_ocr_output(paddle):
    """The values as PP-OCR reads them off the rendered receipt and screenshot pass; one digit off fails."""
    (receipt,) = PPOCRLoader(FIXTURES / "receipt_en.png", engine=paddle).load()
    lines = [ln["text"] for ln in receipt.metadata["lines"]]
    date = next(t for t in lines if "15/01/2019" in t)
    total = next(t for t in lines if "193.00" in t)
    amounts = [t for t in lines if t in ("170.00", "15.00", "8.00")]
    assert len(amounts) == 3, lines
    items = [{"amount": a} for a in amounts]
    got = verdicts({"date": date, "total": total, "items": items})
    assert got == {"date": [("date", True)], "total": [("amount", True), ("items_total", True)]}
    got = verdicts({"date": date.replace("15/01", "15/13"), "total": total.replace("193", "194"), "items": items})
    assert got == {"date": [("date", False)], "total": [("amount", True), ("items_total", False)]}

    (screen,) = PPOCRLoader(FIXTURES / "screenshot_zh.png", engine=paddle).load()
    lines = [ln["text"] for ln in screen.metadata["lines"]]
    due = next(t for t in lines if "年" in t and "月" in t and "日" in t)
    limit = next(t for t in lines if "12,000" in t)
    got = verdicts({"到期还款日": due, "可用额度": limit})
    assert got == {"到期还款日": [("date", True)], "可用额度": [("amount", True)]}
    assert verdicts({"到期还款日": due.replace("12月", "13月")}) == {"到期还款日": [("date", False)]}


# ---------------------------------------------------------------------------- in the chain

KEYS = ["可用额度", "到期还款日"]
SCREEN = ["信用卡账单", "可用额度 12,000.00", "到期还款日 2026年02月30日"]
EXAMPLES = [
    Example(
        text="可用额度 8,000.00\n到期还款日 2026年11月06日",
        values={"可用额度": "8,000.00", "到期还款日": "2026年11月06日"},
    )
]


def test_chain_details_carry_the_verdicts_and_a_lower_confidence():
    answer = '{"可用额度": "12,000.00", "到期还款日": "2026年02月30日"}'
    calls = []

    def broken(value):
        calls.append(value)
        raise RuntimeError("user bug")

    chain = build_chain(
        KEYS,
        examples=EXAMPLES,
        llm=ScriptedChatModel(replies=[answer]),
        ocr=FakeOcrEngine(SCREEN),
        strategy="fewshot",
        return_details=True,
        checks={"可用额度": broken},
    )
    details = chain.invoke(FIXTURES / "screenshot_zh.png")
    assert details["values"] == {"可用额度": "12,000.00", "到期还款日": "2026年02月30日"}  # flagged, not rewritten
    assert details["checks_failed"] == ["到期还款日"]
    due = details["fields"]["到期还款日"]
    assert [(c["check"], c["passed"]) for c in due["checks"]] == [("date", False)]
    assert due["confidence"] == round(due["confidence_unchecked"] * CHECK_PENALTY, 4) and due["confidence"] > 0
    limit = details["fields"]["可用额度"]
    assert [(c["check"], c["passed"]) for c in limit["checks"]] == [("amount", True), ("broken", None)]
    assert limit["checks"][1]["error"] == "RuntimeError: user bug" and calls == ["12,000.00"]
    assert "confidence_unchecked" not in limit
    assert details["ocr"][0]["lines"][1][0] == "可用额度 12,000.00" and details["ocr"][0]["width"] > 0


def test_chain_without_checks():
    answer = '{"可用额度": "12,000.00", "到期还款日": "2026年02月30日"}'
    chain = build_chain(
        KEYS,
        examples=EXAMPLES,
        llm=ScriptedChatModel(replies=[answer]),
        ocr=FakeOcrEngine(SCREEN),
        strategy="fewshot",
        return_details=True,
        checks=False,
    )
    details = chain.invoke(FIXTURES / "screenshot_zh.png")
    assert details["checks_failed"] == [] and details["fields"]["到期还款日"]["checks"] == []


def test_schema_checks_in_the_chain_are_not_sent_to_the_model(monkeypatch):
    import ocr_kie.pipeline.chain

    sent = []
    real = ocr_kie.pipeline.chain.bind_schema
    monkeypatch.setattr(
        ocr_kie.pipeline.chain, "bind_schema", lambda llm, s, **kw: sent.append(s) or real(llm, s, **kw)
    )
    schema = {"type": "object", "properties": {"account": {"type": "string", "x-checks": ["luhn"]}}}
    model = ScriptedChatModel(replies=['{"account": "4111 1111 1111 1112"}'])
    chain = build_chain(
        schema=schema, llm=model, ocr=FakeOcrEngine(["account 4111 1111 1111 1112"]), strategy="fewshot",
        return_details=True,
    )  # fmt: skip
    details = chain.invoke(FIXTURES / "screenshot_zh.png")
    assert [(c["check"], c["passed"]) for c in details["fields"]["account"]["checks"]] == [("luhn", False)]
    assert sent == [{"type": "object", "properties": {"account": {"type": "string"}}}]
    assert schema["properties"]["account"]["x-checks"] == ["luhn"]  # the user's schema is left alone
