"""The old path of :class:`~ocr_kie.pipeline.chain.KieExtractor` (the pipeline moved to :mod:`ocr_kie.pipeline`).

docs/examples.md and the custom-examples notebook taught ``from ocr_kie.chain import KieExtractor``;
this alias keeps code written from them working. New code imports
:mod:`ocr_kie.pipeline.chain`; ``build_chain`` and the other public names come from :mod:`ocr_kie`.
"""

from __future__ import annotations

from ocr_kie.pipeline.chain import KieExtractor

__all__ = ["KieExtractor"]
