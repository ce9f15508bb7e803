"""Candidates from the page: hand-built OCR pages for each kind, labels and schema narrowing; one real-OCR test."""

from __future__ import annotations

import pytest
from langchain_core.documents import Document

from conftest import FIXTURES, truth
from ocr_kie.candidates import Candidate, KeyType, ScoredCandidate, key_candidates, key_type, page_candidates
from ocr_kie.candidates.profiles import learn_profiles
from ocr_kie.loader import PPOCRLoader


def page(lines: list[tuple], *, number: int = 1, width: int = 800, height: int = 1000) -> Document:
    """A Document shaped like PPOCRLoader's, from ``(text, (x0, y0, x1, y1)[, score[, row]])`` tuples."""
    meta_lines = []
    rows: dict[int, list[str]] = {}
    for index, spec in enumerate(lines):
        text, box = spec[:2]
        score = spec[2] if len(spec) > 2 else 0.95
        row = spec[3] if len(spec) > 3 else index
        x0, y0, x1, y1 = box
        polygon = [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]
        meta_lines.append({"text": text, "box": list(box), "polygon": polygon, "score": score, "row": row})
        rows.setdefault(row, []).append(text)
    return Document(
        page_content="\n".join(" ".join(texts) for _, texts in sorted(rows.items())),
        metadata={"source": "doc.png", "page": number, "width": width, "height": height, "lines": meta_lines},
    )


def stacked(texts: list[str], **kwargs) -> Document:
    """One line per row, 40 px apart, all in one column."""
    return page([(t, (10, 10 + 40 * i, 400, 40 + 40 * i)) for i, t in enumerate(texts)], **kwargs)


def of_kind(cands: list[Candidate], kind: str) -> dict[str, Candidate]:
    return {c.text: c for c in cands if c.kind == kind}


def texts(scored: list[ScoredCandidate]) -> list[str]:
    return [s.text for s in scored]


# --------------------------------------------------------------------------------------------
# Lines, spans, labels


def test_every_line_is_a_candidate_with_its_box_score_and_page() -> None:
    doc = page([("可用额度", (60, 229, 204, 263), 0.91, 1), ("12,000.00", (503, 233, 660, 264), 0.88, 1)], number=2)
    lines = of_kind(page_candidates([doc]), "line")
    assert set(lines) == {"可用额度", "12,000.00"}
    value = lines["12,000.00"]
    assert value.page == 2 and value.lines == (1,) and value.box == (503, 233, 660, 264)
    assert value.ocr_score == pytest.approx(0.88)
    assert value.label == "可用额度" and value.label_source == "left"
    assert value.order == (0, 0)


def test_separators_split_a_line_into_label_and_value() -> None:
    cands = page_candidates([stacked(["账单日：每月5日", "Tel: 03-1234 5678", "可用额度   12,000.00", "TIME 10:30"])])
    spans = of_kind(cands, "span")
    assert spans["每月5日"].label == "账单日" and spans["每月5日"].label_source == "prefix"
    assert spans["03-1234 5678"].label == "Tel"
    assert spans["12,000.00"].label == "可用额度"  # a wide gap is a separator too
    assert "30" not in spans and "10" not in spans  # a time's colon is not a separator


def test_label_to_the_left_skips_a_lone_currency_mark() -> None:
    doc = page(
        [
            ("TOTAL", (20, 500, 120, 530), 0.99, 7),
            ("RM", (240, 500, 280, 530), 0.9, 7),
            ("35.00", (300, 500, 380, 530), 0.9, 7),
        ]
    )
    amount = of_kind(page_candidates([doc]), "amount")["35.00"]
    assert amount.label == "TOTAL" and amount.label_source == "left"


