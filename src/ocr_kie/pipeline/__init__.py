"""The extraction pipeline behind :func:`~ocr_kie.build_chain`, one step per module.

* :mod:`~ocr_kie.pipeline.chain`: ``build_chain`` and :class:`~ocr_kie.pipeline.chain.KieExtractor`,
  where the steps meet (OCR, examples, prompt, strategy, finishing);
* :mod:`~ocr_kie.pipeline.config`: :class:`~ocr_kie.pipeline.config.ExtractionConfig` and the
  choice of strategy;
* :mod:`~ocr_kie.pipeline.prompt`: the system prompt and the multi-turn few-shot prompt;
* :mod:`~ocr_kie.pipeline.fewshot`: the few-shot strategy's re-ask loop;
* :mod:`~ocr_kie.pipeline.grounded`: grounded decoding on a local model (values chosen among the
  page's candidates);
* :mod:`~ocr_kie.pipeline.listing`: candidates offered to an API model and its answer checked
  against them; values copied from the examples;
* :mod:`~ocr_kie.pipeline.documents`: the document's pages as the steps read them (prompt text,
  evidence pages, the OCR summary);
* :mod:`~ocr_kie.pipeline.checks`: checks of the values (dates, checksums, totals …);
* :mod:`~ocr_kie.pipeline.result`: the typed :class:`~ocr_kie.pipeline.result.ExtractionResult`.

This package imports nothing itself (so ``ocr_kie.pipeline.result`` loads without the chain); the
public names are importable from :mod:`ocr_kie`. See docs/design.md for the flow.
"""
