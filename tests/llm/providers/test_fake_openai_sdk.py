"""The official openai SDK against FakeOpenAI: the fake speaks the real wire format.

If the SDK parses the fake's bodies, events and errors, tests that use the
fake (providers, gateway, load tests) test against OpenAI's protocol.
"""

from __future__ import annotations

from typing import Any

import openai
import pytest


@pytest.fixture
def client(fake_openai: Any) -> Any:
    c = openai.OpenAI(base_url=fake_openai.url, api_key=fake_openai.key, max_retries=0)
    yield c
    c.close()


def test_chat_completion(client: Any) -> None:
    r = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hi you"}], max_tokens=10
    )
    assert r.choices[0].message.content == "fake reply to: hi you"
    assert r.choices[0].finish_reason == "stop"
    assert r.usage.prompt_tokens == 2 and r.usage.completion_tokens == 5


def test_chat_stream_with_usage(client: Any) -> None:
    stream = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "hi"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "fake reply to: hi"
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == 4
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"


def test_legacy_completion_stream(client: Any) -> None:
    stream = client.completions.create(model="gpt-3.5-turbo-instruct", prompt="a\nb", stream=True)
    assert "".join(c.choices[0].text for c in stream) == "fake reply to: b"


def test_embeddings_default_to_base64_and_decode(client: Any, fake_openai: Any) -> None:
    r = client.embeddings.create(model="text-embedding-3-small", input=["a b", "c"])
    assert fake_openai.fake.requests[-1].body["encoding_format"] == "base64"
    assert [d.index for d in r.data] == [0, 1] and len(r.data[0].embedding) == 64
    r = client.embeddings.create(
        model="text-embedding-3-small", input="a b", encoding_format="float", dimensions=8
    )
    assert len(r.data[0].embedding) == 8


def test_models(client: Any) -> None:
    assert "gpt-4o-mini" in [m.id for m in client.models.list()]
    assert client.models.retrieve("gpt-4o").id == "gpt-4o"


def test_errors_and_rate_limit_headers(client: Any, fake_openai: Any) -> None:
    fake_openai.fake.fail_next(1, status=429, retry_after=3)
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    assert caught.value.code == "rate_limit_exceeded"
    assert caught.value.response.headers["retry-after"] == "3"
    fake_openai.fake.fail_next(1, status=500)
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    bad = openai.OpenAI(base_url=fake_openai.url, api_key="sk-wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as denied:
        bad.models.list()
    assert denied.value.code == "invalid_api_key"
    bad.close()