def test_label_above_in_the_same_column_only_when_it_reads_like_a_label() -> None:
    doc = page(
        [
            ("出账日", (40, 100, 140, 130)),
            ("每月17日", (40, 140, 160, 170)),
            ("NO.53 JALAN SAGU 18", (500, 100, 760, 130)),  # another column
            ("2026-01-05", (40, 300, 200, 330)),
            ("2026-02-05", (40, 340, 200, 370)),  # above it is a value, not a label
        ]
    )
    cands = page_candidates([doc])
    dates = of_kind(cands, "date")
    assert dates["每月17日"].label == "出账日" and dates["每月17日"].label_source == "above"
    assert dates["2026-02-05"].label is None and dates["2026-02-05"].label_source is None


def test_label_prefix_of_a_typed_span_glued_to_its_label() -> None:
    # PP-OCR drops the space between Chinese and digits: "可用额度12,000.00"
    amounts = of_kind(page_candidates([stacked(["可用额度12,000.00", "DATE:25/12/2018 TIME 10:30"])]), "amount")
    assert amounts["12,000.00"].label == "可用额度" and amounts["12,000.00"].label_source == "prefix"
    cands = page_candidates([stacked(["DATE:25/12/2018 TIME 10:30"])])
    assert of_kind(cands, "date")["25/12/2018"].label == "DATE"
    assert of_kind(cands, "time")["10:30"].label == "TIME"


# --------------------------------------------------------------------------------------------
# Typed spans


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("到期还款日2026年12月25日", "2026年12月25日"),
        ("Date: 2026-12-25", "2026-12-25"),
        ("25/12/2026 Cashier A", "25/12/2026"),
        ("DATE 25-DEC-2018", "25-DEC-2018"),
        ("03 MAR 2018", "03 MAR 2018"),
        ("Doc 20180304", "20180304"),
        ("账单日 每月5日", "每月5日"),
        ("12月25日 出发", "12月25日"),
        ("Mar 5, 2019", "Mar 5, 2019"),
        ("25/12/20188:13:39PM", "25/12/2018"),  # the OCR glued the time to the date
        ("11/03/1816:30", "11/03/18"),
    ],
)
def test_dates_in_chinese_and_western_forms(line: str, expected: str) -> None:
    assert expected in of_kind(page_candidates([stacked([line])]), "date")


def test_no_date_in_numbers_that_only_look_like_one() -> None:
    dates = of_kind(page_candidates([stacked(["Qty 3 x 12.50", "Invoice 19-18/03 X", "Tel 03-1234 5678"])]), "date")
    assert dates == {}


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("应还 ¥12,000.00", {"¥12,000.00", "12,000.00"}),
        ("￥3,256.80", {"￥3,256.80", "3,256.80"}),
        ("TOTAL RM9.00", {"RM9.00", "9.00"}),
        ("Total $8.20", {"$8.20", "8.20"}),
        ("票价 300元", {"300元", "300"}),
        ("Subtotal 1,234.50", {"1,234.50"}),
    ],
)
def test_amounts_with_and_without_their_currency_mark(line: str, expected: set[str]) -> None:
    assert expected <= set(of_kind(page_candidates([stacked([line])]), "amount"))


def test_times_phones_ids_emails_percents() -> None:
    cands = page_candidates(
        [
            stacked(
                [
                    "开车时间 08:30开",
                    "TIME 9:05:33 PM",
                    "Tel: 03-1234 5678 手机 13812345678",
                    "G123 次 K1234",
                    "身份证 1101011990****1234",
                    "Invoice No: INV-0042",
                    "E-mail: shop@example.com.my",
                    "利率 4.5%",
                ]
            )
        ]
    )
    assert {"08:30", "9:05:33 PM"} <= set(of_kind(cands, "time"))
    assert {"03-1234 5678", "13812345678"} <= set(of_kind(cands, "phone"))
    assert {"G123", "K1234", "1101011990****1234", "INV-0042"} <= set(of_kind(cands, "id"))
    assert set(of_kind(cands, "email")) == {"shop@example.com.my"}
    assert set(of_kind(cands, "percent")) == {"4.5%"}


# --------------------------------------------------------------------------------------------
# Runs


