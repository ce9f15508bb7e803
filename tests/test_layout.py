"""Reading order on hand-made boxes (no model)."""

from ocr_kie.ocr import OcrLine
from ocr_kie.ocr.layout import order_lines


def line(text: str, x0: float, y0: float, x1: float, y1: float) -> OcrLine:
    return OcrLine(text=text, polygon=((x0, y0), (x1, y0), (x1, y1), (x0, y1)), score=0.9)


def texts(lines: list[OcrLine]) -> list[tuple[int, str]]:
    return [(ln.row, ln.text) for ln in lines]


def test_label_and_value_on_one_row_left_to_right():
    lines = [
        line("12,000.00", 500, 102, 700, 138),
        line("可用额度", 40, 100, 200, 140),
        line("账单日", 40, 200, 160, 240),
    ]
    assert texts(order_lines(lines)) == [(0, "可用额度"), (0, "12,000.00"), (1, "账单日")]


def test_slightly_offset_value_still_joins_the_row_but_the_next_row_does_not():
    lines = [line("Total", 10, 100, 80, 120), line("RM 15.00", 300, 108, 400, 128), line("Cash", 10, 122, 70, 142)]
    assert texts(order_lines(lines)) == [(0, "Total"), (0, "RM 15.00"), (1, "Cash")]


def test_rows_top_to_bottom_whatever_the_input_order():
    lines = [line(str(i), 0, 50 * i, 100, 50 * i + 30) for i in (3, 0, 2, 1)]
    assert texts(order_lines(lines)) == [(0, "0"), (1, "1"), (2, "2"), (3, "3")]


def test_empty_page():
    assert order_lines([]) == []
