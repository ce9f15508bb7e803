"""Grounded decoding: candidates offered and checked (fakes), and chosen by the real embedded model."""

from __future__ import annotations

import contextlib
import dataclasses
import json

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from conftest import FIXTURES, squash
from ocr_kie import Example, build_chain
from ocr_kie.errors import LlmContextOverflowError
from ocr_kie.grounding import ground
from ocr_kie.llms import LlamaCppChatModel, embedded_model_path, resolve_llm
from ocr_kie.loader import PPOCRLoader
from ocr_kie.parser import schema_from_keys
from ocr_kie.pipeline.config import resolve_strategy
from ocr_kie.pipeline.grounded import GroundedDecoder, GroundedOptions, combine, flat_schema
from ocr_kie.pipeline.listing import check_against_candidates, copied_from_examples
from ocr_kie.testing import FakeOcrEngine, ScriptedChatModel

KEYS = ["可用额度", "账单日"]
SCREEN = ["信用卡账单", "可用额度 12,000.00", "总额度 50,000.00", "账单日 每月5日"]
EXAMPLES = [
    Example(text="信用卡\n可用额度 8,000.00\n账单日 每月17日", values={"可用额度": "8,000.00", "账单日": "每月17日"}),
]


def fake_chain(replies, *, lines=SCREEN, **kwargs):
    model = ScriptedChatModel(replies=replies)
    chain = build_chain(KEYS, examples=EXAMPLES, llm=model, ocr=FakeOcrEngine(lines), return_details=True, **kwargs)
    return chain, model


def fake_docs(lines=SCREEN):
    return PPOCRLoader(FIXTURES / "screenshot_zh.png", engine=FakeOcrEngine(lines)).load()


# -- strategy choice ----------------------------------------------------------------------------


def test_auto_is_grounded_for_local_models_and_fewshot_for_api_models():
    schema = schema_from_keys(KEYS)
    local = LlamaCppChatModel(model_path=str(embedded_model_path()))
    api = ScriptedChatModel(replies=[])
    assert resolve_strategy("auto", local, schema) == "grounded"
    assert resolve_strategy("auto", api, schema) == "fewshot"
    assert resolve_strategy("grounded", api, schema) == "grounded"
    nested = {"type": "object", "properties": {"items": {"type": "array", "items": {"type": "object"}}}}
    assert not flat_schema(nested) and flat_schema(schema)
    assert resolve_strategy("auto", local, nested) == "fewshot"
    assert resolve_strategy("grounded", local, nested) == "fewshot"
    with pytest.raises(ValueError, match="strategy"):
        resolve_strategy("greedy", api, schema)


# -- models behind an API: candidates offered in the prompt, the answer checked -----------------


def test_api_model_is_offered_each_keys_candidates_with_their_labels():
    chain, model = fake_chain(['{"可用额度": "12,000.00", "账单日": "每月5日"}'], strategy="grounded")
    details = chain.invoke(FIXTURES / "screenshot_zh.png")
    final = model.calls[0][-1].content
    listing = final[final.index("Candidates") :]
    assert '"可用额度":' in listing and "[可用额度] 12,000.00" in listing
    assert "[账单日] 每月5日" in listing
    assert "8,000.00" not in listing  # the example's value is not on this page
    assert details["values"] == {"可用额度": "12,000.00", "账单日": "每月5日"}
    assert details["strategy"] == "grounded" and details["rejected_not_candidates"] == []


def test_api_models_answer_outside_the_candidates_and_document_becomes_null():
    chain, _ = fake_chain(['{"可用额度": "99,999.00", "账单日": "每月5日"}'], strategy="grounded")
    details = chain.invoke(FIXTURES / "screenshot_zh.png")
    assert details["values"] == {"可用额度": None, "账单日": "每月5日"}
    assert details["rejected_not_candidates"] == ["可用额度"]


def test_check_against_candidates_accepts_spacing_differences_and_document_text():
    docs = fake_docs(["OJC MARKETING SDN BHD", "TOTAL 193.00"])
    values = {"company": "OJCMARKETINGSDNBHD", "total": "193.00", "date": "01/01/2019"}
    evidence = ground(values, docs)
    checked, rejected = check_against_candidates(values, {}, evidence)
    assert checked == {"company": "OJCMARKETINGSDNBHD", "total": "193.00", "date": None} and rejected == ["date"]


def test_candidate_listing_is_compact():
    chain, model = fake_chain(['{"可用额度": null, "账单日": null}'], strategy="grounded")
    chain.invoke(FIXTURES / "screenshot_zh.png")
    final = model.calls[0][-1].content
    listing = final[final.index("Candidates") :]
    assert len(listing) < 400 and listing.count("\n") < 20


