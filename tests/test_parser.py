"""Tests of the output parser (reply -> dict of the asked keys) and the text helpers it uses."""

from __future__ import annotations

import json
import pickle
from typing import Any

import pytest
from langchain_core.exceptions import OutputParserException
from langchain_core.messages import AIMessage
from langchain_core.runnables import RunnableLambda
from pydantic import BaseModel

from ocr_kie.errors import OcrKieError
from ocr_kie.normalize import NULL_ANSWERS, is_null_answer, parse_number, squash, to_halfwidth
from ocr_kie.parser import (
    ExtractionParseError,
    KieOutputParser,
    ParseResult,
    check_schema,
    retry_message,
    schema_from_keys,
    strip_reasoning,
)

KEYS = ["可用额度", "账单日", "到期还款日"]

LINE_ITEMS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "invoice_no": {"type": "string", "pattern": r"^\d{8}$"},
        "currency": {"type": "string", "enum": ["CNY", "USD"]},
        "total": {"type": "number"},
        "count": {"type": "integer"},
        "paid": {"type": "boolean"},
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"name": {"type": "string"}, "amount": {"type": "number"}},
                "required": ["name", "amount"],
            },
        },
    },
    "required": ["invoice_no", "total"],
}


@pytest.fixture
def parser() -> KieOutputParser:
    return KieOutputParser(KEYS)


def parse_error(parser: KieOutputParser, reply: str) -> ExtractionParseError:
    with pytest.raises(ExtractionParseError) as info:
        parser.parse(reply)
    return info.value


# ------------------------------------------------------------------------------------------
# normalize.py
# ------------------------------------------------------------------------------------------


def test_to_halfwidth_folds_fullwidth_ascii_and_keeps_cjk() -> None:
    assert to_halfwidth("１２，０００．００") == "12,000.00"
    assert to_halfwidth("：") == ":"
    assert to_halfwidth("（元）") == "(元)"
    assert to_halfwidth("ＴＯＴＡＬ\u3000￥５") == "TOTAL ¥5"
    # CJK characters, CJK punctuation, circled digits and superscripts stay as they are.
    assert to_halfwidth("可用额度。、「」“”①m²") == "可用额度。、「」“”①m²"


def test_squash_removes_space_case_and_width() -> None:
    assert squash(" 可用 额度 ") == "可用额度"
    assert squash("ＴＯＴＡＬ") == "total"
    assert squash("Total\u200b Amount\t") == "totalamount"


def test_null_answers_are_squashed_and_recognised() -> None:
    assert all(squash(a) == a for a in NULL_ANSWERS)
    for answer in ["未知", "未找到", "无", "暂无", "N/A", " null ", "None", "not found", "Not Available", "-", ""]:
        assert is_null_answer(answer), answer
    assert is_null_answer("未找到。")
    assert is_null_answer("（无）")
    for answer in ["0", "无锡", "12,000.00", "每月5日", "None of the above"]:
        assert not is_null_answer(answer), answer


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,234.50", 1234.5),
        ("¥12.00", 12.0),
        ("￥１２", 12),
        ("-300元", -300),
        ("¥-3.5", -3.5),
        ("RMB 1,000", 1000),
        ("1234", 1234),
        ("1.234,50", None),
        ("12,34", None),
        ("1.2万", None),
        ("12%", None),
        ("约12", None),
        ("", None),
        ("$12元", None),
    ],
)
def test_parse_number(text: str, expected: float | None) -> None:
    result = parse_number(text)
    assert result == expected
    assert type(result) is type(expected)


# ------------------------------------------------------------------------------------------
# Finding the JSON object
# ------------------------------------------------------------------------------------------


def test_plain_json(parser: KieOutputParser) -> None:
    reply = '{"可用额度": "12,000.00", "账单日": "每月5日", "到期还款日": "每月25日"}'
    assert parser.parse(reply) == {"可用额度": "12,000.00", "账单日": "每月5日", "到期还款日": "每月25日"}


@pytest.mark.parametrize("fence", ["```json", "```JSON", "```", "``` json"])
def test_fenced_json(parser: KieOutputParser, fence: str) -> None:
    reply = f'以下是结果：\n{fence}\n{{"可用额度": "5,000", "账单日": "5日", "到期还款日": null}}\n```\n希望有帮助。'
    assert parser.parse(reply) == {"可用额度": "5,000", "账单日": "5日", "到期还款日": None}