def test_runs_join_lines_of_one_column_with_a_single_space() -> None:
    doc = page(
        [
            ("OJC MARKETING SDN BHD", (100, 10, 500, 40)),
            ("NO 2 JALAN PERMAS 9/5,", (120, 50, 480, 80)),
            ("BANDAR BARU PERMAS JAYA,", (110, 90, 490, 120)),
            ("81750 JOHOR BAHRU.", (180, 130, 420, 160)),
            ("Qty", (20, 600, 80, 630), 0.9, 20),
            ("TOTAL", (600, 600, 700, 630), 0.9, 20),
        ]
    )
    runs = of_kind(page_candidates([doc]), "run")
    assert "NO 2 JALAN PERMAS 9/5, BANDAR BARU PERMAS JAYA, 81750 JOHOR BAHRU." in runs
    assert runs["NO 2 JALAN PERMAS 9/5, BANDAR BARU PERMAS JAYA,"].lines == (1, 2)
    assert "Qty TOTAL" in runs  # the boxes of one row, left to right
    assert not any("81750 JOHOR BAHRU. Qty" in t for t in runs)  # too far below: not the same block


def test_plain_text_documents_work_without_boxes() -> None:
    cands = page_candidates([Document(page_content="账单日\n每月5日\n合计 ¥12.00")])
    assert of_kind(cands, "date")["每月5日"].label == "账单日"
    assert "12.00" in of_kind(cands, "amount")


# --------------------------------------------------------------------------------------------
# Keys: type and narrowing


@pytest.mark.parametrize(
    ("key", "prop", "expected"),
    [
        ("x", {"type": "number"}, KeyType.NUMBER),
        ("price", {"type": "number"}, KeyType.AMOUNT),
        ("n", {"type": "integer", "description": "total amount paid"}, KeyType.AMOUNT),
        ("when", {"type": "string", "format": "date"}, KeyType.DATE),
        ("when", {"type": "string", "format": "date-time"}, KeyType.DATE),
        ("contact", {"type": "string", "format": "email"}, KeyType.EMAIL),
        ("可用额度", None, KeyType.AMOUNT),
        ("账单日", None, KeyType.DATE),
        ("到期还款日", None, KeyType.DATE),
        ("开票日期", None, KeyType.DATE),
        ("total", None, KeyType.AMOUNT),
        ("联系电话", None, KeyType.PHONE),
        ("发票号码", None, KeyType.ID),
        ("车次", None, KeyType.ID),
        ("invoice_no", None, KeyType.ID),
        ("邮箱", None, KeyType.EMAIL),
        ("address", None, KeyType.ADDRESS),
        ("company", None, KeyType.NAME),
        ("出发站", None, KeyType.NAME),
        ("备注", None, KeyType.TEXT),
        ("f1", {"description": "开票日期"}, KeyType.DATE),
        ("credit_card_number", None, KeyType.ID),
        ("phone number", None, KeyType.PHONE),
        ("手机号码", None, KeyType.PHONE),
    ],
)
def test_key_type_from_schema_then_name_and_description(key: str, prop: dict | None, expected: KeyType) -> None:
    assert key_type(key, prop) is expected


BILL = stacked(["信用卡账单", "可用额度 12,000.00", "总额度 50,000.00", "账单日 每月5日", "到期还款日 2026年12月25日"])


def test_narrowing_by_schema_type_format_pattern_and_enum() -> None:
    cands = page_candidates([BILL, stacked(["状态 已出账", "卡号 **** 8842"], number=2)])
    amounts = key_candidates(cands, "x", {"type": "number"})
    assert amounts and all(s.candidate.kind in ("amount", "number") for s in amounts)
    assert {"12,000.00", "50,000.00"} <= set(texts(amounts))
    dates = key_candidates(cands, "y", {"type": "string", "format": "date"})
    assert set(texts(dates)) == {"每月5日", "2026年12月25日"}
    pattern = key_candidates(cands, "y", {"type": "string", "format": "date", "pattern": "^\\d{4}年"})
    assert texts(pattern) == ["2026年12月25日"]
    status = key_candidates(cands, "状态", {"type": "string", "enum": ["已出账", "未出账"]})
    assert texts(status) == ["已出账"] and status[0].candidate.page == 2


