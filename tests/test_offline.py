"""Offline by construction: loading the models, OCR and extraction open no network connection."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from conftest import FIXTURES

# Run in a fresh interpreter: imports (paddlex checks model hosters on import unless told not to),
# model preparation into an empty cache dir, engine creation and OCR all happen under the hook.
SCRIPT = textwrap.dedent(
    """
    import json, socket, sys

    attempts = []

    def hook(event, args):
        if event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr"):
            attempts.append([event, repr(args)[:200]])
            raise OSError("network disabled by test")
        if event in ("socket.connect", "socket.sendto", "socket.sendmsg") and isinstance(args[1], tuple):
            attempts.append([event, repr(args[1])[:200]])
            raise OSError("network disabled by test")

    sys.addaudithook(hook)

    from ocr_kie import PPOCRLoader
    from ocr_kie.ocr import create_engine

    from ocr_kie import Example, build_chain

    texts = {}
    for name in ("paddle", "onnx"):
        docs = PPOCRLoader([sys.argv[1], sys.argv[2]], engine=create_engine(name)).load()
        texts[name] = [d.page_content for d in docs]
    # Extraction with the embedded LLM (loaded here, under the hook) and grounding.
    chain = build_chain(["可用额度"], examples=[Example(text="可用额度 8,000.00", values={"可用额度": "8,000.00"})])
    values = chain.invoke(sys.argv[1])
    print(json.dumps({"attempts": attempts, "texts": texts, "values": values}, ensure_ascii=False))
    """
)


def test_no_network_connection_while_loading_models_recognising_and_extracting(tmp_path: Path):
    env = {**os.environ, "OCR_KIE_CACHE_DIR": str(tmp_path / "cache")}
    for name in ("QIANFAN_AK", "QIANFAN_SK", "QIANFAN_ACCESS_KEY", "QIANFAN_SECRET_KEY"):
        env.pop(name, None)  # llm=None must mean the embedded model here
    env.pop("PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK", None)  # the library must set it itself
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(FIXTURES / "screenshot_zh.png"), str(FIXTURES / "two_pages.pdf")],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["attempts"] == []
    for name in ("paddle", "onnx"):
        texts = report["texts"][name]
        assert len(texts) == 3 and "可用额度" in texts[0] and "可用额度" in texts[2], (name, texts)
    assert list(report["values"]) == ["可用额度"]
    # The model directories were prepared in the empty cache dir, from the installed wheel.
    assert sorted(p.name for p in (tmp_path / "cache" / "paddle-models").iterdir()) == [
        "PP-LCNet_x0_25_textline_ori",
        "PP-OCRv4_mobile_det",
        "PP-OCRv4_mobile_rec",
    ]


def test_the_hook_does_catch_connections():
    """The check above can fail: a real connection attempt is recorded."""
    probe = SCRIPT.split("from ocr_kie")[0] + textwrap.dedent(
        """
        try:
            socket.create_connection(("203.0.113.1", 80), timeout=0.1)
        except OSError:
            pass
        print(json.dumps(attempts))
        """
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert json.loads(result.stdout)[0][0] in ("socket.getaddrinfo", "socket.connect")