def test_fence_is_preferred_to_braces_in_prose(parser: KieOutputParser) -> None:
    reply = 'I will fill {"可用额度": "X"} like the example.\n```json\n{"可用额度": "8,000"}\n```'
    assert parser.parse(reply)["可用额度"] == "8,000"


def test_unclosed_fence_of_a_cut_off_reply(parser: KieOutputParser) -> None:
    assert parser.parse('```json\n{"账单日": "5日"}')["账单日"] == "5日"


def test_prose_around_json(parser: KieOutputParser) -> None:
    reply = 'Sure! Here is what I found: {"可用额度": "1,000.00", "账单日": "3日"} Let me know {if} you need more.'
    assert parser.parse(reply) == {"可用额度": "1,000.00", "账单日": "3日", "到期还款日": None}


def test_several_objects_first_with_an_asked_key_wins(parser: KieOutputParser) -> None:
    reply = 'Format {"key": "value"}. Answer: {"账单日": "1日"} and again {"账单日": "2日"}'
    assert parser.parse(reply)["账单日"] == "1日"


def test_several_objects_none_with_asked_keys_takes_the_first(parser: KieOutputParser) -> None:
    details = parser.parse_with_details('{"a": "1"} {"b": "2"}')
    assert details.values == dict.fromkeys(KEYS)
    assert details.dropped_keys == ["a"]


def test_json_inside_an_array(parser: KieOutputParser) -> None:
    assert parser.parse('[{"账单日": "9日"}]')["账单日"] == "9日"


def test_closed_think_block_is_stripped(parser: KieOutputParser) -> None:
    reply = '<think>The example said {"可用额度": "999"}; the document says 12,000.</think>\n{"可用额度": "12,000"}'
    assert parser.parse(reply)["可用额度"] == "12,000"


def test_orphan_closing_think_tag(parser: KieOutputParser) -> None:
    reply = 'Reasoning whose <think> was in the prompt {"可用额度": "1"}</think>{"可用额度": "2"}'
    assert parser.parse(reply)["可用额度"] == "2"


def test_unclosed_leading_think_block(parser: KieOutputParser) -> None:
    reply = '<think>\nLet me draft {"可用额度": "draft"} and check the'
    err = parse_error(parser, reply)
    assert "unclosed <think>" in err.errors[0]
    assert err.reply == reply


def test_unclosed_think_after_the_answer(parser: KieOutputParser) -> None:
    assert parser.parse('{"账单日": "5日"}\n<think>was that right? {"账单日": "6日"}')["账单日"] == "5日"


def test_strip_reasoning() -> None:
    assert strip_reasoning("<think>a</think>b<THINKING>c</THINKING>d") == ("bd", False)
    assert strip_reasoning("x<think>y") == ("x", True)


def test_ai_message_input(parser: KieOutputParser) -> None:
    message = AIMessage(content='<think>hmm</think>```json\n{"账单日": "5日"}\n```')
    assert parser.invoke(message)["账单日"] == "5日"
    blocks = AIMessage(
        content=[{"type": "reasoning", "reasoning": '{"账单日": "x"}'}, {"type": "text", "text": '{"账单日": "7日"}'}]
    )
    assert parser.invoke(blocks)["账单日"] == "7日"


def test_composes_in_a_chain(parser: KieOutputParser) -> None:
    chain = RunnableLambda(lambda _: '{"账单日": "5日"}') | parser
    assert chain.invoke("ignored") == {"可用额度": None, "账单日": "5日", "到期还款日": None}
    assert chain.batch(["a", "b"]) == [chain.invoke("x")] * 2


async def _ainvoke(parser: KieOutputParser, reply: str) -> dict[str, Any]:
    return await parser.ainvoke(reply)


def test_ainvoke(parser: KieOutputParser) -> None:
    import asyncio

    assert asyncio.run(_ainvoke(parser, '{"账单日": "5日"}'))["账单日"] == "5日"


# ------------------------------------------------------------------------------------------
# Repair
# ------------------------------------------------------------------------------------------


