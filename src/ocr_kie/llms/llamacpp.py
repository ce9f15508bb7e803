"""Local GGUF models on llama-cpp-python (``"llamacpp:<path.gguf>"``, the embedded models).

Why an own chat model class rather than LangChain's ``ChatLlamaCpp``: that class builds a new
``llama_cpp.Llama`` in its validator for every instance (no sharing of a loaded model), forces
``rope_freq_base=10000`` (SmolLM2's GGUF says 100000: answers degrade), and reports no
``usage_metadata``. :class:`LlamaCppChatModel` shares one ``Llama`` per (path, n_ctx, n_threads)
in the process (the load cache, :func:`_load`), keeps the GGUF's rope settings
(``rope_freq_base=0`` means "from the model" in llama.cpp), decodes greedily with
``repeat_penalty=1.0``, takes a JSON Schema per call (grammar-constrained decoding), stops runaway
repetition (:mod:`ocr_kie.llms.guard`) and scores continuations for grounded decoding
(:meth:`LlamaCppChatModel.scorer`, :mod:`ocr_kie.llms.scoring`).
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any, ClassVar

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LangSmithParams, LanguageModelInput
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableMap, RunnablePassthrough
from pydantic import Field, ValidationError, field_validator

from ocr_kie.amx import model_params_without_amx
from ocr_kie.cpus import physical_cores
from ocr_kie.errors import LlmCallError, LlmConfigError, LlmContextOverflowError, LlmModelNotFoundError, require
from ocr_kie.llms.binding import token_limit
from ocr_kie.llms.chat_format import chat_handler, own_template, role_of, text_of
from ocr_kie.llms.embedded import models_cache_dir
from ocr_kie.llms.guard import _closing_reserve, _collapse, _Guard, _is_json
from ocr_kie.llms.quantize import QUANTIZATIONS, requantized
from ocr_kie.llms.scoring import ContinuationScorer, _ScoringContext
from ocr_kie.llms.structured import _STRUCTURED_METHODS, _response_format, _structured_schema, json_grammar

__all__ = ["DEFAULT_MAX_TOKENS", "LlamaCppChatModel", "create"]

logger = logging.getLogger(__name__)

#: The default answer budget of a local model.
DEFAULT_MAX_TOKENS = 512


def create(
    path: str,
    *,
    spec: str | None,
    base_url: str | None = None,
    api_key: object = None,
    max_tokens: int | None = None,
    timeout: float | None = None,
    request_retries: int | None = None,
    **kwargs: Any,
) -> BaseChatModel:
    """A :class:`LlamaCppChatModel` on the GGUF file ``path`` (``"llamacpp:<path.gguf>"``).

    ``timeout`` and ``request_retries`` do not apply (a local model has no request to time out).

    Raises:
        LlmConfigError: ``base_url``/``api_key`` given, or an invalid option.
        LlmModelNotFoundError: The file does not exist.
    """
    if base_url or api_key:
        raise LlmConfigError("base_url/api_key do not apply to a local llamacpp: model", spec=spec)
    try:
        return LlamaCppChatModel(model_path=path, **{**kwargs, **token_limit("llamacpp", max_tokens)})
    except LlmModelNotFoundError as e:
        e.spec = spec
        raise
    except ValidationError as e:
        raise LlmConfigError(f"llamacpp: invalid option: {e}", spec=spec) from None


def _import_llama_cpp() -> Any:
    # OpenMP threads that spin while waiting starve other processes on small shared machines;
    # the policy is read once, when the runtime starts, so it must be set before the import.
    os.environ.setdefault("OMP_WAIT_POLICY", "passive")
    return require("llama_cpp", package="llama-cpp-python", extra="local", purpose="local GGUF models")


@dataclass
class _Loaded:
    """One loaded ``llama_cpp.Llama``, shared by every chat model with the same key."""

    llama: Any
    lock: threading.Lock = field(default_factory=threading.Lock)
    _tokens: dict[str, list[int]] | None = None
    #: The context grounded decoding scores candidates in (made on first use).
    scoring: _ScoringContext | None = None
    #: Chat completion handlers of our own templates (see :mod:`ocr_kie.llms.chat_format`), by template.
    handlers: dict[str, Any] = field(default_factory=dict)

    def tokens(self) -> dict[str, list[int]]:
        """Single-token ids used to steer a reply to its end (see :class:`_Guard`)."""
        if self._tokens is None:

            def singles(*texts: str) -> list[int]:
                ids = set()
                for text in texts:
                    toks = self.llama.tokenize(text.encode(), add_bos=False, special=False)
                    if len(toks) == 1:
                        ids.add(toks[0])
                return sorted(ids)

            self._tokens = {
                "close_string": singles('"', '",', '"}', '"]', '" }', '",\n', '"\n'),
                "null": singles("null", " null"),
                "close": singles("}", " }", "]", " ]", "\n}"),
                "comma": singles(",", " ,"),
                "quote": singles('"', ' "'),
            }
        return self._tokens


_LOADED: dict[tuple[str, int, int], _Loaded] = {}
_LOADED_LOCK = threading.Lock()


@atexit.register
def _close_loaded() -> None:
    """Free the models before the interpreter tears llama_cpp down (else its __del__ fails noisily)."""
    with _LOADED_LOCK:
        for loaded in _LOADED.values():
            with contextlib.suppress(Exception):
                loaded.llama.close()
        _LOADED.clear()


def _load(path: str, n_ctx: int, n_threads: int, quantization: str | None = None) -> _Loaded:
    key = (path, n_ctx, n_threads, quantization)
    with _LOADED_LOCK:
        loaded = _LOADED.get(key)
        if loaded is None:
            llama_cpp = _import_llama_cpp()
            if quantization is not None:  # converted once into the models cache (see ocr_kie.llms.quantize)
                path = str(requantized(llama_cpp, Path(path), quantization, models_cache_dir()))
            logger.info("loading %s (n_ctx=%d, n_threads=%d)", path, n_ctx, n_threads)
            try:
                with model_params_without_amx(llama_cpp):  # AMX buffers crash llama.cpp: see ocr_kie.amx
                    llama = llama_cpp.Llama(
                        model_path=path,
                        n_ctx=n_ctx,
                        n_threads=n_threads,
                        n_threads_batch=n_threads,
                        rope_freq_base=0.0,  # 0 = the GGUF's own rope settings
                        rope_freq_scale=0.0,
                        verbose=False,
                    )
            except Exception as e:
                raise LlmCallError(f"cannot load {path}: {e}", provider="llamacpp") from e
            loaded = _LOADED[key] = _Loaded(llama)
        return loaded


class LlamaCppChatModel(BaseChatModel):
    """A chat model on a local GGUF file through llama-cpp-python, set up for extraction.

    Greedy decoding (temperature 0), ``repeat_penalty`` 1.0, the GGUF's own rope settings, one
    thread per physical core. The ``llama_cpp.Llama`` is loaded on first use and shared by every
    instance with the same (path, n_ctx, n_threads) in the process; calls on it are serialized.

    Per call (or bound with ``.bind``): ``json_schema={...}`` (or ``response_format={"type":
    "json_object", "schema": {...}}``, or OpenAI's ``{"type": "json_schema", "json_schema":
    {"schema": ...}}``) constrains decoding with a grammar, so the reply is JSON that fits the
    schema; ``max_tokens``, ``stop``, ``temperature``, ``seed`` too. A reply that starts to repeat
    itself is steered to its end (see ``repetition_guard``); ``response_metadata
    ["finish_reason"]`` then says ``"repetition"``.

    Example:
        >>> llm = LlamaCppChatModel(model_path=str(embedded_model_path()))  # doctest: +SKIP
        >>> schema = {"type": "object", "properties": {"total": {"type": ["string", "null"]}},
        ...           "required": ["total"]}
        >>> llm.bind(json_schema=schema).invoke("TOTAL 12.50").content  # doctest: +SKIP
        '{"total": "12.50"}'
    """

    model_path: str
    """The GGUF file."""
    n_ctx: int = 4096
    """The context window in tokens (prompt plus answer)."""
    n_threads: int = Field(default_factory=physical_cores)
    """CPU threads; default one per physical core."""
    max_tokens: int = DEFAULT_MAX_TOKENS
    """The most tokens per answer."""
    temperature: float = 0.0
    """0 decodes greedily (deterministic)."""
    repeat_penalty: float = 1.0
    """1.0 = off: penalising repeats garbles values that legitimately repeat digits."""
    stop: list[str] | None = None
    """Stop strings."""
    json_schema: dict[str, Any] | None = None
    """A JSON Schema every reply must follow (per-call ``json_schema=`` wins)."""
    repetition_guard: bool = True
    """Steer a reply that repeats one chunk over and over to its end, and cut the copies."""
    chat_template: str | None = None
    """A Jinja chat template used instead of the GGUF's (e.g. :data:`~ocr_kie.llms.chat_format.TRANSCRIPT`
    for a base model); a GGUF without one gets ChatML."""
    quantization: str | None = None
    """Run the weights converted to this quantization (``"q8_0"``): converted once, on first load, into
    the models cache; the shipped file runs, with a warning, where that cannot be done. The embedded
    SmolLM2 sets it (why: :mod:`ocr_kie.llms.quantize`)."""

    def __init__(self, **data: Any) -> None:
        # Checked here, not in a validator: pydantic would wrap the error in a ValidationError.
        path = data.get("model_path")
        if isinstance(path, (str, os.PathLike)) and not Path(path).expanduser().is_file():
            raise LlmModelNotFoundError(
                f"GGUF model file not found: {path} (for 'llamacpp:<path.gguf>' give an existing file)",
                path=str(path),
            )
        super().__init__(**data)

    @field_validator("model_path")
    @classmethod
    def _absolute(cls, value: str) -> str:
        return str(Path(value).expanduser().resolve())

    @field_validator("quantization")
    @classmethod
    def _known_quantization(cls, value: str | None) -> str | None:
        if value is not None and value not in QUANTIZATIONS:
            raise ValueError(f"unknown quantization {value!r}: use one of {sorted(QUANTIZATIONS)} or None")
        return value

    @field_validator("n_ctx", "n_threads", "max_tokens")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value < 1:
            raise ValueError(f"must be at least 1, got {value}")
        return value

    @property
    def _llm_type(self) -> str:
        return "llamacpp-ocr-kie"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {
            "model_path": self.model_path,
            "n_ctx": self.n_ctx,
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "repeat_penalty": self.repeat_penalty,
            "json_schema": self.json_schema,
            "chat_template": self.chat_template,
            "quantization": self.quantization,
        }

    @property
    def model_name(self) -> str:
        """The GGUF file's name, and the quantization it is set to run in (``"….Q4_1.gguf as Q8_0"``).

        Where the conversion cannot be done the shipped weights run and the load logs a warning saying so.
        """
        name = Path(self.model_path).name
        return f"{name} as {self.quantization.upper()}" if self.quantization else name

    def _loaded(self) -> _Loaded:
        return _load(self.model_path, self.n_ctx, self.n_threads, self.quantization)

    @property
    def client(self) -> Any:
        """The shared ``llama_cpp.Llama`` (loaded on first access)."""
        return self._loaded().llama

    def get_num_tokens(self, text: str) -> int:
        """Tokens of ``text`` by the model's own tokenizer (offline)."""
        if not text:
            return 0
        return len(self.client.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    # -- generation -------------------------------------------------------------------------

    _CALL_OPTIONS: ClassVar[frozenset[str]] = frozenset(
        {"json_schema", "response_format", "max_tokens", "temperature", "seed", "stop", "top_p", "top_k", "min_p"}
    )

    def _prepare(
        self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]
    ) -> tuple[dict, _Guard, _Loaded]:
        unknown = {k for k in kwargs if k not in self._CALL_OPTIONS and not k.startswith("ls_")}
        if unknown:
            raise LlmConfigError(
                f"LlamaCppChatModel got unknown options {sorted(unknown)}; accepted: {sorted(self._CALL_OPTIONS)}"
            )
        loaded = self._loaded()
        fmt, schema = _response_format(kwargs.get("response_format"), kwargs.get("json_schema") or self.json_schema)
        max_tokens = int(kwargs.get("max_tokens") or self.max_tokens)
        guard = _Guard(
            loaded,
            max_tokens=max_tokens,
            json_mode=fmt is not None,
            reserve=_closing_reserve(loaded, schema) if fmt is not None else 0,
            detect=self.repetition_guard,
        )
        temperature = float(kwargs.get("temperature", self.temperature))
        params: dict[str, Any] = {
            "messages": [{"role": role_of(m), "content": text_of(m)} for m in messages],
            "max_tokens": max_tokens,
            "temperature": temperature,
            "repeat_penalty": self.repeat_penalty,
            "stop": stop or kwargs.get("stop") or self.stop or [],
            "grammar": json_grammar(schema) if fmt is not None else None,  # strict JSON (not the handler's)
            "logits_processor": [guard],
        }
        for key in ("seed", "top_p", "top_k", "min_p"):
            if key in kwargs:
                params[key] = kwargs[key]
        return params, guard, loaded

    def _complete(self, loaded: _Loaded, params: dict[str, Any]) -> Any:
        """``create_chat_completion``, rendered by our template where the GGUF's does not apply."""
        template = own_template(loaded.llama, self.chat_template)
        if template is None:
            return loaded.llama.create_chat_completion(**params)
        handler = loaded.handlers.get(template)
        if handler is None:
            handler = loaded.handlers[template] = chat_handler(loaded.llama, template)
        return handler(llama=loaded.llama, **params)

    def _call_error(self, e: Exception) -> LlmCallError:
        text = str(e)
        if "context window" in text or "exceed" in text:
            return LlmContextOverflowError(f"{text} (n_ctx={self.n_ctx})", provider="llamacpp")
        return LlmCallError(f"{type(e).__name__}: {text}", provider="llamacpp")

    def _finish_info(self, guard: _Guard, finish: str | None, loaded: _Loaded) -> dict[str, Any]:
        info: dict[str, Any] = {"finish_reason": guard.finishing or finish, "model_name": self.model_name}
        if guard.finishing == "repetition" and guard.unit:
            info["repeated"] = loaded.llama.detokenize(guard.unit).decode("utf-8", "replace")
        return info

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        params, guard, loaded = self._prepare(messages, stop, kwargs)
        with loaded.lock:
            try:
                response = self._complete(loaded, params)
            except ValueError as e:
                raise self._call_error(e) from e
        choice = response["choices"][0]
        content = choice["message"].get("content") or ""
        info = self._finish_info(guard, choice.get("finish_reason"), loaded)
        if guard.finishing == "repetition" and guard.unit:
            unit = loaded.llama.detokenize(guard.unit).decode("utf-8", "ignore")
            collapsed = _collapse(content, unit)
            # A repeated unit that opens an object ('{"a":') is closed by as many braces: cutting the
            # copies would leave the braces and break the JSON the grammar made. Then keep it whole.
            if not guard.json_mode or _is_json(collapsed):
                content = collapsed
        usage = response.get("usage") or {}
        prompt_tokens = int(usage.get("prompt_tokens", guard.start or 0))
        completion_tokens = int(usage.get("completion_tokens", guard.generated))
        message = AIMessage(
            content=content,
            response_metadata=info,
            usage_metadata=UsageMetadata(
                input_tokens=prompt_tokens,
                output_tokens=completion_tokens,
                total_tokens=prompt_tokens + completion_tokens,
            ),
        )
        return ChatResult(
            generations=[ChatGeneration(message=message, generation_info=info)],
            llm_output={"token_usage": usage, "model_name": self.model_name},
        )

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        """Tokens as they come. Repeated copies are not removed here (they were already sent)."""
        params, guard, loaded = self._prepare(messages, stop, kwargs)
        finish = None
        with loaded.lock:
            try:
                stream = self._complete(loaded, {**params, "stream": True})
                for part in stream:
                    choice = part["choices"][0]
                    finish = choice.get("finish_reason") or finish
                    text = choice.get("delta", {}).get("content") or ""
                    if text:
                        chunk = ChatGenerationChunk(message=AIMessageChunk(content=text))
                        if run_manager:
                            run_manager.on_llm_new_token(text, chunk=chunk)
                        yield chunk
            except ValueError as e:
                raise self._call_error(e) from e
        info = self._finish_info(guard, finish, loaded)
        prompt_tokens, completion_tokens = guard.start or 0, guard.generated
        yield ChatGenerationChunk(
            message=AIMessageChunk(
                content="",
                response_metadata=info,
                usage_metadata=UsageMetadata(
                    input_tokens=prompt_tokens,
                    output_tokens=completion_tokens,
                    total_tokens=prompt_tokens + completion_tokens,
                ),
            ),
            generation_info=info,
        )

    def with_structured_output(
        self,
        schema: Mapping[str, Any] | type,
        *,
        include_raw: bool = False,
        method: str | None = None,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, Any]:
        """Replies decoded under ``schema``, parsed: LangChain's ``with_structured_output``.

        Example:
            >>> class Receipt(BaseModel):  # doctest: +SKIP
            ...     total: str | None
            >>> llm.with_structured_output(Receipt).invoke("TOTAL 12.50")  # doctest: +SKIP
            Receipt(total='12.50')

        Args:
            schema: A pydantic model class (v2, or v1 from ``pydantic.v1``): the reply comes back as
                an instance of it; a ``TypedDict`` class, a JSON Schema dict, or an OpenAI
                function/tool dict: the reply comes back as a dict.
            include_raw: Return ``{"raw": AIMessage, "parsed": ..., "parsing_error": ...}``
                instead of the parsed value (a parsing error is then reported, not raised).
            method: ``"json_schema"`` (default) and ``"function_calling"``: grammar-constrained
                decoding by the schema (the model has no tool calling; a constrained reply is what a
                forced tool call would give); ``"json_mode"``: any JSON object (the prompt must say
                which keys), parsed the same way.
            strict: Accepted for compatibility: grammar-constrained decoding always follows the
                schema.

        Raises:
            LlmConfigError: An unknown ``method``, an unsupported argument, or a schema of no
                supported kind.
        """
        from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser
        from langchain_core.utils.pydantic import is_basemodel_subclass

        if kwargs:
            raise LlmConfigError(f"with_structured_output got unsupported arguments {sorted(kwargs)}")
        method = method or "json_schema"
        if method not in _STRUCTURED_METHODS:
            raise LlmConfigError(
                f"with_structured_output: unknown method {method!r}; use one of {list(_STRUCTURED_METHODS)}"
            )
        json_schema, traced = _structured_schema(schema)
        parser: Runnable = (
            PydanticOutputParser(pydantic_object=schema)
            if isinstance(schema, type) and is_basemodel_subclass(schema)
            else JsonOutputParser()
        )
        trace = {"kwargs": {"method": method, "strict": strict}, "schema": traced}
        if method == "json_mode":
            llm = self.bind(response_format={"type": "json_object"}, ls_structured_output_format=trace)
        else:
            llm = self.bind(json_schema=json_schema, ls_structured_output_format=trace)
        if not include_raw:
            return llm | parser
        parsed = RunnablePassthrough.assign(parsed=itemgetter("raw") | parser, parsing_error=lambda _: None)
        fallback = RunnablePassthrough.assign(parsed=lambda _: None)
        return RunnableMap(raw=llm) | parsed.with_fallbacks([fallback], exception_key="parsing_error")

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        """LangChain's tracing parameters: provider ``llamacpp``, the GGUF file's name, the call's settings."""
        params = super()._get_ls_params(stop=stop, **kwargs)
        params["ls_provider"] = "llamacpp"
        stops = stop or kwargs.get("stop") or self.stop
        if stops:
            params["ls_stop"] = list(stops)
        return params

    # -- scoring ------------------------------------------------------------------------------

    @contextlib.contextmanager
    def scorer(self) -> Iterator[ContinuationScorer]:
        """Hold the shared model and score continuations of prompts by their log-probabilities.

        The model is locked while the block runs (other calls on the same ``Llama`` wait).

        Example:
            >>> with llm.scorer() as scorer:  # doctest: +SKIP
            ...     prompt = scorer.prompt([HumanMessage("TOTAL 12.50. The total is?")])
            ...     scorer.logprobs(prompt + "The total is", [" 12.50", " 13.00"])
            [[-0.2, -0.01], [-3.1, -0.4]]
        """
        loaded = self._loaded()
        with loaded.lock:
            if loaded.scoring is None:
                loaded.scoring = _ScoringContext(loaded.llama)
            yield ContinuationScorer(loaded.llama, loaded.scoring, self.chat_template)
