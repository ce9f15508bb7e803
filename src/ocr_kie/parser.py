"""The output parser of the extraction chain: an LLM reply -> a dict of exactly the asked keys.

:class:`KieOutputParser` takes the reply (a string or an ``AIMessage``) through these steps:

1. drop reasoning blocks (``<think>…</think>``, an orphan ``…</think>`` whose opening tag was in
   the prompt, an unclosed ``<think>`` that runs to the end);
2. find the JSON object: the contents of ```` ``` ```` fences first, then the whole reply, scanned
   left to right for ``{``. **Several objects:** the first object that shares a key with the asked
   keys (after key matching) wins; if none does, the first object found;
3. repair what strict JSON rejects: single or typographic quotes, trailing or missing commas,
   full-width ``｛｝：，“”`` used as syntax, unquoted keys and values, ``None/True/False``;
   ``ast.literal_eval`` is the last resort for Python-looking replies;
4. map near-miss key names back to the asked keys: exact, then equal after
   :func:`~ocr_kie.normalize.squash`, then a fuzzy ratio >= 90 — each only when unambiguous.
   Keys that were not asked for are dropped (and recorded);
5. clean values: strings are stripped, "no value" answers (``未知``, ``N/A`` …) become ``None``,
   missing keys become ``None``, numeric strings become numbers where the schema asks for a number
   and the text parses unambiguously. No value is ever invented;
6. validate with jsonschema and raise :class:`ExtractionParseError` listing *all* errors.

**Nullability.** A document may simply not contain a field, so every top-level property accepts
``null`` (and may be missing from the reply) unless ``enforce_required=True``, in which case the
keys in the schema's ``required`` list must have a value. Nested schemas (e.g. line items) are
enforced exactly as written.

Example:
    >>> parser = KieOutputParser(["可用额度", "账单日"])
    >>> parser.parse('好的：```json\\n{"可用额度": "12,000.00", "账单日": "未知"}\\n```')
    {'可用额度': '12,000.00', '账单日': None}
"""

from __future__ import annotations

import ast
import copy
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import SchemaError, ValidationError
from langchain_core.messages import BaseMessage
from langchain_core.output_parsers import BaseOutputParser
from langchain_core.outputs import ChatGeneration
from pydantic import BaseModel, Field, PrivateAttr
from rapidfuzz import fuzz

from ocr_kie.errors import ExtractionParseError
from ocr_kie.normalize import is_null_answer, parse_number, squash

__all__ = [
    "ExtractionParseError",
    "KeySpec",
    "KieOutputParser",
    "ParseResult",
    "check_schema",
    "retry_message",
    "schema_from_keys",
    "schema_from_spec",
    "strip_reasoning",
]

KeySpec = Sequence[str] | Mapping[str, Any] | type[BaseModel]
"""What a user may give to say what to extract: a list of keys, a JSON Schema, or a pydantic model."""

_MAX_LISTED_ERRORS = 8
_MAX_ERROR_CHARS = 300
_MAX_OBJECT_STARTS = 64  # '{' positions tried per reply: bounds the work on pathological replies
#: Default of :attr:`KieOutputParser.max_reply_chars`: the most of a reply that is read.
DEFAULT_MAX_REPLY_CHARS = 100_000


# --------------------------------------------------------------------------------------------
# Errors and results
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParseResult:
    """What :meth:`KieOutputParser.parse_with_details` found besides the values.

    Paths of nested fields are written ``items[0].name``; top-level ones are the bare key.

    Attributes:
        values: The result: exactly the asked keys, in the asked order.
        dropped_keys: Reply keys that were not asked for (or ambiguous near-misses), as paths.
        renamed_keys: Reply key path -> asked key, for keys matched by normalisation or fuzzily.
        nulls: Paths set to ``None`` because the answer meant "no value" (``"未知"``, ``"N/A"`` …).
        repaired: True when the JSON needed repair (not strict JSON).
    """

    values: dict[str, Any]
    dropped_keys: list[str] = field(default_factory=list)
    renamed_keys: dict[str, str] = field(default_factory=dict)
    nulls: list[str] = field(default_factory=list)
    repaired: bool = False


# --------------------------------------------------------------------------------------------
# Schemas
# --------------------------------------------------------------------------------------------


