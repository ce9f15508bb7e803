"""Matching the keys of a reply to the asked keys: exact, then equal after squashing, then fuzzy.

Each step only when unambiguous; keys that match none are dropped by the caller (and recorded).
"""

from __future__ import annotations

from rapidfuzz import fuzz

from ocr_kie.normalize import squash

_KEY_DECORATION = ":\"'`*"  # "total:", "**total**", "'total'" (after squash, so "：" is ":" too)


def _key_form(key: str) -> str:
    """A key name as compared when not exactly equal: squashed, without decoration around it."""
    return squash(key).strip(_KEY_DECORATION)


def _match_keys(reply_keys: list[str], asked: list[str], threshold: float) -> tuple[dict[str, str], list[str]]:
    """Map reply keys to asked keys: exact, then equal after squash, then fuzzy; only if unambiguous.

    "Equal after squash" ignores whitespace, case, full-width forms and ``:`` ``*`` quotes around
    the key. A step maps a reply key only when it points at exactly one asked key that no other
    reply key claims at the same step; the fuzzy step compares those forms with rapidfuzz's ratio.

    Returns:
        The mapping reply key -> asked key, and the reply keys left unmapped.
    """
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    asked_set = set(asked)
    for rk in reply_keys:
        if rk in asked_set:
            mapping[rk] = rk
            taken.add(rk)

    by_squash: dict[str, list[str]] = {}
    for a in asked:
        by_squash.setdefault(_key_form(a), []).append(a)
    proposals: dict[str, list[str]] = {}  # asked key -> reply keys proposing it
    for rk in reply_keys:
        if rk in mapping:
            continue
        cands = by_squash.get(_key_form(rk), [])
        if len(cands) == 1 and cands[0] not in taken:
            proposals.setdefault(cands[0], []).append(rk)
    for a, rks in proposals.items():
        if len(rks) == 1:  # two reply keys squashing to the same asked key: ambiguous, map neither
            mapping[rks[0]] = a
            taken.add(a)

    squashed_asked = {a: _key_form(a) for a in asked}
    proposed = {rk for rks in proposals.values() for rk in rks}
    pending = [rk for rk in reply_keys if rk not in mapping and rk not in proposed]
    close: dict[str, list[str]] = {}
    for rk in pending:
        s = _key_form(rk)
        close[rk] = [a for a, sa in squashed_asked.items() if s and sa and fuzz.ratio(s, sa) >= threshold]
    for rk in pending:
        if len(close[rk]) != 1:
            continue
        a = close[rk][0]
        if a in taken or sum(a in close[other] for other in pending) > 1:
            continue
        mapping[rk] = a
        taken.add(a)
    return mapping, [rk for rk in reply_keys if rk not in mapping]
