"""The HTTP providers' shared pieces: server-sent event parsing and key redaction."""

from __future__ import annotations

import httpx

from shipyard.llm.providers.http import is_retryable, iter_sse, redact, retry_after_s


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
    assert retry_after_s(httpx.Headers({"retry-after": "7"})) == 7.0
    assert retry_after_s(httpx.Headers({"retry-after": "7", "retry-after-ms": "1500"})) == 1.5
    assert retry_after_s(httpx.Headers({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"})) == 0.0
    assert retry_after_s(httpx.Headers({"retry-after": "soon"})) is None
    assert retry_after_s(httpx.Headers()) is None
