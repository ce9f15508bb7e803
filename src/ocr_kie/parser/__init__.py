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

The package: :mod:`~ocr_kie.parser.lenient_json` (steps 1-3), :mod:`~ocr_kie.parser.keys` (4),
:mod:`~ocr_kie.parser.clean` (5), :mod:`~ocr_kie.parser.parser` (6 and the class). The JSON Schema
helpers live in :mod:`ocr_kie.schema` and are re-exported here, so ``from ocr_kie.parser import X``
keeps working.
"""

from __future__ import annotations

from ocr_kie.errors import ExtractionParseError
from ocr_kie.parser.lenient_json import (  # the private two: for tests that count the work of reading a reply
    DEFAULT_MAX_REPLY_CHARS,
    _Budget,  # noqa: F401
    _find_object,  # noqa: F401
    strip_reasoning,
)
from ocr_kie.parser.parser import KieOutputParser, ParseResult, retry_message
from ocr_kie.schema import KeySpec, check_schema, schema_from_keys, schema_from_spec

__all__ = [
    "DEFAULT_MAX_REPLY_CHARS",
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
