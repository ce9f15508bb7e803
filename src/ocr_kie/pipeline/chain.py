"""``build_chain()``: image → OCR → few-shot multi-turn prompt → LLM → parsed, grounded dict.

Two strategies (``strategy=``): ``"fewshot"`` lets the model write the JSON answer (with a
JSON-schema grammar where the backend has one); ``"grounded"`` makes it choose each value among
the page's candidates (:mod:`ocr_kie.pipeline.grounded`); ``"auto"`` (the default) is grounded for
local llama.cpp models and few-shot for the others.

Every stage is a LangChain Runnable, so the chain supports ``invoke``/``batch``/``ainvoke``/
``abatch`` (batch concurrency through ``config={"max_concurrency": N}``), composes with ``|`` and
becomes an agent tool with ``chain.as_tool(...)``.

This module is where the steps meet (OCR, examples, prompt, strategy, finishing: grounding, the
guards and the typed result); the steps live in their own modules of :mod:`ocr_kie.pipeline`
(the settings in :mod:`~ocr_kie.pipeline.config`, the re-ask loop in
:mod:`~ocr_kie.pipeline.fewshot`, the result in :mod:`~ocr_kie.pipeline.result`; see
docs/design.md for the flow).
"""

from __future__ import annotations

import logging
import os
import threading
import time
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.documents import Document
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, SystemMessage
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable, RunnableConfig, RunnableLambda
from langchain_core.runnables.config import run_in_executor
from pydantic import BaseModel

from ocr_kie.cache import OcrCache
from ocr_kie.candidates import ScoredCandidate
from ocr_kie.candidates.profiles import KeyProfile, learn_profiles
from ocr_kie.errors import EmptyInputError, ExampleError, InvalidImageError, NoTextError
from ocr_kie.examples import BudgetedExampleSelector, Example, Relevance, as_examples, load_examples
from ocr_kie.grounding import drop_ungrounded, ground, without_instructions
from ocr_kie.guard import Fit, check_fit, drop_unfit
from ocr_kie.images import source_name
from ocr_kie.llms import LlamaCppChatModel, bind_schema, context_window, resolve_llm, token_counter, with_llm_errors
from ocr_kie.loader import PPOCRLoader
from ocr_kie.ocr import OcrEngine, get_engine
from ocr_kie.parser import KieOutputParser
from ocr_kie.pipeline.checks import Checks, apply_checks, run_checks, without_checks
from ocr_kie.pipeline.config import ExtractionConfig, Strategy, resolve_strategy
from ocr_kie.pipeline.documents import evidence_pages, nulled_evidence, ocr_summary, page_text
from ocr_kie.pipeline.fewshot import Attempts
from ocr_kie.pipeline.grounded import (
    FieldChoice,
    GroundedDecoder,
    GroundedOptions,
    scoring_messages,
    shape_check,
    shortlist,
)
from ocr_kie.pipeline.listing import candidate_listing, check_against_candidates, copied_from_examples
from ocr_kie.pipeline.prompt import as_messages, build_prompt, document_turns, example_turn_group
from ocr_kie.pipeline.result import ExtractionResult, FieldResult, Timings, Usage, field_details
from ocr_kie.schema import default_max_tokens, schema_from_spec

logger = logging.getLogger(__name__)

#: Tokens kept free besides the answer, for chat-template overhead.
PROMPT_MARGIN = 64
#: Keys of a dict input that name the image (so the chain works as an agent tool).
_SOURCE_KEYS = ("image", "source", "path", "file")

#: What the chain returns: the values, or with ``return_details=True`` the typed result.
Output = dict[str, Any] | ExtractionResult


