"""The repetition guard of the local chat model: a reply that runs away is steered to its end.

Small models sometimes repeat one chunk until the token limit. :class:`_Guard` is a llama.cpp
logits processor that notices it (and, in JSON mode, the end of the token budget) and steers
the reply to a valid end; :func:`_collapse` cuts the repeated copies afterwards.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ocr_kie.llms.llamacpp import _Loaded

__all__: list[str] = []


def _closing_reserve(loaded: _Loaded, schema: Mapping[str, Any] | None) -> int:
    """Tokens kept to close a JSON answer with nulls (the skeleton, plus slack)."""
    props = (schema or {}).get("properties") if isinstance(schema, Mapping) else None
    if not isinstance(props, Mapping) or not props:
        return 16
    skeleton = json.dumps({k: None for k in props}, ensure_ascii=False)
    return len(loaded.llama.tokenize(skeleton.encode(), add_bos=False, special=False)) + len(props) + 8


@dataclass
class _Guard:
    """A llama.cpp logits processor that steers a reply to its end when it runs away.

    Runaway repetition: the last tokens are one unit of 1-32 tokens repeated at least 4 times
    (and at least 16 tokens in all). Then, and in JSON mode also when only the tokens needed to
    close the JSON with nulls are left of ``max_tokens``, it *finishes*: end-of-generation gets
    a large bonus (a plain reply ends at once), and in JSON mode so do the tokens that close the
    open string, write ``null`` for a value, and close objects, while the grammar keeps the reply
    valid JSON with every required key. The repeated copies are removed afterwards (one kept).
    """

    loaded: _Loaded
    max_tokens: int
    json_mode: bool
    reserve: int
    detect: bool = True
    start: int | None = None
    finishing: str | None = None
    unit: list[int] | None = None
    generated: int = 0

    MAX_UNIT = 32
    MIN_COPIES = 4
    MIN_SPAN = 16

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        if self.start is None:
            self.start = len(input_ids)
        gen = input_ids[self.start :]
        self.generated = len(gen)
        if self.finishing is None:
            if self.detect and self._repeating(gen):
                self.finishing = "repetition"
            elif self.json_mode and len(gen) >= self.max_tokens - self.reserve:
                self.finishing = "length"
        if self.finishing is not None:
            self._steer(gen, scores)
        return scores

    def _repeating(self, gen: Any) -> bool:
        n = len(gen)
        for length in range(1, min(self.MAX_UNIT, n // self.MIN_COPIES) + 1):
            span = length * max(self.MIN_COPIES, math.ceil(self.MIN_SPAN / length))
            if span > n:
                continue
            tail = [int(t) for t in gen[n - span :]]
            if all(tail[i] == tail[i - length] for i in range(length, span)):
                self.unit = [int(t) for t in gen[n - length :]]
                return True
        return False

    def _steer(self, gen: Any, scores: Any) -> None:
        tokens = self.loaded.tokens()
        scores[self.loaded.llama.token_eos()] += 1000.0
        if not self.json_mode:
            return
        text = self.loaded.llama.detokenize([int(t) for t in gen]).decode("utf-8", "ignore")
        in_string, last = _json_state(text)
        if in_string:
            boosts = {"close_string": 100.0}
        elif last in (":", "["):
            boosts = {"null": 100.0, "close": 50.0}
        else:
            boosts = {"close": 100.0, "comma": 50.0, "quote": 30.0, "null": 20.0}
        for name, bonus in boosts.items():
            for token in tokens[name]:
                scores[token] += bonus


def _json_state(text: str) -> tuple[bool, str]:
    """Whether ``text`` (a JSON prefix) ends inside a string, and its last structural character."""
    in_string = escaped = False
    last = ""
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
                last = '"'
        elif ch == '"':
            in_string = True
        elif not ch.isspace():
            last = ch
    return in_string, last


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _collapse(text: str, unit: str) -> str:
    """The longest run of ``unit`` repeated in ``text``, cut to one copy."""
    if not unit:
        return text
    runs = list(re.finditer(f"(?:{re.escape(unit)}){{2,}}", text))
    if not runs:
        return text
    run = max(runs, key=lambda m: len(m.group(0)))
    return text[: run.start()] + unit + text[run.end() :]
