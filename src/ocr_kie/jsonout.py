"""Writing JSON that every reader accepts: strict (no ``NaN``/``Infinity``), valid UTF-8, no lone surrogates.

Everything ocr_kie writes as JSON (results records, ``--details``, evaluation reports) goes
through :func:`dumps`, because Python's :func:`json.dumps` happily writes what other readers (and
a UTF-8 file) refuse:

- ``float("inf")`` and ``nan`` become ``Infinity`` / ``NaN`` (not JSON): here they raise
  :class:`~ocr_kie.errors.ResultEncodeError` (``nonfinite="error"``, for results: a value must
  not silently change) or become ``null`` (``nonfinite="null"``, for reports' statistics);
- an ``int`` of more than 4300 digits raises Python's ``ValueError``: here a
  :class:`~ocr_kie.errors.ResultEncodeError`;
- lone surrogates cannot be encoded as UTF-8 (``UnicodeEncodeError`` when the line is written).
  They come from file names that are not valid UTF-8 (Python keeps the bad bytes as
  ``U+DC80..U+DCFF``, "surrogateescape") and from LLM replies (``"\\ud800"``). :func:`printable`
  writes each such byte as the four characters ``\\xNN`` (so ``caf\\xe9.png`` for a Latin-1 name)
  and any other lone surrogate as U+FFFD; surrogate pairs become the character they encode.

Example:
    >>> dumps({"source": "/data/caf\\udce9.png", "total": "9.90"})
    '{"source": "/data/caf\\\\\\\\xe9.png", "total": "9.90"}'
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from collections.abc import Mapping
from typing import Any, Literal

from ocr_kie.errors import ResultEncodeError

__all__ = ["dumps", "printable", "strict"]

#: Deeper than this is refused (a circular structure, or nothing a record needs).
MAX_DEPTH = 200

NonFinite = Literal["error", "null"]


def printable(text: str) -> str:
    """``text`` without lone surrogates: encodable as UTF-8, unchanged when it already is.

    Surrogate pairs become the character they encode; ``U+DC80..U+DCFF`` (a byte that was not
    UTF-8, kept by Python's "surrogateescape") becomes the text ``\\xNN``; any other lone
    surrogate becomes U+FFFD.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        pass
    else:
        return text
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        o = ord(c)
        if 0xD800 <= o <= 0xDBFF and i + 1 < n and 0xDC00 <= ord(text[i + 1]) <= 0xDFFF:
            out.append(chr(0x10000 + ((o - 0xD800) << 10) + (ord(text[i + 1]) - 0xDC00)))
            i += 2
            continue
        if 0xDC80 <= o <= 0xDCFF:
            out.append(f"\\x{o - 0xDC00:02x}")
        elif 0xD800 <= o <= 0xDFFF:
            out.append("\ufffd")
        else:
            out.append(c)
        i += 1
    return "".join(out)


def strict(value: Any, *, nonfinite: NonFinite = "error", path: str = "$") -> Any:
    """A copy of ``value`` made of JSON types only (dict, list, str, int, float, bool, None), strict-safe.

    Strings go through :func:`printable`; tuples and sets become lists; numpy scalars and
    arrays, pydantic models, dataclasses and paths are converted; anything else becomes its
    ``str()``.

    Args:
        value: What to write.
        nonfinite: What to do with ``inf``/``nan``: ``"error"`` raises, ``"null"`` writes null.
        path: The JSON path of ``value``, for the error message.

    Raises:
        ResultEncodeError: A non-finite number (with ``nonfinite="error"``), an integer too long
            to write, or a structure nested deeper than :data:`MAX_DEPTH` (a cycle).
    """
    return _strict(value, nonfinite, path, 0)


def dumps(value: Any, *, nonfinite: NonFinite = "error", indent: int | None = None) -> str:
    """``value`` as strict JSON text (non-ASCII characters kept as they are, valid UTF-8).

    Raises:
        ResultEncodeError: See :func:`strict`.
    """
    return json.dumps(strict(value, nonfinite=nonfinite), ensure_ascii=False, allow_nan=False, indent=indent)


def _strict(value: Any, nonfinite: NonFinite, path: str, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise ResultEncodeError(f"nested more than {MAX_DEPTH} levels deep (a circular structure?)", path=path)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, int):
        try:
            str(value)
        except ValueError as e:  # more digits than Python converts (sys.get_int_max_str_digits)
            raise ResultEncodeError(
                f"an integer of about {int(value.bit_length() * 0.30103)} digits cannot be written ({e})", path=path
            ) from e
        return int(value)
    if isinstance(value, float):
        if math.isfinite(value):
            return float(value)
        if nonfinite == "null":
            return None
        raise ResultEncodeError(f"{value!r} is not a JSON number (strict JSON has no NaN or Infinity)", path=path)
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            name = _key(key)
            out[name] = _strict(item, nonfinite, f"{path}.{name}", depth + 1)
        return out
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
        return [_strict(item, nonfinite, f"{path}[{i}]", depth + 1) for i, item in enumerate(items)]
    return _strict(_convert(value), nonfinite, path, depth + 1)


def _key(key: Any) -> str:
    if isinstance(key, str):
        return printable(key)
    if key is None or isinstance(key, bool):
        return json.dumps(key)
    return printable(str(key))


def _convert(value: Any) -> Any:
    """A non-JSON object as something JSON-like (what ``json.dumps(default=...)`` would give)."""
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return value.tolist()
    if hasattr(value, "model_dump"):
        return value.model_dump()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "backslashreplace")
    return str(value)
