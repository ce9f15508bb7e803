"""Chat models for extraction: one ``llm=`` argument in, a LangChain chat model out.

Example:
    >>> from ocr_kie.llms import resolve_llm
    >>> llm = resolve_llm()                                   # doctest: +SKIP
    >>> llm = resolve_llm("qianfan:ERNIE-4.0-Turbo-8K")       # doctest: +SKIP
    >>> llm = resolve_llm("openai:qwen2.5", base_url="http://127.0.0.1:8000/v1")  # doctest: +SKIP
    >>> llm = resolve_llm("llamacpp:/models/qwen2.5-1.5b-instruct-q4_k_m.gguf")  # doctest: +SKIP
    >>> llm = resolve_llm("embedded:gemma3-270m")             # doctest: +SKIP

The forms (see :func:`resolve_llm`):

* a ``BaseChatModel``: used as is;
* ``"qianfan:<model>"``: ERNIE through Baidu's qianfan SDK (``QIANFAN_AK``/``QIANFAN_SK``);
* ``"openai:<model>"``: any OpenAI-compatible server (OpenAI, Baidu's OpenAI-compatible ERNIE
  endpoint, DeepSeek, Qwen/DashScope, vLLM, Ollama, llama.cpp server);
* ``"llamacpp:<path.gguf>"``: a local GGUF model on llama-cpp-python (:class:`LlamaCppChatModel`);
* ``"embedded:smollm2"``, ``"embedded:gemma3-270m"``: a GGUF model that comes as a wheel, offline;
* ``None``: ERNIE when qianfan credentials are in the environment, else the default embedded
  model (:data:`DEFAULT_EMBEDDED`; smoke-test grade).

The modules, one concern each:

| module | what it holds |
|---|---|
| :mod:`~ocr_kie.llms.resolve` | :func:`resolve_llm` and the table of providers by spec prefix |
| :mod:`~ocr_kie.llms.qianfan` | ERNIE through the qianfan SDK, errors translated, secrets redacted |
| :mod:`~ocr_kie.llms.openai` | OpenAI-compatible servers, errors translated |
| :mod:`~ocr_kie.llms.llamacpp` | :class:`LlamaCppChatModel`, the load cache |
| :mod:`~ocr_kie.llms.guard` | the repetition guard of the local model |
| :mod:`~ocr_kie.llms.scoring` | :class:`ContinuationScorer` (grounded decoding) |
| :mod:`~ocr_kie.llms.chat_format` | messages rendered as the local model's prompt text |
| :mod:`~ocr_kie.llms.structured` | the JSON Schema of a call or of ``with_structured_output`` |
| :mod:`~ocr_kie.llms.embedded` | the embedded models and where their GGUF files come from |
| :mod:`~ocr_kie.llms.binding` | :func:`bind_schema`, the one place ``max_tokens`` is applied, :func:`with_llm_errors` |
| :mod:`~ocr_kie.llms.errors` | provider errors translated into :class:`~ocr_kie.errors.LlmCallError` |
| :mod:`~ocr_kie.llms.tokens` | context windows and token counts, offline |
"""

from ocr_kie.cpus import physical_cores
from ocr_kie.llms.binding import bind_schema, token_limit, with_llm_errors
from ocr_kie.llms.embedded import (
    DEFAULT_EMBEDDED,
    EMBEDDED_GGUF,
    EMBEDDED_MODELS,
    EmbeddedModel,
    embedded_model_path,
)
from ocr_kie.llms.llamacpp import DEFAULT_MAX_TOKENS, LlamaCppChatModel
from ocr_kie.llms.qianfan import DEFAULT_QIANFAN_MODEL, qianfan_credentials_in_env
from ocr_kie.llms.resolve import DEFAULT_REQUEST_RETRIES, DEFAULT_TIMEOUT, PROVIDERS, resolve_llm
from ocr_kie.llms.scoring import ContinuationScorer
from ocr_kie.llms.tokens import (
    DEFAULT_CONTEXT_WINDOW,
    KNOWN_CONTEXT_WINDOWS,
    context_window,
    estimate_tokens,
    token_counter,
)

__all__ = [
    "DEFAULT_CONTEXT_WINDOW",
    "DEFAULT_EMBEDDED",
    "DEFAULT_MAX_TOKENS",
    "DEFAULT_QIANFAN_MODEL",
    "DEFAULT_REQUEST_RETRIES",
    "DEFAULT_TIMEOUT",
    "EMBEDDED_GGUF",
    "EMBEDDED_MODELS",
    "KNOWN_CONTEXT_WINDOWS",
    "PROVIDERS",
    "ContinuationScorer",
    "EmbeddedModel",
    "LlamaCppChatModel",
    "bind_schema",
    "context_window",
    "embedded_model_path",
    "estimate_tokens",
    "physical_cores",
    "qianfan_credentials_in_env",
    "resolve_llm",
    "token_counter",
    "token_limit",
    "with_llm_errors",
]