def test_single_quotes(parser: KieOutputParser) -> None:
    details = parser.parse_with_details("{'可用额度': '12,000.00', '账单日': \"O'Neil's day\"}")
    assert details.values["可用额度"] == "12,000.00"
    assert details.values["账单日"] == "O'Neil's day"
    assert details.repaired


def test_trailing_commas(parser: KieOutputParser) -> None:
    details = parser.parse_with_details('{"可用额度": "1", "账单日": "5日",}')
    assert details.values["账单日"] == "5日"
    assert details.repaired
    schema = {"type": "object", "properties": {"tags": {"type": "array", "items": {"type": "string"}}}}
    assert KieOutputParser(schema=schema).parse('{"tags": ["a", "b",],}') == {"tags": ["a", "b"]}
    assert parser.parse('{"可用额度": "1",\n}') == {"可用额度": "1", "账单日": None, "到期还款日": None}


def test_fullwidth_punctuation_as_json_syntax(parser: KieOutputParser) -> None:
    reply = "｛“可用额度”：“12,000.00”，“账单日”：“每月5日”，｝"
    assert parser.parse(reply) == {"可用额度": "12,000.00", "账单日": "每月5日", "到期还款日": None}


def test_fullwidth_punctuation_inside_values_is_kept(parser: KieOutputParser) -> None:
    reply = '{"可用额度": "12，000：“元”", "账单日": "5日"}'
    details = parser.parse_with_details(reply)
    assert details.values["可用额度"] == "12，000：“元”"
    assert not details.repaired


def test_python_dict_with_none_and_true() -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string"}, "paid": {"type": "boolean"}}}
    parser = KieOutputParser(schema=schema)
    details = parser.parse_with_details("Result: {'name': 'ACME', 'paid': True, 'extra': None}")
    assert details.values == {"name": "ACME", "paid": True}
    assert details.repaired
    assert parser.parse("{'name': None, 'paid': False}") == {"name": None, "paid": False}


def test_python_literal_eval_fallback(parser: KieOutputParser) -> None:
    # Implicit string concatenation is Python, not JSON: only ast.literal_eval reads it.
    details = parser.parse_with_details("{'账单日': '每月' '5日', 1: (2, 3)}")
    assert details.values["账单日"] == "每月5日"
    assert details.repaired


def test_unquoted_keys_and_null_tokens(parser: KieOutputParser) -> None:
    details = parser.parse_with_details("{可用额度: 12000, 账单日: 未知, 到期还款日: N/A}")
    assert details.values == {"可用额度": "12000", "账单日": None, "到期还款日": None}
    assert sorted(details.nulls) == ["到期还款日", "账单日"]
    assert parser.parse('{"可用额度": NULL, "账单日": undefined}') == dict.fromkeys(KEYS)


def test_missing_commas_between_lines(parser: KieOutputParser) -> None:
    assert parser.parse('{"可用额度": "1"\n"账单日": "2"\n}') == {"可用额度": "1", "账单日": "2", "到期还款日": None}


def test_unescaped_inner_quotes(parser: KieOutputParser) -> None:
    assert parser.parse('{"账单日": "the "5th" day"}')["账单日"] == 'the "5th" day'


def test_truncated_object_is_an_error_not_a_guess(parser: KieOutputParser) -> None:
    err = parse_error(parser, '{"可用额度": "12,000.00", "账单日": "每月')
    assert err.values is None
    assert any("truncated" in e or "cut off" in e for e in err.errors)


def test_fragment_of_a_truncated_object_is_not_used() -> None:
    parser = KieOutputParser(schema=LINE_ITEMS_SCHEMA)
    err = parse_error(parser, '{"invoice_no": "12345678", "items": [{"name": "tea", "amount": 3}, {"name": "te')
    assert "not closed" in err.errors[0]


def test_json_number_kept_as_written_for_string_keys(parser: KieOutputParser) -> None:
    assert parser.parse('{"可用额度": 12000.00}')["可用额度"] == "12000.00"


# ------------------------------------------------------------------------------------------
# Keys
# ------------------------------------------------------------------------------------------


def test_key_near_misses_are_mapped() -> None:
    parser = KieOutputParser(["可用额度", "total", "date", "invoice number"])
    details = parser.parse_with_details('{" 可用额度 ": "1", "ＴＯＴＡＬ": "2", "Date:": "3", "invoice numbr": "4"}')
    assert details.values == {"可用额度": "1", "total": "2", "date": "3", "invoice number": "4"}
    assert details.renamed_keys == {
        " 可用额度 ": "可用额度",
        "ＴＯＴＡＬ": "total",
        "Date:": "date",
        "invoice numbr": "invoice number",
    }