def schema_from_keys(keys: Sequence[str]) -> dict[str, Any]:
    """Build the JSON Schema for a plain list of keys: every value a string or null.

    Args:
        keys: The keys to extract, in the order the result should have.

    Returns:
        ``{"type": "object", "properties": {k: {"type": ["string", "null"]}}, "required": keys,
        "additionalProperties": False}``.

    Raises:
        ValueError: If ``keys`` is empty, has an empty or duplicate key, or is a single string.
        TypeError: If a key is not a string.
    """
    if isinstance(keys, (str, bytes)):
        raise ValueError(f"keys must be a list of strings, not a single string: {keys!r}")
    keys = list(keys)
    if not keys:
        raise ValueError("keys is empty: give at least one key to extract")
    seen: set[str] = set()
    for key in keys:
        if not isinstance(key, str):
            raise TypeError(f"every key must be a string, got {type(key).__name__}: {key!r}")
        if not key.strip():
            raise ValueError(f"keys must not be empty or blank: {keys!r}")
        if key in seen:
            raise ValueError(f"duplicate key {key!r} in {keys!r}")
        seen.add(key)
    return {
        "type": "object",
        "properties": {key: {"type": ["string", "null"]} for key in keys},
        "required": keys,
        "additionalProperties": False,
    }


def _validator_class(schema: Mapping[str, Any]) -> type[Any]:
    """The validator for the schema's ``$schema`` dialect; Draft 2020-12 when it declares none."""
    return validators.validator_for(schema, default=Draft202012Validator)


def check_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """Check that a user's JSON Schema describes an object with properties, and return a copy.

    Args:
        schema: A JSON Schema. Draft 2020-12 unless its ``$schema`` names another draft.

    Returns:
        A deep copy of the schema, used as is.

    Raises:
        ValueError: If it is not a valid JSON Schema, not an object schema (``"type"`` other than
            ``"object"``), or has no non-empty ``"properties"`` mapping.
    """
    if not isinstance(schema, Mapping):
        raise ValueError(f"a JSON Schema must be a mapping, got {type(schema).__name__}")
    type_ = schema.get("type", "object")
    if type_ != "object" and not (isinstance(type_, list) and type_ == ["object"]):
        raise ValueError(f'the schema must describe an object ("type": "object"), got "type": {type_!r}')
    properties = schema.get("properties")
    if not isinstance(properties, Mapping) or not properties:
        raise ValueError('the schema must have a non-empty "properties" mapping naming the keys to extract')
    try:
        _validator_class(schema).check_schema(schema)
    except SchemaError as e:
        where = "/".join(str(p) for p in e.absolute_path) or "(root)"
        raise ValueError(f"invalid JSON Schema at {where}: {e.message}") from e
    return copy.deepcopy(dict(schema))


def schema_from_spec(spec: KeySpec) -> dict[str, Any]:
    """Turn a list of keys, a JSON Schema or a pydantic model class into a checked JSON Schema.

    Args:
        spec: The keys, a JSON Schema mapping, or a pydantic ``BaseModel`` subclass.

    Returns:
        The JSON Schema.

    Raises:
        ValueError: If the spec is empty or the schema invalid (see :func:`check_schema`).
        TypeError: If the spec is none of the accepted kinds.
    """
    if isinstance(spec, type) and issubclass(spec, BaseModel):
        return check_schema(spec.model_json_schema())
    if isinstance(spec, Mapping):
        return check_schema(spec)
    if isinstance(spec, Sequence):
        return schema_from_keys(spec)
    raise TypeError(f"expected a list of keys, a JSON Schema or a pydantic model, got {type(spec).__name__}")


_COMPOSITE_KEYWORDS = frozenset({"$ref", "$dynamicRef", "allOf", "anyOf", "oneOf", "not", "const", "if"})


def _effective_schema(schema: dict[str, Any], enforce_required: bool) -> dict[str, Any]:
    """The schema used for validation: every top-level property also accepts null.

    With ``enforce_required`` the properties in ``required`` are left as written.
    """
    cls = _validator_class(schema)
    keep = set(schema.get("required", ())) if enforce_required else set()
    # A probe with the root's definitions, so that "$ref"s resolve as in the real schema.
    probe_base = {k: v for k, v in schema.items() if k in ("$schema", "$id", "$defs", "definitions")}
    out = copy.deepcopy(schema)
    for key, prop in schema["properties"].items():
        if key in keep:
            continue
        probe = {**probe_base, "type": "object", "properties": {key: prop}}
        if cls(probe).is_valid({key: None}):
            continue
        if isinstance(prop, Mapping) and not (set(prop) & _COMPOSITE_KEYWORDS):
            new = dict(prop)
            if "type" in new:
                types = [new["type"]] if isinstance(new["type"], str) else list(new["type"])
                new["type"] = [*types, "null"]
            if "enum" in new:
                new["enum"] = [*new["enum"], None]
            if cls(probe | {"properties": {key: new}}).is_valid({key: None}):
                out["properties"][key] = new
                continue
        out["properties"][key] = {"anyOf": [prop, {"type": "null"}]}
    return out


