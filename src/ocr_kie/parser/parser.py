"""The output parser: :class:`KieOutputParser` (an LLM reply -> a dict of exactly the asked keys).

It strings the steps of the package together: :mod:`~ocr_kie.parser.lenient_json` finds and
reads the object, :mod:`~ocr_kie.parser.keys` maps its keys, :mod:`~ocr_kie.parser.clean` cleans
the values, and the schema (:mod:`ocr_kie.schema`) validates them; :func:`retry_message` is the
re-ask when that fails.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from jsonschema.exceptions import ValidationError
from langchain_core.messages import BaseMessage
from langchain_core.output_parsers import BaseOutputParser
from langchain_core.outputs import ChatGeneration
from pydantic import BaseModel, Field, PrivateAttr

from ocr_kie.errors import ExtractionParseError
from ocr_kie.parser import lenient_json
from ocr_kie.parser.clean import _Cleaner
from ocr_kie.parser.lenient_json import DEFAULT_MAX_REPLY_CHARS, _Scan, strip_reasoning
from ocr_kie.schema import KeySpec, schema_from_spec, validation_schema, validator_class

__all__ = ["KieOutputParser", "ParseResult", "retry_message"]

_MAX_LISTED_ERRORS = 8
_MAX_ERROR_CHARS = 300


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
        effective = validation_schema(self.json_schema, self.enforce_required)
        self._validator = validator_class(effective)(effective)

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
        candidate, scan = lenient_json._find_object(  # looked up here: tests count its work
            body, keys, self.fuzzy_threshold
        )
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