def test_case_only_near_miss() -> None:
    assert KieOutputParser(["total"]).parse('{"Total": "12.00"}') == {"total": "12.00"}


def test_exact_key_wins_over_near_miss() -> None:
    details = KieOutputParser(["total"]).parse_with_details('{"TOTAL": "1", "total": "2"}')
    assert details.values == {"total": "2"}
    assert details.dropped_keys == ["TOTAL"]


def test_ambiguous_fuzzy_near_miss_is_not_mapped() -> None:
    parser = KieOutputParser(["invoice number", "invoice numbers"])
    details = parser.parse_with_details('{"invoice numbr": "123"}')
    assert details.values == {"invoice number": None, "invoice numbers": None}
    assert details.dropped_keys == ["invoice numbr"]


def test_ambiguous_squash_near_miss_is_not_mapped() -> None:
    details = KieOutputParser(["Total", "total"]).parse_with_details('{"TOTAL": "1"}')
    assert details.values == {"Total": None, "total": None}
    # two reply keys claiming one asked key: neither is used
    details = KieOutputParser(["total"]).parse_with_details('{"Total": "1", "TOTAL": "2"}')
    assert details.values == {"total": None}
    assert details.dropped_keys == ["Total", "TOTAL"]


def test_dissimilar_key_is_not_mapped() -> None:
    details = KieOutputParser(["可用额度"]).parse_with_details('{"可用余额": "1"}')
    assert details.values == {"可用额度": None}


def test_extra_keys_are_dropped_and_recorded(parser: KieOutputParser) -> None:
    details = parser.parse_with_details('{"可用额度": "1", "信用额度": "2", "note": "hi"}')
    assert details.values == {"可用额度": "1", "账单日": None, "到期还款日": None}
    assert details.dropped_keys == ["信用额度", "note"]


def test_missing_keys_become_none_in_asked_order(parser: KieOutputParser) -> None:
    result = parser.parse('{"到期还款日": "25日", "可用额度": "1"}')
    assert list(result) == KEYS
    assert result == {"可用额度": "1", "账单日": None, "到期还款日": "25日"}


def test_schema_property_order() -> None:
    parser = KieOutputParser(schema=LINE_ITEMS_SCHEMA)
    reply = '{"items": [], "paid": true, "total": 1, "invoice_no": "12345678"}'
    assert list(parser.parse(reply)) == list(LINE_ITEMS_SCHEMA["properties"])


# ------------------------------------------------------------------------------------------
# Values
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("answer", ["未知", "N/A", "未找到", "  无 ", "null", "None", "--", "", "Not Found", "暂无。"])
def test_null_answers_become_none(parser: KieOutputParser, answer: str) -> None:
    details = parser.parse_with_details(json.dumps({"账单日": answer}, ensure_ascii=False))
    assert details.values["账单日"] is None
    assert details.nulls == ["账单日"]


def test_strings_are_stripped(parser: KieOutputParser) -> None:
    assert parser.parse('{"账单日": "  每月5日 \\n"}')["账单日"] == "每月5日"


def test_enum_value_is_not_taken_for_null() -> None:
    schema = {"type": "object", "properties": {"guarantee": {"type": "string", "enum": ["有", "无"]}}}
    assert KieOutputParser(schema=schema).parse('{"guarantee": "无"}') == {"guarantee": "无"}


@pytest.mark.parametrize(
    ("total", "expected"),
    [('"1,234.50"', 1234.5), ('"¥12.00"', 12.0), ("12.5", 12.5), ('"￥３０"', 30), ('" 7 "', 7)],
)
def test_number_conversion(total: str, expected: float) -> None:
    parser = KieOutputParser(schema={"type": "object", "properties": {"total": {"type": "number"}}})
    assert parser.parse(f'{{"total": {total}}}') == {"total": expected}


