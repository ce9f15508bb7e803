"""The docs site: it builds in strict mode, offline, and its pages stay true to the code."""

from __future__ import annotations

import argparse
import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import ocr_kie.errors
from ocr_kie.cli import build_parser
from ocr_kie.cli import options as cli_options

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
CONFIG = ROOT / "mkdocs.yml"
#: Pages written by other parts of the project; the code checks below do not hold them to this file's rules.
OTHERS = {"benchmarks.md", "evaluation.md", "small-models.md"}

_FENCE = re.compile(r"^```([\w+-]*)[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)


class _Loader(yaml.SafeLoader):
    """mkdocs.yml may hold ``!!python/name:`` tags; none are needed to read the nav."""


_Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)


def config() -> dict:
    return yaml.load(CONFIG.read_text(encoding="utf-8"), Loader=_Loader)


def nav_pages(nav: list) -> list[str]:
    pages = []
    for item in nav:
        value = next(iter(item.values())) if isinstance(item, dict) else item
        if isinstance(value, list):
            pages += nav_pages(value)
        elif isinstance(value, str) and not value.startswith(("http://", "https://")):
            pages.append(value)
    return pages


def doc_files() -> list[str]:
    return sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md") if "_ext" not in p.parts)


# ------------------------------------------------------------------------------------ build


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``mkdocs build --strict`` into a temporary directory (offline: no fonts, no network plugins)."""
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, log
    assert "WARNING" not in log, log
    return out


def test_the_site_builds_strict_with_every_page(site: Path):
    for page in nav_pages(config()["nav"]):
        built = site / (page[: -len(".md")].removesuffix("index") if page.endswith(".md") else page)
        assert (built / "index.html").is_file() or built.with_suffix(".html").is_file(), page


def test_the_api_reference_is_generated_from_the_docstrings(site: Path):
    chain = (site / "api" / "chain" / "index.html").read_text(encoding="utf-8")
    assert "build_chain" in chain
    # Text that exists only in the docstring, not in any Markdown page.
    assert "Split OCR text over several turns so no message exceeds this" in chain
    errors = (site / "api" / "errors" / "index.html").read_text(encoding="utf-8")
    for name in ocr_kie.errors.__all__:
        assert name in errors
    # "Example:" sections render as highlighted doctest code, not as Markdown quotes.
    assert "<blockquote>" not in chain
    assert "doctest:" not in chain


def test_the_build_is_offline_and_strict():
    cfg = config()
    assert cfg["theme"]["font"] is False  # Material would fetch Google Fonts otherwise
    plugins = {next(iter(p)) if isinstance(p, dict) else p for p in cfg["plugins"]}
    assert plugins <= {"search", "mkdocstrings"}
    assert cfg.get("strict") is True
    validation = cfg["validation"]
    assert {validation[k] for k in ("omitted_files", "unrecognized_links", "anchors")} == {"warn"}


def test_every_page_is_in_the_nav():
    in_nav = set(nav_pages(config()["nav"]))
    missing = [p for p in doc_files() if p not in in_nav]
    assert not missing, f"pages not in mkdocs.yml's nav: {missing}"


# -------------------------------------------------------------------------- true to the code


def own_pages() -> list[Path]:
    return [DOCS / p for p in doc_files() if p not in OTHERS]


@pytest.mark.parametrize("page", own_pages(), ids=lambda p: p.relative_to(DOCS).as_posix())
def test_python_blocks_are_valid_python(page: Path):
    blocks = [code for lang, code in _FENCE.findall(page.read_text(encoding="utf-8")) if lang == "python"]
    for code in blocks:
        # Top-level await is allowed in examples, as in a notebook.
        compile(code, str(page), "exec", flags=ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_the_cli_page_documents_every_command_and_option():
    cli = (DOCS / "cli.md").read_text(encoding="utf-8")
    commands = subcommands()
    assert {"extract", "ocr", "demo"} <= set(commands)
    for name, sub in commands.items():
        assert f"ocr-kie {name}" in cli, f"docs/cli.md does not show `ocr-kie {name}`"
        for action in sub._actions:
            longs = [s for s in action.option_strings if s.startswith("--")]
            if not longs or action.help == argparse.SUPPRESS or longs[0] == "--help":
                continue
            assert longs[0] in cli, f"docs/cli.md does not document `ocr-kie {name} {longs[0]}`"


def test_the_cli_page_names_every_environment_variable():
    cli = (DOCS / "cli.md").read_text(encoding="utf-8")
    names = [getattr(cli_options, n) for n in dir(cli_options) if n.startswith("ENV_")]
    assert names
    for name in names:
        assert name in cli


def test_the_errors_page_shows_the_whole_tree():
    page = (DOCS / "errors.md").read_text(encoding="utf-8")
    for name in ocr_kie.errors.__all__:
        assert name in page, f"docs/errors.md does not mention {name}"
