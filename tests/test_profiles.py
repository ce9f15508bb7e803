"""Key profiles learned from the examples: locating values, shapes, sub-spans, k-NN ranking, null, bad examples."""

from __future__ import annotations

import warnings

import pytest

from ocr_kie.candidates import key_candidates, page_candidates
from ocr_kie.candidates.profiles import (
    InconsistentExampleWarning,
    KeyProfile,
    ValueView,
    learn_profiles,
    shape_of,
    shape_similarity,
)
from ocr_kie.parser import schema_from_keys
from ocr_kie.pipeline.grounded import GroundedOptions, shape_check, shortlist
from test_candidates import page


def card(name: str, title: str, address: str, mobile: str, phone: str, *, y0: int = 100) -> list[tuple]:
    """A business card: name and title without labels, then labelled lines."""
    return [
        (name, (60, y0, 260, y0 + 50)),
        (title, (60, y0 + 60, 220, y0 + 90)),
        (f"地址：{address}", (60, y0 + 300, 700, y0 + 330)),
        (f"手机：{mobile}", (60, y0 + 340, 400, y0 + 370)),
        (f"电话：{phone}", (60, y0 + 380, 400, y0 + 410)),
    ]


def bank(tail: str, due: str, bill_day: str, *, with_due: bool = True) -> list[tuple]:
    lines = [
        ("招商银行信用卡", (60, 40, 400, 80), 0.95, 0),
        ("卡号", (60, 120, 140, 150), 0.95, 1),
        (f"**** {tail}", (500, 120, 660, 150), 0.95, 1),
        ("账单日", (60, 180, 160, 210), 0.95, 2),
        (bill_day, (500, 180, 660, 210), 0.95, 2),
    ]
    if with_due:
        lines += [("到期还款日", (60, 240, 200, 270), 0.95, 3), (due, (500, 240, 700, 270), 0.95, 3)]
    return lines


KEYS = ["姓名", "职位", "手机"]


def card_examples():
    return [
        ([page(card("张伟", "技术总监", "北京市海淀区中关村大街1号", "13812345678", "010-62345678"))], None),
        ([page(card("李娜", "总经理", "上海市浦东新区世纪大道100号", "13987654321", "021-58881234", y0=140))], None),
    ]


def learned(keys, pages_values):
    return learn_profiles(keys, pages_values)


def test_shapes_keep_what_is_printed() -> None:
    assert shape_of("**** 2931") == "**** 9999"
    assert shape_of("¥1,200.00") == "¥9,999.99"
    assert shape_of("ＡＢ12") == "AA99"
    assert shape_similarity("9999", "9999") == 1.0
    assert shape_similarity("9999", "汉汉汉汉汉汉汉汉汉汉汉汉") < 0.2


def test_profiles_teach_a_title_without_label_not_the_address() -> None:
    values = [
        {"姓名": "张伟", "职位": "技术总监", "手机": "13812345678"},
        {"姓名": "李娜", "职位": "总经理", "手机": "13987654321"},
    ]
    profiles = learned(KEYS, [(docs, v) for (docs, _), v in zip(card_examples(), values, strict=True)])
    view = profiles["职位"].views[0]
    assert view.label is None and view.label_source == "varies" and view.lines == 1 and view.shape == "汉汉汉汉"
    new = page(card("王芳", "市场部经理", "广州市天河区体育西路55号", "13700001111", "020-38886666", y0=120))
    cands = page_candidates([new])
    top = key_candidates(cands, "职位", profile=profiles["职位"])[0]
    assert top.text == "市场部经理"
    assert top.example in (0, 1) and set(top.features) == {
        "label",
        "kind",
        "shape",
        "position",
        "order",
        "lines",
        "magnitude",
        "contents",
    }
    assert key_candidates(cands, "手机", profile=profiles["手机"])[0].text == "13700001111"
    assert key_candidates(cands, "姓名", profile=profiles["姓名"])[0].text == "王芳"