def test_ranking_prefers_the_key_label_and_dedupes() -> None:
    cands = page_candidates([BILL])
    ranked = key_candidates(cands, "可用额度")
    assert ranked[0].text == "12,000.00" and ranked[0].candidate.label == "可用额度"
    assert ranked[0].prior > ranked[1].prior and 0.0 <= ranked[-1].prior <= ranked[0].prior <= 1.0
    assert any(r.startswith("label~key") for r in ranked[0].reasons)
    assert len(texts(ranked)) == len(set(texts(ranked)))
    assert key_candidates(cands, "总额度")[0].text == "50,000.00"
    assert key_candidates(cands, "到期还款日")[0].text == "2026年12月25日"
    assert key_candidates(cands, "账单日")[0].text == "每月5日"
    assert len(key_candidates(cands, "可用额度", limit=2)) == 2


def receipt(company: str, street: str, town: str, city: str, total: str, cash: str) -> Document:
    return page(
        [
            (company, (100, 10, 500, 40)),
            (street, (120, 50, 480, 80)),
            (town, (110, 90, 490, 120)),
            (city, (180, 130, 420, 160)),
            ("TAX INVOICE", (200, 180, 400, 210)),
            (f"SAFETY SHOES RM {total}", (20, 300, 500, 330)),
            ("TOTAL", (20, 700, 120, 730), 0.99, 10),
            (f"RM {total}", (600, 700, 700, 730), 0.99, 10),
            ("CASH", (20, 740, 120, 770), 0.99, 11),
            (f"RM {cash}", (600, 740, 700, 770), 0.99, 11),
        ]
    )


def test_receipt_keys_learned_from_one_example_not_from_receipt_rules() -> None:
    # No lexicon knows SDN BHD or JALAN any more: the example's layout and shapes decide.
    example = receipt(
        "KEDAI BESI HENG SDN BHD", "LOT 7 JALAN BUNGA 3,", "TAMAN MELATI,", "53100 KUALA LUMPUR.", "12.50", "20.00"
    )
    values = {
        "company": "KEDAI BESI HENG SDN BHD",
        "address": "LOT 7 JALAN BUNGA 3, TAMAN MELATI, 53100 KUALA LUMPUR.",
        "total": "12.50",
    }
    profiles = learn_profiles(list(values), [([example], values)])
    doc = receipt(
        "OJC MARKETING SDN BHD",
        "NO 2 JALAN PERMAS 9/5,",
        "BANDAR BARU PERMAS JAYA,",
        "81750 JOHOR BAHRU.",
        "35.00",
        "50.00",
    )
    cands = page_candidates([doc])
    assert key_candidates(cands, "company", profile=profiles["company"])[0].text == "OJC MARKETING SDN BHD"
    total = key_candidates(cands, "total", profile=profiles["total"])[0]
    assert total.text == "35.00" and total.candidate.label == "TOTAL"  # the examples answer the bare number
    address = key_candidates(cands, "address", profile=profiles["address"])[0]
    assert address.text == "NO 2 JALAN PERMAS 9/5, BANDAR BARU PERMAS JAYA, 81750 JOHOR BAHRU."


# --------------------------------------------------------------------------------------------
# Real OCR


@pytest.mark.model
def test_real_ocr_screenshot_candidates_hold_the_true_values(paddle) -> None:
    docs = PPOCRLoader(FIXTURES / "screenshot_zh.png", engine=paddle).load()
    gt = {row.split(" ", 1)[0]: row.split(" ", 1)[1] for row in truth("screenshot_zh")["rows"] if " " in row}
    cands = page_candidates(docs)
    for key in ("可用额度", "账单日", "到期还款日"):
        ranked = key_candidates(cands, key, limit=5)
        hit = next((s for s in ranked if s.text.replace(" ", "") == gt[key]), None)
        assert hit is not None, (key, texts(ranked))
        assert hit.candidate.label == key
        assert ranked[0].text.replace(" ", "") == gt[key], (key, texts(ranked))
    top = key_candidates(cands, "可用额度")[0]
    assert top.text != gt["总额度"]


