"""PP-OCR (paddle + oneDNN) from any thread: issue 12, finding 7. Real models, real images.

Before the fix, 5-8 of 14 calls from fresh threads raised ``RuntimeError: std::exception``
(oneDNN's per-thread state), and ``chain.batch`` with several threads lost documents.
"""

from __future__ import annotations

import threading

import pytest

from conftest import FIXTURES, rgb
from ocr_kie import build_chain
from ocr_kie.loader import PPOCRLoader
from ocr_kie.ocr import get_engine
from ocr_kie.ocr.owner import OwnerThread
from ocr_kie.testing import ScriptedChatModel

pytestmark = pytest.mark.model

IMAGES = ["receipt_en.png", "screenshot_zh.png", "injection_zh.png"]


def test_owner_thread_runs_every_call_in_one_thread_and_hands_back_errors():
    owner = OwnerThread("test-owner")
    seen = set()
    threads = [threading.Thread(target=lambda: seen.add(owner.call(threading.get_ident))) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {owner.ident}
    with pytest.raises(ZeroDivisionError):
        owner.call(lambda: 1 / 0)
    assert owner.call(lambda: owner.call(lambda: "nested")) == "nested"  # a call from the owner runs directly
    owner.close()


def test_fourteen_fresh_threads_one_at_a_time_all_read_the_same_text():
    engine = get_engine("paddle")
    images = [rgb(name) for name in IMAGES]
    expected = [engine.recognize(image).text for image in images]
    assert all(expected)
    results: list[object] = []
    for i in range(14):
        thread = threading.Thread(target=lambda i=i: results.append(_try(engine.recognize, images[i % 3])))
        thread.start()
        thread.join()
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, f"{len(errors)} of 14 calls failed: {errors[0]!r}"
    assert [page.text for page in results] == [expected[i % 3] for i in range(14)]  # type: ignore[attr-defined]


def test_chain_batch_with_max_concurrency_4_on_real_images_gets_every_document():
    sources = [str(path) for path in _paths()] * 2
    llm = ScriptedChatModel(replies=['{"total": null}'] * len(sources))
    chain = build_chain(["total"], llm=llm, ocr=get_engine("paddle"), cache=False, return_details=True)
    outputs = chain.batch(sources, config={"max_concurrency": 4}, return_exceptions=True)
    errors = [o for o in outputs if isinstance(o, BaseException)]
    assert not errors, f"{len(errors)} of {len(sources)} documents failed: {errors[0]!r}"
    assert len(llm.calls) == len(sources)
    # Each document's text reached the model: every image's text (read in this thread) is in two prompts.
    prompts = ["\n".join(str(m.content) for m in call) for call in llm.calls]
    for path in _paths():
        (page,) = PPOCRLoader(str(path), engine=get_engine("paddle")).load()
        assert page.page_content
        assert sum(page.page_content in p for p in prompts) == 2, path.name


def _paths():
    return [FIXTURES / name for name in IMAGES]


def _try(fn, *args):
    try:
        return fn(*args)
    except Exception as e:
        return e
