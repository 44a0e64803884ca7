"""The HTTP providers' shared pieces: server-sent event parsing and key redaction."""

from __future__ import annotations

import pytest

from shipyard.llm.providers.http import (
    is_retryable,
    iter_sse,
    redact,
    retry_after_s,
    safe_url,
    transport_error,
)
from shipyard.llm.providers.transport import TransportError, TransportTimeout


def test_iter_sse_reads_named_and_unnamed_events_and_skips_comments() -> None:
    lines = [
        ": keep-alive",
        "event: message_start",
        'data: {"a": 1}',
        "",
        "data: line one",
        "data: line two",
        "",
        "",
        "data:[DONE]",
    ]
    assert list(iter_sse(iter(lines))) == [
        ("message_start", '{"a": 1}'),
        ("message", "line one\nline two"),
        ("message", "[DONE]"),
    ]


def test_redact_masks_the_key_and_key_shaped_quotes() -> None:
    secret = "sk-proj-abcdefghijklmnop"
    text = f"bad key {secret}; OpenAI quoted it as sk-proj-abc***mnop"
    out = redact(text, secret)
    assert secret not in out and "abc***mnop" not in out
    assert redact("no secret here", None) == "no secret here"


def test_retryable_statuses() -> None:
    assert [s for s in (400, 401, 404, 408, 409, 429, 500, 502, 503, 529) if is_retryable(s)] == [
        408, 409, 429, 500, 502, 503, 529,
    ]  # fmt: skip


def test_retry_after_in_seconds_milliseconds_or_a_date() -> None:
    assert retry_after_s({"retry-after": "7"}) == 7.0
    assert retry_after_s({"retry-after": "7", "retry-after-ms": "1500"}) == 1.5
    assert retry_after_s({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0
    assert retry_after_s({"retry-after": "soon"}) is None
    assert retry_after_s({}) is None


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://user:tok-123@vllm:8000/v1", "http://vllm:8000/v1"),
        ("https://tok-123@vllm/v1", "https://vllm/v1"),
        ("vllm-user:tok-123@vllm/v1", "vllm/v1"),
        (
            "https://h/v1?api-version=2024-06&token=tok-123",
            "https://h/v1?api-version=2024-06&token=***",
        ),
        ("https://h/v1?api_key=tok-123&sig=tok-123", "https://h/v1?api_key=***&sig=***"),
        ("https://api.openai.com/v1", "https://api.openai.com/v1"),
    ],
)
def test_safe_url_drops_user_info_and_secret_query_values(url: str, shown: str) -> None:
    assert safe_url(url) == shown


def test_a_transport_error_shows_the_base_url_without_its_credentials() -> None:
    url = "http://admin:tok-123456@127.0.0.1:9/v1?token=tok-abcdef"
    quoted = TransportError(f"cannot connect to {url} (admin:tok-123456)")
    for exc in (quoted, TransportTimeout("slow")):
        message = transport_error("openai", exc, url).message
        assert "http://127.0.0.1:9/v1?token=***" in message
        assert "tok-123456" not in message and "tok-abcdef" not in message
