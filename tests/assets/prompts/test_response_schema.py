"""Response schemas are checked when the spec is built."""

from __future__ import annotations

from typing import Any

import pytest

from shipyard.assets.prompts import Message, PromptSpec
from shipyard.core.errors import InvalidInput


def with_schema(schema: Any) -> PromptSpec:
    return PromptSpec([Message("user", "hi")], response_schema=schema)


GOOD = [
    {"type": "string"},
    {"type": ["string", "null"], "maxLength": 10},
    {
        "type": "object",
        "properties": {
            "answer": {"type": "string", "pattern": "^[A-Z]"},
            "sources": {"type": "array", "items": {"$ref": "#/$defs/Source"}, "minItems": 1},
            "score": {"type": "number", "minimum": 0, "maximum": 1, "multipleOf": 0.5},
            "kind": {"enum": ["a", "b"]},
            "any": True,
            "extra": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
        },
        "required": ["answer", "sources"],
        "additionalProperties": False,
        "$defs": {
            "Source": {
                "type": "object",
                "properties": {"url": {"type": "string", "format": "uri"}},
                "required": ["url"],
            }
        },
        "x-vendor": {"anything": "goes"},
    },
    {"type": "array", "prefixItems": [{"type": "string"}], "items": False},
    {"type": "array", "items": [{"type": "string"}, {"type": "number"}]},
    {
        "type": "object",
        "patternProperties": {"^s_": {"type": "string"}},
        "required": ["s_a"],
        "additionalProperties": False,
    },
    {
        "type": "object",
        "properties": {"a~b/c": {"type": "string"}},
        "x": {"$ref": "#/properties/a~0b~1c"},
    },
    {"type": "object", "$ref": "#"},
]


@pytest.mark.parametrize("schema", GOOD)
def test_valid_schemas_are_accepted_and_kept(schema: dict[str, Any]) -> None:
    assert with_schema(schema).response_schema == schema


BAD = [
    ([], "response_schema must be a JSON object holding a JSON Schema"),
    ({"properties": {}}, 'needs a top-level "type"'),
    ({"type": "int"}, "at /type: unknown type 'int'; use one of object, array"),
    ({"type": []}, "at /type: must be a type name or a non-empty list"),
    ({"type": ["string", "string"]}, "at /type: must be a type name"),
    ({"type": "object", "properties": []}, "at /properties: must be an object of schemas"),
    ({"type": "object", "properties": {"a": "string"}}, "at /properties/a: must be a schema"),
    ({"type": "object", "properties": {"a": {"type": "strin"}}}, "at /properties/a/type: unknown"),
    ({"type": "object", "required": "a"}, "at /required: must be a list of property names"),
    ({"type": "object", "required": ["a", "a"]}, "at /required: lists a property name more"),
    (
        {
            "type": "object",
            "properties": {"name": {}},
            "required": ["nmae"],
            "additionalProperties": False,
        },
        "at /required: 'nmae' not in properties while additionalProperties is false",
    ),
    ({"type": "string", "minLength": -1}, "at /minLength: must be a whole number >= 0"),
    ({"type": "string", "maxLength": "5"}, "at /maxLength: must be a whole number"),
    ({"type": "number", "minimum": "0"}, "at /minimum: must be a number"),
    ({"type": "number", "multipleOf": 0}, "at /multipleOf: must be greater than 0"),
    ({"type": "string", "pattern": "(["}, "at /pattern: '\\(\\[' is not a valid regular"),
    ({"type": "object", "patternProperties": {"(": {}}}, "at /patternProperties: '\\(' is not"),
    ({"type": "string", "enum": []}, "at /enum: must be a non-empty list"),
    ({"type": "array", "uniqueItems": "yes"}, "at /uniqueItems: must be true or false"),
    ({"type": "array", "items": 3}, "at /items: must be a schema"),
    ({"type": "array", "anyOf": []}, "at /anyOf: must be a non-empty list of schemas"),
    ({"type": "array", "allOf": [{"type": "nope"}]}, "at /allOf/0/type: unknown type"),
    ({"type": "object", "$ref": "#/$defs/Missing"}, "at /\\$ref: '#/\\$defs/Missing' points to"),
    ({"type": "object", "$ref": "https://example.com/s.json"}, "is not a local reference"),
    ({"type": "object", "title": 3}, "at /title: must be a string"),
    ({"type": "number", "maximum": float("nan")}, "response_schema must be plain JSON"),
]


@pytest.mark.parametrize(("schema", "message"), BAD)
def test_invalid_schemas_say_where_and_what(schema: Any, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        with_schema(schema)


def test_schema_problems_are_reported_with_a_json_pointer() -> None:
    schema = {
        "type": "object",
        "properties": {"a/b": {"type": "object", "properties": {"c": {"type": "float"}}}},
    }
    with pytest.raises(InvalidInput) as info:
        with_schema(schema)
    assert info.value.message == (
        "response_schema at /properties/a~1b/properties/c/type: unknown type 'float';"
        " use one of object, array, string, number, integer, boolean, null"
    )
