"""The checks' types: a verdict (:class:`CheckResult`), what ``checks=`` takes, the penalty."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

CHECK_PENALTY = 0.5

#: What ``checks=`` takes: per key, a callable, a built-in name or ``"module:function"``, or a list of them.
Checks = Mapping[str, Any]


class CheckResult(BaseModel):
    """One check's verdict on one value.

    Example:
        >>> run_checks({"卡号": "6222021234567890123"})["卡号"][0].passed
        False

    Attributes:
        check: The check's name (a built-in name, or the callable's ``__name__``).
        key: The key whose value it judges.
        passed: True when the value passed, False when it failed, None when the check raised.
        message: What was checked, or why it failed.
        keys: Every key the check read (cross-field checks read more than ``key``).
        error: ``"TypeError: ..."`` when the check itself raised.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    check: str
    key: str
    passed: bool | None
    message: str = ""
    keys: list[str] = Field(default_factory=list)
    error: str | None = None


#: A built-in check's answer: (passed, message), or None when it does not apply to the value.
Verdict = tuple[bool, str] | None
