"""Read a scorer spec: ``name`` or ``name:key=value,key=value``.

Specs come from the command line (``--scorer regex:pattern=^yes``) and from
policy files, so they are one string. A value runs up to the next
``,key=``; a value that starts with ``{``, ``[`` or ``"`` is read as one JSON
value first, so an inline schema may hold commas
(``json_schema:schema={"type":"object","required":["a","b"]}``). A value that
reads as JSON becomes that value (``0.5``, ``true``), else it stays text;
options typed ``str`` always keep the text as written.
"""

from __future__ import annotations

import json
import re
from typing import Any

from shipyard.core.errors import InvalidInput

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*\Z")
_KEY = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=")
_NEXT_KEY = re.compile(r",(?=\s*[A-Za-z_][A-Za-z0-9_]*\s*=)")
_DECODER = json.JSONDecoder()


def parse_spec(spec: str) -> tuple[str, dict[str, str]]:
    """Split a spec into the scorer name and its options, values still as written.

    Raises:
        InvalidInput: the spec is not ``name`` or ``name:key=value,...``, or
            names an option twice.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise InvalidInput(
            f"a scorer spec is a name such as 'accuracy' or 'regex:pattern=^yes'; got {spec!r}"
        )
    name, _, rest = spec.strip().partition(":")
    name = name.strip()
    if not _NAME.match(name):
        raise InvalidInput(
            f"scorer spec {spec!r}: {name!r} is not a scorer name; write name or"
            " name:key=value,key=value"
        )
    options: dict[str, str] = {}
    pos = 0
    while pos < len(rest):
        found = _KEY.match(rest, pos)
        if found is None:
            raise InvalidInput(
                f"scorer spec {spec!r}: expected key=value at {rest[pos:]!r};"
                " write name:key=value,key=value"
            )
        key = found.group(1)
        if key in options:
            raise InvalidInput(f"scorer spec {spec!r} gives option {key!r} twice")
        value, pos = _value(rest, found.end())
        options[key] = value
        pos += 1  # the comma
    return name, options


def json_or_text(raw: str) -> Any:
    """The JSON value ``raw`` spells, or ``raw`` itself when it is not JSON."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _value(text: str, start: int) -> tuple[str, int]:
    """One value from ``start``; returns it and where it ended (at a comma or the end)."""
    begin = start
    while begin < len(text) and text[begin].isspace():
        begin += 1
    if text[begin : begin + 1] in ("{", "[", '"'):
        try:
            _, end = _DECODER.raw_decode(text, begin)
        except ValueError:
            pass
        else:
            after = end
            while after < len(text) and text[after].isspace():
                after += 1
            if after == len(text) or text[after] == ",":
                return text[begin:end], after
    following = _NEXT_KEY.search(text, start)
    end = following.start() if following else len(text)
    return text[start:end].strip(), end
