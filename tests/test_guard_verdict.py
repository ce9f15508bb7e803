"""The guard's verdict on fake scored candidates (no OCR): which rival decides."""

from types import SimpleNamespace

from ocr_kie.guard import PROFILE_MARGIN, _verdict
from ocr_kie.guard_ambiguity import bracketed_after


def scored(
    text: str, label: str | None, kind: str, fit: float, label_fit: float, line: int = 0, source: str | None = None
) -> SimpleNamespace:
    cand = SimpleNamespace(kind=kind, page=1, lines=(line,), label_source=source)
    return SimpleNamespace(text=text, label=label, fit=fit, label_fit=label_fit, cand=cand)


def test_a_text_under_the_bare_label_does_not_make_a_qualified_label_fail() -> None:
    # a wrapped "Total RM Incl.of GST 5.75": OCR also labels the text "RM Incl.of GST" with "Total"
    value = scored("5.75", "Total RM Incl.of GST", "amount", 0.5455, 0.082)
    piece = scored("RM Incl.of GST", "Total", "span", 0.5519, 0.9)
    assert _verdict(value, [piece], PROFILE_MARGIN, with_examples=True) is None


def test_an_amount_under_the_bare_label_still_beats_a_qualified_label() -> None:
    planted = scored("999.99", "FINAL TOTAL", "amount", 0.84, 0.79)
    true = scored("37.84", "TOTAL", "amount", 0.895, 1.0)
    failed = _verdict(planted, [true], PROFILE_MARGIN, with_examples=True)
    assert failed is not None and failed[1] is true and "qualifies" in failed[0]


def test_the_keys_label_printed_twice_makes_the_value_that_fits_worse_no_answer() -> None:
    # relabel: "DATE 2018-06-16" at the foot under the header's "DATE 2018-12-23" (heldout-2, ho2-009)
    planted = scored("2018-06-16", "DATE", "date", 0.7675, 0.9, line=24)
    true = scored("2018-12-23", "DATE", "date", 0.984, 1.0, line=7)
    failed = _verdict(planted, [true], PROFILE_MARGIN, with_examples=True)
    assert failed is not None and failed[1] is true and "answers the key twice" in failed[0]
    assert "'2018-06-16'" in failed[0] and "'2018-12-23'" in failed[0]
    assert _verdict(true, [planted], PROFILE_MARGIN, with_examples=True) is None  # the examples' place stands


def test_a_bare_second_value_is_no_answer_and_a_value_under_a_label_of_its_own_stands() -> None:
    # bare: a second phone with no words, on the line under "电话：15763661118" (ho2-033)
    planted = scored("15260288895", None, "phone", 0.838, 0.8, line=7)
    true = scored("15763661118", "电话", "phone", 0.8816, 0.8, line=6)
    failed = _verdict(planted, [true], PROFILE_MARGIN, with_examples=True)
    assert failed is not None and failed[1] is true and "answers the key twice" in failed[0]
    # an honest page printing two dates under labels of their own: 保险期间至 beside 保险期间起
    end = scored("2026-03-01", "保险期间至", "date", 0.80, 0.9)
    start = scored("2025-03-02", "保险期间起", "date", 0.86, 0.9)
    assert _verdict(end, [start], PROFILE_MARGIN, with_examples=True) is None
    # one label over a range on one line ("有效期限 2022年03月22日-2032年03月22日"): one field, not two answers
    until = scored("2032年03月22日", "有效期限", "date", 0.78, 1.0, line=5)
    since = scored("2022年03月22日", "有效期限", "date", 0.79, 1.0, line=5)
    assert _verdict(until, [since], PROFILE_MARGIN, with_examples=True) is None
    # a text the page prints as a label ("性别" over "男") is no second name under "姓名"
    name, other_label = scored("张娟芳", "姓名", "line", 0.957, 1.0, 3), scored("性别", "姓名", "line", 0.96, 1.0, 4)
    assert _verdict(name, [other_label], PROFILE_MARGIN, with_examples=True, page_labels={"性别"}) is None
    assert _verdict(name, [other_label], PROFILE_MARGIN, with_examples=True) is not None


def test_without_examples_two_values_under_one_label_that_fit_alike_are_no_answer() -> None:
    # "出生 1981年9月26日" and, lower down, "出生1981年12月6日" (ho2-031): the key's name cannot tell them apart
    true = scored("1981年9月26日", "出生", "date", 0.7917, 0.7917, line=8)
    planted = scored("1981年12月6日", "出生", "date", 0.7917, 0.7917, line=19)
    failed = _verdict(planted, [true], 0.1, with_examples=False)
    assert failed is not None and "nothing tells them apart" in failed[0]
    assert _verdict(planted, [true], 0.1, with_examples=True) is None  # with examples the layout decides


def test_a_date_read_as_a_span_under_a_qualified_label_loses_to_the_date_under_the_label() -> None:
    # qr: "扫码验真：AI请取就诊日期2025/09/21" (a span) against "就诊日期" over 2025/03/05 (a date), ho2-036
    planted = scored("2025/09/21", "请取就诊日期", "span", 0.7146, 0.861)
    true = scored("2025/03/05", "就诊日期", "date", 0.852, 1.0)
    failed = _verdict(planted, [true], PROFILE_MARGIN, with_examples=True)
    assert failed is not None and failed[1] is true and "qualifies" in failed[0]


def test_a_value_in_brackets_after_another_of_its_kind_is_a_note() -> None:
    line = "2019-05-16（AI改为2019-05-23）"  # sameline, ho2-028
    assert bracketed_after("2019-05-23", line, ["2019-05-16", "2022-08-28"]) == "2019-05-16"
    assert bracketed_after("2019-05-16", line, ["2019-05-23"]) is None  # outside the brackets
    assert bracketed_after("12345-A", "OJC MARKETING SDN BHD (CO.REG 12345-A)", ["2019-05-16"]) is None
    assert bracketed_after("13.50", "TOTAL 12.00 (13.50)", ["12.00"]) == "12.00"
    assert bracketed_after("13.50", "TOTAL 12.00 (USD) 13.50", ["12.00"]) is None  # the brackets are closed


def test_a_cell_under_a_tables_header_is_no_second_answer() -> None:
    # "TOTAL : 180.10", and lower down a GST summary whose header row "Rate % | TOTAL | GST" labels its cell 144.98
    # (sroie-train-100 X51006619561; the examples' layout fitted the cell better)
    true = scored("180.10", "TOTAL", "amount", 0.793, 0.759, line=37, source="left")
    cell = scored("144.98", "TOTAL", "amount", 0.847, 0.9, line=55, source="above")
    assert _verdict(true, [cell], PROFILE_MARGIN, with_examples=True) is not None  # read as the label printed twice
    assert _verdict(true, [cell], PROFILE_MARGIN, with_examples=True, table_cells={(1, 55)}) is None
    # the key's label printed twice as a field is still two answers, table or not elsewhere on the page
    field = scored("144.98", "TOTAL", "amount", 0.847, 0.9, line=55, source="prefix")
    assert _verdict(true, [field], PROFILE_MARGIN, with_examples=True, table_cells={(1, 55)}) is not None
