"""Cleaning a parsed reply along the schema: keys mapped, values stripped, nulls and numbers read.

Strings are stripped, "no value" answers (``未知``, ``N/A`` …) become ``None``, missing keys
become ``None``, numeric strings become numbers where the schema asks for a number and the text
parses unambiguously. No value is ever invented.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from ocr_kie.normalize import is_null_answer, parse_number
from ocr_kie.parser.keys import _match_keys
from ocr_kie.parser.lenient_json import _RawNumber


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
