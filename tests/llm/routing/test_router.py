"""Routing of whole answers: retries, fallback, the caller's errors, breakers, capabilities."""

from __future__ import annotations

from typing import Any

import pytest

from shipyard.core.errors import InvalidInput, NotFound, ProviderError
from shipyard.llm.providers.base import DEFAULT_MODEL
from shipyard.llm.routing import CircuitOpen
from shipyard.llm.types import LLMRequest, LLMResponse, Usage

A = {"provider": "openai", "model": "a"}
B = {"provider": "openai", "model": "b"}


def test_retries_a_retryable_error_with_backoff_then_answers(
    harness: Any, scripted: Any, fail: Any, config: Any
) -> None:
    a = scripted([fail(429), fail(500)])
    h = harness(config(A), {"openai/a": a})
    response = h.chat()
    assert response.text == "ok"
    assert response.model == "openai/a" and response.provider == "openai"
    assert response.attempts == 3
    assert len(a.calls) == 3
    assert a.calls[0]["model"] == "a"  # the model name without the provider prefix
    assert len(h.sleeps) == 2
    assert 0.05 <= h.sleeps[0] <= 0.1 and 0.1 <= h.sleeps[1] <= 0.2
    assert h.attributes["shipyard.target"] == "openai/a"
    assert h.attributes["shipyard.attempts"] == 3
    assert h.attributes["shipyard.fallback"] is False


def test_retry_after_is_honoured_when_short_and_skips_the_target_when_long(
    harness: Any, scripted: Any, fail: Any, config: Any
) -> None:
    a = scripted([fail(429, retry_after_s=1.25)])
    h = harness(config(A), {"openai/a": a})
    h.chat()
    assert h.sleeps == [1.25]

    a = scripted([fail(429, retry_after_s=60)])
    b = scripted(answer="from b")
    h = harness(config(A, B), {"openai/a": a, "openai/b": b})
    response = h.chat()
    assert response.text == "from b" and response.attempts == 2
    assert h.sleeps == []  # did not wait a minute on a, nor retry it
    assert len(a.calls) == 1


def test_falls_back_to_the_next_target_once_retries_are_spent(
    harness: Any, scripted: Any, fail: Any, config: Any
) -> None:
    a = scripted([fail(503)] * 3)
    b = scripted(answer="from b")
    h = harness(config(A, B, retries=2), {"openai/a": a, "openai/b": b})
    response = h.chat()
    assert response.text == "from b"
    assert response.model == "openai/b"
    assert response.attempts == 4
    assert h.attributes["shipyard.fallback"] is True
    assert h.attributes["shipyard.target"] == "openai/b"


@pytest.mark.parametrize("status", [401, 403, 404, None])
def test_a_target_problem_falls_back_without_retrying(
    harness: Any, scripted: Any, fail: Any, config: Any, status: int | None
) -> None:
    a = scripted([fail(status, retryable=False)])
    b = scripted(answer="from b")
    h = harness(config(A, B), {"openai/a": a, "openai/b": b})
    assert h.chat().text == "from b"
    assert len(a.calls) == 1 and h.sleeps == []


@pytest.mark.parametrize("status", [400, 413, 422])
def test_a_bad_request_goes_back_to_the_caller_without_retry_or_fallback(
    harness: Any, scripted: Any, fail: Any, config: Any, status: int
) -> None:
    err = fail(status)
    err.status = 502  # even when a provider left the default status, the caller sees a 4xx
    a = scripted([err])
    b = scripted()
    h = harness(config(A, B), {"openai/a": a, "openai/b": b})
    with pytest.raises(ProviderError) as info:
        h.chat()
    assert info.value.status == status
    assert len(a.calls) == 1 and b.calls == []
    assert h.attributes["shipyard.attempts"] == 1
    assert h.router.breaker_states()["openai/a"].failures == 0


def test_a_user_error_raised_by_a_provider_is_the_callers(
    harness: Any, scripted: Any, config: Any
) -> None:
    a = scripted([InvalidInput("max_tokens must be positive")])
    b = scripted()
    h = harness(config(A, B), {"openai/a": a, "openai/b": b})
    with pytest.raises(InvalidInput, match="max_tokens"):
        h.chat()
    assert b.calls == []


def test_one_target_failing_raises_its_own_error(
    harness: Any, scripted: Any, fail: Any, config: Any
) -> None:
    err = fail(503)
    h = harness(config(A, retries=1), {"openai/a": scripted([fail(503), err])})
    with pytest.raises(ProviderError) as info:
        h.chat()
    assert info.value is err
    assert h.attributes["shipyard.attempts"] == 2


def test_every_target_failing_names_each_one(
    harness: Any, scripted: Any, fail: Any, config: Any
) -> None:
    a = scripted([fail(503)] * 3)
    b = scripted([fail(401, retryable=False)])
    h = harness(config(A, B), {"openai/a": a, "openai/b": b})
    with pytest.raises(ProviderError) as info:
        h.chat()
    text = info.value.message
    assert "no target of 'fast' could answer" in text
    assert "openai/a: upstream answered HTTP 503" in text
    assert "openai/b: upstream answered HTTP 401" in text
    assert info.value.status >= 500 and info.value.retryable