# -- no copying from the examples, in any strategy ---------------------------------------------


def test_fewshot_value_copied_from_an_example_and_absent_from_the_document_is_dropped():
    copied = '{"可用额度": "8,000.00", "账单日": "每月5日"}'  # 8,000.00 is the example's, not on this page
    chain, _ = fake_chain([copied], strategy="fewshot")
    details = chain.invoke(FIXTURES / "screenshot_zh.png")
    assert details["values"] == {"可用额度": None, "账单日": "每月5日"}
    assert details["dropped_copied"] == ["可用额度"]


def test_fewshot_value_equal_to_an_example_but_printed_on_the_page_is_kept():
    lines = ["信用卡账单", "可用额度 8,000.00", "账单日 每月5日"]
    chain, _ = fake_chain(['{"可用额度": "8,000.00", "账单日": "每月5日"}'], lines=lines, strategy="fewshot")
    details = chain.invoke(FIXTURES / "screenshot_zh.png")
    assert details["values"]["可用额度"] == "8,000.00" and details["dropped_copied"] == []


def test_copied_from_examples_compares_without_spacing():
    docs = fake_docs()
    values = {"可用额度": "8, 000.00", "账单日": "每月5日"}
    assert copied_from_examples(values, [e.values for e in EXAMPLES], ground(values, docs)) == ["可用额度"]


# -- the decoder's choice, with a fake scorer ---------------------------------------------------


class FakeScorer:
    """Scores a continuation by a table of texts (recording every prefix it was asked about)."""

    def __init__(self, table):
        self.table = table
        self.prefixes = []
        self.evaluated = 0

    def prompt(self, messages):
        return "PROMPT:" + "|".join(str(m.content) for m in messages) + "\n"

    def tokenize(self, text):
        return list(text)

    def logprobs(self, prefix, continuations):
        self.prefixes.append(prefix)
        return [[self.table.get(c.strip(" ,}"), -10.0)] for c in continuations]


class FakeLocalModel:
    def __init__(self, table):
        self.fake = FakeScorer(table)

    @contextlib.contextmanager
    def scorer(self):
        yield self.fake


def test_decoder_builds_the_answer_key_by_key_and_combines_model_and_prior():
    from ocr_kie.pipeline.grounded import options_for_keys

    docs = fake_docs()
    schema = schema_from_keys(KEYS)
    candidates = options_for_keys(docs, schema, GroundedOptions())
    # The model prefers the wrong amount a little; the label prior of the right one wins.
    model = FakeLocalModel({'"50,000.00"': -1.0, '"12,000.00"': -1.2, '"每月5日"': -0.1})
    decoder = GroundedDecoder(model, schema, GroundedOptions(model_reach=None))  # every candidate scored
    values, choices, info = decoder.decode([HumanMessage("doc")], candidates)
    assert values == {"可用额度": "12,000.00", "账单日": "每月5日"}
    assert info["reply"] == '{"可用额度": "12,000.00", "账单日": "每月5日"}'
    assert json.loads(info["reply"]) == values
    # 账单日 has one candidate, which beats null by its prior: nothing for the model to choose.
    (first,) = model.fake.prefixes
    assert first.endswith('{"可用额度":')
    assert choices["账单日"].model_score is None
    choice = choices["可用额度"]
    assert 0 < choice.confidence <= choice.probability <= 1 and choice.candidate.label == "可用额度"
    assert choice.alternatives and all(0 <= p < choice.probability for _, p in choice.alternatives)
    # The model alone (prior weight 0) takes its favourite.
    alone = GroundedDecoder(model, schema, GroundedOptions(prior_weight=0.0))
    assert alone.decode([HumanMessage("doc")], candidates)[0]["可用额度"] == "50,000.00"