# --------------------------------------------------------------------------------------------
# Reasoning blocks and JSON extraction
# --------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------
# Keys and values
# --------------------------------------------------------------------------------------------


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


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _raw_to_number(raw: str) -> int | float | str | None:
    """A JSON number's text as a number; None for NaN; the text itself when no finite number fits it.

    ``1e999``, ``Infinity`` and an integer of more digits than Python converts (4300) stay text,
    so the schema's type check reports them and the model is re-asked (strict JSON has no
    infinities, and a result must be writable).
    """
    if raw == "NaN":
        return None
    try:
        number = int(raw) if re.fullmatch(r"-?\d+", raw) else float(raw)
    except ValueError:  # "Exceeds the limit (4300 digits) for integer string conversion"
        return raw
    if isinstance(number, float) and not math.isfinite(number):
        return raw
    return number


def _finite(parse: Any, text: str) -> int | float | None:
    """``parse(text)``, or None when it gives no finite number (too many digits, an overflow)."""
    try:
        number = parse(text)
    except ValueError:
        return None
    return None if isinstance(number, float) and not math.isfinite(number) else number


class _Cleaner:
    """Walks a parsed object along the schema: maps keys, cleans and converts values, records."""

    def __init__(self, root: Mapping[str, Any], threshold: float) -> None:
        self.root = root
        self.threshold = threshold
        self.dropped: list[str] = []
        self.renamed: dict[str, str] = {}
        self.nulls: list[str] = []

    def resolve(self, schema: Any) -> Mapping[str, Any] | None:
        for _ in range(20):
            if not isinstance(schema, Mapping):
                return None
            ref = schema.get("$ref")
            if not (isinstance(ref, str) and ref.startswith("#/")):
                return schema
            target: Any = self.root
            for part in ref[2:].split("/"):
                part = part.replace("~1", "/").replace("~0", "~")
                target = target.get(part) if isinstance(target, Mapping) else None
            schema = target
        return None

    def types(self, schema: Any) -> set[str] | None:
        """The JSON types a schema allows, or None when it does not say."""
        s = self.resolve(schema)
        if s is None:
            return None
        t = s.get("type")
        if isinstance(t, str):
            return {t}
        if isinstance(t, list):
            return set(t)
        branches = s.get("anyOf") or s.get("oneOf")
        if isinstance(branches, list):
            out: set[str] = set()
            for branch in branches:
                bt = self.types(branch)
                if bt is None:
                    return None
                out |= bt
            return out
        if isinstance(s.get("enum"), list):
            return {_json_type(v) for v in s["enum"]}
        return None

    def branch(self, schema: Any, json_type: str) -> Mapping[str, Any] | None:
        """The (sub)schema that applies to a value of ``json_type`` (picks anyOf/oneOf branches)."""
        s = self.resolve(schema)
        if s is None:
            return None
        for key in ("anyOf", "oneOf"):
            for b in s.get(key, ()) if isinstance(s.get(key), list) else ():
                rb = self.resolve(b)
                if rb is not None and (self.types(rb) or set()) & {json_type}:
                    return rb
        return s

    def clean(self, value: Any, schema: Any, path: str) -> Any:
        s = self.resolve(schema)
        if isinstance(value, _RawNumber):
            return self.number(value, s)
        if isinstance(value, str):
            return self.text(value, s, path)
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, float) and not math.isfinite(value):  # from ast.literal_eval: not JSON
            return repr(value)
        if isinstance(value, (int, float)):  # from ast.literal_eval
            types = self.types(s)
            if types and "string" in types and not types & {"number", "integer"}:
                return str(value)
            return value
        if isinstance(value, dict):
            sub = self.branch(s, "object")
            if sub is not None and isinstance(sub.get("properties"), Mapping):
                return self.object(value, sub, path, top=False)
            return {k: self.clean(v, None, _join(path, k)) for k, v in value.items()}
        if isinstance(value, list):
            sub = self.branch(s, "array")
            items = sub.get("items") if sub is not None else None
            return [self.clean(v, items, f"{path}[{i}]") for i, v in enumerate(value)]
        return value

    def number(self, raw: _RawNumber, s: Mapping[str, Any] | None) -> Any:
        text = str.__str__(raw)
        types = self.types(s)
        if types and "string" in types and not types & {"number", "integer"}:
            return text  # the answer is text: keep "12000.00" as written
        number = _raw_to_number(text)
        if isinstance(number, str):
            return number
        integral = isinstance(number, float) and number.is_integer()
        if types and "integer" in types and "number" not in types and integral:
            return int(number)
        return number

    def text(self, value: str, s: Mapping[str, Any] | None, path: str) -> Any:
        v = value.strip()
        if s is not None and (v in s.get("enum", ()) or s.get("const") == v):
            return v
        if is_null_answer(v):
            self.nulls.append(path)
            return None
        types = self.types(s)
        if types and "string" not in types:
            number = _finite(parse_number, v) if types & {"number", "integer"} else None
            if number is not None:
                if "number" in types:
                    return number
                if isinstance(number, int) or number.is_integer():  # "12.00" for an integer
                    return int(number)
            if "boolean" in types and v.casefold() in ("true", "false"):
                return v.casefold() == "true"
        return v

    def object(self, obj: Mapping[str, Any], schema: Mapping[str, Any], path: str, *, top: bool) -> dict[str, Any]:
        properties: Mapping[str, Any] = schema["properties"]
        mapping, unmatched = _match_keys(list(obj), list(properties), self.threshold)
        by_asked = {asked: reply_key for reply_key, asked in mapping.items()}
        out: dict[str, Any] = {}
        for key, prop in properties.items():
            if key in by_asked:
                reply_key = by_asked[key]
                if reply_key != key:
                    self.renamed[_join(path, reply_key)] = key
                out[key] = self.clean(obj[reply_key], prop, _join(path, key))
            elif top:
                out[key] = None
        extra = schema.get("additionalProperties", True)
        for reply_key in unmatched:
            if top or extra is False:
                self.dropped.append(_join(path, reply_key))
            else:
                sub = extra if isinstance(extra, Mapping) else None
                out[reply_key] = self.clean(obj[reply_key], sub, _join(path, reply_key))
        return out


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


