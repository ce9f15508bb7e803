"""The ``ocr-kie`` command (real engine)."""

import json

from conftest import FIXTURES, squash
from ocr_kie.cli import main


def test_demo_ocrs_and_extracts_from_the_bundled_sample_offline(capsys, monkeypatch):
    for name in ("QIANFAN_AK", "QIANFAN_SK", "QIANFAN_ACCESS_KEY", "QIANFAN_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)  # the embedded model, whatever the machine has
    assert main(["demo"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "可用额度 12,000.00" in out and "账单日 每月5日" in out
    assert json.loads(out[-1]) == {"可用额度": "12,000.00", "账单日": "每月5日", "到期还款日": "2026年12月25日"}


def test_ocr_json_lines_and_exit_code_1_when_a_source_fails(capsys, tmp_path):
    missing = tmp_path / "missing.png"
    assert main(["ocr", "--json", str(FIXTURES / "screenshot_zh.png"), str(missing)]) == 1
    captured = capsys.readouterr()
    (page,) = [json.loads(line) for line in captured.out.splitlines()]
    assert page["page"] == 1 and squash(page["lines"][1]["text"]) == "可用额度"
    assert f"{missing}: no such file" in captured.err
