"""Running the checks: resolving user checks, :func:`run_checks`, :func:`without_checks`, :func:`apply_checks`."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ocr_kie.pipeline.checks.cross import _cross_checks
from ocr_kie.pipeline.checks.types import CHECK_PENALTY, CheckResult, Checks
from ocr_kie.pipeline.checks.values import _VALUE_CHECKS, _value_checks

# ------------------------------------------------------------------------------ user checks


def _resolve(check: Any) -> tuple[str, Callable[..., Any]]:
    """A check's name and callable: a callable, a built-in name, or a ``"module:function"`` path."""
    if callable(check):
        return getattr(check, "__name__", type(check).__name__), check
    if isinstance(check, str) and check in _VALUE_CHECKS:
        return check, _VALUE_CHECKS[check]
    if isinstance(check, str) and ":" in check:
        module, _, name = check.partition(":")

        def imported(*args: Any) -> Any:
            return getattr(importlib.import_module(module), name)(*args)

        imported.__signature__ = _signature_of(module, name)  # type: ignore[attr-defined]
        return check, imported
    raise ValueError(f"a check must be a callable, one of {list(_VALUE_CHECKS)} or 'module:function', got {check!r}")


def _signature_of(module: str, name: str) -> inspect.Signature | None:
    try:
        return inspect.signature(getattr(importlib.import_module(module), name))
    except Exception:  # reported when the check runs
        return None


def _arity(fn: Callable[..., Any]) -> int:
    try:
        sig = getattr(fn, "__signature__", None) or inspect.signature(fn)
    except (TypeError, ValueError):
        return 1
    params = list(sig.parameters.values())
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return 2
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return 2 if len(positional) >= 2 else 1


def _as_list(spec: Any) -> list[Any]:
    if spec is None:
        return []
    if isinstance(spec, (str, bytes)) or callable(spec):
        return [spec]
    if isinstance(spec, Iterable):
        return list(spec)
    return [spec]


def _run_user(name: str, fn: Callable[..., Any], key: str, value: Any, values: Mapping[str, Any]) -> CheckResult | None:
    try:
        verdict = fn(value, values) if _arity(fn) == 2 else fn(value)
    except Exception as e:  # the check's error, never the document's failure
        return CheckResult(check=name, key=key, passed=None, keys=[key], error=f"{type(e).__name__}: {e}"[:300])
    if verdict is None:
        return None
    if isinstance(verdict, tuple) and verdict and isinstance(verdict[0], bool):  # (passed, message)
        message = str(verdict[1]) if len(verdict) > 1 else ""
        return CheckResult(check=name, key=key, passed=verdict[0], message=message, keys=[key])
    if isinstance(verdict, str):
        return CheckResult(check=name, key=key, passed=False, message=verdict, keys=[key])
    passed = bool(verdict)
    return CheckResult(check=name, key=key, passed=passed, message="" if passed else "failed", keys=[key])


# ------------------------------------------------------------------------------ entry points


def run_checks(
    values: Mapping[str, Any],
    schema: Mapping[str, Any] | None = None,
    checks: Checks | bool | None = True,
) -> dict[str, list[CheckResult]]:
    """Every check's verdict on the values, by key (keys without a verdict are left out).

    Args:
        values: The extracted values (null values are not checked).
        schema: The JSON Schema of the answer: ``format``, ``type`` and ``description`` help
            :func:`~ocr_kie.candidates.key_type`; a property's ``"x-checks"`` names its checks.
        checks: True: the built-in checks; False or None: none at all; a mapping of key to
            user checks (callables, built-in names, ``"module:function"``): the built-ins plus those.

    Returns:
        ``{key: [CheckResult, ...]}``.
    """
    if checks is False or checks is None:
        return {}
    user = dict(checks) if isinstance(checks, Mapping) else {}
    props: Mapping[str, Any] = (schema or {}).get("properties", {}) or {}
    out: dict[str, list[CheckResult]] = {}
    explicit: set[str] = set()
    for key, value in values.items():
        if value is None:
            continue
        prop = props.get(key) if isinstance(props.get(key), Mapping) else None
        if prop is not None and "x-checks" in prop:
            explicit.add(key)
            specs = _as_list(prop["x-checks"])
        else:
            specs = list(_value_checks(key, prop))
        specs += _as_list(user.get(key))
        for spec in specs:
            try:
                name, fn = _resolve(spec)
            except ValueError as e:
                out.setdefault(key, []).append(CheckResult(check=str(spec), key=key, passed=None, error=str(e)))
                continue
            if fn in _VALUE_CHECKS.values():
                try:
                    verdict = fn(value)
                except Exception as e:  # a built-in's bug is reported like any check's
                    out.setdefault(key, []).append(
                        CheckResult(check=name, key=key, passed=None, keys=[key], error=f"{type(e).__name__}: {e}")
                    )
                    continue
                if verdict is not None:
                    result = CheckResult(check=name, key=key, passed=verdict[0], message=verdict[1], keys=[key])
                    out.setdefault(key, []).append(result)
                continue
            result = _run_user(name, fn, key, value, values)
            if result is not None:
                out.setdefault(key, []).append(result)
    try:
        cross = _cross_checks(values, explicit)
    except Exception as e:  # never the document's failure
        cross = []
        out.setdefault("", []).append(CheckResult(check="cross-field", key="", passed=None, error=repr(e)))
    for name, key, keys, verdict in cross:
        if verdict is not None:
            out.setdefault(key, []).append(
                CheckResult(check=name, key=key, passed=verdict[0], message=verdict[1], keys=keys)
            )
    return out


def without_checks(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of the schema without the properties' ``"x-checks"`` (what the model and its API are sent).

    Example:
        >>> without_checks({"type": "object", "properties": {"a": {"type": "string", "x-checks": ["luhn"]}}})
        {'type': 'object', 'properties': {'a': {'type': 'string'}}}
    """
    props = schema.get("properties")
    if not isinstance(props, Mapping) or not any(isinstance(p, Mapping) and "x-checks" in p for p in props.values()):
        return dict(schema)
    clean = {
        k: ({n: v for n, v in p.items() if n != "x-checks"} if isinstance(p, Mapping) else p) for k, p in props.items()
    }
    return {**schema, "properties": clean}


def apply_checks(fields: dict[str, dict[str, Any]], verdicts: Mapping[str, Sequence[CheckResult]]) -> list[str]:
    """Put the verdicts into the chain's field details and lower the confidence of failed values.

    Each field gets ``"checks"`` (a list of :class:`CheckResult` dicts; empty when none applied);
    a field with a failed check has its ``confidence`` multiplied by :data:`CHECK_PENALTY` (the
    unchecked one stays in ``"confidence_unchecked"``).

    Returns:
        The keys with a failed check.
    """
    failed: list[str] = []
    for key, field in fields.items():
        results = list(verdicts.get(key, ()))
        field["checks"] = [r.model_dump() for r in results]
        if any(r.passed is False for r in results):
            failed.append(key)
            confidence = field.get("confidence")
            field["confidence_unchecked"] = confidence
            if confidence is not None:
                field["confidence"] = round(confidence * CHECK_PENALTY, 4)
    return failed
