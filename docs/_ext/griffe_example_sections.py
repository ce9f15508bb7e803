"""A griffe extension for the API reference: Google-style docstrings as written in ocr_kie.

Two things the docstrings do that griffe's Google parser does not read as meant:

* ``Example:`` headings: Google style allows ``Example:`` and ``Examples:``; griffe reads only the
  plural as an examples section (doctest lines become highlighted code) and renders the singular
  as an admonition whose ``>>>`` lines Markdown takes for nested quotes.
* Sphinx roles (``:func:`~ocr_kie.llms.resolve_llm```): rendered as inline code (the name, or its
  last part with ``~``) instead of showing the role's markup.

Loaded by ``mkdocs.yml`` (``extensions:``); not part of the package.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_SINGULAR = re.compile(r"^(\s*)Example:[ \t]*$", re.MULTILINE)
_ROLE = re.compile(r":(?:py:)?(?:func|class|meth|attr|data|mod|exc|obj|const):`(~?)([^`]+)`")


def _role(match: re.Match[str]) -> str:
    name = match.group(2)
    return f"`{name.rsplit('.', 1)[-1] if match.group(1) else name}`"


def rewrite(docstring: str) -> str:
    """The docstring with ``Example:`` headings pluralised and Sphinx roles as inline code."""
    return _ROLE.sub(_role, _SINGULAR.sub(r"\1Examples:", docstring))


class ExampleSections(griffe.Extension):
    """Apply :func:`rewrite` to every docstring before it is parsed."""

    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = rewrite(obj.docstring.value)
