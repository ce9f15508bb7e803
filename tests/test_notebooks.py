"""The notebooks: stored without outputs, and executed here (nbclient, the ``python3`` kernel of this
interpreter) offline on the embedded defaults: the real PP-OCR engine and the embedded LLM.

Each notebook's cells that matter carry a tag (cell metadata ``tags``); the checks read the
outputs of those cells.
"""

from __future__ import annotations

import ast
import base64
import functools
import io
import os
import shutil
import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
NAMES = ["quickstart.ipynb", "custom_examples.ipynb", "agent.ipynb"]
#: Variables that would make the notebooks call out to a cloud or server LLM.
_ONLINE = ("QIANFAN_", "OPENAI_", "OCR_KIE_", "AGENT_LLM")


# ---------------------------------------------------------------------------- as stored


@pytest.mark.parametrize("name", NAMES)
def test_notebook_is_stored_without_outputs(name: str):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code
    for cell in code:
        assert cell.outputs == [], f"{name}: a cell has outputs: {cell.source[:60]!r}"
        assert cell.execution_count is None, f"{name}: a cell has an execution count: {cell.source[:60]!r}"


def test_the_notebooks_folder_holds_exactly_these_notebooks():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(NAMES)


def test_the_python3_kernel_is_this_interpreter():
    spec = KernelSpecManager().get_kernel_spec("python3")
    program = spec.argv[0]
    # jupyter_client replaces a bare "python"/"python3"/"python3.X" with sys.executable.
    bare = {"python", f"python{sys.version_info[0]}", "python{}.{}".format(*sys.version_info[:2])}
    resolved = program if os.path.isabs(program) else shutil.which(program)
    assert program in bare or (resolved and os.path.realpath(resolved) == os.path.realpath(sys.executable))
    assert spec.argv[1:3] == ["-m", "ipykernel_launcher"]


# ---------------------------------------------------------------------------- executed


@functools.cache
def executed(name: str) -> nbformat.NotebookNode:
    """The notebook after running every cell (once per test session), cwd = notebooks/."""
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    env = {k: v for k, v in os.environ.items() if not k.startswith(_ONLINE)}
    client = NotebookClient(nb, kernel_name="python3", timeout=600, resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute(env=env)  # raises CellExecutionError on the first failing cell
    return nb


def tagged(nb: nbformat.NotebookNode, tag: str) -> nbformat.NotebookNode:
    cells = [c for c in nb.cells if tag in c.metadata.get("tags", [])]
    assert len(cells) == 1, f"expected one cell tagged {tag!r}"
    return cells[0]


def stdout(cell: nbformat.NotebookNode) -> str:
    return "".join(o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stdout")


def images(cell: nbformat.NotebookNode) -> list[Image.Image]:
    return [
        Image.open(io.BytesIO(base64.b64decode(o.data["image/png"])))
        for o in cell.outputs
        if o.output_type in ("display_data", "execute_result") and "image/png" in o.data
    ]


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_without_errors(name: str):
    nb = executed(name)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not [o for o in cell.outputs if o.output_type == "error"]
            assert cell.execution_count is not None


def test_quickstart_ocr_extraction_and_pictures():
    nb = executed("quickstart.ipynb")
    assert "可用额度 12,000.00" in stdout(tagged(nb, "ocr-text"))  # label and value on one row

    values = ast.literal_eval(stdout(tagged(nb, "values")).strip())
    assert list(values) == ["可用额度", "账单日", "到期还款日"]
    assert values["可用额度"] == "12,000.00"

    evidence = stdout(tagged(nb, "evidence"))
    assert "可用额度: '12,000.00' found=True" in evidence

    # The OCR lines and the evidence are drawn on the full-size screenshot (720x1280).
    for tag in ("ocr-boxes", "evidence-boxes"):
        pictures = images(tagged(nb, tag))
        assert len(pictures) == 1
        assert pictures[0].size == (720, 1280)
    assert "1 可用额度: '12,000.00'" in stdout(tagged(nb, "evidence-boxes"))

    confidence = stdout(tagged(nb, "confidence")).splitlines()
    assert confidence[0].startswith("strategy: ")
    first = confidence[1]
    assert first.startswith("可用额度: '12,000.00'")
    score = float(first.split("confidence=")[1].split()[0])
    assert 0.0 < score <= 1.0


def test_custom_examples_budget_extraction_and_llm_swaps():
    nb = executed("custom_examples.ipynb")
    assert "北京西站" in stdout(tagged(nb, "ticket-ocr"))

    chosen = {}
    for line in stdout(tagged(nb, "budgets")).splitlines():
        if line.startswith("budget"):
            budget, _, picked = line.partition(": examples ")
            chosen[budget.split()[-1]] = ast.literal_eval(picked)
    budgets = list(chosen)
    assert chosen[budgets[0]] == []  # budget 0: no examples
    assert chosen[budgets[1]] in ([0], [1])  # room for one: a ticket, not the statement (index 2)
    assert sorted(chosen[budgets[2]]) == [0, 1]  # room for two: both tickets
    assert chosen["None"][0] == 2 and sorted(chosen["None"]) == [0, 1, 2]  # all; the statement first

    output = stdout(tagged(nb, "ticket-values")).splitlines()
    values = ast.literal_eval(output[0])
    assert list(values) == ["车次", "出发站", "到达站", "出发日期", "座位号", "票价", "姓名"]
    assert "of 7 right" in stdout(tagged(nb, "ticket-score"))

    # No credentials in the kernel's environment: the cells say so instead of calling out.
    assert "QIANFAN_AK / QIANFAN_SK are not set" in stdout(tagged(nb, "ernie"))
    assert "OPENAI_BASE_URL is not set" in stdout(tagged(nb, "openai"))


def test_agent_calls_the_real_chain_as_a_tool():
    nb = executed("agent.ipynb")
    direct = ast.literal_eval(stdout(tagged(nb, "tool")).strip())
    assert direct["可用额度"] == "12,000.00"
    run = stdout(tagged(nb, "agent-run"))
    assert "Tool Calls:" in run and "read_card_statement" in run
    tool_message = stdout(tagged(nb, "tool-message"))
    assert "12,000.00" in tool_message  # extracted by the real OCR + embedded LLM inside the tool
