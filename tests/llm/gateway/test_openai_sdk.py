"""The official ``openai`` SDK, unchanged, against a real gateway: answers, streams, lists, errors."""

from __future__ import annotations

import base64
import math
from array import array
from typing import Any

import openai
import pytest

from shipyard.llm.providers.echo import hashed_embedding

MESSAGES: list[Any] = [
    {"role": "system", "content": "You repeat things."},
    {"role": "user", "content": "the quick brown fox"},
]


def test_chat_answers_with_the_alias_asked_for_and_names_the_target(client: Any) -> None:
    raw = client.chat.completions.with_raw_response.create(model="fast", messages=MESSAGES)
    answer = raw.parse()
    assert answer.object == "chat.completion"
    assert answer.model == "fast"  # what the client asked for
    assert answer.choices[0].message.role == "assistant"
    assert answer.choices[0].message.content == "echo: the quick brown fox"
    assert answer.choices[0].finish_reason == "stop"
    assert answer.usage.prompt_tokens == 7
    assert answer.usage.completion_tokens == 5
    assert answer.usage.total_tokens == 12
    extra = answer.model_extra["shipyard"]
    assert extra["target"] == "echo/fast-1"
    assert extra["cache"] is None
    assert extra["attempts"] == 1
    assert extra["trace_id"]
    assert raw.headers["x-shipyard-target"] == "echo/fast-1"
    assert raw.headers["x-shipyard-cache"] == "miss"
    assert raw.headers["x-shipyard-trace-id"] == extra["trace_id"]
    assert float(raw.headers["x-shipyard-cost-usd"]) == extra["cost_usd"]


def test_a_provider_model_name_works_without_an_alias(client: Any) -> None:
    answer = client.chat.completions.create(model="echo/anything", messages=MESSAGES)
    assert answer.model == "echo/anything"
    assert answer.model_extra["shipyard"]["target"] == "echo/anything"


def test_sampling_parameters_reach_the_provider(client: Any) -> None:
    answer = client.chat.completions.create(model="fast", messages=MESSAGES, max_tokens=2)
    assert answer.choices[0].message.content == "echo: the"
    assert answer.choices[0].finish_reason == "length"


def test_chat_stream_reassembles_into_the_same_answer(client: Any) -> None:
    chunks = list(
        client.chat.completions.create(
            model="fast", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
    )
    assert chunks[0].choices[0].delta.role == "assistant"
    assert all(c.object == "chat.completion.chunk" and c.model == "fast" for c in chunks)
    assert len({c.id for c in chunks}) == 1
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "echo: the quick brown fox"
    finishing = [c for c in chunks if c.choices and c.choices[0].finish_reason]
    assert [c.choices[0].finish_reason for c in finishing] == ["stop"]
    assert finishing[0].model_extra["shipyard"]["target"] == "echo/fast-1"
    usage = chunks[-1]
    assert usage.choices == []
    assert usage.usage.prompt_tokens == 7 and usage.usage.completion_tokens == 5


def test_chat_stream_without_usage_has_none(client: Any) -> None:
    chunks = list(client.chat.completions.create(model="fast", messages=MESSAGES, stream=True))
    assert all(c.usage is None for c in chunks)
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_completion_whole_and_streamed(client: Any) -> None:
    prompt = "Q: largest planet?\nA: Jupiter\nQ: smallest planet?"
    answer = client.completions.create(model="fast", prompt=prompt, max_tokens=5)
    assert answer.object == "text_completion"
    assert answer.model == "fast"
    assert answer.choices[0].text == "Q: smallest planet?"
    assert answer.usage.total_tokens == answer.usage.prompt_tokens + answer.usage.completion_tokens

    chunks = list(
        client.completions.create(
            model="fast", prompt=prompt, stream=True, stream_options={"include_usage": True}
        )
    )
    assert "".join(c.choices[0].text for c in chunks if c.choices) == "Q: smallest planet?"
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert chunks[-1].usage.completion_tokens == 3


def test_embeddings_as_floats_and_as_base64(client: Any) -> None:
    texts = ["cats purr", "dogs bark loudly"]
    floats = client.embeddings.create(model="embedder", input=texts, encoding_format="float")
    assert floats.model == "embedder"
    assert [d.index for d in floats.data] == [0, 1]
    assert floats.data[1].embedding == pytest.approx(list(hashed_embedding(texts[1])))
    assert floats.usage.prompt_tokens == 5

    raw = client.embeddings.with_raw_response.create(
        model="embedder", input="cats purr", encoding_format="base64"
    )
    encoded = raw.http_response.json()["data"][0]["embedding"]
    assert isinstance(encoded, str)
    decoded = array("f", base64.b64decode(encoded))
    assert list(decoded) == pytest.approx(list(hashed_embedding("cats purr")), abs=1e-6)
    assert math.isclose(sum(x * x for x in decoded), 1.0, rel_tol=1e-5)


def test_one_string_input_is_one_embedding(client: Any) -> None:
    answer = client.embeddings.create(model="embedder", input="one text")
    assert len(answer.data) == 1 and len(answer.data[0].embedding) == 64


def test_models_lists_aliases_then_targets(client: Any) -> None:
    ids = [m.id for m in client.models.list()]
    assert ids == ["fast", "embedder", "echo/fast-1", "echo/embed-1"]
    assert client.models.retrieve("fast").id == "fast"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("nope")


def test_bad_input_is_a_bad_request_naming_the_field(client: Any) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="fast", messages=[])
    assert caught.value.status_code == 400
    assert caught.value.body["param"] == "messages"
    assert caught.value.body["type"] == "invalid_request_error"
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="fast", messages=[{"role": "wizard", "content": "hi"}])
    assert "role" in caught.value.message
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="fast", messages=MESSAGES, temperature="hot")


def test_an_unknown_model_is_not_found(client: Any) -> None:
    for model in ("gpt-9", "nowhere/model"):
        with pytest.raises(openai.NotFoundError) as caught:
            client.chat.completions.create(model=model, messages=MESSAGES)
        assert caught.value.code == "model_not_found"
        assert caught.value.body["param"] == "model"
        assert "/v1/models" in caught.value.message