def test_the_model_is_not_asked_about_candidates_it_could_not_lift_to_the_top():
    from ocr_kie.pipeline.grounded import model_asks, options_for_keys

    docs = fake_docs()
    schema = schema_from_keys(KEYS)
    candidates = options_for_keys(docs, schema, GroundedOptions())
    priors = [s.prior for s in candidates["可用额度"][:4]]
    # The labelled amount's prior is far above the others': at weight 0.1 and reach 3 the model
    # could lift another by at most 0.3 in log, so the profile decides and nothing is scored.
    assert max(priors) / sorted(priors)[-2] > 1.35
    model = FakeLocalModel({'"50,000.00"': -1.0, '"12,000.00"': -1.2})
    values, choices, _ = GroundedDecoder(model, schema, GroundedOptions()).decode([HumanMessage("doc")], candidates)
    assert values["可用额度"] == "12,000.00" and model.fake.prefixes == []
    assert choices["可用额度"].model_score is None
    # With a larger weight the same candidates are within reach and the model is asked.
    assert len(model_asks([*priors, 0.05], GroundedOptions(model_weight=1.0))) >= 2
    # Close priors: both are asked, a far one is not; null only with model_null.
    opts = GroundedOptions()
    assert model_asks([0.9, 0.8, 0.5, 0.05], opts) == [0, 1]
    assert model_asks([0.9, 0.5, 0.05], opts) == []
    assert model_asks([0.9, 0.8, 0.05], GroundedOptions(model_null=True)) == [0, 1, 2]
    assert model_asks([0.9, 0.8, 0.5, 0.05], GroundedOptions(model_reach=None)) == [0, 1, 2]


def test_decoder_with_model_weight_zero_takes_the_best_prior_without_asking_the_model():
    from ocr_kie.pipeline.grounded import options_for_keys

    class Unaskable:
        def scorer(self):
            raise AssertionError("the model was asked")

    schema = schema_from_keys(KEYS)
    candidates = options_for_keys(fake_docs(), schema, GroundedOptions())
    decoder = GroundedDecoder(Unaskable(), schema, GroundedOptions(model_weight=0))
    values, choices, info = decoder.decode([HumanMessage("doc")], candidates)
    assert values == {key: candidates[key][0].candidate.text for key in KEYS}  # best prior first
    assert values["可用额度"] == "12,000.00"
    assert json.loads(info["reply"]) == values and info["evaluated_tokens"] == 0
    assert all(c.model_score is None and c.details()["model_score"] is None for c in choices.values())


def _decode_one(table, priors, null_prior, **options):
    """Decode 可用额度 from its first candidates, given these ``priors``, and a null of ``null_prior``."""
    from ocr_kie.pipeline.grounded import options_for_keys

    schema = schema_from_keys(["可用额度"])
    (scored,) = options_for_keys(fake_docs(), schema, GroundedOptions()).values()
    picked = [dataclasses.replace(s, prior=prior) for s, prior in zip(scored, priors, strict=False)]
    assert len(picked) == len(priors)
    model = FakeLocalModel(table)
    decoder = GroundedDecoder(model, schema, GroundedOptions(**options))
    values, choices, _ = decoder.decode([HumanMessage("doc")], {"可用额度": picked}, {"可用额度": null_prior})
    return values["可用额度"], choices["可用额度"], model.fake


HATES_NULL = {"null": -30.0, '"12,000.00"': -0.1, '"50,000.00"': -0.1}
LOVES_NULL = {"null": -0.01, '"12,000.00"': -10.0, '"50,000.00"': -10.0}


def test_a_null_the_profile_decided_is_not_overturned_and_the_model_is_not_asked():
    value, choice, fake = _decode_one(HATES_NULL, [0.3, 0.2], null_prior=0.6)
    assert value is None and choice.candidate is None and choice.model_score is None
    assert fake.prefixes == []  # nothing for the model to decide


def test_the_model_chooses_among_the_candidates_and_moves_no_weight_towards_null():
    value, choice, fake = _decode_one(LOVES_NULL, [0.5, 0.4], null_prior=0.3)
    assert value in {"12,000.00", "50,000.00"} and choice.candidate is not None
    assert len(fake.prefixes) == 1
    # null's model term is the favourite candidate's: against it, null keeps its priors' odds exactly
    _, combined, best = combine([[-1.0], [-2.0], [-0.01]], [0.5, 0.4, 0.3], GroundedOptions())
    assert best == 0 and combined[2] / combined[0] == pytest.approx(0.3 / 0.5)


def test_model_null_lets_the_models_score_of_null_take_part():
    value, _, fake = _decode_one(LOVES_NULL, [0.5, 0.4], null_prior=0.3, model_null=True)
    assert value is None and len(fake.prefixes) == 1
    # ...and a model that never writes null overturns the profile's null, as before.
    assert _decode_one(HATES_NULL, [0.3, 0.2], null_prior=0.6, model_null=True)[0] is not None


def test_decoder_chooses_null_when_no_candidate_is_likely():
    docs = fake_docs()
    schema = schema_from_keys(["到期还款日"])
    candidates = {"到期还款日": []}
    model = FakeLocalModel({"null": -0.5})
    values, choices, _ = GroundedDecoder(model, schema, GroundedOptions()).decode([HumanMessage("x")], candidates)
    assert values == {"到期还款日": None} and choices["到期还款日"].candidate is None
    assert docs  # the page exists; it just has no value for the key