def test_integer_conversion() -> None:
    parser = KieOutputParser(schema={"type": "object", "properties": {"count": {"type": "integer"}}})
    assert parser.parse('{"count": "12.00"}') == {"count": 12}
    assert parser.parse('{"count": 3.0}') == {"count": 3}
    assert type(parser.parse('{"count": "1,200"}')["count"]) is int
    err = parse_error(parser, '{"count": "12.5"}')
    assert err.errors == ["$.count: '12.5' is not of type 'integer', 'null'"]


@pytest.mark.parametrize("total", ["1.234,50", "12,34", "约12元", "1.2万"])
def test_ambiguous_numbers_are_left_for_validation(total: str) -> None:
    parser = KieOutputParser(schema={"type": "object", "properties": {"total": {"type": "number"}}})
    err = parse_error(parser, json.dumps({"total": total}, ensure_ascii=False))
    assert err.values == {"total": total}
    assert err.errors[0].startswith("$.total: ")


def test_number_as_string_where_string_is_allowed() -> None:
    schema = {"type": "object", "properties": {"total": {"type": ["string", "number"]}}}
    assert KieOutputParser(schema=schema).parse('{"total": "1,234.50"}') == {"total": "1,234.50"}


def test_boolean_strings() -> None:
    parser = KieOutputParser(schema={"type": "object", "properties": {"paid": {"type": "boolean"}}})
    assert parser.parse('{"paid": "True"}') == {"paid": True}
    assert parser.parse('{"paid": false}') == {"paid": False}


REPLIES_FOR_PROVENANCE = [
    '{"可用额度": "12,000.00", "账单日": "每月5日", "额外": "x"}',
    "{'可用额度': ' 5,000 ', '账单日': None}",
    '<think>{"可用额度": "思考中"}</think>｛“账单日”：“5日”｝',
    '{" 可用额度": "A", "可用 额度": "B"}',
    '{"可用余额": "1", "账单": "2", "还款日": "3"}',
    '{"可用额度": 12000.00, "到期还款日": 未知}',
]


@pytest.mark.parametrize("reply", REPLIES_FOR_PROVENANCE)
def test_never_returns_a_value_not_in_the_reply(parser: KieOutputParser, reply: str) -> None:
    body = strip_reasoning(reply)[0]
    for value in parser.parse(reply).values():
        assert value is None or value in body


# ------------------------------------------------------------------------------------------
# Validation and errors
# ------------------------------------------------------------------------------------------


def test_no_json_at_all_raises_with_the_reply(parser: KieOutputParser) -> None:
    reply = "抱歉，我无法从图片中找到这些信息。"
    err = parse_error(parser, reply)
    assert err.reply == reply
    assert err.replies == [reply]
    assert err.attempts == 1
    assert err.errors == ["no JSON object found in the reply"]
    assert err.keys == KEYS
    assert "no JSON object found" in str(err)
    assert len(str(err).splitlines()) <= 2


def test_empty_reply(parser: KieOutputParser) -> None:
    assert parse_error(parser, "  ").errors == ["the reply is empty"]


def test_error_is_an_ocr_kie_error_and_an_output_parser_exception(parser: KieOutputParser) -> None:
    err = parse_error(parser, "nothing")
    assert isinstance(err, OcrKieError)
    assert isinstance(err, OutputParserException)
    assert isinstance(err, ValueError)
    assert err.llm_output == "nothing"
    assert err.send_to_llm is True
    assert err.observation == "no JSON object found in the reply"


def test_error_pickles(parser: KieOutputParser) -> None:
    err = parse_error(parser, "nothing")
    copy = pickle.loads(pickle.dumps(err))
    assert (str(copy), copy.reply, copy.errors, copy.keys) == (str(err), err.reply, err.errors, err.keys)


def test_error_for_retry_loop_fields() -> None:
    err = ExtractionParseError("bad", reply="r2", errors=["e"], attempts=2, replies=["r1", "r2"])
    assert (err.attempts, err.replies, err.llm_output) == (2, ["r1", "r2"], "r2")


