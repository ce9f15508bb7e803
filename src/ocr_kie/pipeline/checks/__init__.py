"""Checks that flag a well-formed but suspicious value, and never rewrite it.

A value can be copied faithfully from the page and still be wrong: a date that does not exist, an
amount that does not parse, an ID number with a bad checksum, a total that is not the sum of its
line items. :func:`run_checks` applies the built-in checks where the keys (or the schema) say what
a value is, plus the user's own, and returns each key's verdicts; :func:`apply_checks` puts them
into the chain's field details and lowers the confidence of a value that failed one::

    >>> verdicts = run_checks({"身份证号": "11010519491231002X", "日期": "2025-02-30"})
    >>> [(v.check, v.passed) for v in verdicts["身份证号"]], [(v.check, v.passed) for v in verdicts["日期"]]
    ([('gb11643', True)], [('date', False)])

Built-in checks (their names, as used in a schema's ``"x-checks"``):

- ``date``: a date that does not exist (``2025-02-30``, ``31/31/2024``); for keys of
  :func:`~ocr_kie.candidates.key_type` DATE, and a value with no date at all in it (no digit nor
  Chinese numeral date: ``发票联``; or a long number: ``002105827328``). A partial or recurring
  date (``每月5日``, ``12月``) gets no verdict. Day-first and month-first readings are both
  tried: one that exists passes.
- ``amount``: an amount that does not parse (:func:`~ocr_kie.normalize.parse_number`; ``1.2万``
  passes); for AMOUNT keys other than 大写 ones.
- ``gb11643``: an 18-character Chinese resident ID number (GB 11643-1999 check character, and the
  birth date in it must exist); for keys naming an ID card (身份证, 公民身份号码, id card …).
- ``luhn``: a bank card number (12-19 digits, Luhn); for keys naming a card (银行卡, 卡号, card
  number …). A masked number (``6222 **** 1234``) gets no verdict.
- ``fapiao_number`` / ``fapiao_code``: a 发票号码 has 8 digits (20 on a 全电发票), a 发票代码 10
  or 12; for keys with those names.
- ``daxie``: 大写金额 (``壹佰贰拾叁元肆角``) that does not read as an amount; for keys with 大写.
- ``daxie_figure``: 大写金额 against the figure (the 小写 key, else the total).
- ``items_total``: a total (or net amount) that differs from the sum of the line items (an array
  of objects with an amount, or price × quantity, per item).
- ``tax_rate``: tax = rate × net (net from its own key, else total − tax).
- ``total_net_tax``: total = net + tax.

Cross-field verdicts go to the key they judge (the total, the tax, the 大写 key) and list the keys
they read in ``keys``.

User checks: ``checks={"total": fn}`` (a callable or a list of them per key), called as
``fn(value)`` or ``fn(value, values)`` when it takes two arguments; it returns True (passed),
False or a message (failed), or None (does not apply). In a JSON Schema, a property's
``"x-checks"`` lists built-in names or ``"module:function"`` paths, and replaces the checks the
key's name would choose (``"x-checks": []`` turns them off for that key). A check that raises is
reported as that check's error (``passed: None``, ``error``), never as the document's failure.
"""

from __future__ import annotations

from ocr_kie.pipeline.checks.parsers import gb11643_valid, luhn_valid, parse_date, parse_daxie
from ocr_kie.pipeline.checks.run import apply_checks, run_checks, without_checks
from ocr_kie.pipeline.checks.types import CHECK_PENALTY, CheckResult, Checks
from ocr_kie.pipeline.checks.values import BUILTIN_CHECKS

__all__ = [
    "BUILTIN_CHECKS",
    "CHECK_PENALTY",
    "CheckResult",
    "Checks",
    "apply_checks",
    "gb11643_valid",
    "luhn_valid",
    "parse_date",
    "parse_daxie",
    "run_checks",
    "without_checks",
]
