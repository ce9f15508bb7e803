"""Finding the JSON object in an LLM reply, and reading it however it is broken.

Reasoning blocks are dropped (:func:`strip_reasoning`); the object is looked for in
```` ``` ```` fences first, then in the whole reply, left to right (:func:`_find_object`). Each
candidate is read as strict JSON, then repaired (single or typographic quotes, trailing or
missing commas, full-width ``｛｝：，“”`` used as syntax, unquoted keys and values,
``None/True/False``), then with ``ast.literal_eval``. All of it within a work budget linear in the
reply's length (:class:`_Budget`): a reply that is no JSON at all is refused in linear time.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ocr_kie.parser.keys import _match_keys

__all__ = ["DEFAULT_MAX_REPLY_CHARS", "strip_reasoning"]

_MAX_OBJECT_STARTS = 64  # '{' positions tried per reply: bounds the work on pathological replies
#: Default of :attr:`~ocr_kie.parser.KieOutputParser.max_reply_chars`: the most of a reply that is read.
DEFAULT_MAX_REPLY_CHARS = 100_000


_THINK_TAGS = r"think|thinking|reasoning"
_THINK_OPEN_TAG = re.compile(rf"<({_THINK_TAGS})\s*>", re.I)
_THINK_OPEN = re.compile(rf"<(?:{_THINK_TAGS})\s*>", re.I)
_THINK_CLOSE = re.compile(rf"</(?:{_THINK_TAGS})\s*>", re.I)
# A fence opens at the start of a line (so "```" inside a JSON string value is not one) and closes
# at the next "```" or at the end of a cut-off reply.
_FENCE = re.compile(r"^[ \t]*```[ \t]*[A-Za-z0-9_+.-]*[ \t]*\r?\n?(.*?)(?:```|\Z)", re.S | re.M)


def _drop_closed_blocks(text: str) -> str:
    """Remove each ``<tag>…</tag>`` reasoning block, left to right, in one pass (linear time).

    A tag found unclosed once is not looked for again: a later one of the same name has no close
    either (a regex ``<tag>.*?</tag>`` retried at every unclosed tag would take quadratic time).
    """
    out: list[str] = []
    pos = search_from = 0
    unclosed: set[str] = set()
    while True:
        opened = _THINK_OPEN_TAG.search(text, search_from)
        if opened is None:
            break
        tag = opened.group(1).lower()
        close = None if tag in unclosed else re.compile(rf"</{tag}\s*>", re.I).search(text, opened.end())
        if close is None:
            unclosed.add(tag)
            search_from = opened.end()
            continue
        out.append(text[pos : opened.start()])
        pos = search_from = close.end()
    out.append(text[pos:])
    return "".join(out)


def strip_reasoning(text: str) -> tuple[str, bool]:
    """Remove ``<think>…</think>`` (also ``<thinking>``, ``<reasoning>``) blocks from a reply.

    An orphan closing tag (the opening one was part of the prompt template, as with Qwen3 or
    DeepSeek-R1) drops everything before it; an unclosed opening tag drops everything after it.

    Args:
        text: The reply.

    Returns:
        The remaining text, and whether an unclosed reasoning block was cut off.
    """
    text = _drop_closed_blocks(text)
    closes = list(_THINK_CLOSE.finditer(text))
    if closes:
        text = text[closes[-1].end() :]
    opened = _THINK_OPEN.search(text)
    if opened:
        return text[: opened.start()], True
    return text, False


class _RawNumber(str):
    """A JSON number kept as its source text, so "12000.00" is not turned into 12000.0."""

    __slots__ = ()


def _json_constant(name: str) -> Any:
    return None if name == "NaN" else _RawNumber(name)


_STRICT = json.JSONDecoder(parse_float=_RawNumber, parse_int=_RawNumber, parse_constant=_json_constant, strict=False)


class _RepairError(ValueError):
    """The lenient parser gave up; the message says where and why."""


class _OutOfBudget(_RepairError):
    """The reply took more work than its length allows: scanning stops (the parser stays linear)."""


class _Budget:
    """Characters of work allowed for finding the object in one reply: a multiple of its length.

    Every step that reads part of the reply (a strict decode, a repair attempt, a brace scan, a
    comment or whitespace look-ahead) spends what it read, so a reply that is no JSON at all
    (``{"{"{"…``) costs a bounded multiple of its length, however many ``{`` it holds.
    """

    PER_CHAR = 4
    BASE = 10_000

    def __init__(self, length: int) -> None:
        self.limit = self.PER_CHAR * length + self.BASE
        self.spent = 0

    def spend(self, n: int) -> None:
        self.spent += max(n, 0)
        if self.spent > self.limit:
            raise _OutOfBudget(f"gave up after reading {self.spent:,} characters (the reply is not repairable JSON)")


_OBJ_OPEN, _OBJ_CLOSE = "{\uff5b", "}\uff5d"  # { ｛   } ｝
_ARR_OPEN, _ARR_CLOSE = "[\uff3b", "]\uff3d"  # [ ［   ] ］
_COLONS, _COMMAS = ":\uff1a", ",\uff0c"  # : ：   , ，
_QUOTES = {  # opening quote -> the characters that may close it
    '"': '"',
    "'": "'",
    "\uff02": "\uff02",  # ＂
    "\uff07": "\uff07",  # ＇
    "\u201c": "\u201d\u201c",  # “ -> ” (or “, when a model uses one for both)
    "\u201d": "\u201d\u201c",
    "\u2018": "\u2019\u2018",  # ‘ -> ’
    "\u2019": "\u2019\u2018",
}
_AFTER_STRING = _OBJ_CLOSE + _ARR_CLOSE + _COLONS + _COMMAS
_BARE_VALUE_END = _OBJ_CLOSE + _ARR_CLOSE + _COMMAS + "\r\n"
_BARE_KEY_FORBIDDEN = _OBJ_OPEN + _OBJ_CLOSE + _ARR_OPEN + _ARR_CLOSE + _COMMAS + "\r\n" + "".join(_QUOTES)
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")
_BARE_CONSTANTS: dict[str, Any] = {
    "null": None,
    "none": None,
    "nil": None,
    "undefined": None,
    "nan": None,
    "true": True,
    "false": False,
}
_ESCAPES = {'"': '"', "'": "'", "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


class _Lenient:
    """A forgiving recursive-descent JSON reader for what LLMs write instead of JSON.

    Structural characters are only recognised outside strings, so full-width ``：，“”`` inside
    well-quoted values are kept. It never closes an object the reply left open.
    """

    def __init__(self, text: str, budget: _Budget | None = None) -> None:
        self.text = text
        self.n = len(text)
        self.budget = budget or _Budget(len(text))

    def fail(self, pos: int, what: str) -> _RepairError:
        snippet = self.text[pos : pos + 20]
        return _RepairError(f"{what} at offset {pos} (near {snippet!r})")

    def skip(self, i: int) -> tuple[int, bool]:
        """Skip whitespace and // or /* */ comments; also report whether a newline was skipped."""
        newline = False
        start = i
        while i < self.n:
            c = self.text[i]
            if c.isspace():
                newline |= c in "\r\n"
                i += 1
            elif self.text.startswith("//", i):
                end = self.text.find("\n", i)
                i = self.n if end < 0 else end
            elif self.text.startswith("/*", i):
                end = self.text.find("*/", i + 2)
                if end < 0:
                    self.budget.spend(self.n - start)
                    raise self.fail(i, "unclosed comment")
                i = end + 2
            else:
                break
        self.budget.spend(i - start)
        return i, newline

    def value(self, i: int, depth: int) -> tuple[Any, int]:
        if depth > 100:
            raise self.fail(i, "nesting too deep")
        i, _ = self.skip(i)
        if i >= self.n:
            raise self.fail(i, "the reply ends where a value was expected (truncated?)")
        c = self.text[i]
        if c in _OBJ_OPEN:
            return self.object(i, depth)
        if c in _ARR_OPEN:
            return self.array(i, depth)
        if c in _QUOTES:
            return self.string(i)
        return self.bare_value(i)

    def object(self, i: int, depth: int = 0) -> tuple[dict[str, Any], int]:
        i += 1
        out: dict[str, Any] = {}
        need_separator = False
        while True:
            i, newline = self.skip(i)
            if i >= self.n:
                raise self.fail(i, "the reply ends inside a JSON object (truncated?)")
            c = self.text[i]
            if c in _OBJ_CLOSE:
                return out, i + 1
            if c in _COMMAS:
                i, need_separator = i + 1, False
                continue
            if need_separator and not (newline or c in _QUOTES):
                raise self.fail(i, "expected ',' or '}'")
            key, i = self.key(i)
            i, _ = self.skip(i)
            if i >= self.n or self.text[i] not in _COLONS:
                raise self.fail(i, f"expected ':' after the key {key!r}")
            out[key], i = self.value(i + 1, depth + 1)
            need_separator = True

    def array(self, i: int, depth: int) -> tuple[list[Any], int]:
        i += 1
        out: list[Any] = []
        need_separator = False
        while True:
            i, newline = self.skip(i)
            if i >= self.n:
                raise self.fail(i, "the reply ends inside a JSON array (truncated?)")
            c = self.text[i]
            if c in _ARR_CLOSE:
                return out, i + 1
            if c in _COMMAS:
                i, need_separator = i + 1, False
                continue
            if need_separator and not newline:
                raise self.fail(i, "expected ',' or ']'")
            item, i = self.value(i, depth + 1)
            out.append(item)
            need_separator = True

    def key(self, i: int) -> tuple[str, int]:
        if self.text[i] in _QUOTES:
            return self.string(i)
        j = i
        while j < self.n and self.text[j] not in _COLONS:
            if self.text[j] in _BARE_KEY_FORBIDDEN:
                self.budget.spend(j - i)
                raise self.fail(j, "expected a key")
            j += 1
        self.budget.spend(j - i)
        key = self.text[i:j].strip()
        if not key or j >= self.n:
            raise self.fail(i, "expected a key")
        return key, j

    def string(self, i: int) -> tuple[str, int]:
        start = i
        try:
            return self._string(i)
        finally:
            self.budget.spend(self._reached - start)

    def _string(self, i: int) -> tuple[str, int]:
        closers = _QUOTES[self.text[i]]
        buf: list[str] = []
        i += 1
        self._reached = self.n  # where the scan got to (the end, unless it returns earlier)
        while i < self.n:
            c = self.text[i]
            if c == "\\" and i + 1 < self.n:
                e = self.text[i + 1]
                if e == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", self.text[i + 2 : i + 6]):
                    buf.append(chr(int(self.text[i + 2 : i + 6], 16)))
                    i += 6
                    continue
                buf.append(_ESCAPES.get(e, "\\" + e))
                i += 2
                continue
            if c in closers:
                j, newline = self.skip(i + 1)
                # A quote closes the string only where JSON syntax may follow; otherwise it is a
                # quote inside the value ('O'Reilly', "the "best" shop").
                if j >= self.n or self.text[j] in _AFTER_STRING or (newline and self.text[j] in _QUOTES):
                    self._reached = i + 1
                    return _join_surrogates("".join(buf)), i + 1
            buf.append(c)
            i += 1
        raise self.fail(i, "the reply ends inside a string (truncated?)")

    def bare_value(self, i: int) -> tuple[Any, int]:
        j = i
        while j < self.n and self.text[j] not in _BARE_VALUE_END:
            j += 1
        self.budget.spend(j - i)
        token = self.text[i:j].strip()
        if not token:
            raise self.fail(i, "expected a value")
        if _JSON_NUMBER.fullmatch(token):
            return _RawNumber(token), j
        lowered = token.casefold()
        if lowered in _BARE_CONSTANTS:
            return _BARE_CONSTANTS[lowered], j
        return token, j  # an unquoted value: kept as text (e.g. 未知, N/A, 2024-01-05)


def _join_surrogates(s: str) -> str:
    """Combine UTF-16 surrogate pairs produced by ``\\ud83d\\ude00`` escapes."""
    if not any("\ud800" <= c <= "\udfff" for c in s):
        return s
    try:
        return s.encode("utf-16", "surrogatepass").decode("utf-16")
    except UnicodeDecodeError:
        return s


_OBJECT_CLOSE = re.compile(f"[{_OBJ_CLOSE}]")
_BRACE_SCAN = re.compile(f'[{_OBJ_OPEN}{_OBJ_CLOSE}"\\\\]')


def _balanced_end(text: str, start: int, budget: _Budget | None = None) -> int | None:
    """The index after the brace that closes the one at ``start`` ("…" strings skipped), or None."""
    depth = 0
    in_string = False
    escaped_at = -1
    if _OBJECT_CLOSE.search(text, start) is None:  # nothing can close it (a fast scan, in C)
        return None
    allowed = budget.limit - budget.spent if budget is not None else len(text)
    for m in _BRACE_SCAN.finditer(text, start):
        i, c = m.start(), m.group()
        if i - start > allowed and budget is not None:
            budget.spend(i - start)  # raises: out of budget
        if i == escaped_at:
            continue
        if in_string:
            if c == "\\":
                escaped_at = i + 1
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c in _OBJ_OPEN:
            depth += 1
        elif c in _OBJ_CLOSE:
            depth -= 1
            if depth == 0:
                if budget is not None:
                    budget.spend(i + 1 - start)
                return i + 1
    if budget is not None:
        budget.spend(len(text) - start)
    return None


def _from_python(value: Any) -> Any:
    """Make an ``ast.literal_eval`` result JSON-like: tuples to lists, keys to strings."""
    if isinstance(value, dict):
        return {str(k): _from_python(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_from_python(v) for v in value]
    return value


@dataclass
class _Candidate:
    obj: dict[str, Any]
    repaired: bool
    after_unclosed: bool  # found after a '{' that is never closed: maybe a fragment of it


@dataclass
class _Scan:
    budget: _Budget
    candidates: list[_Candidate] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    starts: int = 0  # '{' positions tried
    gave_up: bool = False


def _parse_object_at(
    text: str, start: int, balanced: int | None, budget: _Budget | None = None
) -> tuple[dict[str, Any], int, bool]:
    """Parse the object starting at ``text[start]``: strict JSON, then repaired, then Python.

    ``balanced`` is :func:`_balanced_end` of ``start``: the span ``ast.literal_eval`` gets.
    Raises :class:`_OutOfBudget` when ``budget`` runs out.
    """
    budget = budget or _Budget(len(text))
    if text[start] == "{":
        try:
            obj, end = _STRICT.raw_decode(text, start)
        except json.JSONDecodeError as e:
            budget.spend(e.pos - start)
        except (ValueError, RecursionError):
            budget.spend(len(text) - start)
        else:
            budget.spend(end - start)
            if isinstance(obj, dict):
                return obj, end, False
    try:
        obj, end = _Lenient(text, budget).object(start)
        return obj, end, True
    except _OutOfBudget:
        raise
    except (_RepairError, RecursionError) as e:
        error = e
    if balanced is not None and text[start] == "{":
        budget.spend(balanced - start)
        try:
            obj = ast.literal_eval(text[start:balanced])
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            pass
        else:
            if isinstance(obj, dict):
                return _from_python(obj), balanced, True
    raise error


_OBJECT_START = re.compile(f"[{_OBJ_OPEN}]")


def _scan(text: str, scan: _Scan) -> None:
    """Collect every top-level object in ``text``, left to right, within ``scan.budget``."""
    i = 0
    unclosed = False
    for _ in range(_MAX_OBJECT_STARTS):
        if scan.gave_up:
            return
        match = _OBJECT_START.search(text, i)
        if match is None:
            return
        start = match.start()
        scan.starts += 1
        try:
            balanced = _balanced_end(text, start, scan.budget)
            obj, end, repaired = _parse_object_at(text, start, balanced, scan.budget)
        except _OutOfBudget as e:
            scan.gave_up = True
            scan.problems.insert(0, f"stopped reading the reply at offset {start}: {e}")
            return
        except (_RepairError, RecursionError) as e:
            scan.problems.append(f"could not read the JSON object starting at offset {start}: {e}")
            if balanced is None:
                unclosed = True
                i = start + 1
            else:
                i = balanced  # what is inside a broken object is only a fragment of it
            continue
        scan.candidates.append(_Candidate(obj, repaired, unclosed))
        i = end


def _find_object(text: str, keys: Sequence[str], threshold: float) -> tuple[_Candidate | None, _Scan]:
    """Find the reply's JSON object; see the module docstring for the rule with several objects."""
    scan = _Scan(_Budget(len(text)))
    for fenced in _FENCE.findall(text):
        _scan(fenced, scan)
    _scan(text, scan)
    for candidate in scan.candidates:
        if _match_keys(list(candidate.obj), list(keys), threshold)[0]:
            return candidate, scan
    for candidate in scan.candidates:
        if not candidate.after_unclosed:
            return candidate, scan
    return None, scan