def test_unexpected_exceptions_count_as_target_failures(
    harness: Any, scripted: Any, config: Any
) -> None:
    a = scripted([RuntimeError("segfault-ish")])
    h = harness(config(A, B), {"openai/a": a, "openai/b": scripted(answer="b")})
    assert h.chat().text == "b"
    assert h.router.breaker_states()["openai/a"].last_error == "RuntimeError: segfault-ish"


def test_each_attempt_gets_the_target_timeout_or_the_routing_default(
    harness: Any, scripted: Any, fail: Any, config: Any
) -> None:
    a = scripted([fail(None)] * 3)  # timeouts: retryable, no upstream status
    b = scripted()
    h = harness(
        config({**A, "timeout_s": 1.5}, {**B, "weight": 0}, timeout_s=7),
        {"openai/a": a, "openai/b": b},
    )
    h.chat()
    assert [c["timeout"] for c in a.calls] == [1.5, 1.5, 1.5]
    assert b.calls[0]["timeout"] == 7.0


def test_the_breaker_opens_and_the_next_request_skips_the_target_uncalled(
    harness: Any, scripted: Any, fail: Any, config: Any
) -> None:
    a = scripted([fail(503)] * 4)
    b = scripted(answer="from b")
    h = harness(
        config({**A, "weight": 1}, {**B, "weight": 0}, retries=1, breaker_failures=3),
        {"openai/a": a, "openai/b": b},
    )
    assert h.chat().text == "from b"  # a failed twice
    assert h.chat().text == "from b"  # a failed once more: now open
    assert len(a.calls) == 3
    assert h.router.breaker_states()["openai/a"].state == "open"
    response = h.chat()
    assert response.text == "from b" and response.attempts == 1
    assert len(a.calls) == 3  # not called
    assert h.attributes["shipyard.fallback"] is False  # a could not be picked first
    assert "openai/a (circuit open)" not in h.attributes.get("shipyard.skipped", "")


def test_an_open_target_in_the_fallback_chain_is_skipped_uncalled(
    harness: Any, scripted: Any, fail: Any, config: Any
) -> None:
    a = scripted([fail(503)])
    b = scripted()
    c = scripted(answer="from c")
    C = {"provider": "openai", "model": "c", "weight": 0}
    h = harness(
        config({**A, "weight": 1}, {**B, "weight": 0}, C, retries=0, breaker_failures=1),
        {"openai/a": a, "openai/b": b, "openai/c": c},
    )
    h.breakers.get("openai/b", None, failures=1, cooldown_s=30).record_failure("down")
    response = h.chat()
    assert response.text == "from c" and response.attempts == 2
    assert b.calls == []
    assert h.attributes["shipyard.fallback"] is True
    assert h.attributes["shipyard.skipped"] == "openai/b (circuit open)"


def test_every_breaker_open_fails_fast_with_when_to_retry(
    harness: Any, scripted: Any, fail: Any, config: Any
) -> None:
    a = scripted([fail(503)] * 2)
    b = scripted([fail(503)] * 2)
    h = harness(
        config(A, B, retries=1, breaker_failures=2, breaker_cooldown_s=30),
        {"openai/a": a, "openai/b": b},
    )
    with pytest.raises(ProviderError):
        h.chat()
    h.clock.advance(10)
    with pytest.raises(CircuitOpen) as info:
        h.chat()
    err = info.value
    assert err.status == 503 and err.retryable
    assert err.retry_after_s == pytest.approx(20.0)
    assert "every target of 'fast' is failing" in err.message
    assert "openai/a circuit open until" in err.message and "HTTP 503" in err.message
    assert len(a.calls) == 2 and len(b.calls) == 2
    assert h.attributes["shipyard.attempts"] == 0


def test_half_open_probe_closes_the_breaker_on_success(
    harness: Any, scripted: Any, fail: Any, config: Any
) -> None:
    a = scripted([fail(503)] * 2)
    h = harness(config(A, retries=1, breaker_failures=2, breaker_cooldown_s=5), {"openai/a": a})
    with pytest.raises(ProviderError):
        h.chat()
    with pytest.raises(CircuitOpen, match="the target of 'fast' is failing"):
        h.chat()
    h.clock.advance(5)
    assert h.router.breaker_states()["openai/a"].state == "half-open"
    assert h.chat().text == "ok"
    assert h.router.breaker_states()["openai/a"].state == "closed"


def test_a_failed_probe_is_not_retried_and_reopens(
    harness: Any, scripted: Any, fail: Any, config: Any
) -> None:
    a = scripted([fail(503)] * 3)
    h = harness(config(A, retries=2, breaker_failures=2, breaker_cooldown_s=5), {"openai/a": a})
    with pytest.raises(ProviderError):
        h.chat()  # two failures open it; the third attempt is not made
    assert len(a.calls) == 2
    h.clock.advance(6)
    with pytest.raises(ProviderError):
        h.chat()  # the probe fails: no retries while it is open again
    assert len(a.calls) == 3
    assert h.router.breaker_states()["openai/a"].state == "open"