def test_schema_validation_errors_are_all_collected_with_paths() -> None:
    parser = KieOutputParser(schema=LINE_ITEMS_SCHEMA)
    reply = json.dumps(
        {
            "invoice_no": "12AB",
            "currency": "EUR",
            "total": "lots",
            "count": 2,
            "paid": "yes",
            "items": [{"name": "tea", "amount": 3}, {"name": "cake"}, {"name": "pie", "amount": "1,5"}],
        }
    )
    err = parse_error(parser, reply)
    assert err.errors == [
        "$.invoice_no: '12AB' does not match '^\\\\d{8}$'",
        "$.currency: 'EUR' is not one of ['CNY', 'USD', None]",
        "$.total: 'lots' is not of type 'number', 'null'",
        "$.paid: 'yes' is not of type 'boolean', 'null'",
        "$.items[1]: 'amount' is a required property",
        "$.items[2].amount: '1,5' is not of type 'number'",
    ]
    assert err.values is not None and err.values["count"] == 2
    assert str(err).startswith("The LLM reply does not match the schema: $.invoice_no")
    assert "(and 5 more)" in str(err)
    assert err.observation == "\n".join(err.errors)


def test_line_items_are_cleaned_and_keys_mapped() -> None:
    parser = KieOutputParser(schema=LINE_ITEMS_SCHEMA)
    reply = (
        '{"invoice_no": "12345678", "total": "¥13.50",'
        ' "items": [{"Name": " tea ", "amount": "3.50"}, {"name": "cake", "amount": 10, "sku": "X1"}]}'
    )
    details = parser.parse_with_details(reply)
    assert details.values["items"] == [{"name": "tea", "amount": 3.5}, {"name": "cake", "amount": 10, "sku": "X1"}]
    assert details.values["total"] == 13.5
    assert details.renamed_keys == {"items[0].Name": "name"}


def test_every_top_level_key_is_nullable_by_default() -> None:
    parser = KieOutputParser(schema=LINE_ITEMS_SCHEMA)
    assert parser.parse("{}") == dict.fromkeys(LINE_ITEMS_SCHEMA["properties"])


def test_enforce_required() -> None:
    parser = KieOutputParser(schema=LINE_ITEMS_SCHEMA, enforce_required=True)
    err = parse_error(parser, '{"invoice_no": "12345678", "total": "未知"}')
    assert err.errors == ["$.total: a value is required, but the answer is null or missing"]


def test_pydantic_model_schema_with_refs() -> None:
    class Item(BaseModel):
        name: str
        amount: float

    class Receipt(BaseModel):
        store: str | None = None
        total: float
        items: list[Item] = []

    parser = KieOutputParser(schema=Receipt)
    result = parser.parse('{"Store": "ACME", "total": "¥9.90", "items": [{"name": "tea", "amount": "9.90"}]}')
    assert result == {"store": "ACME", "total": 9.9, "items": [{"name": "tea", "amount": 9.9}]}
    err = parse_error(parser, '{"total": 1, "items": [{"name": "tea"}]}')
    assert err.errors == ["$.items[0]: 'amount' is a required property"]


# ------------------------------------------------------------------------------------------
# Schemas and construction
# ------------------------------------------------------------------------------------------


def test_schema_from_keys() -> None:
    assert schema_from_keys(["a", "b"]) == {
        "type": "object",
        "properties": {"a": {"type": ["string", "null"]}, "b": {"type": ["string", "null"]}},
        "required": ["a", "b"],
        "additionalProperties": False,
    }


