"""How often a failed check meant a wrong value: the precision of the checks' flag."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["flag_metrics"]


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def flag_metrics(documents: Sequence[Any], keys: Sequence[str]) -> dict[str, Any]:
    """Checks against correctness, over every non-null value of the documents that did not fail.

    A value is *flagged* when one of its checks failed, and *wrong* when it is not an exact match of
    the label (a value for a null label is wrong).

    Args:
        documents: :class:`~ocr_kie.evaluation.DocumentResult` objects (``checks``, ``scores``, ``predicted``).
        keys: The keys scored.

    Returns:
        ``values`` (non-null values), ``checked`` (values some check judged), ``flagged``,
        ``flagged_wrong``, ``precision`` (flagged_wrong / flagged), ``wrong``, ``wrong_flagged``
        (share of wrong values flagged), ``right``, ``right_flagged`` (share of right values
        flagged: false alarms), ``errors`` (checks that raised), and ``by_check``:
        ``{name: {"flagged", "flagged_wrong"}}``.
    """
    counts = dict.fromkeys(("values", "checked", "flagged", "flagged_wrong", "wrong", "right", "right_flagged"), 0)
    errors = 0
    by_check: dict[str, dict[str, int]] = {}
    for doc in documents:
        if doc.error is not None:
            continue
        verdicts: Mapping[str, Any] = getattr(doc, "checks", None) or {}
        for key in keys:
            if doc.predicted.get(key) is None:
                continue
            results = verdicts.get(key) or []
            failed = [r for r in results if r.get("passed") is False]
            errors += sum(r.get("passed") is None for r in results)
            wrong = not doc.scores.get(key, {}).get("exact", False)
            counts["values"] += 1
            counts["checked"] += bool(results)
            counts["wrong" if wrong else "right"] += 1
            if failed:
                counts["flagged"] += 1
                counts["flagged_wrong" if wrong else "right_flagged"] += 1
            for name in {r.get("check") for r in failed}:
                entry = by_check.setdefault(str(name), {"flagged": 0, "flagged_wrong": 0})
                entry["flagged"] += 1
                entry["flagged_wrong"] += wrong
    return {
        **{k: v for k, v in counts.items() if k != "right_flagged"},
        "precision": _share(counts["flagged_wrong"], counts["flagged"]),
        "wrong_flagged": _share(counts["flagged_wrong"], counts["wrong"]),
        "right_flagged": _share(counts["right_flagged"], counts["right"]),
        "right_flagged_count": counts["right_flagged"],
        "errors": errors,
        "by_check": by_check,
    }
