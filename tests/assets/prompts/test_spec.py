"""PromptSpec: checked when built, stored as JSON that round-trips exactly."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shipyard.assets.prompts import Message, ModelSettings, PromptSpec
from shipyard.core.errors import InvalidInput

SCHEMA = {
    "type": "object",
    "properties": {"answer": {"type": "string"}, "confidence": {"type": "number"}},
    "required": ["answer"],
    "additionalProperties": False,
}


def full_spec() -> PromptSpec:
    return PromptSpec(
        messages=[
            Message("system", "You answer questions about {{ product }}."),
            Message("user", "{{ question }}\n"),
        ],
        model=ModelSettings(
            provider="openai",
            model="gpt-4o-mini",
            temperature=0.2,
            max_tokens=512,
            extra={"top_p": 0.9, "stop": ["\n\n"]},
        ),
        response_schema=SCHEMA,
        description="Support answers",
    )


def test_to_dict_is_plain_json_and_round_trips_exactly() -> None:
    spec = full_spec()
    data = spec.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data == {
        "description": "Support answers",
        "messages": [
            {"role": "system", "content": "You answer questions about {{ product }}."},
            {"role": "user", "content": "{{ question }}\n"},
        ],
        "model": {
            "provider": "openai",
            "model": "gpt-4o-mini",
            "temperature": 0.2,
            "max_tokens": 512,
            "extra": {"top_p": 0.9, "stop": ["\n\n"]},
        },
        "response_schema": SCHEMA,
    }
    again = PromptSpec.from_dict(json.loads(json.dumps(data)))
    assert again == spec
    assert again.to_dict() == data


def test_minimal_spec_round_trips() -> None:
    spec = PromptSpec([Message("user", "Hi")])
    data = spec.to_dict()
    assert data == {
        "description": "",
        "messages": [{"role": "user", "content": "Hi"}],
        "model": None,
        "response_schema": None,
    }
    assert PromptSpec.from_dict(data) == spec
    assert PromptSpec.from_dict({"messages": [{"role": "user", "content": "Hi"}]}) == spec


def test_spec_is_immutable_and_keeps_its_own_copies() -> None:
    schema: dict[str, Any] = {"type": "object", "properties": {}}
    extra: dict[str, Any] = {"top_p": 0.5}
    messages = [Message("user", "Hi")]
    spec = PromptSpec(messages, model=ModelSettings(extra=extra), response_schema=schema)
    schema["type"] = "string"
    extra["top_p"] = 1.0
    messages.append(Message("user", "more"))
    assert spec.response_schema == {"type": "object", "properties": {}}
    assert spec.model is not None and spec.model.extra == {"top_p": 0.5}
    assert len(spec.messages) == 1
    assert isinstance(spec.messages, tuple)
    with pytest.raises(AttributeError):
        spec.description = "changed"  # type: ignore[misc]
    spec.to_dict()["response_schema"]["type"] = "array"
    assert spec.response_schema["type"] == "object"


def test_integer_temperature_is_stored_as_float() -> None:
    settings = ModelSettings(temperature=1)
    assert settings.temperature == 1.0 and isinstance(settings.temperature, float)
    assert ModelSettings.from_dict(settings.to_dict()) == settings


def test_from_text_plain_template_is_one_user_message() -> None:
    spec = PromptSpec.from_text("Summarise {{ text }}\n")
    assert spec == PromptSpec([Message("user", "Summarise {{ text }}\n")])


@pytest.mark.parametrize(
    "text", ["{{ greeting }}, how are you?", "{% if x %}a{% endif %}", "{# c #}hi"]
)
def test_from_text_template_starting_with_a_jinja_opener_is_a_template(text: str) -> None:
    assert PromptSpec.from_text(text).messages == (Message("user", text),)


def test_from_text_reads_a_json_spec() -> None:
    spec = full_spec()
    assert PromptSpec.from_text("\n  " + json.dumps(spec.to_dict(), indent=2)) == spec


def test_from_text_malformed_json_says_where() -> None:
    with pytest.raises(InvalidInput, match=r"read as a JSON spec.*line 1, column"):
        PromptSpec.from_text('{"messages": [}')


@pytest.mark.parametrize("text", ["", "   \n"])
def test_from_text_empty_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match="prompt text is empty"):
        PromptSpec.from_text(text)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "prompt spec must be a JSON object"),
        ({}, '"messages": a list'),
        ({"messages": []}, "at least one message"),
        ({"messages": "hi"}, '"messages": a list'),
        ({"messages": [{"role": "user"}]}, r'messages\[0\] needs both "role" and "content"'),
        ({"messages": ["hi"]}, r"messages\[0\] must be a JSON object"),
        (
            {"messages": [{"role": "user", "content": "x", "name": "bob"}]},
            r"messages\[0\] has unknown key\(s\) 'name'; allowed: content, role",
        ),
        ({"messages": [{"role": "human", "content": "x"}]}, "'human' is not one of system, user"),
        ({"messages": [{"role": "user", "content": 3}]}, "content must be a template string"),
        (
            {"messages": [{"role": "user", "content": "x"}], "temprature": 1},
            "unknown key\\(s\\) 'temprature'",
        ),
        (
            {"messages": [{"role": "user", "content": "x"}], "model": {"temp": 1}},
            "model has unknown key\\(s\\) 'temp'",
        ),
        (
            {"messages": [{"role": "user", "content": "x"}], "model": "gpt-4o"},
            "model must be a JSON object",
        ),
        (
            {"messages": [{"role": "user", "content": "x"}], "description": 5},
            "description must be a string",
        ),
        (
            {"messages": [{"role": "user", "content": "x"}], "response_schema": "object"},
            "response_schema must be a JSON object",
        ),
    ],
)
def test_from_dict_refuses_bad_specs_saying_what_is_wrong(data: object, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        PromptSpec.from_dict(data)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"provider": ""}, "provider must be a non-empty string"),
        ({"model": 4}, "model must be a non-empty string"),
        ({"temperature": -0.1}, "temperature must be from 0 to 2"),
        ({"temperature": 2.5}, "temperature must be from 0 to 2"),
        ({"temperature": float("nan")}, "temperature must be from 0 to 2"),
        ({"temperature": True}, "temperature must be from 0 to 2"),
        ({"temperature": "0.2"}, "temperature must be from 0 to 2"),
        ({"max_tokens": 0}, "max_tokens must be a whole number >= 1"),
        ({"max_tokens": 1.5}, "max_tokens must be a whole number >= 1"),
        ({"max_tokens": True}, "max_tokens must be a whole number >= 1"),
        ({"extra": {"temperature": 1}}, "set temperature as field"),
        ({"extra": {"x": float("inf")}}, "extra must be plain JSON"),
        ({"extra": {"x": object()}}, "extra must be plain JSON"),
        ({"extra": [1]}, "extra must be an object"),
    ],
)
def test_model_settings_are_checked(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        ModelSettings(**kwargs)


def test_a_broken_template_fails_when_the_spec_is_built() -> None:
    with pytest.raises(InvalidInput, match=r"prompt messages\[1\] \(user\), line 2: "):
        PromptSpec([Message("system", "fine"), Message("user", "ok\n{{ name }")])


def test_messages_must_be_message_objects() -> None:
    with pytest.raises(InvalidInput, match="must be a list of Message"):
        PromptSpec("hello")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match=r"messages\[0\] must be a Message"):
        PromptSpec([{"role": "user", "content": "x"}])  # type: ignore[list-item]
