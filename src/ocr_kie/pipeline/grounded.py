"""Grounded decoding: each key's value is *chosen* among the page's candidates, never written freely.

Small local models copy values from the examples, pick the wrong one of two similar lines and
repeat themselves. Here the model does not write the value: for each key, the candidates the
page offers (:mod:`ocr_kie.candidates`: lines, label-separated parts, runs of lines, typed spans,
narrowed by the key's schema) and ``null`` are scored by the model, and the best one is taken::

    prompt (system, examples, document)  ─►  {"company": ▢ , "date": ▢ , …}
                                                 │
           each ▢ ∈ {candidate₁, candidate₂, …, null}: the model's log-probability of writing
           it there, combined with the candidate's prior (label, type, position), softmaxed

The value is therefore in the document by construction, and an example's value that the
document does not hold can never be chosen.

* :class:`GroundedDecoder` does this on a llama.cpp model (:class:`~ocr_kie.llms.LlamaCppChatModel`),
  scoring each candidate as one short batch on top of the shared prompt in the KV cache.
* For models behind an API (no log-probabilities), :mod:`ocr_kie.pipeline.listing` offers the
  candidates in the prompt and checks the answer against them.

Every choice carries its evidence (:class:`FieldChoice`): box, label, OCR score, prior, the
model's probability and a combined ``confidence`` in 0..1 to threshold.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

from langchain_core.documents import Document
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, ConfigDict, Field

from ocr_kie.candidates import Candidate, ScoredCandidate, key_candidates, page_candidates
from ocr_kie.candidates.profiles import KeyProfile, collapsed, shape_of, shape_similarity
from ocr_kie.normalize import parse_number

if TYPE_CHECKING:
    from ocr_kie.llms import ContinuationScorer, LlamaCppChatModel

__all__ = [
    "FieldChoice",
    "GroundedDecoder",
    "GroundedOptions",
    "flat_schema",
    "model_asks",
    "options_for_keys",
    "scoring_messages",
    "shape_check",
    "shortlist",
]

#: The prior below which a candidate's prior stops mattering (log of 0 is -inf).
_MIN_PRIOR = 1e-3


class GroundedOptions(BaseModel):
    """How the grounded strategy builds and weighs the alternatives of a key.

    Attributes:
        max_candidates: The most candidates per key (best priors first); fewer is faster.
        prior_weight: How much the candidates' priors count against the model's scores (the
            exponent of the prior in the product; 0 = the model alone).
        model_weight: The exponent of the model's probability (0 = the priors alone, and the model
            is not asked at all). The default, 0.1 with ``length_normalize``, was chosen once the
            profile decides null (``model_null`` off) by recombining the option scores of zh-docs
            half E (2 examples, 64 documents, SmolLM2-135M, the short scoring prompt) and zh-kie:
            half E exact 0.797 at 0, 0.835 at 0.1, 0.823 at 0.2, 0.810 at 0.3, 0.760 at 1.0 (both
            sets are "weight-tuned" since; docs/llms.md). A stronger local model deserves a
            larger weight; choose it on your documents with ``benchmarks/profiles_benchmark.py``.
        null_prior: The prior of ``null`` (the document has no value for the key).
        length_normalize: Score a candidate by the mean, not the sum, of its tokens' log-probabilities.
        show_candidates: Offer the candidates in the prompt (``[label] value`` lines). Always done
            for models behind an API; for local models it costs prompt tokens.
        stable_examples: Show the chosen examples in the user's order rather than the most relevant
            last, so the prompt before the document is the same for every document and llama.cpp
            evaluates it once (from its KV cache afterwards).
        scoring_examples: The most example turns in the scoring prompt of a local model (None: all
            that fit the budget; 0: none, the key profiles carry what the examples teach). Fewer
            turns make a shorter prompt.
        model_candidates: The most candidates per key the model scores (the best priors, and
            null with ``model_null``): the profile is the prior, the model chooses among its top few. Fewer is faster;
            candidates below them are not chosen when the model is asked.
        scoring_prompt: What the scoring prompt of a local model shows of the examples:
            ``"answers"`` (default) their answers only, as one short turn before the document (the
            key profiles carry what their pages teach, and a document's prompt is a few hundred
            tokens instead of thousands); ``"examples"`` the whole example turns, as the few-shot
            prompt does (up to ``scoring_examples`` of them).
        model_null: Let the model's score of ``null`` take part in choosing null (default: the
            profile decides null, the model chooses among the candidates; see :func:`combine`).
        model_reach: How far the model may lift a candidate, in nats of mean log-probability per
            token over the best prior's candidate: candidates whose log-prior lies more than
            ``model_weight * model_reach / prior_weight`` below the best one's cannot be chosen
            and are not scored (a key left with one candidate is not asked at all). None: the model
            scores all ``model_candidates``. On the option scores stored by the zh-docs half E and
            F, zh-kie and SROIE runs (2,339 keys the model was asked about), the model's
            preference changed a choice only where the two priors were within 0.105 in log, and
            at the default 3.0 (0.3 in log at the default weight) no choice changes while a fifth
            of the scored tokens go (``benchmarks/grounded_weights.py``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_candidates: int = Field(default=12, gt=0)
    prior_weight: float = Field(default=1.0, ge=0)
    model_weight: float = Field(default=0.1, ge=0)
    null_prior: float = Field(default=0.05, gt=0, le=1)
    length_normalize: bool = True
    show_candidates: bool = False
    stable_examples: bool = True
    scoring_examples: int | None = Field(default=None, ge=0)
    model_candidates: int = Field(default=4, gt=0)
    scoring_prompt: Literal["answers", "examples"] = "answers"
    model_null: bool = False
    model_reach: float | None = Field(default=3.0, ge=0)


@dataclass(frozen=True)
class FieldChoice:
    """The value chosen for one key and why.

    Attributes:
        key: The key.
        value: The value (the candidate's text, a number for numeric keys), or None.
        candidate: The chosen candidate (None when null was chosen).
        prior: The chosen option's prior (0..1).
        model_score: The model's probability of the chosen option among the key's alternatives
            (None when ``model_weight`` is 0 and the model was not asked).
        probability: The combined (model and prior) probability of the chosen option.
        confidence: ``probability`` times the candidate's OCR score: what to threshold.
        alternatives: The other options, best first, as ``(value, combined probability)``.
        scores: Every option as ``(value, prior, model log-probability, tokens)``, in candidate
            order with null last (for analysis and for tuning the weights).
        scored: The chosen candidate with its prior's make-up (example, features, reasons).
        runner_up: The best candidate not chosen (None when there was none).
        null_prior: The prior null had for this key on this page.
    """

    key: str
    value: Any
    candidate: Candidate | None
    prior: float
    model_score: float | None
    probability: float
    confidence: float
    alternatives: list[tuple[Any, float]] = field(default_factory=list)
    scores: list[tuple[Any, float, float, int]] = field(default_factory=list)
    scored: ScoredCandidate | None = None
    runner_up: ScoredCandidate | None = None
    null_prior: float | None = None

    def details(self) -> dict[str, Any]:
        """A JSON-ready dict for ``return_details``."""
        c = self.candidate
        return {
            "value": self.value,
            "kind": c.kind if c else None,
            "page": c.page if c else None,
            "box": list(c.box) if c else None,
            "label": c.label if c else None,
            "ocr_score": c.ocr_score if c else None,
            "prior": round(self.prior, 4),
            "model_score": None if self.model_score is None else round(self.model_score, 4),
            "confidence": round(self.confidence, 4),
            "alternatives": [[v, round(p, 4)] for v, p in self.alternatives[:3]],
            "decided_by": _why(self.scored, self.null_prior),
            "runner_up": None if self.runner_up is None else {"value": self.runner_up.text, **_why(self.runner_up)},
        }


def _why(scored: ScoredCandidate | None, null_prior: float | None = None) -> dict[str, Any]:
    """Which example and which features made a candidate's prior (or why null was chosen)."""
    if scored is None:
        return {"null_prior": null_prior, "reason": "no candidate fits the examples (or the label is not on the page)"}
    return {
        "example": None if scored.example is None else scored.example + 1,
        "profile_score": scored.profile_score,
        "features": dict(scored.features),
        "label": scored.candidate.label,
        "prior": scored.prior,
        "reasons": list(scored.reasons),
    }


def flat_schema(schema: Mapping[str, Any]) -> bool:
    """Whether every key of the schema holds one scalar (a string, number, or null), as grounded decoding needs."""
    for prop in schema.get("properties", {}).values():
        kind = prop.get("type") if isinstance(prop, Mapping) else None
        kinds = {kind} if isinstance(kind, str) else set(kind or ())
        if kinds & {"array", "object"} or (isinstance(prop, Mapping) and "properties" in prop):
            return False
    return True


def shortlist(
    docs: Sequence[Document],
    schema: Mapping[str, Any],
    options: GroundedOptions,
    profiles: Mapping[str, KeyProfile] | None = None,
) -> tuple[dict[str, list[ScoredCandidate]], dict[str, float]]:
    """Each key's candidates (best prior first, ranked by the key's profile when there is one) and null's prior.

    Args:
        docs: The OCR pages (with ``metadata["lines"]``).
        schema: The JSON Schema of the answer.
        options: The limits and the default null prior.
        profiles: The keys' profiles learned from the examples (:func:`ocr_kie.candidates.profiles.learn_profiles`).
    """
    found = page_candidates(docs)
    profiles = profiles or {}
    full, nulls = {}, {}
    for key, prop in schema["properties"].items():
        profile = profiles.get(key)
        full[key] = key_candidates(found, key, prop if isinstance(prop, Mapping) else None, profile=profile)
        nulls[key] = profile.null_prior(full[key], found, options.null_prior) if profile else options.null_prior
    return {key: _apart(key, full)[: options.max_candidates] for key in full}, nulls


def _apart(key: str, full: Mapping[str, Sequence[ScoredCandidate]]) -> list[ScoredCandidate]:
    """A key's candidates, those that hold another key's best candidate and more lines pushed down.

    One printed text answers one key: a run of lines "company name + address" is not the address.
    """
    taken = {(s[0].candidate.page, s[0].candidate.lines) for k, s in full.items() if k != key and s}
    out = []
    for s in full[key]:
        c = s.candidate
        if any(page == c.page and set(lines) < set(c.lines) for page, lines in taken):
            s = replace(s, prior=round(s.prior * 0.85, 4), reasons=(*s.reasons, "holds another key's value"))
        out.append(s)
    return sorted(out, key=lambda s: (-s.prior, s.candidate.page, s.candidate.lines))


def options_for_keys(
    docs: Sequence[Document],
    schema: Mapping[str, Any],
    options: GroundedOptions,
    profiles: Mapping[str, KeyProfile] | None = None,
) -> dict[str, list[ScoredCandidate]]:
    """Each key's candidates from the pages, narrowed by the key's schema, best prior first (see :func:`shortlist`)."""
    return shortlist(docs, schema, options, profiles)[0]


def shape_check(values: Mapping[str, Any], profiles: Mapping[str, KeyProfile]) -> dict[str, float]:
    """Per answered key with a profile, how well the value's shape fits the nearest example's (0..1).

    The fit is 1.0 when the value's collapsed shape (runs of one character class as one:
    ``"汉9汉"`` for every 每月N日) equals an example's, else 0.6 times the shapes' similarity. A
    value whose shape contradicts every example (fit below 0.5: ``"**** 8402"`` where the examples
    answer ``"2931"``) is not rewritten; the chain lowers its confidence in the details.
    """
    out = {}
    for key, value in values.items():
        profile = profiles.get(key)
        if value is None or isinstance(value, (list, dict)) or profile is None or not profile.views:
            continue
        shape = shape_of(str(value))
        out[key] = round(
            max(
                1.0 if collapsed(shape) == collapsed(v.shape) else 0.6 * shape_similarity(shape, v.shape)
                for v in profile.views
            ),
            4,
        )
    return out


#: The turn that shows the examples' answers in the scoring prompt (``scoring_prompt="answers"``).
ANSWERS_TURN = "Answers for earlier documents of this kind, one JSON object per document:\n{answers}"


def scoring_messages(system: str, answers: Sequence[str], document: Sequence[BaseMessage]) -> list[BaseMessage]:
    """The short scoring prompt of a local model (``scoring_prompt="answers"``).

    The system prompt, the examples' answers in one turn (what values look like as answers: the
    key profiles carry what the examples' pages teach), then the document's turns.

    Args:
        system: The system prompt.
        answers: The examples' answers as JSON, in a fixed order (the prompt before the document is
            then the same for every document and stays in the KV cache).
        document: The document's turns (ending with the task).
    """
    messages: list[BaseMessage] = [SystemMessage(system)]
    if answers:
        messages += [HumanMessage(ANSWERS_TURN.format(answers="\n".join(answers))), AIMessage("OK.")]
    return [*messages, *document]


def _typed(value: str, prop: Mapping[str, Any] | None) -> Any:
    """A candidate's text as the key's schema type wants it (numbers for number/integer keys)."""
    kind = prop.get("type") if isinstance(prop, Mapping) else None
    kinds = {kind} if isinstance(kind, str) else set(kind or ())
    if kinds & {"number", "integer"} and "string" not in kinds:
        number = parse_number(value)
        if number is not None:
            return int(number) if "integer" in kinds and float(number).is_integer() else number
    return value


def _softmax(logits: Sequence[float]) -> list[float]:
    top = max(logits)
    exps = [math.exp(v - top) for v in logits]
    total = sum(exps)
    return [e / total for e in exps]


def model_asks(priors: Sequence[float], options: GroundedOptions) -> list[int]:
    """Which of a key's alternatives the model is asked to score.

    The candidates within the model's reach of the best prior (``options.model_reach``), and null
    with ``options.model_null``; none when the profile decides alone (null by the priors, or one
    candidate the model could not overturn).

    Args:
        priors: Per alternative, its prior; null last.
        options: The weights and ``model_reach``.

    Returns:
        Indices into ``priors``, in order.
    """
    candidates = priors[:-1]
    asked = list(range(len(candidates)))
    if options.model_reach is not None and options.prior_weight and candidates:
        logs = [math.log(max(p, _MIN_PRIOR)) for p in candidates]
        floor = max(logs) - options.model_weight * options.model_reach / options.prior_weight
        asked = [j for j, v in enumerate(logs) if v >= floor]
    if options.model_null:
        return [*asked, len(priors) - 1]
    if len(asked) < 2 or _null_by_priors(priors, options):
        return []
    return asked


def _null_by_priors(priors: Sequence[float], options: GroundedOptions) -> bool:
    """Whether the profile alone chooses null (the last alternative): its prior is at least every candidate's.

    Never with ``options.model_null``, where the model's score of null takes part.
    """
    return not options.model_null and (len(priors) == 1 or priors[-1] >= max(priors[:-1]))


def combine(
    logprobs: Sequence[Sequence[float]] | None, priors: Sequence[float], options: GroundedOptions
) -> tuple[list[float] | None, list[float], int]:
    """The model's and the combined probabilities of a key's alternatives, and which one is chosen.

    The last alternative is null. Unless ``options.model_null``, the profile decides null and the
    model only chooses among the candidates: null is chosen when its prior is at least every
    candidate's (the model is not needed, and its scores are ignored), and otherwise the model's
    term for null is that of the model's favourite candidate, so the model moves no weight towards
    or away from null. A small model that never wrote ``null`` after examples that all have values
    would otherwise overturn every null the profiles found.

    Args:
        logprobs: Per alternative, the log-probabilities of its tokens (an empty list: it cannot be
            written, or was not scored), or None when the model was not asked.
        priors: Per alternative, its prior (0..1); null last.
        options: The weights.

    Returns:
        The model's probabilities (None without ``logprobs`` or when the priors chose null), the
        combined ones, both over the alternatives, and the chosen alternative's index.
    """
    last = len(priors) - 1
    by_priors = _null_by_priors(priors, options)
    p_model = None
    if logprobs is not None and not by_priors:
        logits = [
            (sum(lp) / len(lp) if options.length_normalize else sum(lp)) if lp else -1e9  # cannot be written
            for lp in logprobs
        ]
        if not options.model_null:
            logits[last] = max(logits[:last])
        p_model = _softmax(logits)
    combined = _softmax(
        [
            (options.model_weight * math.log(max(p_model[j], 1e-12)) if p_model else 0.0)
            + options.prior_weight * math.log(max(prior, _MIN_PRIOR))
            for j, prior in enumerate(priors)
        ]
    )
    chosen = range(len(priors)) if options.model_null else range(last)
    best = last if by_priors else max(chosen, key=combined.__getitem__)
    return p_model, combined, best


class GroundedDecoder:
    """Chooses each key's value among its candidates with a llama.cpp model's log-probabilities.

    The answer is the JSON object the examples show (``{"k1": v1, "k2": v2}``), built key by key:
    for key *i* the prompt is followed by the answer so far and ``"k_i":``, and each alternative
    (one of the ``model_candidates`` best priors or ``null``, with the separator that follows) is
    scored as a continuation. The prompt and the answer so far stay in the scorer's KV cache, so
    each key costs only its alternatives' tokens.

    Args:
        llm: The local model.
        schema: The JSON Schema of the answer (flat: see :func:`flat_schema`).
        options: Weights and limits.
    """

    def __init__(self, llm: LlamaCppChatModel, schema: Mapping[str, Any], options: GroundedOptions) -> None:
        self.llm = llm
        self.schema = schema
        self.options = options

    def decode(
        self,
        messages: Sequence[BaseMessage],
        candidates: Mapping[str, Sequence[ScoredCandidate]],
        null_priors: Mapping[str, float] | None = None,
    ) -> tuple[dict[str, Any], dict[str, FieldChoice], dict[str, Any]]:
        """Choose every key's value.

        Args:
            messages: The prompt (system, examples, the document's turns).
            candidates: Each key's candidates (:func:`shortlist`).
            null_priors: Each key's prior of null (default: ``options.null_prior``).

        Returns:
            The values, the choices, and ``{"reply", "input_tokens", "output_tokens", "evaluated_tokens"}``.
        """
        keys = list(self.schema["properties"])
        nulls = dict(null_priors or {})
        values: dict[str, Any] = {}
        choices: dict[str, FieldChoice] = {}
        if not self.options.model_weight:  # the priors alone: the model is not asked
            for key in keys:
                choices[key] = self._choose(None, "", key, list(candidates.get(key, ())), "", nulls.get(key))
                values[key] = choices[key].value
            reply = json.dumps(values, ensure_ascii=False)
            return values, choices, {"reply": reply, "input_tokens": 0, "output_tokens": 0, "evaluated_tokens": 0}
        top = self.options.model_candidates
        with self.llm.scorer() as scorer:
            prompt = scorer.prompt(messages)
            answer = "{"
            for i, key in enumerate(keys):
                end = "}" if i == len(keys) - 1 else ","
                answer += json.dumps(key, ensure_ascii=False) + ":"
                shortlisted = list(candidates.get(key, ()))[:top]
                choice = self._choose(scorer, prompt + answer, key, shortlisted, end, nulls.get(key))
                choices[key] = choice
                values[key] = choice.value
                answer += " " + json.dumps(choice.value, ensure_ascii=False) + end + ("" if end == "}" else " ")
            info = {
                "reply": answer,
                "input_tokens": len(scorer.tokenize(prompt)),
                "output_tokens": len(scorer.tokenize(prompt + answer)) - len(scorer.tokenize(prompt)),
                "evaluated_tokens": scorer.evaluated,
            }
        return values, choices, info

    def _choose(
        self,
        scorer: ContinuationScorer | None,
        prefix: str,
        key: str,
        scored: list[ScoredCandidate],
        end: str,
        null_prior: float | None = None,
    ) -> FieldChoice:
        opts = self.options
        prop = self.schema["properties"][key]
        prop = prop if isinstance(prop, Mapping) else None
        values: list[Any] = [_typed(s.candidate.text, prop) for s in scored] + [None]
        null_prior = opts.null_prior if null_prior is None else null_prior
        priors = [s.prior for s in scored] + [null_prior]
        texts = [" " + json.dumps(v, ensure_ascii=False) + end for v in values]
        asked = model_asks(priors, opts)
        logprobs: list[list[float]] | None = None
        if scorer and asked:
            logprobs = [[] for _ in values]  # an alternative not asked cannot be written
            for j, lp in zip(asked, scorer.logprobs(prefix, [texts[j] for j in asked]), strict=True):
                logprobs[j] = lp
        p_model, combined, best = combine(logprobs, priors, opts)
        order = [best, *sorted((j for j in range(len(values)) if j != best), key=lambda j: -combined[j])]
        candidate = scored[best].candidate if best < len(scored) else None
        ocr = candidate.ocr_score if candidate is not None else 1.0
        return FieldChoice(
            key=key,
            value=values[best],
            candidate=candidate,
            prior=priors[best],
            model_score=p_model[best] if p_model else None,
            probability=combined[best],
            confidence=combined[best] * ocr,
            alternatives=[(values[j], combined[j]) for j in order[1:]],
            scores=[
                (v, pr, sum(lp), len(lp))
                for v, pr, lp in zip(values, priors, logprobs or [[]] * len(values), strict=True)
            ],
            scored=scored[best] if best < len(scored) else None,
            runner_up=next((scored[j] for j in order if j != best and j < len(scored)), None),
            null_prior=null_prior,
        )