# --------------------------------------------------------------------------------------------
# Chinese tickets and invoices

TICKET = page(
    [
        ("E078205", (67, 60, 190, 96), 1.0, 0),
        ("重庆北站", (80, 117, 248, 164), 1.0, 1),
        ("K207", (406, 110, 503, 153), 0.99, 1),
        ("哈尔滨西站", (622, 105, 832, 152), 0.99, 1),
        ("Chongqingbei", (78, 167, 224, 204), 0.99, 2),
        ("2025年05月28日08:25开", (83, 233, 406, 270), 0.98, 3),
        ("12车092号", (692, 221, 833, 257), 1.0, 3),
        ("￥20.8元", (81, 288, 189, 322), 0.98, 4),
        ("新空调硬卧上铺", (629, 272, 834, 310), 0.99, 4),
        ("始发改签", (82, 336, 185, 370), 1.0, 5),
        ("5432141980****0711陈明梓", (84, 378, 449, 418), 0.99, 6),
        ("378752733940528E078205重庆北售", (88, 528, 426, 560), 0.99, 7),
    ],
    width=900,
    height=600,
)


def test_chinese_ticket_spans_seat_price_and_name() -> None:
    cands = page_candidates([TICKET])
    assert {"陈明梓", "5432141980****0711", "重庆北售"} <= set(of_kind(cands, "span"))
    assert "12车092号" in {c.text for c in cands}  # no ticket-specific seat pattern: a span of its line
    assert {"￥20.8元", "￥20.8", "20.8"} <= set(of_kind(cands, "amount"))
    assert "2025年05月28日08:25" in of_kind(cands, "date")


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("票价", "￥20.8元"),
        ("出发日期", "2025年05月28日"),
    ],
)
def test_kinds_of_values_without_examples_or_printed_labels(key: str, expected: str) -> None:
    # Station, seat, surname and train-number rules are gone: without examples only kinds of values help.
    ranked = key_candidates(page_candidates([TICKET]), key)
    assert ranked[0].text == expected, [(s.text, s.reasons) for s in ranked[:3]]


def test_invoice_merchant_from_the_examples_label_not_the_invoice_title() -> None:
    def invoice(merchant: str, code: str) -> Document:
        return stacked(["北京市通用机打发票", f"发票代码 {code}", f"收款单位：{merchant}", "合计金额 ¥35.50"])

    profiles = learn_profiles(
        ["商户名称"], [([invoice("华联超市（东四店）", "111001981002")], {"商户名称": "华联超市（东四店）"})]
    )
    doc = invoice("物美超市（西单店）", "111001981001")
    ranked = key_candidates(page_candidates([doc]), "商户名称", limit=3, profile=profiles["商户名称"])
    assert ranked[0].text == "物美超市（西单店）" and ranked[0].candidate.label == "收款单位"
    assert ranked[0].features["label"] == 1.0 and ranked[0].example == 0


def test_label_score_is_low_when_the_key_is_not_printed() -> None:
    cands = page_candidates([BILL])
    assert key_candidates(cands, "可用额度")[0].label_score == pytest.approx(1.0)
    assert max(s.label_score for s in key_candidates(cands, "最低还款额")) < 0.5


def test_phone_key_takes_the_tel_label_and_no_digits_inside_an_invoice_number() -> None:
    cands = page_candidates([stacked(["INVOICE NO: PEGIV-1030765", "TEL: 07-388 2218", "Company Reg No: 538358-H"])])
    assert set(of_kind(cands, "phone")) == {"07-388 2218"}
    top = key_candidates(cands, "phone")[0]
    assert top.text == "07-388 2218"  # a phone by its kind (no TEL synonym list any more)
    assert key_candidates(cands, "company", limit=1)[0].label_score < 0.5  # "Company Reg No" labels a number


