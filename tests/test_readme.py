"""Every fenced code block of README.md is tested; a block of an unknown kind fails the test.

- the two set-up commands: checked against ``.ci/run`` (CI runs exactly the second one; the first
  is the same install without the test tools, followed by ``ocr-kie demo``, which is run here);
- ``python`` blocks: executed in a temporary working directory; a ``# ...`` comment right after
  a ``print(...)`` line is the expected output of that print (compared as Python literals);
- ``bash`` blocks starting with ``ocr-kie``: run line by line in a temporary directory holding
  the files they name (``statements/screenshot.png``, ``examples.jsonl``), with the real OCR
  engine and the embedded LLM;
- ``json`` blocks: the expected record of the command-line block before them.

Everything runs offline on the embedded defaults (no QIANFAN_*/OCR_KIE_* variables).
"""

from __future__ import annotations

import ast
import contextlib
import io
import itertools
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib.resources import as_file, files
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
CI_RUN = ROOT / ".ci" / "run"
KEYS = ("可用额度", "账单日", "到期还款日")

_FENCE = re.compile(r"^```([\w+-]*)[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)


@dataclass(frozen=True)
class Block:
    index: int
    lang: str
    code: str

    @property
    def id(self) -> str:
        first = self.code.strip().splitlines()[0] if self.code.strip() else ""
        return f"{self.index}-{self.lang}-{first[:40]}"


def readme_blocks() -> list[Block]:
    text = README.read_text(encoding="utf-8")
    return [Block(i, m.group(1), m.group(2)) for i, m in enumerate(_FENCE.finditer(text))]


def ci_command() -> str:
    """The one command ``.ci/run`` runs (its last non-comment line)."""
    lines = [ln for ln in CI_RUN.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]
    return lines[-1].strip()


def is_setup(block: Block) -> bool:
    return block.lang == "bash" and "pip install" in block.code


def is_cli(block: Block) -> bool:
    return block.lang == "bash" and block.code.lstrip().startswith("ocr-kie ")


def clean_env() -> dict[str, str]:
    """The environment without credentials or option defaults, the interpreter's scripts first on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QIANFAN_", "OCR_KIE_", "OPENAI_"))}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PYTHONIOENCODING"] = "utf-8"
    return env


@pytest.fixture
def offline_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("QIANFAN_", "OCR_KIE_", "OPENAI_")):
            monkeypatch.delenv(name)


# -------------------------------------------------------------------------------- coverage


def test_every_block_is_of_a_known_kind():
    blocks = readme_blocks()
    assert blocks, "no code blocks found in README.md"
    for i, block in enumerate(blocks):
        known = (
            is_setup(block)
            or is_cli(block)
            or block.lang == "python"
            or (block.lang == "json" and i > 0 and is_cli(blocks[i - 1]))
        )
        assert known, f"README block {block.id!r} is of no kind this test knows how to check"


def test_the_readme_has_the_promised_parts():
    blocks = readme_blocks()
    assert sum(is_setup(b) for b in blocks) == 2
    python = [b for b in blocks if b.lang == "python"]
    assert python and all(len(b.code.strip().splitlines()) <= 10 for b in python), "the quickstart is ≤ 10 lines"
    assert any(is_cli(b) and "ocr-kie extract" in b.code for b in blocks)
    text = README.read_text(encoding="utf-8")
    for link in re.findall(r"\]\(((?:docs|notebooks)/[^)#]*)\)", text):
        assert (ROOT / link).exists(), f"README links to {link}, which does not exist"


# -------------------------------------------------------------------------- set-up commands


def test_the_second_setup_command_is_exactly_what_ci_runs():
    setup = [b.code.strip() for b in readme_blocks() if is_setup(b)]
    assert setup[1] == ci_command()


def test_the_first_setup_command_is_the_same_install_without_test_tools_then_the_demo():
    first = next(b.code.strip() for b in readme_blocks() if is_setup(b))
    expected = (
        ci_command().replace('".[local,ray,gemma,dev]"', '".[local]"').replace("python -m pytest", "ocr-kie demo")
    )
    assert expected != ci_command()
    assert first == expected


def test_the_demo_of_the_first_command_runs_the_main_job(tmp_path: Path):
    first = next(b.code.strip() for b in readme_blocks() if is_setup(b))
    demo = first.split("&&")[-1].strip()
    assert demo == "ocr-kie demo"
    result = subprocess.run(
        shlex.split(demo), cwd=tmp_path, env=clean_env(), capture_output=True, text=True, timeout=900, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "可用额度 12,000.00" in result.stdout  # the OCR text of the sample, row by row
    extracted = json.loads(result.stdout.strip().splitlines()[-1])
    assert extracted["可用额度"] == "12,000.00"
    assert set(extracted) == set(KEYS)


# --------------------------------------------------------------------------- python blocks


def expected_prints(code: str) -> list[object]:
    """The ``# literal`` comments that directly follow ``print(...)`` lines, as Python values."""
    lines = code.splitlines()
    expected = []
    for line, following in itertools.pairwise(lines):
        if line.lstrip().startswith("print(") and following.lstrip().startswith("# "):
            expected.append(ast.literal_eval(following.lstrip()[2:]))
    return expected


@pytest.mark.parametrize("block", [b for b in readme_blocks() if b.lang == "python"], ids=lambda b: b.id)
def test_python_block_runs_and_prints_what_the_readme_says(
    block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, offline_env: None
):
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block.code, f"README.md block {block.index}", "exec"), {"__name__": "__readme__"})
    printed = [ast.literal_eval(line) for line in out.getvalue().splitlines() if line.strip()]
    expected = expected_prints(block.code)
    assert expected, "a README python block should show what it prints"
    assert printed == expected


# ------------------------------------------------------------------------ command-line block


@pytest.fixture
def cli_workdir(tmp_path: Path) -> Path:
    """The files the README's command line names: a folder with the sample, the examples file."""
    samples = files("ocr_kie.samples")
    (tmp_path / "statements").mkdir()
    with as_file(samples / "screenshot_zh.png") as image, as_file(samples / "examples.jsonl") as examples:
        shutil.copy(image, tmp_path / "statements" / "screenshot.png")
        shutil.copy(examples, tmp_path / "examples.jsonl")
    return tmp_path


def test_the_command_line_block_runs_and_writes_the_record_the_readme_shows(cli_workdir: Path):
    blocks = readme_blocks()
    cli = [i for i, b in enumerate(blocks) if is_cli(b)]
    assert len(cli) == 1
    block = blocks[cli[0]]
    shown = blocks[cli[0] + 1]
    assert shown.lang == "json"
    outputs = []
    for line in block.code.strip().splitlines():
        result = subprocess.run(
            ["bash", "-c", line], cwd=cli_workdir, env=clean_env(), capture_output=True, text=True, timeout=900
        )
        assert result.returncode == 0, f"{line}\n{result.stderr}"
        outputs.append(result.stdout)

    records = [json.loads(x) for x in (cli_workdir / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    expected = json.loads(shown.code)
    assert len(records) == 1
    assert records[0]["values"] == expected["values"]
    assert Path(records[0]["source"]).parts[-2:] == Path(expected["source"]).parts[-2:]
    assert "可用额度 12,000.00" in outputs[1]  # `ocr-kie ocr` printed the text the LLM saw

    # Re-running resumes: the document is already done and is not extracted again.
    again = subprocess.run(
        ["bash", "-c", block.code.strip().splitlines()[0]],
        cwd=cli_workdir,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert again.returncode == 0, again.stderr
    assert (cli_workdir / "results.jsonl").read_text(encoding="utf-8").count("\n") == 1
    assert "already done" in again.stderr