# -- the real embedded model -------------------------------------------------------------------

CARD_KEYS = ["可用额度", "账单日", "到期还款日"]
CARD_EXAMPLES = [
    Example(
        text="信用卡账单\n可用额度 8,000.00\n总额度 20,000.00\n账单日 每月17日\n到期还款日 2026年11月06日\n年费 200.00",
        values={"可用额度": "8,000.00", "账单日": "每月17日", "到期还款日": "2026年11月06日", "年费": "200.00"},
    ),
]


@pytest.fixture(scope="module")
def card() -> dict:
    chain = build_chain(CARD_KEYS, examples=CARD_EXAMPLES, strategy="grounded", return_details=True)
    return chain.invoke(FIXTURES / "screenshot_zh.png")


def test_real_model_grounded_screenshot_values_are_exact(card):
    assert card["strategy"] == "grounded"
    assert card["values"] == {"可用额度": "12,000.00", "账单日": "每月5日", "到期还款日": "2026年12月25日"}


def test_real_model_grounded_values_are_all_in_the_document_with_confidence(card):
    for key in CARD_KEYS:
        assert card["evidence"][key]["found"] and card["evidence"][key]["match"] == "exact"
        field = card["fields"][key]
        assert 0.0 < field["confidence"] <= 1.0 and field["box"] is not None and field["ocr_score"] > 0.5
    assert card["fields"]["账单日"]["label"] == "账单日"
    assert json.loads(card["reply"]) == card["values"]


def test_real_model_never_returns_an_examples_value_the_document_lacks():
    keys = ["可用额度", "年费"]  # 年费 (and its 200.00) is only in the example
    chain = build_chain(keys, examples=CARD_EXAMPLES, strategy="grounded", return_details=True)
    details = chain.invoke(FIXTURES / "screenshot_zh.png")
    shown = {squash(str(v)) for v in CARD_EXAMPLES[0].values.values()}
    for key, value in details["values"].items():
        assert value is None or squash(str(value)) not in shown
        assert value is None or details["evidence"][key]["found"]


def test_real_model_grounded_receipt():
    examples = [
        Example(
            text="SANYU STATIONERY SHOP\nNO. 31G&33G, JALAN SETIA INDAH X ,U13/X\n40170 SETIA ALAM\nCASH SALES\n"
            "DATE: 19/10/2017\nTOTAL RM 5.00",
            values={"company": "SANYU STATIONERY SHOP", "date": "19/10/2017", "total": "5.00"},
        )
    ]
    chain = build_chain(["company", "date", "total"], examples=examples, strategy="grounded", return_details=True)
    details = chain.invoke(str(FIXTURES / "receipt_en.png"))
    values = details["values"]
    assert squash(values["company"]) == "OJCMARKETINGSDNBHD"
    assert values["total"] == "193.00"
    assert values["date"].startswith("15/01/2019")
    assert all(details["evidence"][k]["found"] for k in values)


def _reference_logprobs(llama, prefix: list[int], full: list[int]) -> list[float]:
    """Log-probabilities of ``full[len(prefix):]`` from one plain decode of ``full`` in the chat model's context."""
    import numpy as np

    llama.reset()
    llama._ctx.kv_cache_clear()
    llama._batch.set_batch(batch=full, n_past=0, logits_all=True)
    llama._ctx.decode(llama._batch)
    logits = np.ctypeslib.as_array(llama._ctx.get_logits(), shape=(len(full) * llama.n_vocab(),))
    logits = logits.reshape(len(full), llama.n_vocab()).astype(np.float64)
    llama._ctx.kv_cache_clear()
    out = []
    for i in range(len(prefix), len(full)):
        row = logits[i - 1]
        out.append(float(row[full[i]] - row.max() - np.log(np.exp(row - row.max()).sum())))
    return out


