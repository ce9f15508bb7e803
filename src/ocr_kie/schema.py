"""What to extract, as a JSON Schema: keys, schemas and pydantic models turned into one checked schema.

Used by the chain, the command line, the evaluation and the parser alike:

* :func:`schema_from_spec` turns a list of keys, a JSON Schema or a pydantic model class into
  the checked JSON Schema (:func:`schema_from_keys`, :func:`check_schema`);
* :func:`default_max_tokens` is the answer's token bound the keys need;
* :func:`flat_schema` says whether every key holds one scalar (what grounded decoding needs; it
  lives in :mod:`ocr_kie.pipeline.grounded` and is re-exported here);
* the validation schema the parser checks values with (every top-level key also accepts null).

Example:
    >>> schema_from_keys(["total"])["properties"]
    {'total': {'type': ['string', 'null']}}
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import SchemaError
from pydantic import BaseModel

__all__ = [
    "KeySpec",
    "check_schema",
    "default_max_tokens",
    "flat_schema",  # noqa: F822 - loaded lazily by __getattr__
    "schema_from_keys",
    "schema_from_spec",
    "validation_schema",
    "validator_class",
]

KeySpec = Sequence[str] | Mapping[str, Any] | type[BaseModel]
"""What a user may give to say what to extract: a list of keys, a JSON Schema, or a pydantic model."""


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


def validator_class(schema: Mapping[str, Any]) -> type[Any]:
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
        validator_class(schema).check_schema(schema)
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


def validation_schema(schema: dict[str, Any], enforce_required: bool) -> dict[str, Any]:
    """The schema used for validation: every top-level property also accepts null.

    With ``enforce_required`` the properties in ``required`` are left as written.
    """
    cls = validator_class(schema)
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


def default_max_tokens(schema: Mapping[str, Any]) -> int:
    """Enough answer tokens for the keys: about 48 per scalar key, 256 per list, at least 128."""
    total = 16
    for prop in schema["properties"].values():
        total += 256 if isinstance(prop, Mapping) and prop.get("type") == "array" else 48
    return max(total, 128)


def __getattr__(name: str) -> Any:
    # flat_schema lives with grounded decoding (ocr_kie.pipeline.grounded), which imports much more than
    # this module: load it when it is asked for.
    if name == "flat_schema":
        from ocr_kie.pipeline.grounded import flat_schema

        return flat_schema
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