def test_targets_are_picked_by_weight(harness: Any, scripted: Any, config: Any) -> None:
    a, b = scripted(), scripted()
    h = harness(config({**A, "weight": 4}, {**B, "weight": 1}), {"openai/a": a, "openai/b": b})
    for _ in range(2000):
        h.chat()
    assert len(a.calls) / 2000 == pytest.approx(0.8, abs=0.03)
    assert len(a.calls) + len(b.calls) == 2000


def test_a_target_without_the_operation_is_skipped_for_one_that_has_it(
    harness: Any, scripted: Any, config: Any
) -> None:
    chat_only = scripted(capabilities=frozenset({"chat", "stream"}))
    embedder = scripted()
    embedder.script = [LLMResponse(model="b", embeddings=((0.1, 0.2),), usage=Usage(3, 0))]
    h = harness(config(A, B), {"openai/a": chat_only, "openai/b": embedder})
    response = h.router.route(LLMRequest.embedding("fast", ["hi"]), h.attributes)
    assert response.embeddings == ((0.1, 0.2),)
    assert chat_only.calls == []
    assert "openai/a (openai/a cannot serve embedding requests" in h.attributes["shipyard.skipped"]


def test_no_target_able_to_do_the_operation_is_the_callers_error(
    harness: Any, scripted: Any, config: Any
) -> None:
    chat_only = scripted(capabilities=frozenset({"chat"}))
    h = harness(config(A), {"openai/a": chat_only})
    with pytest.raises(InvalidInput, match="openai/a cannot serve embedding requests"):
        h.router.route(LLMRequest.embedding("fast", ["hi"]))


def test_a_target_whose_key_is_missing_is_skipped(harness: Any, scripted: Any, config: Any) -> None:
    b = scripted(answer="from b")
    h = harness(config({**A, "api_key_env": "NO_SUCH_KEY_X"}, B), {"openai/b": b})
    assert h.chat().text == "from b"
    h = harness(config({**A, "api_key_env": "NO_SUCH_KEY_X"}), {})
    with pytest.raises(InvalidInput, match="NO_SUCH_KEY_X is not set"):
        h.chat()


def test_a_direct_provider_model_name_is_its_own_route(
    harness: Any, scripted: Any, config: Any
) -> None:
    direct = scripted(answer="direct")
    h = harness(config(A), {"openai/gpt-4o-mini": direct})
    response = h.chat(model="openai/gpt-4o-mini")
    assert response.model == "openai/gpt-4o-mini" and direct.calls[0]["model"] == "gpt-4o-mini"


def test_direct_model_names_keep_a_bounded_number_of_breakers(
    harness: Any, scripted: Any, config: Any
) -> None:
    """Each distinct name a client sends used to add a breaker for the life of the process."""
    h = harness(config(A), {"openai/a": scripted(), "echo": scripted()})
    h.breakers.max_direct = 50
    h.chat()  # the configured target's breaker
    for i in range(200):
        h.chat(model=f"echo/model-{i}")
    states = h.router.breaker_states()
    assert len(states) == 51
    assert "openai/a" in states  # a configured target's breaker is never dropped
    assert "echo/model-199" in states and "echo/model-0" not in states


def test_a_recently_used_direct_breaker_is_kept_and_an_open_one_stays_open(
    harness: Any, scripted: Any, config: Any, fail: Any
) -> None:
    h = harness(config(A, retries=0, breaker_failures=1), {"echo": scripted([fail(503)])})
    h.breakers.max_direct = 3
    with pytest.raises(ProviderError):
        h.chat(model="echo/broken")
    for i in range(5):
        with pytest.raises(CircuitOpen):  # still open: in use, so never the least recent
            h.chat(model="echo/broken")
        h.chat(model=f"echo/other-{i}")
    assert h.router.breaker_states()["echo/broken"].state == "open"


def test_direct_names_can_be_switched_off(harness: Any, scripted: Any, config: Any) -> None:
    cfg = config(A, allow_direct_models=False)
    direct = scripted()
    h = harness(cfg, {"openai/a": scripted(answer="alias"), "openai/gpt-4o-mini": direct})
    assert h.chat().text == "alias"
    with pytest.raises(NotFound, match=r"allow_direct_models: false\); use one of: fast") as err:
        h.chat(model="openai/gpt-4o-mini")
    assert err.value.status == 404 and direct.calls == []
    assert h.router.breaker_states().keys() == {"openai/a"}
    assert cfg.model_names() == ["fast", DEFAULT_MODEL]
    assert config(A).routing.allow_direct_models  # on by default: zero-config use


def test_allow_direct_models_must_be_a_boolean(config: Any) -> None:
    with pytest.raises(InvalidInput, match=r"routing\.allow_direct_models must be true or false"):
        config(A, allow_direct_models="false")
