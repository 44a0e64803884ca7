"""The gateway's HTTP as curl sees it: SSE framing, headers, cache control, errors, hang-ups."""

from __future__ import annotations

import json
import sys
import time
import types
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from shipyard.llm.config import DEFAULT_STAGES
from shipyard.llm.stages.base import Call, Next
from shipyard.llm.testing.openai_server import FakeOpenAI
from shipyard.llm.types import LLMResponse, Outcome, ResponseStream

CHAT = {"model": "fast", "messages": [{"role": "user", "content": "one two three"}]}


def _events(text: str) -> list[str]:
    """The ``data:`` payloads of an SSE body, checking the framing on the way."""
    assert text.endswith("\n\n")
    blocks = text.split("\n\n")[:-1]
    assert all(b.startswith("data: ") and "\n" not in b for b in blocks), blocks
    return [b[len("data: ") :] for b in blocks]


def test_chat_stream_is_framed_like_openai(gateway_url: str) -> None:
    body = {**CHAT, "stream": True, "stream_options": {"include_usage": True}}
    r = httpx.post(f"{gateway_url}/v1/chat/completions", json=body, timeout=10)
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert r.headers["cache-control"] == "no-cache"
    assert r.headers["x-shipyard-target"] == "echo/fast-1"
    assert r.headers["x-shipyard-trace-id"]
    events = _events(r.text)
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    first = chunks[0]
    assert first["object"] == "chat.completion.chunk"
    assert first["choices"] == [
        {
            "index": 0,
            "delta": {"role": "assistant", "content": ""},
            "logprobs": None,
            "finish_reason": None,
        }
    ]
    assert all(c["usage"] is None for c in chunks[:-1])
    assert [c["choices"][0]["delta"] for c in chunks[1:-2]] == [
        {"content": "echo:"},
        {"content": " one"},
        {"content": " two"},
        {"content": " three"},
    ]
    assert chunks[-2]["choices"][0]["delta"] == {}
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-2]["shipyard"]["trace_id"] == r.headers["x-shipyard-trace-id"]
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"] == {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}
    assert {c["id"] for c in chunks} == {first["id"]} and first["id"].startswith("chatcmpl-")


def test_completion_stream_has_no_role_chunk_and_no_usage_unless_asked(gateway_url: str) -> None:
    body = {"model": "fast", "prompt": "say this", "stream": True}
    r = httpx.post(f"{gateway_url}/v1/completions", json=body, timeout=10)
    events = _events(r.text)
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert all(c["object"] == "text_completion" and "usage" not in c for c in chunks)
    assert "".join(c["choices"][0]["text"] for c in chunks) == "say this"
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


def test_whole_answers_are_json_with_shipyard_headers(gateway_url: str) -> None:
    r = httpx.post(f"{gateway_url}/v1/chat/completions", json=CHAT, timeout=10)
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["object"] == "chat.completion" and body["model"] == "fast"
    assert body["shipyard"]["target"] == r.headers["x-shipyard-target"] == "echo/fast-1"
    assert r.headers["x-shipyard-cache"] == "miss"
    assert float(r.headers["x-shipyard-cost-usd"]) == body["shipyard"]["cost_usd"] == 0.0


