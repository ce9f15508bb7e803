"""Reading order: text lines grouped into visual rows, rows top to bottom, left to right in a row.

A label and its value printed on the same row ("可用额度" … "12,000.00") end up next to each
other in the page text, which is what an LLM needs to pair them.
"""

from __future__ import annotations

from ocr_kie.ocr.types import OcrLine

#: Two lines share a row when their vertical overlap is at least this share of the smaller height.
ROW_OVERLAP = 0.5


def order_lines(lines: list[OcrLine]) -> list[OcrLine]:
    """Sort lines into reading order and number their rows.

    Lines are taken by vertical centre; a line joins the current row when it overlaps the row's
    vertical band by at least :data:`ROW_OVERLAP` of the smaller height, else it starts a new row.

    Args:
        lines: The lines, in any order.

    Returns:
        New lines (with ``row`` set) in reading order.
    """
    rows: list[list[OcrLine]] = []
    band = (0.0, 0.0)
    for line in sorted(lines, key=lambda ln: (ln.box[1] + ln.box[3]) / 2):
        top, bottom = line.box[1], line.box[3]
        overlap = min(bottom, band[1]) - max(top, band[0])
        if rows and overlap >= ROW_OVERLAP * min(bottom - top, band[1] - band[0]):
            rows[-1].append(line)
            members = rows[-1]
            band = (
                sum(m.box[1] for m in members) / len(members),
                sum(m.box[3] for m in members) / len(members),
            )
        else:
            rows.append([line])
            band = (top, bottom)
    return [
        line.model_copy(update={"row": index})
        for index, row in enumerate(rows)
        for line in sorted(row, key=lambda ln: ln.box[0])
    ]