def test_a_sub_span_answer_is_followed_and_the_label_decides_dates() -> None:
    examples = [
        ([page(bank("2931", "2026年05月15日", "每月09日"))], {"卡号后四位": "2931", "到期还款日": "2026年05月15日"}),
        ([page(bank("7710", "2026年06月02日", "每月21日"))], {"卡号后四位": "7710", "到期还款日": "2026年06月02日"}),
    ]
    profiles = learned(["卡号后四位", "到期还款日"], examples)
    assert profiles["卡号后四位"].views[0].kind == "part" and profiles["卡号后四位"].views[0].part == (-1, None)
    schema = schema_from_keys(["卡号后四位", "到期还款日"])
    ranked, nulls = shortlist([page(bank("8402", "2026年07月19日", "每月05日"))], schema, GroundedOptions(), profiles)
    assert ranked["卡号后四位"][0].text == "8402"
    assert ranked["到期还款日"][0].text == "2026年07月19日"
    assert nulls["到期还款日"] == GroundedOptions().null_prior


def test_null_when_the_label_is_absent_and_nothing_fits() -> None:
    examples = [
        ([page(bank("2931", "2026年05月15日", "每月09日"))], {"到期还款日": "2026年05月15日"}),
        ([page(bank("7710", "2026年06月02日", "每月21日"))], {"到期还款日": "2026年06月02日"}),
    ]
    profiles = learned(["到期还款日"], examples)
    schema = schema_from_keys(["到期还款日"])
    ranked, nulls = shortlist([page(bank("8402", "", "每月05日", with_due=False))], schema, GroundedOptions(), profiles)
    assert profiles["到期还款日"].label_on_page(page_candidates([page(bank("1", "", "x", with_due=False))])) is False
    assert nulls["到期还款日"] > max(s.prior for s in ranked["到期还款日"])


def notice(due_label: str | None, due: str, issued: str) -> list[tuple]:
    """A payment notice: its title, 开票日期 (another date) and, unless ``due_label`` is None, the due date."""
    lines = [("缴费通知单", (60, 40, 400, 80), 0.95, 0), ("开票日期：" + issued, (60, 120, 500, 150), 0.95, 1)]
    if due_label:
        lines.append((f"{due_label}：{due}", (60, 180, 500, 210), 0.95, 2))
    return lines


def test_a_value_under_a_label_no_example_shows_is_returned_one_under_a_label_the_examples_give_another_is_not():
    # One example: 缴费截止日期 is printed, and 开票日期 over another date. A page of another layout
    # prints the due date as 最晚缴纳 (no example shows that label): it is the due date, not null.
    first = page(notice("缴费截止日期", "2026年05月15日", "2026年04月25日"))
    examples = [([first], {"缴费截止日期": "2026年05月15日"})]
    profiles = learned(["缴费截止日期"], examples)
    assert profiles["缴费截止日期"].others == ["开票日期"]
    schema = schema_from_keys(["缴费截止日期"])
    other_layout = page(notice("最晚缴纳", "2026年07月19日", "2026年06月29日"))
    ranked, nulls = shortlist([other_layout], schema, GroundedOptions(), profiles)
    assert ranked["缴费截止日期"][0].text == "2026年07月19日"
    assert nulls["缴费截止日期"] == GroundedOptions().null_prior < ranked["缴费截止日期"][0].prior
    # a page with only 开票日期's date: the examples show that label over another value, so null
    ranked, nulls = shortlist([page(notice(None, "", "2026年06月29日"))], schema, GroundedOptions(), profiles)
    assert nulls["缴费截止日期"] > max(s.prior for s in ranked["缴费截止日期"])


def test_inconsistent_example_is_warned_about_and_skipped_and_extra_keys_ignored() -> None:
    docs = [page(bank("2931", "2026年05月15日", "每月09日"))]
    with pytest.warns(UserWarning) as caught:
        values = {"到期还款日": "2030年01月01日", "卡号后四位": "2931", "x": 1}
        profiles = learned(["到期还款日", "卡号后四位"], [(docs, values)])
    messages = [(w.category, str(w.message)) for w in caught]
    assert (UserWarning, "example 1 answers keys that were not asked for, ignored: ['x']") in messages
    assert any(c is InconsistentExampleWarning and "example 1: the value of '到期还款日'" in m for c, m in messages)
    assert profiles["到期还款日"].views == [] and len(profiles["卡号后四位"].views) == 1
    assert "x" not in profiles


