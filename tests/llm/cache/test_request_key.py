"""What counts as the same request for the exact cache, and who shares entries."""

from __future__ import annotations

import pytest

from shipyard.llm.cache import cache_scope, canonical_params, params_hash, request_hash
from shipyard.llm.types import LLMRequest

MODEL = "echo/test"
MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]


def chat(**kwargs: object) -> LLMRequest:
    return LLMRequest.chat(MODEL, MESSAGES, **kwargs)  # type: ignore[arg-type]


def test_param_order_and_number_spelling_do_not_matter() -> None:
    a = chat(params={"temperature": 0.7, "max_tokens": 20, "top_p": 1})
    b = chat(params={"top_p": 1.0, "max_tokens": 20.0, "temperature": 0.70000000000001})
    assert request_hash(a) == request_hash(b)


def test_user_metadata_and_stream_do_not_matter() -> None:
    base = chat(params={"temperature": 0})
    other = chat(
        params={"temperature": 0, "user": "u1", "stream_options": {"include_usage": True}},
        stream=True,
        user="someone",
        metadata={"ticket": "42"},
    )
    assert request_hash(base) == request_hash(other)


def test_none_params_and_stop_forms_are_normalized() -> None:
    assert request_hash(chat(params={"seed": None})) == request_hash(chat())
    assert request_hash(chat(params={"stop": "\n"})) == request_hash(chat(params={"stop": ["\n"]}))
    assert request_hash(chat(params={"stop": ["b", "a"]})) == request_hash(
        chat(params={"stop": ["a", "b"]})
    )
    assert canonical_params({"response_format": {"type": "json_object", "schema": None}}) == {
        "response_format": {"type": "json_object"}
    }


@pytest.mark.parametrize(
    "change",
    [
        {"params": {"temperature": 0.2}},
        {"params": {"max_tokens": 5}},
        {"params": {"seed": 1}},
        {"params": {"response_format": {"type": "json_object"}}},
        {"params": {"n": 2}},
    ],
)
def test_params_that_change_the_answer_change_the_hash(change: dict[str, object]) -> None:
    assert request_hash(chat(**change)) != request_hash(chat())


def test_content_role_name_model_and_operation_change_the_hash() -> None:
    base = request_hash(chat())
    assert (
        request_hash(LLMRequest.chat(MODEL, [*MESSAGES[:1], {"role": "user", "content": "Ho"}]))
        != base
    )
    assert request_hash(LLMRequest.chat(MODEL, [MESSAGES[1]])) != base
    named = [MESSAGES[0], {"role": "user", "content": "Hi", "name": "ann"}]
    assert request_hash(LLMRequest.chat(MODEL, named)) != base
    assert request_hash(LLMRequest.chat("echo/other", MESSAGES)) != base
    completion = LLMRequest.completion(MODEL, "system: Be brief.\nuser: Hi")
    assert request_hash(completion) != base
    assert request_hash(LLMRequest.embedding(MODEL, ["a", "b"])) != request_hash(
        LLMRequest.embedding(MODEL, ["b", "a"])
    )


def test_params_hash_ignores_the_prompt_but_not_params_or_embedder() -> None:
    one = LLMRequest.chat(MODEL, [{"role": "user", "content": "capital of France?"}])
    two = LLMRequest.chat(MODEL, [{"role": "user", "content": "France's capital?"}])
    assert params_hash(one, "echo/e") == params_hash(two, "echo/e")
    assert params_hash(one, "echo/e") != params_hash(one, "local/all-minilm-l6-v2")
    hotter = LLMRequest.chat(MODEL, one.messages, params={"temperature": 1.5})
    assert params_hash(hotter, "echo/e") != params_hash(one, "echo/e")


def test_scopes() -> None:
    assert cache_scope("key", "fast", key_id="k1", project="p") == "fast|key:k1"
    assert cache_scope("project", "fast", key_id="k1", project="p") == "fast|project:p"
    assert cache_scope("project", "fast", key_id="k1") == "fast|key:k1"
    assert cache_scope("project", "fast") == "fast|global"
    assert cache_scope("key", "fast") == "fast|global"
    assert cache_scope("global", "fast", key_id="k1", project="p") == "fast|global"
    long = cache_scope("project", "m", project="p" * 400)
    assert len(long) <= 255 and long.startswith("m|~")
    assert long != cache_scope("project", "m", project="p" * 401)