class KieExtractor:
    """The configured pipeline behind :func:`build_chain`.

    Args:
        spec: The keys, a JSON Schema or a pydantic model class.
        examples: The worked examples.
        llm: The chat model (already resolved).
        ocr: An OCR engine or its registry name.
        cache: The OCR cache, if any.
        config: The rest of the settings.
    """

    def __init__(
        self,
        spec: Any,
        *,
        examples: Sequence[Example | Mapping[str, Any]],
        llm: BaseChatModel,
        ocr: OcrEngine | str | None = None,
        cache: OcrCache | None = None,
        config: ExtractionConfig | None = None,
    ) -> None:
        self.config = config or ExtractionConfig()
        self.schema = schema_from_spec(spec)
        self.parser = KieOutputParser(schema=self.schema, max_reply_chars=self.config.max_reply_chars)
        self.examples = as_examples(examples)
        self.llm = llm
        self._ocr = ocr
        self.cache = cache
        self.count_tokens = token_counter(llm)
        bound = bind_schema(llm, without_checks(self.schema), max_tokens=self.config.max_tokens)
        self.model = with_llm_errors(bound, llm)
        self._selector: BudgetedExampleSelector | None = None
        self._prompt: ChatPromptTemplate | None = None
        self._usable: list[tuple[Example, list[Document]]] | None = None
        self._profiles: dict[str, KeyProfile] | None = None
        self._examples_lock = threading.Lock()
        #: Messages about examples that could not be used (unreadable images, values not on their page).
        self.example_warnings: list[str] = []
        self.strategy = resolve_strategy(self.config.strategy, llm, self.schema)
        self.decoder = (
            GroundedDecoder(llm, self.schema, self.config.grounded)
            if self.strategy == "grounded" and isinstance(llm, LlamaCppChatModel)
            else None
        )

    def as_runnable(self) -> Runnable[Any, Output]:
        """The pipeline as a LangChain Runnable: ``ocr`` then ``extract``."""
        chain = RunnableLambda(self.documents, name="ocr") | RunnableLambda(
            self.extract, afunc=self.aextract, name="extract"
        )
        return chain.with_config(run_name="ocr_kie")

    # -- OCR -----------------------------------------------------------------------------------

    @property
    def engine(self) -> OcrEngine:
        if not isinstance(self._ocr, OcrEngine):
            self._ocr = get_engine(self._ocr or "paddle")
        return self._ocr

    def documents(self, source: Any) -> dict[str, Any]:
        """OCR the input (or take the given Documents): ``{"docs", "ocr_seconds"}``.

        Raises:
            InvalidImageError: A dict input without an image key (the message names the keys).
            EmptyInputError: Nothing to read (``[]``, a folder with no image or PDF).
            NoTextError: The OCR found no text: the LLM is not asked (it would only guess).
        """
        start = time.perf_counter()
        if isinstance(source, Mapping) and not isinstance(source, Document):
            found = [source[k] for k in _SOURCE_KEYS if k in source]
            if not found:
                keys = ", ".join(repr(k) for k in _SOURCE_KEYS)
                raise InvalidImageError(
                    f"a dict input needs one of the keys {keys} naming the image, got {sorted(map(str, source))}",
                    source="<dict>",
                )
            source = found[0]
        if isinstance(source, Document):
            docs = [source]
        elif isinstance(source, Sequence) and source and all(isinstance(d, Document) for d in source):
            docs = list(source)
        else:
            docs = PPOCRLoader(source, engine=self.engine, cache=self.cache).load()
        if not docs:
            raise EmptyInputError("nothing to read (an empty list of sources)", source=_input_name(source))
        if not any(d.page_content.strip() for d in docs):
            pages = "the page" if len(docs) == 1 else f"any of the {len(docs)} pages"
            raise NoTextError(
                f"the OCR found no text on {pages}; the LLM was not asked",
                source=str(docs[0].metadata.get("source", _input_name(source))),
            )
        return {"docs": docs, "ocr_seconds": time.perf_counter() - start}

    def _load(self, image: Any) -> list[Document]:
        return PPOCRLoader(image, engine=self.engine, cache=self.cache).load()

    # -- examples ---------------------------------------------------------------------------------

    @property
    def usable_examples(self) -> list[tuple[Example, list[Document]]]:
        """The examples with their pages (images OCR'd once); unreadable ones are warned about and left out."""
        with self._examples_lock:
            if self._usable is None:
                usable = []
                for i, ex in enumerate(self.examples, start=1):
                    try:
                        usable.append((ex, ex.documents(self._load, index=i)))
                    except ExampleError as e:
                        self.example_warnings.append(str(e))
                        warnings.warn(f"{e} (going on with the other examples)", UserWarning, stacklevel=2)
                self._usable = usable
            return self._usable

    @property
    def profiles(self) -> dict[str, KeyProfile]:
        """Each key's profile learned from the usable examples, built once.

        See :func:`ocr_kie.candidates.profiles.learn_profiles`.
        """
        if self._profiles is None:
            usable = self.usable_examples
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                profiles = learn_profiles(list(self.schema["properties"]), [(docs, ex.values) for ex, docs in usable])
            for w in caught:
                self.example_warnings.append(str(w.message))
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
            self._profiles = profiles
        return self._profiles

    # -- prompt ---------------------------------------------------------------------------------

    @property
    def selector(self) -> BudgetedExampleSelector:
        """The example history, built on first use (example images are OCR'd then, once)."""
        if self._selector is None:
            groups = [
                example_turn_group(page_text(docs), ex.values, self.schema, self.config.max_message_chars)
                for ex, docs in self.usable_examples
            ]
            self._selector = BudgetedExampleSelector(groups, self.count_tokens, self.config.relevance)
        return self._selector

    @property
    def prompt(self) -> ChatPromptTemplate:
        """The few-shot multi-turn prompt over :attr:`selector`, built once."""
        if self._prompt is None:
            self._prompt = build_prompt(self.selector)
        return self._prompt

    def candidates(self, docs: list[Document]) -> dict[str, list[ScoredCandidate]]:
        """Each key's candidates on these pages (lines that read like instructions to the model excluded)."""
        return self.shortlist(docs)[0]

    def shortlist(self, docs: list[Document]) -> tuple[dict[str, list[ScoredCandidate]], dict[str, float]]:
        """Each key's candidates ranked by its profile, and null's prior per key (see :func:`shortlist`)."""
        return self._shortlist(without_instructions(docs))

    def _shortlist(self, evidence_docs: list[Document]) -> tuple[dict[str, list[ScoredCandidate]], dict[str, float]]:
        return shortlist(evidence_docs, self.schema, self.config.grounded, self.profiles)

    def candidates_of(self, state: dict[str, Any]) -> dict[str, list[ScoredCandidate]]:
        """:meth:`candidates` of a document's state (its pages without instruction-like lines, made once)."""
        return self._shortlist(evidence_pages(state))[0]

    def messages(
        self, docs: list[Document], candidates: Mapping[str, Sequence[ScoredCandidate]] | None = None
    ) -> tuple[list[BaseMessage], dict[str, Any]]:
        """The prompt's messages for these pages, and what went into it.

        With ``candidates``, the last human turn offers them (see :func:`ocr_kie.pipeline.grounded.candidate_listing`).
        """
        cfg = self.config
        text = page_text(docs)
        turns = document_turns(text, self.schema, cfg.max_message_chars)
        if candidates is not None:
            role, last = turns[-1]
            turns = [*turns[:-1], (role, f"{last}\n\n{candidate_listing(candidates)}")]
        document = as_messages(turns)
        fixed = self.count_tokens(cfg.system_prompt) + sum(self.count_tokens(str(m.content)) + 4 for m in document)
        window = cfg.context_window or context_window(self.llm)
        budget = cfg.example_budget
        if budget is None:
            budget = max(window - fixed - cfg.max_tokens - PROMPT_MARGIN, 0)
        used = self.selector.select(text, budget)  # what the template chooses: selection is deterministic
        info = {"examples_used": used, "example_budget": budget, "context_window": window}
        if self.decoder is not None and cfg.grounded.scoring_prompt == "answers":
            used = sorted(used)  # the examples' answers only, in the user's order (see grounded.scoring_messages)
            answers = [self.selector.groups[i][-1]["output"] for i in used]
            return scoring_messages(cfg.system_prompt, answers, document), {**info, "examples_used": used}
        if self.decoder is not None and cfg.grounded.scoring_examples is not None:
            used = used[len(used) - cfg.grounded.scoring_examples :] if cfg.grounded.scoring_examples else []
            info["examples_used"] = used
        if self.decoder is not None and cfg.grounded.stable_examples:
            # The chosen examples in the user's order: the prompt up to the document is then the same
            # for every document and stays in llama.cpp's KV cache (evaluated once, not per document).
            used = sorted(used)
            info["examples_used"] = used
            turns = [t for i in used for t in self.selector.groups[i]]
            pairs = (("human", "input"), ("ai", "output"))
            history = as_messages([(role, t[key]) for t in turns for role, key in pairs])
            return [SystemMessage(cfg.system_prompt), *history, *document], info
        value = self.prompt.invoke(
            {"system": cfg.system_prompt, "text": text, "example_budget": budget, "document": document}
        )
        return value.to_messages(), info

    # -- LLM + parser with re-asks ---------------------------------------------------------------

    def extract(self, state: dict[str, Any], config: RunnableConfig | None = None) -> Output:
        """Prompt the LLM (re-asking on unusable replies) and ground the values."""
        if self.decoder is not None:
            return self.decode(state)
        attempts = Attempts(self, state)
        while attempts.pending:
            attempts.take(self.model.invoke(attempts.messages, config))
        return attempts.result()

    async def aextract(self, state: dict[str, Any], config: RunnableConfig | None = None) -> Output:
        """Async :meth:`extract`."""
        if self.decoder is not None:
            return await run_in_executor(config, self.decode, state)
        attempts = Attempts(self, state)
        while attempts.pending:
            attempts.take(await self.model.ainvoke(attempts.messages, config))
        return attempts.result()

    def decode(self, state: dict[str, Any]) -> Output:
        """Grounded decoding on a local model: each value chosen among the page's candidates."""
        assert self.decoder is not None
        start = time.perf_counter()
        candidates, nulls = self._shortlist(evidence_pages(state))
        messages, info = self.messages(state["docs"], candidates if self.config.grounded.show_candidates else None)
        values, choices, out = self.decoder.decode(messages, candidates, nulls)
        usage = {"input_tokens": out["input_tokens"], "output_tokens": out["output_tokens"]}
        info = {**info, "evaluated_tokens": out["evaluated_tokens"]}
        seconds = time.perf_counter() - start
        return self.finish(values, state, [out["reply"]], [usage], seconds, info, choices=choices)

    def finish(
        self,
        values: dict,
        state: dict,
        replies: list[str],
        usage: list[Any],
        llm_seconds: float,
        info: dict,
        *,
        choices: Mapping[str, FieldChoice] | None = None,
        candidates: Mapping[str, Sequence[ScoredCandidate]] | None = None,
    ) -> Output:
        """The parsed values of a document, checked and grounded: the values or the typed result.

        The last step of :meth:`extract` and :meth:`decode` (and of the re-ask loop).

        Args:
            values: The parsed (or decoded) values.
            state: The document's state from :meth:`documents`.
            replies: Every reply of the model, oldest first.
            usage: Each reply's ``usage_metadata``.
            llm_seconds: The time spent with the model.
            info: What went into the prompt (examples used, budget, context window …).
            choices: Grounded decoding's choice per key.
            candidates: The candidates an API model was offered (its answer must be one of them).
        """
        # Lines that read like instructions to the model are no evidence (prompt injection).
        docs = evidence_pages(state)
        evidence = ground(values, docs)
        # A value an example shows but the document does not hold was copied, not read.
        copied = copied_from_examples(values, [ex.values for ex in self.examples], evidence)
        rejected: list[str] = []
        answered = values
        if candidates is not None:  # an API model offered candidates: its answer must be one of them
            values, rejected = check_against_candidates(values, candidates, evidence)
        values = {k: (None if k in copied else v) for k, v in values.items()}
        evidence = nulled_evidence(evidence, answered, values, [*copied, *rejected], docs)
        dropped: list[str] = []
        fits: dict[str, Fit] = {}
        unfit: list[str] = []
        if self.config.require_grounding:  # on the page, and where the key's value sits (the injection guard)
            values, dropped = drop_ungrounded(values, evidence)
            fits = check_fit(values, state["docs"], self.schema["properties"], self.profiles)
            values, unfit = drop_unfit(values, fits)
        if not self.config.return_details:
            return values
        fields = field_details(values, evidence, choices)
        shapes = shape_check(values, self.profiles) if choices is None else {}
        for key, fit in shapes.items():  # a shape no example has: low confidence, the value is kept as answered
            fields[key]["shape_fit"] = fit
            if fit < 0.5 and fields[key]["confidence"] is not None:
                fields[key]["confidence"] = round(min(fields[key]["confidence"], 0.1), 4)
        tokens = {"input_tokens": 0, "output_tokens": 0}
        for u in usage:
            for k in tokens:
                tokens[k] += int((u or {}).get(k, 0) or 0)
        checks_failed = apply_checks(fields, run_checks(values, self.schema, self.config.checks))
        return ExtractionResult(
            values=values,
            evidence=evidence,
            fields={k: FieldResult(**f) for k, f in fields.items()},
            checks_failed=checks_failed,
            ocr=ocr_summary(state["docs"]),
            shape_mismatch=sorted(k for k, fit in shapes.items() if fit < 0.5),
            example_warnings=list(self.example_warnings),
            strategy=self.strategy,
            dropped_ungrounded=dropped,
            dropped_unfit=unfit,
            guard=fits,
            dropped_copied=copied,
            rejected_not_candidates=rejected,
            reply=replies[-1],
            replies=replies,
            attempts=len(replies),
            usage=Usage(**tokens),
            timings=Timings(ocr_seconds=state["ocr_seconds"], llm_seconds=llm_seconds),
            pages=len(state["docs"]),
            **info,
        )