def receipt(shop: str, address: list[str], date: str, amounts: list[tuple[str, str]], *, dated: bool = True) -> list:
    """A receipt-like page: an unlabelled name and address block on top, a date, labelled amounts."""
    lines: list[tuple] = [(shop, (200, 40, 600, 70), 0.95, 0)]
    lines += [(text, (220, 80 + 30 * i, 580, 105 + 30 * i), 0.95, 1 + i) for i, text in enumerate(address)]
    y, row = 100 + 30 * len(address), 1 + len(address)
    lines += [
        ("Tel: 03-1234 5678", (220, y, 580, y + 25), 0.95, row),
        ("Receipt No: R-0042", (60, y + 40, 400, y + 65), 0.95, row + 1),
    ]
    if dated:
        lines += [
            ("Date:", (60, y + 80, 140, y + 105), 0.95, row + 2),
            (date, (300, y + 80, 480, y + 105), 0.95, row + 2),
        ]
    else:
        lines += [(date, (60, y + 80, 240, y + 105), 0.95, row + 2)]
    for i, (label, amount) in enumerate(amounts):
        lines += [(label, (60, y + 160 + 40 * i, 300, y + 185 + 40 * i), 0.95, row + 3 + i)]
        lines += [(amount, (600, y + 160 + 40 * i, 700, y + 185 + 40 * i), 0.95, row + 3 + i)]
    lines += [("Thank you", (300, 960, 500, 990), 0.95, row + 3 + len(amounts))]
    return lines


def receipt_profiles(keys):
    a = receipt(
        "ALPHA TRADING",
        ["12 MAIN ROAD", "SOUTH PARK", "43000 KAJANG"],
        "25/12/2018",
        [("Sub Total", "8.50"), ("Tax", "0.50"), ("Total", "9.00"), ("Cash", "10.00")],
    )
    b = receipt(
        "BETA STORE",
        ["7 RIVER STREET", "EAST HILL 81100"],
        "11/01/2019",
        [("Sub Total", "300.00"), ("Tax", "27.00"), ("Total Sales", "327.00")],
    )
    values = [
        {
            "company": "ALPHA TRADING",
            "address": "12 MAIN ROAD SOUTH PARK 43000 KAJANG",
            "date": "25/12/2018",
            "total": "9.00",
        },
        {"company": "BETA STORE", "address": "7 RIVER STREET EAST HILL 81100", "date": "11/01/2019", "total": "327.00"},
    ]
    return learned(keys, [([page(a)], values[0]), ([page(b)], values[1])])


def test_unlabelled_blocks_multi_line_values_and_a_date_without_its_label_are_learned() -> None:
    keys = ["company", "address", "date", "total"]
    profiles = receipt_profiles(keys)
    assert [v.lines for v in profiles["address"].views] == [3, 2]
    new = receipt(
        "GAMMA MART",
        ["88 HILL VIEW", "NORTH BAY", "50000 CITY"],
        "03/04/2019",
        [("Sub Total", "40.00"), ("Total GST", "2.40"), ("Total", "42.40"), ("Cash", "50.00")],
        dated=False,
    )
    schema = schema_from_keys(keys)
    ranked, nulls = shortlist([page(new)], schema, GroundedOptions(), profiles)
    assert ranked["company"][0].text == "GAMMA MART"
    assert ranked["address"][0].text == "88 HILL VIEW NORTH BAY 50000 CITY"  # all three lines, not the phone after
    everything, _ = shortlist([page(new)], schema, GroundedOptions(max_candidates=500), profiles)
    with_name = next(s for s in everything["address"] if s.text.startswith("GAMMA MART 88"))
    assert "holds another key's value" in with_name.reasons  # one printed text answers one key
    assert ranked["total"][0].text == "42.40"  # labelled like the examples and second largest, not the tax
    # "Date:" is not on this page, but a date shaped like the examples' keeps null unlikely
    assert ranked["date"][0].text == "03/04/2019" and nulls["date"] < ranked["date"][0].prior


def test_an_example_value_with_an_ocr_slip_is_still_learned() -> None:
    a = receipt("ALPHA TRADING", ["NO.5:55 MAIN ROAD", "SOUTH PARK"], "25/12/2018", [("Total", "9.00")])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        profiles = learned(["address"], [([page(a)], {"address": "NO.53 55 MAIN ROAD SOUTH PARK"})])
    assert profiles["address"].views[0].lines == 2


def test_null_example_values_are_counted_and_zero_examples_still_rank_by_key_name() -> None:
    profiles = learned(["到期还款日"], [([page(bank("1", "", "x", with_due=False))], {"到期还款日": None})])
    assert profiles["到期还款日"].null_examples == 1 and not profiles["到期还款日"].views
    cands = page_candidates([page(bank("8402", "2026年07月19日", "每月05日"))])
    assert key_candidates(cands, "到期还款日", profile=profiles["到期还款日"])[0].text == "2026年07月19日"
    assert key_candidates(cands, "到期还款日")[0].text == "2026年07月19日"