@pytest.mark.parametrize(
    ("keys", "error"),
    [([], ValueError), ("total", ValueError), (["a", "a"], ValueError), (["a", " "], ValueError), ([1], TypeError)],
)
def test_schema_from_keys_rejects_bad_keys(keys: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        schema_from_keys(keys)


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        ({"type": "array", "items": {}}, '"type": "object"'),
        ({"type": "object"}, "properties"),
        ({"type": "object", "properties": {}}, "properties"),
        ({"type": "object", "properties": {"a": {"type": "strin"}}}, "invalid JSON Schema"),
        ([1, 2], "mapping"),
    ],
)
def test_check_schema_rejects_non_object_schemas(schema: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_schema(schema)


def test_user_schema_is_used_as_is() -> None:
    parser = KieOutputParser(schema=LINE_ITEMS_SCHEMA)
    assert parser.json_schema == LINE_ITEMS_SCHEMA
    assert parser.json_schema is not LINE_ITEMS_SCHEMA
    assert parser.keys == list(LINE_ITEMS_SCHEMA["properties"])


def test_constructor_needs_exactly_one_spec() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        KieOutputParser()
    with pytest.raises(ValueError, match="exactly one"):
        KieOutputParser(["a"], schema=LINE_ITEMS_SCHEMA)
    assert KieOutputParser(LINE_ITEMS_SCHEMA).keys == list(LINE_ITEMS_SCHEMA["properties"])


# ------------------------------------------------------------------------------------------
# Instructions and re-asking
# ------------------------------------------------------------------------------------------


def test_format_instructions_name_the_keys(parser: KieOutputParser) -> None:
    text = parser.get_format_instructions()
    assert json.dumps(KEYS, ensure_ascii=False) in text
    assert "null" in text
    assert "exactly these keys" in text


def test_format_instructions_describe_typed_schemas() -> None:
    text = KieOutputParser(schema=LINE_ITEMS_SCHEMA).get_format_instructions()
    assert "- total: number" in text
    assert '- currency: one of "CNY" | "USD"' in text
    assert "- items: list of objects with keys: name (string), amount (number)" in text


def test_retry_message(parser: KieOutputParser) -> None:
    schema_parser = KieOutputParser(schema=LINE_ITEMS_SCHEMA)
    err = parse_error(schema_parser, '{"invoice_no": "1", "total": "x"}')
    text = schema_parser.retry_message(err)
    assert "$.invoice_no: '1' does not match" in text
    assert "$.total: 'x' is not of type" in text
    assert json.dumps(schema_parser.keys, ensure_ascii=False) in text
    assert "JSON" in text and "null" in text
    assert retry_message(err) == text  # the error knows its keys

    many = ExtractionParseError("bad", reply="r", errors=[f"e{i}" for i in range(20)], keys=["a"])
    assert "- e7" in retry_message(many) and "- e8" not in retry_message(many)


def test_parse_result_type(parser: KieOutputParser) -> None:
    details = parser.parse_with_details('{"账单日": "5日"}')
    assert isinstance(details, ParseResult)
    assert details == ParseResult(values={"可用额度": None, "账单日": "5日", "到期还款日": None})


# ------------------------------------------------------------------------------------------
# Property test
# ------------------------------------------------------------------------------------------

hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies

_PROSE = st.text(alphabet=st.sampled_from("abcXYZ 是的结果如下。:：,\n"), max_size=30)
_KEY = st.text(min_size=1, max_size=12).filter(lambda k: k.strip() != "")
_VALUE = st.text(max_size=20).filter(lambda v: "think" not in v.lower() and "reasoning" not in v.lower())


@hypothesis.settings(max_examples=300, deadline=None)
@hypothesis.given(
    data=st.dictionaries(_KEY, _VALUE, min_size=1, max_size=6),
    before=_PROSE,
    after=_PROSE,
    wrap=st.sampled_from(["plain", "fence", "json-fence", "prose"]),
    ensure_ascii=st.booleans(),
    indent=st.sampled_from([None, 2]),
)
def test_property_string_values_round_trip(
    data: dict[str, str], before: str, after: str, wrap: str, ensure_ascii: bool, indent: int | None
) -> None:
    payload = json.dumps(data, ensure_ascii=ensure_ascii, indent=indent)
    reply = {
        "plain": payload,
        "fence": f"```\n{payload}\n```",
        "json-fence": f"{before}\n```json\n{payload}\n```\n{after}",
        "prose": f"{before} {payload} {after}",
    }[wrap]
    result = KieOutputParser(list(data)).parse(reply)
    assert list(result) == list(data)
    assert result == {k: None if is_null_answer(v) else v.strip() for k, v in data.items()}


def test_the_schema_helpers_live_in_ocr_kie_schema_and_the_old_paths_still_work():
    import ocr_kie.parser
    import ocr_kie.pipeline.chain
    import ocr_kie.pipeline.grounded
    from ocr_kie import schema

    for name in ("KeySpec", "check_schema", "schema_from_keys", "schema_from_spec"):
        assert getattr(ocr_kie.parser, name) is getattr(schema, name), name
    assert schema.flat_schema is ocr_kie.pipeline.grounded.flat_schema
    assert ocr_kie.pipeline.chain.default_max_tokens is schema.default_max_tokens
    assert schema.default_max_tokens(schema.schema_from_keys(["a", "b"])) == 128
    assert schema.flat_schema(schema.schema_from_keys(["a"]))
    with pytest.raises(AttributeError):
        schema.no_such_helper  # noqa: B018
