"""The OpenAI wire translation and the error mapping, without a server."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shipyard.core.errors import (
    Forbidden,
    InvalidInput,
    NotFound,
    ProviderError,
    RateLimited,
    StoreError,
    Unauthorized,
)
from shipyard.llm.gateway import openai_wire as wire
from shipyard.llm.gateway.errors import ModelNotFound, WireError, error_payload
from shipyard.llm.gateway.sse import ChunkFrames
from shipyard.llm.types import LLMResponse, Usage


def test_chat_body_becomes_a_request() -> None:
    parsed = wire.parse_chat(
        {
            "model": "fast",
            "messages": [
                {"role": "system", "content": "be brief"},
                {"role": "user", "content": [{"type": "text", "text": "hi "}, {"text": "there"}]},
            ],
            "max_completion_tokens": 5,
            "temperature": 0,
            "stop": ["\n"],
            "user": "u1",
            "metadata": {"team": "a"},
            "store": True,  # ignored, as other OpenAI-compatible servers do
            "stream": True,
            "stream_options": {"include_usage": True},
        },
        "default",
    )
    request = parsed.request
    assert request.operation == "chat" and request.model == "fast" and request.stream
    assert [m.content for m in request.messages] == ["be brief", "hi there"]
    assert dict(request.params) == {"max_tokens": 5, "temperature": 0, "stop": ["\n"]}
    assert request.user == "u1" and dict(request.metadata) == {"team": "a"}
    assert parsed.include_usage


def test_a_missing_model_is_the_default_one() -> None:
    parsed = wire.parse_completion({"prompt": ["one prompt"]}, "local/gemma-3-270m")
    assert parsed.model == parsed.request.model == "local/gemma-3-270m"
    assert parsed.request.prompt == "one prompt"


@pytest.mark.parametrize(
    ("parse", "body", "param"),
    [
        (
            wire.parse_chat,
            {"messages": [{"role": "user", "content": [{"type": "image_url"}]}]},
            "messages[0].content",
        ),
        (wire.parse_chat, {"messages": [{"content": "no role"}]}, "messages[0]"),
        (wire.parse_chat, {"messages": [{"role": "user", "content": "x"}], "model": 3}, "model"),
        (
            wire.parse_chat,
            {"messages": [{"role": "user", "content": "x"}], "metadata": {"a": 1}},
            "metadata",
        ),
        (wire.parse_chat, {"messages": [{"role": "user", "content": "x"}], "seed": 1.5}, "seed"),
        (wire.parse_chat, {"messages": [{"role": "user", "content": "x"}], "stop": [1]}, "stop"),
        (wire.parse_completion, {"prompt": ["a", "b"]}, "prompt"),
        (wire.parse_completion, {"prompt": [1, 2, 3]}, "prompt"),
        (wire.parse_embedding, {"input": []}, "input"),
        (wire.parse_embedding, {"input": [[1, 2]]}, "input"),
        (wire.parse_embedding, {"input": "x", "encoding_format": "int8"}, "encoding_format"),
        (wire.parse_embedding, {"input": "x", "stream": True}, "stream"),
    ],
)
def test_mistakes_name_the_field(parse: Any, body: dict[str, Any], param: str) -> None:
    with pytest.raises(WireError) as caught:
        parse(body, "m")
    assert caught.value.param == param


def test_load_json_refuses_what_is_not_an_object() -> None:
    for raw in (b"", b"nope", b'"text"', b"\xff\xfe"):
        with pytest.raises(WireError) as caught:
            wire.load_json(raw)
        assert caught.value.code == "invalid_json"


def test_answer_bodies_echo_the_asked_model_and_carry_shipyard() -> None:
    parsed = wire.parse_chat({"model": "fast", "messages": [{"role": "user", "content": "x"}]}, "")
    response = LLMResponse(
        model="openai/gpt-4o-mini",
        text="hello",
        usage=Usage(3, 1),
        cost_usd=0.25,
        cache="semantic",
        attempts=2,
        trace_id="t1",
    )
    body = wire.chat_body(response, parsed, "chatcmpl-1", 7)
    assert body["model"] == "fast"
    assert body["choices"][0]["message"]["content"] == "hello"
    assert body["usage"] == {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}
    assert body["shipyard"] == {
        "target": "openai/gpt-4o-mini",
        "cache": "semantic",
        "trace_id": "t1",
        "cost_usd": 0.25,
        "attempts": 2,
    }


def test_chunk_frames_are_valid_json_lines() -> None:
    frames = ChunkFrames("chat", 'id"1', 5, "m\\x", include_usage=True)
    for frame in (frames.first(), frames.text('quote " and \n newline')):
        assert frame.startswith(b"data: ") and frame.endswith(b"\n\n")
        data = json.loads(frame[6:])
        assert data["id"] == 'id"1' and data["model"] == "m\\x" and data["usage"] is None
    end = frames.end("length", {"prompt_tokens": 1}, {"target": "x"}).decode()
    finish, usage, done, _ = end.split("\n\n")
    assert json.loads(finish[6:])["choices"][0]["finish_reason"] == "length"
    assert json.loads(usage[6:])["usage"] == {"prompt_tokens": 1}
    assert done == "data: [DONE]"


@pytest.mark.parametrize(
    ("exc", "status", "type_", "code"),
    [
        (InvalidInput("bad"), 400, "invalid_request_error", None),
        (Unauthorized("who?"), 401, "invalid_request_error", "invalid_api_key"),
        (Forbidden("no"), 403, "permission_error", "permission_denied"),
        (NotFound("gone"), 404, "invalid_request_error", "not_found"),
        (ModelNotFound("x", ["a"]), 404, "invalid_request_error", "model_not_found"),
        (
            RateLimited("over its limit of 5 requests/minute", retry_after_s=3.2),
            429,
            "rate_limit_exceeded",
            "rate_limit",
        ),
        (
            RateLimited("over its budget of $1.00/day", retry_after_s=7200),
            429,
            "rate_limit_exceeded",
            "budget_exceeded",
        ),
        (
            ProviderError("down", upstream_status=503, retryable=True),
            502,
            "upstream_error",
            "upstream_503",
        ),
        (
            ProviderError("slow", status=504, retryable=True),
            504,
            "upstream_error",
            "upstream_failure",
        ),
        (StoreError("db gone"), 503, "server_error", None),
    ],
)
def test_errors_map_to_openai_shapes(exc: Exception, status: int, type_: str, code: Any) -> None:
    got_status, body, _ = error_payload(exc)
    assert got_status == status
    assert body["error"]["type"] == type_
    assert body["error"]["code"] == code
    assert body["error"]["message"] == exc.args[0] or type(exc) is ModelNotFound


def test_retry_headers() -> None:
    _, _, headers = error_payload(RateLimited("rpm", retry_after_s=3.2))
    assert headers == {"retry-after": "4"}
    _, _, headers = error_payload(RateLimited("budget", retry_after_s=7200))
    assert headers == {"retry-after": "7200", "x-should-retry": "false"}
    _, _, headers = error_payload(RateLimited("spent its total budget"))
    assert headers == {"x-should-retry": "false"}
    _, _, headers = error_payload(ProviderError("429", retryable=True, retry_after_s=2))
    assert headers == {"retry-after": "2"}
    _, _, headers = error_payload(ProviderError("401 upstream", retryable=False))
    assert headers == {"x-should-retry": "false"}


def test_an_unexpected_error_says_nothing_of_its_insides() -> None:
    status, body, _ = error_payload(KeyError("sk-secret-in-a-bug"))
    assert status == 500
    assert body["error"]["type"] == "server_error"
    assert "sk-secret" not in json.dumps(body) and "KeyError" in body["error"]["message"]
