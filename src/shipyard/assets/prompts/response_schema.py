"""Checks that a prompt's response schema is a usable JSON Schema.

A bad schema should fail when the prompt is registered, not on the first
request that asks a provider for structured output. Without a dependency on a
full validator this checks what catches real mistakes: the shape of every
keyword the 2020-12 draft defines (and the older ``definitions`` and
``items``-as-list forms), ``type`` names, regular expressions, local
``$ref`` targets, and ``required`` names missing from a closed object.
Unknown keywords are allowed, as JSON Schema itself allows them.
"""

from __future__ import annotations

import re
from typing import Any

from shipyard.core.errors import InvalidInput

_TYPES = ("object", "array", "string", "number", "integer", "boolean", "null")
_SCHEMA_MAPS = frozenset(
    {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"}
)
_SCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_SCHEMAS = frozenset(
    {
        "additionalProperties",
        "unevaluatedProperties",
        "additionalItems",
        "unevaluatedItems",
        "contains",
        "propertyNames",
        "not",
        "if",
        "then",
        "else",
    }
)
_COUNTS = frozenset(
    {
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "minProperties",
        "maxProperties",
        "minContains",
        "maxContains",
    }
)
_NUMBERS = frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"})
_STRINGS = frozenset(
    {"title", "description", "format", "$schema", "$id", "$comment", "$anchor", "pattern", "$ref"}
)


def check_response_schema(schema: object) -> None:
    """Raise ``InvalidInput`` naming the first problem in ``schema``, if any.

    ``schema`` must already be plain JSON (dicts, lists, str, numbers, bools, None).
    """
    if not isinstance(schema, dict):
        raise InvalidInput(
            "response_schema must be a JSON object holding a JSON Schema,"
            f' such as {{"type": "object", "properties": {{...}}}}; got {_kind(schema)}'
        )
    if "type" not in schema:
        raise InvalidInput(
            'response_schema needs a top-level "type", such as "type": "object"'
            f" (one of {', '.join(_TYPES)})"
        )
    _check(schema, "", schema)


def _fail(path: str, problem: str) -> InvalidInput:
    return InvalidInput(f"response_schema at {path or '/'}: {problem}")


def _kind(value: object) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "null" if value is None else "a number"
    )


def _pointer(path: str, key: str) -> str:
    return f"{path}/{key.replace('~', '~0').replace('/', '~1')}"


def _check(node: object, path: str, root: dict[str, Any]) -> None:
    if isinstance(node, bool):
        return  # true and false are schemas: anything, and nothing
    if not isinstance(node, dict):
        raise _fail(path, f"must be a schema (an object, or true/false); got {_kind(node)}")
    for key, value in node.items():
        where = _pointer(path, key)
        if key == "type":
            _check_type(value, where)
        elif key in _SCHEMA_MAPS:
            if not isinstance(value, dict):
                raise _fail(where, f"must be an object of schemas; got {_kind(value)}")
            for name, sub in value.items():
                if key == "patternProperties":
                    _check_regex(name, where)
                _check(sub, _pointer(where, name), root)
        elif key in _SCHEMA_LISTS or (key == "items" and isinstance(value, list)):
            if not isinstance(value, list) or not value:
                raise _fail(where, f"must be a non-empty list of schemas; got {_kind(value)}")
            for i, sub in enumerate(value):
                _check(sub, f"{where}/{i}", root)
        elif key in _SCHEMAS or key == "items":
            _check(value, where, root)
        elif key in _COUNTS:
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise _fail(where, f"must be a whole number >= 0; got {value!r}")
        elif key in _NUMBERS:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise _fail(where, f"must be a number; got {_kind(value)}")
            if key == "multipleOf" and value <= 0:
                raise _fail(where, f"must be greater than 0; got {value!r}")
        elif key in _STRINGS:
            _check_string_keyword(key, value, where, root)
        elif key == "required":
            _check_names(value, where)
        elif key == "enum" and (not isinstance(value, list) or not value):
            raise _fail(where, f"must be a non-empty list of allowed values; got {_kind(value)}")
        elif key == "uniqueItems" and not isinstance(value, bool):
            raise _fail(where, f"must be true or false; got {_kind(value)}")
    _check_closed_object(node, path)


def _check_type(value: object, where: str) -> None:
    names = value if isinstance(value, list) else [value]
    if not names or len(set(map(repr, names))) != len(names):
        raise _fail(where, "must be a type name or a non-empty list of different type names")
    for name in names:
        if name not in _TYPES:
            raise _fail(where, f"unknown type {name!r}; use one of {', '.join(_TYPES)}")


def _check_names(value: object, where: str) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(where, "must be a list of property names (strings)")
    if len(set(value)) != len(value):
        raise _fail(where, "lists a property name more than once")


def _check_regex(pattern: str, where: str) -> None:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise _fail(where, f"{pattern!r} is not a valid regular expression: {exc}") from None


def _check_string_keyword(key: str, value: object, where: str, root: dict[str, Any]) -> None:
    if not isinstance(value, str):
        raise _fail(where, f"must be a string; got {_kind(value)}")
    if key == "pattern":
        _check_regex(value, where)
    elif key == "$ref":
        _check_ref(value, where, root)


def _check_ref(ref: str, where: str, root: dict[str, Any]) -> None:
    """A provider never fetches remote schemas, so a reference must point inside this one."""
    if not ref.startswith("#"):
        raise _fail(where, f"{ref!r} is not a local reference; inline the schema under $defs")
    if ref != "#" and not ref.startswith("#/"):
        return  # a named anchor ("#node"); not resolved here
    target: object = root
    for raw in ref[2:].split("/") if ref != "#" else []:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(target, dict) and part in target:
            target = target[part]
        elif isinstance(target, list) and part.isdigit() and int(part) < len(target):
            target = target[int(part)]
        else:
            raise _fail(where, f"{ref!r} points to nothing in response_schema")


def _check_closed_object(node: dict[str, Any], path: str) -> None:
    """A required name that a closed object does not define can never be satisfied."""
    required, properties = node.get("required"), node.get("properties", {})
    if node.get("additionalProperties") is not False or not isinstance(properties, dict):
        return
    if node.get("patternProperties"):
        return  # a pattern may admit the name
    unknown = [name for name in required or [] if name not in properties]
    if unknown:
        raise _fail(
            _pointer(path, "required"),
            f"{', '.join(map(repr, unknown))} not in properties while additionalProperties"
            " is false; add the property or fix the name",
        )
