"""JSON on the hot paths: orjson, falling back to the standard library where orjson says no.

The gateway parses and writes a JSON body per call and the trace writer
encodes every span's attributes; with the standard library that was about a
tenth of a gateway process's CPU, orjson does the same in a few microseconds.

What comes out is what ``json`` gives, except that orjson writes NaN and
infinities as ``null`` (``json`` writes ``NaN``, which is not JSON), reads an
integer beyond 64 bits as a float, and anything ``dumps`` cannot encode is
written as ``str(value)`` (as the trace rows always were). Where orjson
refuses what ``json`` accepts (writing an integer beyond 64 bits, reading
``NaN``) the standard library does the work, so nothing that worked before
fails now, and an invalid document fails with ``json``'s own message.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS
_fallback = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=str).encode


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON (non-ASCII as is)."""
    try:
        return orjson.dumps(value, default=str, option=_OPTIONS)
    except (TypeError, orjson.JSONEncodeError):
        return _fallback(value).encode()


def dumps_text(value: Any) -> str:
    """``dumps`` as a ``str``."""
    try:
        return orjson.dumps(value, default=str, option=_OPTIONS).decode()
    except (TypeError, orjson.JSONEncodeError):
        return _fallback(value)


def loads(data: bytes | bytearray | memoryview | str) -> Any:
    """The value of a JSON document; ``ValueError`` (``json``'s message) when it is not one."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(bytes(data) if isinstance(data, memoryview) else data)
