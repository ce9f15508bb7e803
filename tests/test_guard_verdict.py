"""The guard's verdict on fake scored candidates (no OCR): which rival decides."""

from types import SimpleNamespace

from ocr_kie.guard import PROFILE_MARGIN, _verdict


def scored(text: str, label: str, kind: str, fit: float, label_fit: float) -> SimpleNamespace:
    return SimpleNamespace(text=text, label=label, fit=fit, label_fit=label_fit, cand=SimpleNamespace(kind=kind))


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