def _input_name(source: Any) -> str:
    if isinstance(source, (list, tuple)):
        return f"<{type(source).__name__} of {len(source)} sources>"
    return source_name(source)


def build_chain(
    keys: Sequence[str] | None = None,
    *,
    schema: Mapping[str, Any] | type[BaseModel] | None = None,
    examples: Sequence[Example | Mapping[str, Any]] | str | os.PathLike[str] = (),
    llm: BaseChatModel | str | None = None,
    ocr: OcrEngine | str | None = None,
    cache: OcrCache | bool = True,
    config: ExtractionConfig | None = None,
    max_retries: int | None = None,
    return_details: bool | None = None,
    require_grounding: bool | None = None,
    example_budget: int | None = None,
    context_window: int | None = None,
    max_message_chars: int | None = None,
    max_tokens: int | None = None,
    max_reply_chars: int | None = None,
    system_prompt: str | None = None,
    relevance: Relevance | None = None,
    strategy: Strategy | None = None,
    grounded: GroundedOptions | None = None,
    checks: Checks | bool | None = None,
    **llm_kwargs: Any,
) -> Runnable[Any, Output]:
    """Build the extraction chain: image in, ``{key: value or None}`` out.

    Example:
        >>> chain = build_chain(["可用额度", "账单日", "到期还款日"], examples="examples.jsonl")  # doctest: +SKIP
        >>> chain.invoke("screenshot.png")  # doctest: +SKIP
        {'可用额度': '12,000.00', '账单日': '每月5日', '到期还款日': None}
        >>> settings = ExtractionConfig(max_retries=0, require_grounding=True)
        >>> chain = build_chain(["total"], config=settings, return_details=True)  # doctest: +SKIP

    The settings from ``max_retries`` to ``checks`` are those of :class:`ExtractionConfig`: give
    them one by one, or as ``config=``; a keyword given (not None) overrides the config's value.

    Args:
        keys: The keys to extract (any language). Give this or ``schema``.
        schema: A JSON Schema of an object (descriptions, types, ``pattern``, ``enum``, arrays of
            objects for line items) or a pydantic model class. The output is validated against it.
        examples: Worked examples (:class:`~ocr_kie.examples.Example` objects, or dicts of the same
            fields: ``values`` and ``text`` or ``image``), or the path of a JSON Lines file of them.
        llm: A chat model, or a spec: ``"qianfan:<model>"``, ``"openai:<model>"``,
            ``"llamacpp:<path.gguf>"``; None for the default (see :func:`ocr_kie.llms.resolve_llm`).
        ocr: An OCR engine or its registry name (default: the shared ``paddle`` engine).
        cache: Cache OCR by image content (True: in memory; or an :class:`OcrCache`, e.g. on disk).
        config: The settings below as one :class:`ExtractionConfig` (the keywords override it).
        max_retries: Re-asks after an unusable reply (the reply and its errors go back to the
            model); default 2.
        return_details: Return an :class:`~ocr_kie.pipeline.result.ExtractionResult` (values, fields with
            their evidence and confidence, replies, usage, timings) instead of the plain dict.
        require_grounding: Set values that cannot be found in the document to None (a guard
            against invented values and instructions hidden in the image's text).
        example_budget: Tokens for the example history; default: what the context window leaves.
        context_window: The model's context size in tokens, when it is not known.
        max_message_chars: Split OCR text over several turns so no message exceeds this.
        max_tokens: The most tokens an answer may take (default: derived from the keys).
        max_reply_chars: The most characters of a reply the parser reads (default 100,000): a
            server that sends megabytes of garbage is refused in linear time, and only this much
            of a bad reply goes back to the model with the re-ask.
        system_prompt: The task and the rules.
        relevance: Ranks examples against the document (default: character-bigram similarity).
        strategy: ``"grounded"``: each value is chosen among the page's candidates (local models:
            scored by the model's log-probabilities; API models: offered in the prompt and the
            answer checked against them); ``"fewshot"``: the model writes the JSON answer;
            ``"auto"``: grounded for local llama.cpp models, fewshot for the others. See
            docs/small-models.md.
        grounded: Options of the grounded strategy (candidates per key, weights).
        checks: Checks of the values (:mod:`ocr_kie.pipeline.checks`): True for the built-in ones (dates,
            amounts, ID and card checksums, totals, tax, 大写金额), False for none, or user checks
            by key (``{"total": fn}``) on top of them. Their verdicts go into the details'
            ``fields[key]["checks"]`` and a failed one lowers that field's confidence; they
            never change a value.
        **llm_kwargs: Passed to :func:`ocr_kie.llms.resolve_llm` (``base_url``, ``api_key``, ``timeout``,
            ``request_retries``, …).

    Returns:
        A Runnable taking a path, bytes, PIL image, numpy array, Document, list of Documents, or
        a dict with an ``"image"`` key.
    """
    given = {name: value for name, value in locals().items() if name in ExtractionConfig.model_fields}
    if (keys is None) == (schema is None):
        raise ValueError("give either keys=[...] or schema={...}")
    spec: Any = keys if keys is not None else schema
    if isinstance(examples, (str, os.PathLike)):
        examples = load_examples(examples)
    settings = dict(config or ExtractionConfig())
    settings.update({name: value for name, value in given.items() if value is not None})
    if max_tokens is None and (config is None or "max_tokens" not in config.model_fields_set):
        settings["max_tokens"] = default_max_tokens(schema_from_spec(spec))
    options = ExtractionConfig(**settings)
    extractor = KieExtractor(
        spec,
        examples=examples,
        llm=resolve_llm(llm, max_tokens=options.max_tokens, **llm_kwargs),
        ocr=ocr,
        cache=OcrCache() if cache is True else (cache or None),
        config=options,
    )
    return extractor.as_runnable()