def test_health_and_unknown_paths(gateway_url: str) -> None:
    assert httpx.get(f"{gateway_url}/health").json() == {"status": "ok"}
    r = httpx.get(f"{gateway_url}/v1/assistants")
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_url"
    r = httpx.get(f"{gateway_url}/v1/chat/completions")
    assert r.status_code == 405 and r.json()["error"]["type"] == "invalid_request_error"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        (b"{not json", None),
        (b"[1, 2]", None),
        (b"", None),
        (json.dumps({"model": "fast"}).encode(), "messages"),
        (json.dumps({**CHAT, "stream": "yes"}).encode(), "stream"),
        (json.dumps({**CHAT, "n": 3}).encode(), "n"),
        (json.dumps({**CHAT, "tools": [{"type": "function"}]}).encode(), "tools"),
        (json.dumps({**CHAT, "max_tokens": 0}).encode(), "max_tokens"),
    ],
)
def test_malformed_requests_are_400_in_openai_shape(
    gateway_url: str, body: bytes, param: str | None
) -> None:
    r = httpx.post(
        f"{gateway_url}/v1/chat/completions",
        content=body,
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param
    assert "Traceback" not in r.text


@pytest.mark.parametrize("chunked", [False, True])
def test_a_body_over_the_limit_is_413_with_or_without_content_length(
    gateway_url: str, chunked: bool
) -> None:
    """A chunked body has no Content-Length: the limit has to hold while reading it."""
    from shipyard.llm.gateway.app import MAX_BODY_BYTES

    piece = b" " * 2**20
    pieces = MAX_BODY_BYTES // len(piece) + 2
    prefix = json.dumps(CHAT)[:-1].encode() + b', "user": "'

    def body() -> Iterator[bytes]:
        yield prefix
        for _ in range(pieces):
            yield piece
        yield b'"}'

    content: Any = body() if chunked else b"".join(body())
    with httpx.Client(timeout=60) as client:
        r = client.post(
            f"{gateway_url}/v1/chat/completions",
            content=content,
            headers={"content-type": "application/json"},
        )
    assert ("content-length" in r.request.headers) is not chunked
    assert r.status_code == 413, r.text[:300]
    assert r.json()["error"]["code"] == "request_too_large"
    ok = httpx.post(f"{gateway_url}/v1/chat/completions", json=CHAT)  # the gateway still serves
    assert ok.status_code == 200, ok.text


def test_with_direct_models_off_only_aliases_answer(
    start_gateway: Any, echo_config: dict[str, Any]
) -> None:
    url = start_gateway({**echo_config, "routing": {"retries": 0, "allow_direct_models": False}})
    assert httpx.post(f"{url}/v1/chat/completions", json=CHAT).status_code == 200
    for model in ("echo/anything", "echo/fast-1"):  # a configured target's name is not an alias
        r = httpx.post(f"{url}/v1/chat/completions", json={**CHAT, "model": model})
        assert r.status_code == 404, r.text
        error = r.json()["error"]
        assert error["code"] == "model_not_found" and error["param"] == "model"
        assert "allow_direct_models" in error["message"] and "fast, embedder" in error["message"]
    listed = [m["id"] for m in httpx.get(f"{url}/v1/models").json()["data"]]
    assert listed == ["fast", "embedder"]
    assert httpx.get(f"{url}/v1/models/echo/fast-1").status_code == 404
    open_url = start_gateway(echo_config)  # the default: any provider/model name works
    r = httpx.post(f"{open_url}/v1/chat/completions", json={**CHAT, "model": "echo/anything"})
    assert r.status_code == 200, r.text


def test_a_502_never_shows_the_credentials_of_a_base_url(
    start_gateway: Any, caplog: pytest.LogCaptureFixture
) -> None:
    password, token = "pw-s3cr3t-55", "tok-s3cr3t-66"
    base_url = f"http://admin:{password}@127.0.0.1:9/v1?token={token}"
    target = {"provider": "openai", "model": "gone", "base_url": base_url}
    url = start_gateway({"models": {"fast": {"targets": [target]}}, "routing": {"retries": 0}})
    with caplog.at_level("DEBUG"):
        r = httpx.post(f"{url}/v1/chat/completions", json=CHAT)
    assert r.status_code == 502, r.text
    assert "127.0.0.1:9/v1?token=***" in r.json()["error"]["message"]
    for text in (r.text, caplog.text):
        assert password not in text and token not in text


def test_no_cache_skips_the_cache(start_gateway: Any, echo_config: dict[str, Any]) -> None:
    url = start_gateway({**echo_config, "cache": {"exact": True}})
    post = f"{url}/v1/chat/completions"
    assert httpx.post(post, json=CHAT).headers["x-shipyard-cache"] == "miss"
    hit = httpx.post(post, json=CHAT)
    assert hit.headers["x-shipyard-cache"] == "exact"
    assert hit.json()["shipyard"]["cache"] == "exact"
    fresh = httpx.post(post, json=CHAT, headers={"Cache-Control": "no-cache"})
    assert fresh.headers["x-shipyard-cache"] == "miss"
    streamed = httpx.post(post, json={**CHAT, "stream": True})
    assert streamed.headers["x-shipyard-cache"] == "exact"
    assert "echo: one two three" in "".join(
        json.loads(e)["choices"][0]["delta"].get("content", "") for e in _events(streamed.text)[:-1]
    )


# --- a client that hangs up part-way ----------------------------------------------------------

ENDED: list[LLMResponse] = []


class EndProbe:
    """A stage that records how each answer ended (a stream closed early ends ``cancelled``)."""

    name = "probe"

    def __init__(self, config: Any, workspace: Any) -> None:
        pass

    def handle(self, call: Call, next: Next) -> Outcome:
        outcome = next(call)
        if isinstance(outcome, ResponseStream):
            outcome.on_complete(ENDED.append)
        return outcome


def test_a_client_hanging_up_closes_the_stream(
    start_gateway: Any, serve_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = types.ModuleType("gateway_end_probe")
    module.EndProbe = EndProbe  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "gateway_end_probe", module)
    ENDED.clear()
    upstream = FakeOpenAI(reply=" ".join(f"w{i}" for i in range(200)), chunk_delay_s=0.05)
    with serve_app(upstream.app) as fake:
        target = {"provider": "openai", "model": "gpt-4o-mini", "base_url": f"{fake.url}/v1"}
        stages = [*DEFAULT_STAGES[:-1], "gateway_end_probe:EndProbe", "route"]
        url = start_gateway({"models": {"slow": {"targets": [target]}}, "stages": stages})
        body = {"model": "slow", "messages": [{"role": "user", "content": "go"}], "stream": True}
        with (
            httpx.Client(timeout=10) as client,
            client.stream("POST", f"{url}/v1/chat/completions", json=body) as r,
        ):
            lines = r.iter_lines()
            assert next(lines).startswith("data: ")  # the role chunk
            assert "w0" in next(
                line for line in lines if line
            )  # the first word: streaming has begun
        deadline = time.monotonic() + 10
        while not ENDED and time.monotonic() < deadline:
            time.sleep(0.05)
    assert [e.finish_reason for e in ENDED] == ["cancelled"]
    assert ENDED[0].text.startswith("w0") and len(ENDED[0].text.split()) < 100