def test_real_scorer_batches_many_continuations_like_a_plain_decode():
    llm = resolve_llm(None)
    messages = [SystemMessage("Extract."), HumanMessage("STORE ABC\nTOTAL RM 12.50\nCASH 20.00\nThe total?")]
    continuations = [f' "{n}.50"}}' for n in range(20)] + [" null}", ""]  # more than one batch's sequences
    with llm.scorer() as scorer:
        prefix = scorer.prompt(messages) + '{"total":'
        together = scorer.logprobs(prefix, continuations)
        base = scorer.tokenize(prefix)
        reference = []
        for text in continuations:
            full = scorer.tokenize(prefix + text)
            common = next(
                (i for i, (a, b) in enumerate(zip(full, base, strict=False)) if a != b), min(len(full), len(base))
            )
            reference.append(_reference_logprobs(scorer.llama, full[:common], full) if common < len(full) else [])
    assert together[-1] == []  # adds no token
    assert all(len(t) == len(r) > 0 for t, r in zip(together[:-1], reference[:-1], strict=True))
    # Other batch shapes take other kernel paths over the 4-bit weights: measured differences are
    # up to 0.15 nats; a continuation that did not see the prompt, or saw another one, is off by 2-3.
    for t, r in zip(together, reference, strict=True):
        assert t == pytest.approx(r, abs=0.3)


@pytest.mark.model
def test_real_scorer_decodes_the_tokens_continuations_share_once_and_scores_them_like_a_plain_decode():
    llm = resolve_llm(None)
    lines = ["NO.53, JALAN BESAR, 45600", "BATANG BERJUNTAI", "SELANGOR DARUL EHSAN", "TEL: 03-3271 9672"]
    messages = [SystemMessage("Extract."), HumanMessage("\n".join(["TEO HENG STATIONERY", *lines, "The address?"]))]
    runs = [" ".join(lines[:n]) for n in range(1, 5)]  # runs of lines from the same line: one long common start
    continuations = [f" {json.dumps(run)}}}" for run in runs] + [" null}"]
    with llm.scorer() as scorer:
        prefix = scorer.prompt(messages) + '{"address":'
        scorer.logprobs(prefix, [" null}"])  # the prompt is held: what follows counts only the continuations
        before = scorer.evaluated
        together = scorer.logprobs(prefix, continuations)
        decoded = scorer.evaluated - before
        base = scorer.tokenize(prefix)
        fulls = [scorer.tokenize(prefix + text) for text in continuations]
        reference = [_reference_logprobs(scorer.llama, base, full) for full in fulls]
    separately = sum(len(full) - len(base) + 1 for full in fulls)  # each span from the prompt's last token
    assert decoded <= separately - (len(scorer.tokenize(prefix + continuations[2])) - len(base)) // 2
    for t, r in zip(together, reference, strict=True):
        assert len(t) == len(r) > 0
        assert t == pytest.approx(r, abs=0.3)  # as in the batches above: the kernel paths of other shapes
    assert sum(together[1]) / len(together[1]) > sum(together[3]) / len(together[3]) - 5  # sane, finite scores


def test_scoring_context_on_a_llama_cpp_without_a_unified_kv_cache_says_how_to_fix_it():
    import ctypes

    from ocr_kie.errors import LlmCallError
    from ocr_kie.llms.scoring import _ScoringContext

    class OldParams(ctypes.Structure):  # an older llama.cpp's context parameters: no kv_unified
        _fields_ = [("n_ctx", ctypes.c_uint32), ("n_seq_max", ctypes.c_uint32)]

    class OldLlama:
        context_params = OldParams()

    with pytest.raises(LlmCallError, match=r"pip install -U 'llama-cpp-python>=0\.3\.36'"):
        _ScoringContext(OldLlama())


def test_real_scorer_reports_a_prompt_longer_than_the_context():
    llm = resolve_llm(None)
    with llm.scorer() as scorer:
        prefix = scorer.prompt([HumanMessage("TOTAL 1.00 " * 2000)])
        with pytest.raises(LlmContextOverflowError):
            scorer.logprobs(prefix, [' "1.00"'])
        assert scorer.logprobs(scorer.prompt([HumanMessage("TOTAL 1.00")]), [" 1.00"])[0]  # still usable


def test_real_scorer_reuses_the_cached_prompt():
    llm = resolve_llm(None)
    messages = [SystemMessage("Extract."), HumanMessage("STORE ABC\nTOTAL RM 12.50\nCASH 20.00\nThe total?")]
    with llm.scorer() as scorer:
        prefix = scorer.prompt(messages) + '{"total":'
        first = scorer.logprobs(prefix, [' "12.50"}', ' "20.00"}'])
        evaluated = scorer.evaluated
        again = scorer.logprobs(prefix, [' "12.50"}'])
        assert again[0] == pytest.approx(first[0], abs=0.3)  # alone, not in a batch of two: see above
        assert scorer.evaluated - evaluated <= len(again[0]) + 1  # only the continuation was evaluated
    assert sum(first[0]) > sum(first[1])  # the total, not the cash, follows "total"
