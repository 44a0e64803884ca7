"""fastjson: orjson's speed with the standard library's answers, and its errors."""

from __future__ import annotations

import json
import math

import pytest

from shipyard.core import fastjson


def test_dumps_is_compact_utf8_json_that_json_reads_back() -> None:
    value = {"a": [1, 2.5, None, True], "é": "naïve ✓", "nested": {"k": (1, 2)}}
    out = fastjson.dumps(value)
    assert isinstance(out, bytes) and b" " not in out.replace(b"na\xc3\xafve \xe2\x9c\x93", b"")
    assert "naïve ✓".encode() in out  # not \u escapes
    assert json.loads(out) == {"a": [1, 2.5, None, True], "é": "naïve ✓", "nested": {"k": [1, 2]}}
    assert fastjson.dumps_text(value) == out.decode()


def test_what_orjson_cannot_write_is_written_as_json_would() -> None:
    # integers beyond 64 bits and non-string keys
    assert json.loads(fastjson.dumps({"big": 2**70})) == {"big": 2**70}
    assert json.loads(fastjson.dumps({1: "one"})) == {"1": "one"}
    # anything else becomes its str(), as trace attributes always did
    assert json.loads(fastjson.dumps({"t": object})) == {"t": str(object)}
    assert fastjson.dumps_text([math.nan]) == "[null]"


def test_loads_reads_what_json_reads_and_fails_with_its_message() -> None:
    assert fastjson.loads(b'{"a": [1, "x"]}') == {"a": [1, "x"]}
    assert fastjson.loads('{"a": 1}') == {"a": 1}
    assert fastjson.loads(memoryview(b"[1]")) == [1]
    nan = fastjson.loads(b'{"x": NaN}')["x"]  # orjson refuses NaN; json reads it
    assert math.isnan(nan)
    with pytest.raises(ValueError, match="Expecting property name"):
        fastjson.loads(b"{bad")
    with pytest.raises(ValueError):
        fastjson.loads(b"\xff\xfe")