# --------------------------------------------------------------------------------------------
# Messages
# --------------------------------------------------------------------------------------------


def _short(text: str, limit: int = _MAX_ERROR_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _keys_json(keys: Sequence[str]) -> str:
    return json.dumps(list(keys), ensure_ascii=False)


def retry_message(error: ExtractionParseError, keys: Sequence[str] | None = None) -> str:
    """The human turn that re-asks the model after a failed reply.

    Args:
        error: The failure, whose ``errors`` are listed (at most eight).
        keys: The asked keys; defaults to ``error.keys``.

    Returns:
        A short bilingual message: the problems, the keys, and "corrected JSON only".
    """
    keys = list(keys) if keys is not None else error.keys
    problems = [f"- {_short(e)}" for e in error.errors[:_MAX_LISTED_ERRORS]]
    if len(error.errors) > _MAX_LISTED_ERRORS:
        problems.append(f"- …（另有 {len(error.errors) - _MAX_LISTED_ERRORS} 个问题 / and more）")
    if not problems:
        problems.append(f"- {_short(str(error))}")
    key_line = f"键必须恰好是 / exactly these keys: {_keys_json(keys)}\n" if keys else ""
    return (
        "你上一次的回答无法使用 / Your previous answer could not be used:\n"
        + "\n".join(problems)
        + "\n请改正后重新回答：只输出一个 JSON 对象，不要其它文字；文档中没有的值填 null。\n"
        + key_line
        + "Reply with the corrected JSON object only; use null when a value is absent."
    )


# --------------------------------------------------------------------------------------------
# The parser
# --------------------------------------------------------------------------------------------


class KieOutputParser(BaseOutputParser[dict[str, Any]]):
    """Parse an LLM reply into a dict of exactly the asked keys, validated by a JSON Schema.

    Give either the keys (every value a string or null) or a JSON Schema / pydantic model
    (types, ``pattern``, ``enum``, arrays of objects for line items …).

    Example:
        >>> parser = KieOutputParser(["total", "date"])
        >>> parser.parse("<think>the total is on the last line</think>{'Total': '¥12.00', 'date': None}")
        {'total': '¥12.00', 'date': None}
        >>> schema = {"type": "object", "properties": {"total": {"type": "number"}}}
        >>> KieOutputParser(schema=schema).invoke('{"total": "1,234.50"}')
        {'total': 1234.5}

    Attributes:
        json_schema: The schema as given (or built from the keys).
        enforce_required: When True, keys in the schema's ``required`` list must not be null.
        fuzzy_threshold: The minimum rapidfuzz ratio (0-100) for a fuzzy key match.
        max_reply_chars: Only this many characters of a reply are read (a misbehaving server
            may send megabytes); the JSON object must start and end within them. Reading is
            linear in them, however malformed the reply.
    """

    json_schema: dict[str, Any]
    enforce_required: bool = False
    fuzzy_threshold: float = 90.0
    max_reply_chars: int = Field(default=DEFAULT_MAX_REPLY_CHARS, gt=0)

    _validator: Any = PrivateAttr(default=None)

    def __init__(
        self,
        keys: KeySpec | None = None,
        *,
        schema: Mapping[str, Any] | type[BaseModel] | None = None,
        enforce_required: bool = False,
        fuzzy_threshold: float = 90.0,
        max_reply_chars: int = DEFAULT_MAX_REPLY_CHARS,
        **kwargs: Any,
    ) -> None:
        """Build the parser from keys or a schema (exactly one of them).

        Args:
            keys: The keys to extract, in order (a JSON Schema or pydantic model is accepted too).
            schema: A JSON Schema (object with ``properties``) or a pydantic model class.
            enforce_required: Require non-null values for the schema's ``required`` keys.
            fuzzy_threshold: The minimum rapidfuzz ratio for a fuzzy key-name match.
            max_reply_chars: The most characters of a reply that are read.
            **kwargs: Passed to the pydantic model (``json_schema`` when re-validating a dump).

        Raises:
            ValueError: If neither or both of ``keys`` and ``schema`` are given, or they are invalid.
        """
        if "json_schema" in kwargs:
            spec: Any = kwargs.pop("json_schema")
        elif (keys is None) == (schema is None):
            raise ValueError("give either keys=[...] or schema={...} (exactly one of them)")
        else:
            spec = keys if keys is not None else schema
        super().__init__(
            json_schema=schema_from_spec(spec),
            enforce_required=enforce_required,
            fuzzy_threshold=fuzzy_threshold,
            max_reply_chars=max_reply_chars,
            **kwargs,
        )

    def model_post_init(self, context: Any, /) -> None:
        """Compile the validation schema once."""
        super().model_post_init(context)
        effective = _effective_schema(self.json_schema, self.enforce_required)
        self._validator = _validator_class(effective)(effective)

    @property
    def keys(self) -> list[str]:
        """The asked keys, in order."""
        return list(self.json_schema["properties"])

    @property
    def _type(self) -> str:
        return "kie_output_parser"

    def get_format_instructions(self) -> str:
        """A short instruction naming the keys (Chinese and English), for the prompt.

        Returns:
            The instruction text.
        """
        lines = [
            f"请只回答一个 JSON 对象，键必须恰好是：{_keys_json(self.keys)}；文档中没有的值填 null，不要编造。",
            "Answer with one JSON object with exactly these keys; use null when a value is absent.",
        ]
        properties = self.json_schema["properties"]
        hints = [f"- {key}: {hint}" for key, prop in properties.items() if (hint := self._hint(prop))]
        return "\n".join(lines + hints)

    def _hint(self, prop: Any, depth: int = 0) -> str:
        cleaner = _Cleaner(self.json_schema, self.fuzzy_threshold)
        s = cleaner.resolve(prop)
        if s is None:
            return ""
        parts: list[str] = []
        types = sorted((cleaner.types(s) or set()) - {"null"})
        if types and types != ["string"]:
            parts.append("/".join(types))
        if isinstance(s.get("enum"), list):
            parts.append("one of " + " | ".join(json.dumps(v, ensure_ascii=False) for v in s["enum"] if v is not None))
        if isinstance(s.get("pattern"), str):
            parts.append(f"matching /{s['pattern']}/")
        items = cleaner.resolve(cleaner.branch(s, "array").get("items")) if "array" in types else None
        if items is not None and isinstance(items.get("properties"), Mapping) and depth == 0:
            fields = ", ".join(f"{k} ({self._hint(v, 1) or 'string'})" for k, v in items["properties"].items())
            parts[:1] = [f"list of objects with keys: {fields}"]
        return "; ".join(parts)

    def retry_message(self, error: ExtractionParseError) -> str:
        """The human turn that re-asks the model; see :func:`retry_message`."""
        return retry_message(error, self.keys)

    def parse(self, text: str) -> dict[str, Any]:
        """Parse a reply into the dict of asked keys.

        Args:
            text: The reply text.

        Returns:
            The values, with exactly the asked keys in the asked order.

        Raises:
            ExtractionParseError: If no JSON object is found or the values break the schema.
        """
        return self.parse_with_details(text).values

    def parse_with_details(self, text: str | BaseMessage) -> ParseResult:
        """Parse a reply and report what was renamed, dropped, nulled or repaired on the way.

        Args:
            text: The reply text or message.

        Returns:
            The :class:`ParseResult`.

        Raises:
            ExtractionParseError: If no JSON object is found or the values break the schema.
        """
        if isinstance(text, BaseMessage):
            text = ChatGeneration(message=text).text
        if not isinstance(text, str):
            raise TypeError(f"expected the reply as a string or message, got {type(text).__name__}")
        keys = self.keys
        read = text[: self.max_reply_chars]
        body, unclosed_reasoning = strip_reasoning(read)
        candidate, scan = _find_object(body, keys, self.fuzzy_threshold)
        if candidate is None:
            raise self._no_object_error(text, body, scan, unclosed_reasoning, read=len(read))

        cleaner = _Cleaner(self.json_schema, self.fuzzy_threshold)
        values = cleaner.object(candidate.obj, self.json_schema, "", top=True)
        errors = self._validate(values)
        if errors:
            head = errors[0] if len(errors) == 1 else f"{errors[0]} (and {len(errors) - 1} more)"
            raise ExtractionParseError(
                f"The LLM reply does not match the schema: {_short(head)}",
                reply=text,
                errors=errors,
                keys=keys,
                values=values,
            )
        return ParseResult(
            values=values,
            dropped_keys=cleaner.dropped,
            renamed_keys=cleaner.renamed,
            nulls=cleaner.nulls,
            repaired=candidate.repaired,
        )

    def _validate(self, values: dict[str, Any]) -> list[str]:
        order = {key: i for i, key in enumerate(self.keys)}

        def sort_key(e: ValidationError) -> tuple[Any, ...]:
            path = list(e.absolute_path)
            head = order.get(path[0], len(order)) if path else -1
            return (head, [(0, p, "") if isinstance(p, int) else (1, 0, str(p)) for p in path[1:]], e.message)

        required = set(self.json_schema.get("required", ())) if self.enforce_required else set()
        out = []
        for e in sorted(self._validator.iter_errors(values), key=sort_key):
            path = list(e.absolute_path)
            if len(path) == 1 and path[0] in required and e.instance is None:
                out.append(f"{e.json_path}: a value is required, but the answer is null or missing")
            else:
                out.append(f"{e.json_path}: {_short(e.message)}")
        return out

    def _no_object_error(
        self, reply: str, body: str, scan: _Scan, unclosed: bool, *, read: int
    ) -> ExtractionParseError:
        if not reply.strip():
            errors = ["the reply is empty"]
        elif not body.strip() and unclosed:
            errors = ["the reply is only an unclosed <think> block (the reasoning was cut off?): no JSON object"]
        elif scan.candidates:  # only fragments after an unclosed '{'
            errors = ["the JSON object in the reply is not closed (the reply was cut off?)", *scan.problems[:3]]
        else:
            errors = ["no JSON object found in the reply", *scan.problems[:3]]
        if read < len(reply):
            errors[0] += f" (only its first {read:,} of {len(reply):,} characters were read: max_reply_chars)"
        start = f"; the reply starts with {_short(reply.strip(), 60)!r}" if reply.strip() else ""
        return ExtractionParseError(
            f"No usable JSON object in the LLM reply: {errors[0]}{start}",
            reply=reply,
            errors=errors,
            keys=self.keys,
        )
