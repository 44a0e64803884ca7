"""Per-case scorers for structured output: is it JSON, does it follow a JSON Schema.

They need no expected value, so every successful case is scored. An output
that already is a dict or a list (a Python target that returns structures)
counts as JSON as it is.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

from shipyard.core.errors import InvalidInput
from shipyard.evals.results import CaseResult
from shipyard.evals.scorers.registry import scorer

_MISSING = object()


def parse_json(output: Any) -> Any:
    """The JSON value an output holds, or ``_MISSING`` when it is not JSON."""
    if output is None:  # no answer at all, not the JSON null
        return _MISSING
    if isinstance(output, dict | list | bool | int | float):
        return output
    try:
        return json.loads(str(output))
    except ValueError:
        return _MISSING


@scorer("json_valid")
def json_valid(case: CaseResult) -> bool:
    """The output is valid JSON text (or already a JSON-like structure)."""
    return parse_json(case.output) is not _MISSING


def _load_schema(options: dict[str, Any]) -> dict[str, Any]:
    """Read the schema once (inline JSON or a file path) and build its validator."""
    schema = options["schema"]
    if isinstance(schema, str):
        path = Path(schema)
        if not path.is_file():
            raise InvalidInput(
                f"scorer 'json_schema': schema= is neither inline JSON nor a file: {schema!r}"
            )
        try:
            schema = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise InvalidInput(f"scorer 'json_schema': {path} is not JSON: {exc}") from None
    if not isinstance(schema, dict | bool):
        raise InvalidInput("scorer 'json_schema': schema= must be a JSON object (a JSON Schema)")
    try:
        jsonschema = importlib.import_module("jsonschema")
    except ImportError:
        raise ImportError(
            "the json_schema scorer needs the jsonschema package: pip install jsonschema"
        ) from None
    cls = jsonschema.validators.validator_for(schema)
    try:
        cls.check_schema(schema)
    except jsonschema.exceptions.SchemaError as exc:
        raise InvalidInput(
            f"scorer 'json_schema': not a valid JSON Schema: {exc.message}"
        ) from None
    options["schema"] = cls(schema)
    return options


@scorer("json_schema", prepare=_load_schema)
def json_schema(case: CaseResult, *, schema: Any) -> bool:
    """The output is JSON that validates against ``schema`` (inline JSON or a path to a file)."""
    value = parse_json(case.output)
    if value is _MISSING:
        return False
    return bool(schema.is_valid(value))
