"""The real path, offline: rendered images → real PP-OCRv4 → real embedded SmolLM2-135M → dict.

A 135M model is a smoke-test-grade extractor. On these two clean fixtures, with the examples
below, it gets every asserted field right run after run (temperature 0, grammar-constrained
JSON); that is what is asserted. Its accuracy on real receipts is measured by
benchmarks/extraction_benchmark.py, not here.
"""

from __future__ import annotations

import json

import pytest

from conftest import FIXTURES, squash, truth
from ocr_kie import Example, build_chain

CARD_KEYS = ["可用额度", "账单日", "到期还款日"]
CARD_EXAMPLES = [
    Example(
        text="信用卡账单\n可用额度 8,000.00\n总额度 20,000.00\n账单日 每月17日\n到期还款日 2026年11月06日",
        values={"可用额度": "8,000.00", "账单日": "每月17日", "到期还款日": "2026年11月06日"},
    ),
    Example(
        text="储蓄卡\n余额 3,120.55\n开户行 招商银行", values={"可用额度": None, "账单日": None, "到期还款日": None}
    ),
]
RECEIPT_KEYS = ["company", "date", "total"]
RECEIPT_EXAMPLES = [
    Example(
        text="SANYU STATIONERY SHOP\nNO. 31G&33G, JALAN SETIA INDAH X ,U13/X\n40170 SETIA ALAM\nCASH SALES\n"
        "DATE: 19/10/2017\nTOTAL RM 5.00",
        values={"company": "SANYU STATIONERY SHOP", "date": "19/10/2017", "total": "5.00"},
    )
]


@pytest.fixture(scope="module")
def card() -> dict:
    chain = build_chain(CARD_KEYS, examples=CARD_EXAMPLES, return_details=True)
    return chain.invoke(FIXTURES / "screenshot_zh.png")


@pytest.fixture(scope="module")
def receipt() -> dict:
    chain = build_chain(RECEIPT_KEYS, examples=RECEIPT_EXAMPLES, return_details=True, require_grounding=True)
    return chain.invoke(str(FIXTURES / "receipt_en.png"))


def test_screenshot_gives_every_key_as_valid_json(card):
    assert list(card["values"]) == CARD_KEYS
    assert json.loads(card["reply"]).keys() == set(CARD_KEYS)  # the raw reply is strict JSON
    assert card["attempts"] == 1


def test_screenshot_values(card):
    assert card["values"] == {"可用额度": "12,000.00", "账单日": "每月5日", "到期还款日": "2026年12月25日"}


def test_screenshot_evidence_points_at_the_printed_value(card):
    drawn = next(ln for ln in truth("screenshot_zh")["lines"] if ln["text"] == "12,000.00")
    evidence = card["evidence"]["可用额度"]
    x0, y0, x1, y1 = evidence["box"]
    cx, cy = (drawn["box"][0] + drawn["box"][2]) / 2, (drawn["box"][1] + drawn["box"][3]) / 2
    assert evidence["found"] and x0 <= cx <= x1 and y0 <= cy <= y1 and evidence["ocr_score"] > 0.9


def test_screenshot_usage_and_budget(card):
    assert card["usage"]["input_tokens"] > 0 and 0 < card["usage"]["output_tokens"] < 120
    assert sorted(card["examples_used"]) == [0, 1] and card["example_budget"] > 0


def test_receipt_values_are_read_from_the_document_not_the_example(receipt):
    values = receipt["values"]
    assert list(values) == RECEIPT_KEYS
    assert squash(values["company"]) == "OJCMARKETINGSDNBHD"  # PP-OCR drops the spaces
    assert values["total"] == "193.00"
    assert values["date"].startswith("15/01/2019")
    assert receipt["dropped_ungrounded"] == []