def test_shape_check_flags_an_answer_no_example_looks_like() -> None:
    examples = [([page(bank("2931", "2026年05月15日", "每月09日"))], {"卡号后四位": "2931"})]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        profiles = learned(["卡号后四位"], examples)
    fits = shape_check({"卡号后四位": "**** 8402 招商银行"}, profiles)
    assert fits["卡号后四位"] < 0.5
    assert shape_check({"卡号后四位": "8402"}, profiles)["卡号后四位"] == 1.0


def test_details_say_which_example_and_features_decided_and_the_runner_up() -> None:
    from ocr_kie.pipeline.grounded import GroundedDecoder

    examples = [
        ([page(bank("2931", "2026年05月15日", "每月09日"))], {"卡号后四位": "2931", "到期还款日": "2026年05月15日"}),
        ([page(bank("7710", "2026年06月02日", "每月21日"))], {"卡号后四位": "7710", "到期还款日": "2026年06月02日"}),
    ]
    keys = ["卡号后四位", "到期还款日"]
    profiles = learned(keys, examples)
    schema = schema_from_keys(keys)
    options = GroundedOptions(model_weight=0)
    ranked, nulls = shortlist([page(bank("8402", "2026年07月19日", "每月05日"))], schema, options, profiles)
    values, choices, _ = GroundedDecoder(None, schema, options).decode([], ranked, nulls)  # type: ignore[arg-type]
    assert values == {"卡号后四位": "8402", "到期还款日": "2026年07月19日"}
    details = choices["到期还款日"].details()
    assert details["decided_by"]["example"] in (1, 2) and details["decided_by"]["features"]["label"] == 1.0
    assert details["runner_up"]["value"] != "2026年07月19日" and "features" in details["runner_up"]


@pytest.mark.model
def test_real_ocr_profiles_learned_from_two_example_images_read_new_bills(paddle) -> None:
    import json
    from pathlib import Path

    from ocr_kie.examples import load_examples
    from ocr_kie.loader import PPOCRLoader
    from ocr_kie.pipeline.grounded import GroundedDecoder

    root = Path(__file__).parents[1] / "benchmarks/datasets/zh-kie/bill"
    keys = json.loads((root / "dataset.json").read_text(encoding="utf-8"))["keys"]
    examples = load_examples(root / "examples.jsonl")[:2]
    profiles = learn_profiles(keys, [(PPOCRLoader(ex.image, engine=paddle).load(), ex.values) for ex in examples])
    assert all(profiles[k].views for k in keys)
    schema = schema_from_keys(keys)
    options = GroundedOptions(model_weight=0)
    right = total = 0
    for name in ("bill-000", "bill-001", "bill-002"):
        docs = PPOCRLoader(root / f"images/{name}.png", engine=paddle).load()
        gold = json.loads((root / f"labels/{name}.json").read_text(encoding="utf-8"))
        ranked, nulls = shortlist(docs, schema, options, profiles)
        values, _, _ = GroundedDecoder(None, schema, options).decode([], ranked, nulls)  # type: ignore[arg-type]
        right += sum(values[k] == gold[k] for k in keys)
        total += len(keys)
    assert right >= total - 2, (right, total)


def test_lines_fit_is_a_distribution_over_all_examples():
    def view(example: int, lines: int) -> ValueView:
        return ValueView(example, "v", "run", None, None, 0.5, 0.5, (0, 0), None, frozenset(), lines, "A")

    one_kind = KeyProfile("address", views=[view(0, 4), view(1, 4), view(2, 4)])
    assert one_kind.lines_fit(4) == 1.0
    assert one_kind.lines_fit(4) > one_kind.lines_fit(5) > one_kind.lines_fit(3) > one_kind.lines_fit(2) > 0.5
    mixed = KeyProfile("address", views=[view(0, 1), view(1, 3)])
    # every example counts, not only the nearest: 1 and 3 lines fit alike, each less than a lone example's own count
    assert mixed.lines_fit(1) == mixed.lines_fit(3) < 1.0
    assert mixed.lines_fit(5) < mixed.lines_fit(2)