@pytest.mark.model
def test_real_ocr_english_receipt(paddle) -> None:
    cands = page_candidates(PPOCRLoader(FIXTURES / "receipt_en.png", engine=paddle).load())
    squashed = lambda s: s.text.replace(" ", "").upper()  # noqa: E731 - PP-OCR drops the spaces between words
    # Without examples, kinds of values and labels still rank: the date and the labelled total come first.
    assert key_candidates(cands, "date")[0].text == "15/01/2019"
    total = key_candidates(cands, "total")[0]
    assert total.candidate.label == "TOTAL" and total.text.replace(" ", "") in ("RM193.00", "193.00")
    # An unlabelled company and a multi-line address are for the examples to rank (no receipt lexicons
    # any more: see test_profiles.py); the candidates must hold them, whole, as one candidate each.
    company = key_candidates(cands, "company", limit=len(cands))
    assert any(squashed(s) == "OJCMARKETINGSDNBHD" for s in company), [s.text for s in company[:10]]
    address = key_candidates(cands, "address", limit=len(cands))
    assert any("JALAN" in squashed(s) and "81750" in s.text for s in address), [s.text for s in address[:10]]


def test_edge_cases_empty_pages_bad_patterns_and_missing_boxes() -> None:
    assert page_candidates([]) == []
    assert page_candidates([Document(page_content="")]) == []
    assert key_candidates([], "total") == []
    doc = Document(page_content="x", metadata={"page": 3, "lines": [{"text": "合计 ¥12.00"}, {"text": "  "}]})
    cands = page_candidates([doc])
    assert {c.page for c in cands} == {3} and all(c.lines == (0,) for c in cands)
    assert key_candidates(cands, "合计", {"type": "string", "pattern": "(unclosed"})  # an invalid pattern is ignored
    assert key_candidates(cands, "n", {"type": "integer", "enum": [12, 13]}) == []  # "12.00" is not the enum value 12
    # nothing of the key's type on the page: lines and spans are offered instead, with a low prior
    fallback = key_candidates(page_candidates([stacked(["备注 无"])]), "email")
    assert fallback and all(s.candidate.kind in ("line", "span") and s.prior < 0.5 for s in fallback)


def test_a_part_of_a_line_gets_its_share_of_the_line_box() -> None:
    doc = page([("可用额度12,000.00", (100, 50, 340, 80))])
    amount = of_kind(page_candidates([doc]), "amount")["12,000.00"]
    # 4 Chinese characters count double: 8 of 17 width units are the label
    assert amount.box == pytest.approx((100 + 240 * 8 / 17, 50, 340, 80), abs=0.1)
    assert of_kind(page_candidates([doc]), "line")["可用额度12,000.00"].box == (100, 50, 340, 80)


def test_a_line_printed_as_just_an_amount_has_the_amounts_size_rank():
    # "Total GST" beside 3.08 and "Total" beside 54.50: each amount's copies (line, amount) rank alike
    doc = page(
        [
            ("Total GST", (10, 10, 200, 40), 0.95, 0),
            ("3.08", (500, 10, 600, 40), 0.95, 0),
            ("Total", (10, 60, 200, 90), 0.95, 1),
            ("54.50", (500, 60, 600, 90), 0.95, 1),
        ]
    )
    ranks = {(c.text, c.kind): c.magnitude for c in page_candidates([doc]) if c.text in ("3.08", "54.50")}
    assert ranks[("54.50", "amount")] == 0 and ranks[("3.08", "amount")] == 1
    assert all(ranks[(text, kind)] == ranks[(text, "amount")] for text, kind in ranks)
    assert len(ranks) > 2  # the lines themselves are candidates too
