"""LangChain's own standard tests (``langchain-tests``) on the parts the project implements.

* :class:`~ocr_kie.llms.LlamaCppChatModel`: ``ChatModelUnitTests`` and ``ChatModelIntegrationTests``,
  the integration part on the real embedded SmolLM2-135M-Instruct;
* the tool that ``build_chain(...).as_tool(...)`` returns: ``ToolsUnitTests`` (fake OCR and a
  scripted model: these tests only build and inspect the tool) and ``ToolsIntegrationTests`` (the
  real PP-OCR engine and the real embedded model).

What the chat model declares unsupported, and why, is in docs/conformance.md. The suites' own test
methods are not overridden (``test_no_overrides_DO_NOT_OVERRIDE`` checks that): only their
declarations are.
"""

from __future__ import annotations

import ast
import json
from typing import Annotated, Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.exceptions import OutputParserException
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_json_schema
from langchain_tests.integration_tests import ChatModelIntegrationTests, ToolsIntegrationTests
from langchain_tests.unit_tests import ChatModelUnitTests, ToolsUnitTests
from pydantic import BaseModel, Field
from pydantic.v1 import BaseModel as BaseModelV1
from pydantic.v1 import Field as FieldV1
from typing_extensions import TypedDict

from conftest import FIXTURES
from ocr_kie import build_chain
from ocr_kie.errors import LlmConfigError
from ocr_kie.examples import Example
from ocr_kie.llms import LlamaCppChatModel, embedded_model_path
from ocr_kie.testing import FakeOcrEngine, ScriptedChatModel

KEYS = ["可用额度", "账单日"]
EXAMPLES = [
    Example(text="信用卡\n可用额度 8,000.00\n账单日 每月17日", values={"可用额度": "8,000.00", "账单日": "每月17日"}),
    Example(text="超市小票\n合计 RM 9.90", values={"可用额度": None, "账单日": None}),
]
TOOL = {
    "name": "read_card_statement",
    "description": "Extract the available credit and the statement day from an image",
}
IMAGE = {"image": str(FIXTURES / "screenshot_zh.png")}
#: The real OCR engine of the tool integration tests: the default one (PP-OCR on paddle, which runs
#: every call on its owner thread, so ainvoke from an executor thread works).
OCR_ENGINE = "paddle"


class _EmbeddedModel:
    """The declarations shared by both chat model suites."""

    @property
    def chat_model_class(self) -> type[LlamaCppChatModel]:
        return LlamaCppChatModel

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model_path": str(embedded_model_path())}

    @property
    def has_tool_calling(self) -> bool:
        return False

    @property
    def has_structured_output(self) -> bool:
        return True  # grammar-constrained decoding by the schema

    @property
    def supports_json_mode(self) -> bool:
        # method="json_mode" works (see test_json_mode_gives_a_json_object below), but the suite's test
        # asks SmolLM2-135M for a joke's keys by the prompt alone, and it answers {"setup": {"setup": ...
        # nested: this model needs the schema in the grammar (method="json_schema", the default).
        return False

    @property
    def supports_model_override(self) -> bool:
        return False  # one instance is one GGUF file: a per-call model= is refused, not a switch


class TestLlamaCppChatModelUnit(_EmbeddedModel, ChatModelUnitTests):
    """Construction, declarations, tracing parameters: no generation, the model file is not loaded."""


@pytest.mark.model
class TestLlamaCppChatModelIntegration(_EmbeddedModel, ChatModelIntegrationTests):
    """Every call on the real embedded model."""


def _tool(chain: Any) -> BaseTool:
    return chain.as_tool(arg_types={"image": str}, **TOOL)


class TestChainToolUnit(ToolsUnitTests):
    """The chain as an agent tool, built on fakes: its name, input schema and example arguments."""

    @property
    def tool_constructor(self) -> BaseTool:
        lines = ["信用卡账单", "可用额度 12,000.00", "账单日 每月5日"]
        chain = build_chain(
            KEYS, examples=EXAMPLES, llm=ScriptedChatModel(replies=[]), ocr=FakeOcrEngine(lines), strategy="fewshot"
        )
        return _tool(chain)

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return IMAGE


@pytest.mark.model
class TestChainToolIntegration(ToolsIntegrationTests):
    """The chain as an agent tool, called as an agent calls it: real PP-OCR, the real embedded model."""

    @property
    def tool_constructor(self) -> BaseTool:
        llm = LlamaCppChatModel(model_path=str(embedded_model_path()))
        # The PP-OCRv4 models on onnxruntime: an agent's tool is called from other threads (ainvoke runs
        # it in an executor), and the paddle engine still fails there with oneDNN (issue 12, finding 7).
        return _tool(build_chain(KEYS, examples=EXAMPLES, llm=llm, ocr=OCR_ENGINE))

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return IMAGE


# ------------------------------------------------------------ what the suites do not cover

RECEIPT = "Receipt: TOTAL 12.50 DATE 2024-03-05 Thank you. Extract total and date as JSON."
RECEIPT_SCHEMA = {
    "type": "object",
    "properties": {"total": {"type": ["string", "null"]}, "date": {"type": ["string", "null"]}},
    "required": ["total", "date"],
}


class ReceiptV2(BaseModel):
    """A receipt's total and date."""

    total: str | None = Field(description="the amount after TOTAL")
    date: str | None = Field(description="the date")


class ReceiptV1(BaseModelV1):
    """A receipt's total and date."""

    total: str | None = FieldV1(description="the amount after TOTAL")
    date: str | None = FieldV1(description="the date")


class ReceiptDict(TypedDict):
    """A receipt's total and date."""

    total: Annotated[str | None, ..., "the amount after TOTAL"]
    date: Annotated[str | None, ..., "the date"]


