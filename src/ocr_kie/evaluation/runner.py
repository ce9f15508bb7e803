"""``evaluate()``: run the extraction chain over a labelled dataset and score it.

Example:
    >>> from ocr_kie.evaluation import evaluate
    >>> report = evaluate("datasets/sroie", keys=["company", "date", "total"], limit=20)  # doctest: +SKIP
    >>> print(report.to_markdown())  # doctest: +SKIP
    >>> report.write("eval-out")  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import hashlib
import inspect
import logging
import os
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from pydantic import BaseModel

from ocr_kie.cache import OcrCache
from ocr_kie.evaluation.caching import (
    CountingCache,
    ResultCache,
    code_fingerprint,
    default_cache_dir,
    sqlite_llm_cache,
)
from ocr_kie.evaluation.dataset import Dataset, LabelledDocument, dataset_examples, label_keys, load_labelled_dataset
from ocr_kie.evaluation.flags import flag_metrics
from ocr_kie.evaluation.metrics import (
    FUZZY_THRESHOLD,
    LENIENT_THRESHOLD,
    Counts,
    is_null,
    ocr_ceiling,
    score_value,
    value_in_text,
)
from ocr_kie.evaluation.report import DocumentResult, EvaluationReport, machine_info, stats
from ocr_kie.examples import Example, load_examples
from ocr_kie.llms import resolve_llm
from ocr_kie.loader import PPOCRLoader
from ocr_kie.ocr import OcrEngine, get_engine
from ocr_kie.pipeline.chain import build_chain
from ocr_kie.pipeline.checks import run_checks
from ocr_kie.pipeline.config import resolve_strategy
from ocr_kie.pipeline.documents import ocr_summary, page_text
from ocr_kie.pipeline.result import ExtractionResult
from ocr_kie.schema import default_max_tokens, schema_from_spec

__all__ = ["evaluate"]

logger = logging.getLogger(__name__)


def evaluate(
    dataset: str | os.PathLike[str] | Sequence[LabelledDocument] | Dataset,
    keys: Sequence[str] | None = None,
    *,
    schema: Mapping[str, Any] | type[BaseModel] | None = None,
    examples: Sequence[Example] | str | os.PathLike[str] | None = None,
    example_ids: Sequence[str] | None = None,
    llm: BaseChatModel | str | None = None,
    ocr: OcrEngine | str | None = None,
    cache_dir: str | os.PathLike[str] | bool | None = None,
    limit: int | None = None,
    lenient_threshold: float = LENIENT_THRESHOLD,
    progress: bool = False,
    **chain_kwargs: Any,
) -> EvaluationReport:
    """Extract every document of a labelled dataset with :func:`ocr_kie.build_chain` and score it.

    Documents are processed one after the other: OCR (through the OCR cache), then the chain on
    the OCR'd pages with ``return_details=True``. A document that fails (a corrupt image, an
    unusable reply, an LLM error) is recorded in the report's failures, scored as if it had
    answered null for every key, and the rest are evaluated.

    Args:
        dataset: A dataset folder (``images/``, ``labels/``, optional ``dataset.json``), a
            :class:`Dataset`, or a list of :class:`LabelledDocument`.
        keys: The keys to extract and score; default: ``dataset.json``'s ``keys``, else the
            schema's properties, else the union of the label keys.
        schema: A JSON Schema or pydantic model for the chain instead of plain keys.
        examples: Worked examples or a JSON Lines file of them; default: the file named by
            ``dataset.json``'s ``examples``, if any.
        example_ids: Ids of dataset documents to use as examples (added to ``examples``); they
            are not evaluated.
        llm: A chat model or spec, as for :func:`ocr_kie.build_chain` (default: resolved there).
        ocr: An OCR engine or its registry name (default ``"paddle"``).
        cache_dir: Where to cache OCR results (``<dir>/ocr``) and LLM replies
            (``<dir>/llm.sqlite``) across runs; None for :func:`default_cache_dir`, False for no
            cache on disk.
        limit: Evaluate only the first N documents (after removing ``example_ids``).
        lenient_threshold: The similarity at which a value counts as leniently right.
        progress: Show a progress bar (tqdm) on stderr.
        **chain_kwargs: Passed to :func:`ocr_kie.build_chain` (``strategy=``,
            ``require_grounding=``, ``example_budget=``, ``max_tokens=`` …); the ones it does not
            name go to :func:`ocr_kie.llms.resolve_llm` (``n_threads=``, ``base_url=`` …).

    Returns:
        The :class:`EvaluationReport`.

    Raises:
        FileNotFoundError: The dataset folder is incomplete.
        ValueError: Bad labels, unknown example ids, or no keys to score.
    """
    started = dt.datetime.now(dt.timezone.utc)
    wall_start = time.perf_counter()
    data = _as_dataset(dataset)
    if keys is None:
        keys = _schema_keys(schema) if schema is not None else data.keys
    keys = list(keys)
    if not keys:
        raise ValueError("no keys to evaluate: pass keys=[...] or give the dataset a dataset.json with 'keys'")

    shots: list[Example] = []
    examples_source = None
    if examples is None and data.examples is not None:
        examples = data.examples
    if isinstance(examples, (str, os.PathLike)):
        examples_source = str(examples)
        shots = load_examples(examples)
    elif examples:
        shots = list(examples)
    documents = data.documents
    if example_ids:
        extra, documents = dataset_examples(documents, list(example_ids), keys)
        shots += extra
    documents = documents[:limit] if limit is not None else documents

    ocr_cache, llm_cache, cache_root = _caches(cache_dir)
    engine = ocr if isinstance(ocr, OcrEngine) else get_engine(ocr or "paddle")
    spec: Any = schema if schema is not None else keys
    max_tokens = chain_kwargs.get("max_tokens") or default_max_tokens(schema_from_spec(spec))
    chain_params = set(inspect.signature(build_chain).parameters)
    llm_kwargs = {k: chain_kwargs[k] for k in chain_kwargs if k not in chain_params}
    model = resolve_llm(llm, max_tokens=max_tokens, **llm_kwargs)
    if llm_cache is not None:
        model = model.model_copy(update={"cache": llm_cache})
    chain_args = {k: v for k, v in chain_kwargs.items() if k in chain_params}
    chain_args.update(examples=shots, llm=model, ocr=engine, cache=ocr_cache, return_details=True)
    chain = build_chain(keys if schema is None else None, schema=schema, **chain_args)
    strategy = resolve_strategy(chain_kwargs.get("strategy", "auto"), model, schema_from_spec(spec))
    result_cache = None
    if cache_root is not None and strategy == "grounded":  # its model calls bypass LangChain's cache
        salt = {
            "llm": _llm_string(model),
            "schema": schema_from_spec(spec),
            "examples": [_example_fingerprint(ex) for ex in shots],
            "chain": {k: repr(v) for k, v in sorted(chain_kwargs.items())},
            "strategy": strategy,
            "code": code_fingerprint(*_PROMPT_MODULES),
        }
        result_cache = ResultCache(cache_root / "results", salt)

    machine_start = machine_info()
    results: list[DocumentResult] = []
    iterator: Any = documents
    if progress:
        from tqdm import tqdm

        iterator = tqdm(documents, desc="evaluate", unit="doc", file=sys.stderr)
    checks = chain_kwargs.get("checks", True)
    for doc in iterator:
        results.append(_run_one(doc, keys, chain, engine, ocr_cache, llm_cache, result_cache, lenient_threshold))
        verdicts = run_checks(results[-1].predicted, schema_from_spec(spec), checks)
        results[-1].checks = {k: [v.model_dump() for v in vs] for k, vs in verdicts.items()}
    wall_seconds = time.perf_counter() - wall_start

    texts = {r.id: r.ocr_text for r in results if r.ocr_text is not None}
    per_key = {}
    overall = Counts()
    for key in keys:
        counts = Counts()
        for doc, result in zip(documents, results, strict=True):
            score = score_value(result.predicted.get(key), doc.labels.get(key), lenient_threshold)
            counts.add(score, doc.labels.get(key), lenient_threshold)
            overall.add(score, doc.labels.get(key), lenient_threshold)
        per_key[key] = counts.summary()
    ceiling = ocr_ceiling(documents, texts, keys)
    labelled = sum(c["n"] for c in ceiling.values())
    ceiling_overall = {
        "exact": sum(c["exact"] * c["n"] for c in ceiling.values()) / labelled if labelled else 0.0,
        "fuzzy": sum(c["fuzzy"] * c["n"] for c in ceiling.values()) / labelled if labelled else 0.0,
        "n": labelled,
    }
    done = [r for r in results if r.error is None]
    tokens_in = [r.input_tokens for r in done]
    tokens_out = [r.output_tokens for r in done]
    return EvaluationReport(
        dataset={
            "name": data.name,
            "path": str(data.root) if data.root else None,
            "documents": len(documents),
            "examples": len(shots),
            "examples_source": examples_source,
            "example_ids": list(example_ids or []),
            "limit": limit,
            **({"meta": data.meta} if data.meta else {}),
        },
        keys=keys,
        settings={
            "llm": _llm_name(model),
            "llm_class": type(model).__name__,
            "strategy": ", ".join(sorted({r.strategy for r in done if r.strategy}))
            or chain_kwargs.get("strategy", "auto"),
            "ocr": engine.name,
            "ocr_model": engine.model,
            "lenient_threshold": lenient_threshold,
            "fuzzy_threshold": FUZZY_THRESHOLD,
            "chain_kwargs": {
                k: repr(v) if not isinstance(v, (str, int, float, bool, type(None))) else v
                for k, v in chain_kwargs.items()
            },
            "cache_dir": str(cache_root) if cache_root else None,
        },
        machine={**machine_start, "load_average_end": machine_info()["load_average"]},
        date=started.isoformat(timespec="seconds"),
        metrics={"per_key": per_key, "overall": overall.summary(), "checks": flag_metrics(results, keys)},
        ceiling={"per_key": ceiling, "overall": ceiling_overall},
        timings={
            "wall_seconds": wall_seconds,
            "documents_per_minute": 60 * len(documents) / wall_seconds if wall_seconds else 0.0,
            "ocr": stats([r.ocr_seconds for r in results if r.ocr_text is not None and r.ocr_seconds is not None]),
            "llm": stats([r.llm_seconds for r in done if r.llm_seconds is not None]),
            "document": stats([(r.ocr_seconds or 0.0) + (r.llm_seconds or 0.0) for r in done]),
        },
        tokens={
            "input": stats(tokens_in, total=True),
            "output": stats(tokens_out, total=True),
        },
        cache={
            "ocr_hits": sum(bool(r.ocr_cached) for r in results),
            "llm_hits": sum(bool(r.llm_cached) for r in done),
            "documents": len(results),
            "ocr_on_disk": bool(ocr_cache.directory),
            "llm_on_disk": llm_cache is not None,
            "llm_cache_kind": "results" if result_cache is not None else ("replies" if llm_cache is not None else None),
        },
        documents=results,
    )


#: Modules whose code decides the prompt and the answer (part of the result cache's key).
_PROMPT_MODULES = (
    "ocr_kie.pipeline",
    "ocr_kie.candidates",
    "ocr_kie.page",
    "ocr_kie.examples",
    "ocr_kie.grounding",
    "ocr_kie.parser",
    "ocr_kie.schema",
    "ocr_kie.llms",
)
#: What the result cache keeps of the chain's details.
_CACHED_DETAILS = ("values", "usage", "attempts", "strategy", "examples_used", "fields")


def _llm_string(model: BaseChatModel) -> str:
    try:
        return model._get_llm_string()
    except Exception:  # any model: fall back to its class and name
        return f"{type(model).__name__}:{_llm_name(model)}"


def _example_fingerprint(example: Example) -> Any:
    image = example.image
    if isinstance(image, (str, os.PathLike)) and Path(image).is_file():
        image = hashlib.sha256(Path(image).read_bytes()).hexdigest()
    elif isinstance(image, (bytes, bytearray)):
        image = hashlib.sha256(image).hexdigest()
    return [example.text, repr(image) if image is not None else None, example.values]


def _as_dataset(dataset: Any) -> Dataset:
    if isinstance(dataset, Dataset):
        return dataset
    if isinstance(dataset, (str, os.PathLike)):
        return load_labelled_dataset(dataset)
    documents = list(dataset)
    if not all(isinstance(d, LabelledDocument) for d in documents):
        raise TypeError("dataset must be a folder, a Dataset or a list of LabelledDocument")
    return Dataset(name="<documents>", root=None, documents=documents, keys=label_keys(documents))


def _schema_keys(schema: Any) -> list[str]:
    return list(schema_from_spec(schema)["properties"])


def _caches(cache_dir: Any) -> tuple[OcrCache, CountingCache | None, Path | None]:
    if cache_dir is False:
        return OcrCache(), None, None  # in memory only: examples are OCR'd once per run
    root = default_cache_dir() if cache_dir in (None, True) else Path(cache_dir).expanduser()
    return OcrCache(directory=root / "ocr"), sqlite_llm_cache(root / "llm.sqlite"), root


def _llm_name(model: BaseChatModel) -> str:
    for attr in ("model_name", "model", "model_id", "deployment_name"):
        value = getattr(model, attr, None)
        if isinstance(value, str) and value:
            return value
    return type(model).__name__


def _run_one(
    doc: LabelledDocument,
    keys: list[str],
    chain: Any,
    engine: OcrEngine,
    ocr_cache: OcrCache,
    llm_cache: CountingCache | None,
    result_cache: ResultCache | None,
    threshold: float,
) -> DocumentResult:
    result = DocumentResult(id=doc.id, image=str(doc.image), expected={k: doc.labels.get(k) for k in keys})
    hits = ocr_cache.hits
    start = time.perf_counter()
    try:
        pages = PPOCRLoader(doc.image, engine=engine, cache=ocr_cache).load()
    except Exception as e:  # one bad document must not stop the evaluation
        result.ocr_seconds = time.perf_counter() - start
        result.fail("ocr", e)
        return _finish(result, keys, threshold)
    result.ocr_seconds = time.perf_counter() - start
    result.ocr_cached = ocr_cache.hits > hits
    result.ocr_text = page_text(pages)
    result.ocr = ocr_summary(pages)
    llm_hits, llm_misses = (llm_cache.hits, llm_cache.misses) if llm_cache else (0, 0)
    start = time.perf_counter()
    key = result_cache.key(pages) if result_cache is not None else None
    cached = result_cache.get(key) if result_cache is not None and key is not None else None
    if cached is not None:
        details = cached
    else:
        try:
            details = chain.invoke(pages)
            if isinstance(details, ExtractionResult):  # read as the dict the result cache keeps
                details = details.model_dump()
        except Exception as e:
            result.llm_seconds = time.perf_counter() - start
            result.fail("extraction", e)
            return _finish(result, keys, threshold)
        if result_cache is not None and key is not None:
            result_cache.put(key, {k: details.get(k) for k in _CACHED_DETAILS})
    if cached is not None:
        result.llm_seconds = time.perf_counter() - start
        result.llm_cached = True
    else:
        result.llm_seconds = float(details["timings"]["llm_seconds"])
        if llm_cache is not None:
            result.llm_cached = llm_cache.hits > llm_hits and llm_cache.misses == llm_misses
    result.predicted = {k: details["values"].get(k) for k in keys}
    result.fields = {k: v for k, v in (details.get("fields") or {}).items() if k in keys}
    result.input_tokens = int(details["usage"]["input_tokens"])
    result.output_tokens = int(details["usage"]["output_tokens"])
    result.attempts = int(details.get("attempts", 1))
    result.strategy = details.get("strategy")
    result.examples_used = len(details.get("examples_used", []) or [])
    return _finish(result, keys, threshold)


def _finish(result: DocumentResult, keys: list[str], threshold: float) -> DocumentResult:
    for key in keys:
        expected, got = result.expected.get(key), result.predicted.get(key)
        score = score_value(got, expected, threshold)
        found = None
        if result.ocr_text is not None and not is_null(expected):
            found = value_in_text(str(expected), result.ocr_text)[1] >= FUZZY_THRESHOLD
        result.scores[key] = {"exact": score.exact, "lenient": score.lenient, "similarity": round(score.similarity, 4),
                              "ocr_found": found}  # fmt: skip
    return result
