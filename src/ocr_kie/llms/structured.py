"""The JSON Schema a local model decodes by, from the forms LangChain and OpenAI pass it in.

:func:`_response_format` reads a call's ``json_schema=``/``response_format=`` (ours, OpenAI's
``json_schema`` form, a pydantic class); :func:`_structured_schema` reads what
``with_structured_output`` takes (pydantic v1/v2, TypedDict, JSON Schema, OpenAI/Anthropic tools);
:func:`json_grammar` is the grammar a reply is decoded by.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from ocr_kie.errors import LlmConfigError

__all__: list[str] = []


def _response_format(
    response_format: Any, json_schema: Mapping[str, Any] | None
) -> tuple[dict[str, Any] | None, Mapping[str, Any] | None]:
    """llama.cpp's ``response_format`` from ours or OpenAI's forms, and the schema in it."""
    if json_schema is not None:
        return {"type": "json_object", "schema": dict(json_schema)}, json_schema
    if response_format is None:
        return None, None
    if isinstance(response_format, type) and issubclass(response_format, BaseModel):
        schema = response_format.model_json_schema()
        return {"type": "json_object", "schema": schema}, schema
    if isinstance(response_format, str):
        response_format = {"type": response_format}
    if not isinstance(response_format, Mapping):
        raise LlmConfigError(f"response_format must be a dict, got {type(response_format).__name__}")
    kind = response_format.get("type")
    if kind == "text":
        return None, None
    if kind == "json_object":
        schema = response_format.get("schema")
        return dict(response_format), schema
    if kind == "json_schema":  # OpenAI's form
        inner = response_format.get("json_schema") or {}
        schema = inner.get("schema", inner)
        return {"type": "json_object", "schema": schema}, schema
    raise LlmConfigError(f"unknown response_format type {kind!r}: use 'json_object', 'json_schema' or 'text'")


#: llama-cpp-python's schema converter lets a string hold any character but ``"`` and ``\``, raw
#: control characters included; strict JSON (and llama.cpp's own converter) excludes U+0000-U+001F.
_LOOSE_CHAR = 'char ::= [^"\\\\]'
_STRICT_CHAR = 'char ::= [^"\\\\\\x7F\\x00-\\x1F]'


def json_grammar(schema: Mapping[str, Any] | None) -> Any:
    """The ``LlamaGrammar`` of a reply that is strict JSON fitting ``schema`` (any JSON without one).

    Built from the schema by llama-cpp-python's converter, with its string characters narrowed to
    those strict JSON allows: with the converter's own rule the embedded model wrote raw newlines
    inside a string (``{"total": ");\\n\\nSHOP A ..."``), which ``json.loads`` rejects.
    """
    return _grammar(None if schema is None else json.dumps(schema))  # key order is the reply's order


@functools.lru_cache(maxsize=64)
def _grammar(schema_json: str | None) -> Any:
    from llama_cpp.llama_grammar import JSON_GBNF, LlamaGrammar, json_schema_to_gbnf

    if schema_json is None:
        return LlamaGrammar.from_string(JSON_GBNF, verbose=False)
    gbnf = json_schema_to_gbnf(schema_json)
    return LlamaGrammar.from_string(gbnf.replace(_LOOSE_CHAR, _STRICT_CHAR), verbose=False)


#: The ``method=`` values of :meth:`LlamaCppChatModel.with_structured_output`.
_STRUCTURED_METHODS = ("json_schema", "function_calling", "json_mode")


def _structured_schema(schema: Any) -> tuple[dict[str, Any], Any]:
    """The JSON Schema to decode by for a ``with_structured_output`` schema, and the schema to trace.

    The second is what LangChain's ``ls_structured_output_format`` takes (it is converted with
    ``convert_to_json_schema``, which needs a title: an untitled JSON Schema gets one).

    Raises:
        LlmConfigError: A schema of no supported kind.
    """
    from langchain_core.utils.function_calling import convert_to_json_schema
    from langchain_core.utils.pydantic import is_pydantic_v1_subclass, is_pydantic_v2_subclass
    from typing_extensions import is_typeddict

    if isinstance(schema, type):
        if is_pydantic_v2_subclass(schema):
            return schema.model_json_schema(), schema
        if is_pydantic_v1_subclass(schema):
            return schema.schema(), schema
        if is_typeddict(schema):
            return convert_to_json_schema(schema), schema
    elif isinstance(schema, Mapping):
        if schema.get("type") == "function" and isinstance(schema.get("function"), Mapping):  # an OpenAI tool
            return dict(schema["function"].get("parameters") or {"type": "object", "properties": {}}), schema
        if "name" in schema and isinstance(schema.get("parameters"), Mapping):  # an OpenAI function
            return dict(schema["parameters"]), schema
        if "name" in schema and isinstance(schema.get("input_schema"), Mapping):  # an Anthropic tool
            return dict(schema["input_schema"]), schema
        if "title" in schema:
            return dict(schema), schema
        return dict(schema), {"title": "StructuredOutput", **schema}
    raise LlmConfigError(
        "with_structured_output takes a pydantic model class (v2 or v1), a TypedDict class, a JSON Schema "
        f"dict or an OpenAI function/tool dict; got {schema!r}"
    )