FUNCTION = {"name": "receipt", "description": "A receipt's total and date", "parameters": RECEIPT_SCHEMA}
SCHEMAS = {
    "pydantic-v2": ReceiptV2,
    "pydantic-v1": ReceiptV1,
    "typeddict": ReceiptDict,
    "json-schema-untitled": RECEIPT_SCHEMA,
    "json-schema-titled": {"title": "Receipt", **RECEIPT_SCHEMA},
    "openai-function": FUNCTION,
    "openai-tool": {"type": "function", "function": FUNCTION},
}


class _Options(BaseCallbackHandler):
    """Records the ``options`` of every chat model start (where LangChain puts the tracing metadata)."""

    def __init__(self) -> None:
        self.options: list[dict[str, Any]] = []

    def on_chat_model_start(self, serialized: Any, messages: Any, *, options: Any = None, **kwargs: Any) -> None:
        self.options.append(options or {})


@pytest.fixture(scope="module")
def embedded() -> LlamaCppChatModel:
    # 64 answer tokens: the receipt's answer takes about 20; json_mode's rambling is cut sooner.
    return LlamaCppChatModel(model_path=str(embedded_model_path()), max_tokens=64)


@pytest.mark.model
@pytest.mark.parametrize(
    ("kind", "method"),
    [(kind, "json_schema") for kind in SCHEMAS] + [("pydantic-v2", "function_calling"), ("typeddict", None)],
)
def test_every_schema_kind_gives_its_type_and_traces_its_schema(
    embedded: LlamaCppChatModel, kind: str, method: str | None
):
    schema = SCHEMAS[kind]
    seen = _Options()
    result = embedded.with_structured_output(schema, method=method).invoke(RECEIPT, config={"callbacks": [seen]})
    if isinstance(schema, type) and issubclass(schema, (BaseModel, BaseModelV1)):
        assert isinstance(result, schema)
        result = result.dict() if isinstance(result, BaseModelV1) else result.model_dump()
    assert isinstance(result, dict) and set(result) == {"total", "date"}  # the grammar kept to the schema
    (options,) = seen.options
    traced = options["ls_structured_output_format"]
    assert traced["kwargs"] == {"method": method or "json_schema", "strict": None}
    assert traced["schema"]["properties"].keys() == {"total", "date"}
    if kind != "json-schema-untitled":
        assert traced["schema"] == convert_to_json_schema(schema)


@pytest.mark.model
@pytest.mark.parametrize("method", ["json_schema", "function_calling", "json_mode"])
def test_include_raw_gives_the_message_the_value_and_no_error(embedded: LlamaCppChatModel, method: str):
    out = embedded.with_structured_output(ReceiptDict, method=method, include_raw=True).invoke(RECEIPT)
    assert set(out) == {"raw", "parsed", "parsing_error"}
    assert isinstance(out["raw"], AIMessage) and out["parsing_error"] is None
    assert out["parsed"] == json.loads(out["raw"].content)


@pytest.mark.model
def test_include_raw_reports_a_parsing_error_instead_of_raising(embedded: LlamaCppChatModel):
    class Strict(BaseModel):
        total: int  # the grammar of json_mode does not know it: "12.50" is no int

    out = embedded.with_structured_output(Strict, method="json_mode", include_raw=True).invoke(RECEIPT)
    assert isinstance(out["raw"], AIMessage) and out["raw"].content
    if out["parsed"] is None:
        assert isinstance(out["parsing_error"], OutputParserException)
    else:  # the model happened to write an int: then it parsed
        assert isinstance(out["parsed"], Strict) and out["parsing_error"] is None


@pytest.mark.model
def test_json_mode_gives_a_json_object(embedded: LlamaCppChatModel):
    # The suite's prompt: SmolLM2-135M nests '{"setup":{"setup":...' until the repetition guard ends it;
    # the copies are kept then (cutting them would leave their closing braces): the reply stays JSON.
    prompt = (
        "Tell me a joke about cats. Return the result as a JSON with 'setup' and 'punchline' keys. "
        "Return nothing other than JSON."
    )
    out = embedded.with_structured_output(RECEIPT_SCHEMA, method="json_mode", include_raw=True).invoke(prompt)
    assert isinstance(json.loads(out["raw"].content), dict)
    assert isinstance(out["parsed"], dict) and out["parsing_error"] is None


@pytest.mark.parametrize(
    ("schema", "kwargs", "match"),
    [
        (ReceiptV2, {"method": "tools"}, "unknown method 'tools'"),
        (ReceiptV2, {"tool_choice": "any"}, "unsupported arguments"),
        (int, {}, "pydantic model class"),
        ("total, date", {}, "pydantic model class"),
    ],
)
def test_what_with_structured_output_refuses(schema: Any, kwargs: dict[str, Any], match: str):
    model = LlamaCppChatModel(model_path=str(embedded_model_path()))  # not loaded: nothing is generated
    with pytest.raises(LlmConfigError, match=match):
        model.with_structured_output(schema, **kwargs)


@pytest.mark.model
def test_the_tool_reads_the_image(tmp_path: Any):
    llm = LlamaCppChatModel(model_path=str(embedded_model_path()))
    tool = _tool(build_chain(KEYS, examples=EXAMPLES, llm=llm, ocr=OCR_ENGINE))
    message = tool.invoke({"name": tool.name, "args": IMAGE, "id": "1", "type": "tool_call"})
    assert isinstance(message, ToolMessage) and message.tool_call_id == "1"
    values = ast.literal_eval(message.content)
    assert list(values) == KEYS
    assert values["账单日"] == "每月5日"  # read off the screenshot, not copied from the example ("每月17日")
