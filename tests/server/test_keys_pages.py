"""The keys page: budgets, limits and spend of virtual keys; create (secret once) and revoke."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from shipyard.core.clock import now_ms
from shipyard.llm.keys import create_key, get_key, list_keys
from shipyard.server.app import create_app
from shipyard.store.trace_records import LLMCallRecord, SpanRecord, TraceRecord
from shipyard.workspace import Workspace, current_workspace


@pytest.fixture
def ws() -> Workspace:
    return current_workspace()


@pytest.fixture
def client(ws: Workspace) -> TestClient:
    return TestClient(create_app(ws))


def rows(html: str) -> dict[str, str]:
    return dict(re.findall(r'<tr data-key="([^"]+)" data-status="(\w+)">', html))


def spend(ws: Workspace, key_id: str, cost: float) -> None:
    at = now_ms() - 1000
    c = LLMCallRecord(
        trace_id="t1",
        span_id="s1",
        started_at=at,
        operation="chat",
        model="echo/echo",
        status="ok",
        latency_ms=1.0,
        key_id=key_id,
        project="support",
        prompt_tokens=40,
        completion_tokens=2,
        cost_usd=cost,
    )
    ws.store.traces.record(
        [TraceRecord(trace_id="t1", name="chat", started_at=at, duration_ms=1.0)],
        [SpanRecord("t1", "s1", None, "chat", "llm", at * 1000, 1.0)],
        [c],
    )


def test_keys_page_lists_budgets_limits_and_no_secret(ws: Workspace, client: TestClient) -> None:
    bot, bot_secret = create_key(
        "support", name="support-bot", budget="10/day", rpm=60, tpm=50_000, workspace=ws
    )
    batch, batch_secret = create_key("research", name="batch", models=["echo/echo"], workspace=ws)
    old, old_secret = create_key("support", name="old", workspace=ws)
    client.post(f"/ui/keys/{old.id}/revoke")
    spend(ws, bot.id, 1.25)

    r = client.get("/ui/keys")
    assert r.status_code == 200, r.text
    assert rows(r.text) == {bot.id: "active", batch.id: "active", old.id: "revoked"}
    row = r.text.split(f'<tr data-key="{bot.id}"')[1].split("</tr>")[0]
    assert "support-bot" in row and f"<code>{bot.prefix}…</code>" in row
    assert "$10 / day" in row
    assert "60" in row and "50,000" in row  # rpm and tpm
    assert "$1.25" in row and "1 req · 42 tok" in row  # last 30 days, from the traces
    assert "resets <time" in row  # the end of the budget period
    assert "echo/echo" in r.text.split(f'<tr data-key="{batch.id}"')[1].split("</tr>")[0]
    assert "Revoke old" not in r.text and "Revoke support-bot" in r.text
    for secret in (bot_secret, batch_secret, old_secret):
        assert secret not in r.text and secret[len(bot.prefix) :] not in r.text
    assert old.id not in rows(client.get("/ui/keys?revoked=false").text)
    assert '<a href="/ui/keys"' in r.text  # in the sidebar


def test_create_shows_the_secret_once_and_revoke_is_immediate(
    ws: Workspace, client: TestClient
) -> None:
    r = client.post(
        "/ui/keys",
        data={"project": "support", "name": "ui-key", "budget": "5/hour", "rpm": "30", "tpm": ""},
    )
    assert r.status_code == 200, r.text
    (key,) = list_keys(workspace=ws)
    assert (key.name, key.budget_usd, key.budget_period, key.rpm, key.tpm) == (
        "ui-key",
        5.0,
        "hour",
        30,
        None,
    )
    secret = re.search(r'<pre class="secret"><code>(sk-sy-[^<]+)</code>', r.text)
    assert secret is not None and secret.group(1).startswith(key.prefix)
    assert secret.group(1) not in client.get("/ui/keys").text  # shown once

    bad = client.post("/ui/keys", data={"project": "support", "rpm": "lots"})
    assert bad.status_code == 400 and "rpm must be a whole number" in bad.text
    assert 'value="lots"' in bad.text  # the form keeps what was typed
    assert len(list_keys(workspace=ws)) == 1

    gone = client.post(f"/ui/keys/{key.id}/revoke", follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"] == "/ui/keys"
    assert get_key(key.id, workspace=ws).revoked_at is not None


def test_forms_from_another_site_are_refused(ws: Workspace, client: TestClient) -> None:
    key, _ = create_key("support", workspace=ws)
    r = client.post(f"/ui/keys/{key.id}/revoke", headers={"Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 403
    r = client.post("/ui/keys", data={"project": "x"}, headers={"Origin": "https://evil.example"})
    assert r.status_code == 403
    assert get_key(key.id, workspace=ws).revoked_at is None and len(list_keys(workspace=ws)) == 1
    same = client.post(
        f"/ui/keys/{key.id}/revoke",
        headers={"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"},
    )
    assert same.status_code == 200  # redirected to the list
    assert get_key(key.id, workspace=ws).revoked_at is not None


def test_keys_page_needs_the_server_token(ws: Workspace) -> None:
    app = create_app(ws, token="s3cret")
    client = TestClient(app)
    r = client.get("/ui/keys", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/ui/login")
    r = client.post("/ui/keys", data={"project": "x"}, follow_redirects=False)
    assert r.status_code == 303 and not list_keys(workspace=ws)
    client.cookies.set("shipyard_token", "s3cret")
    assert client.get("/ui/keys").status_code == 200


def test_no_keys_yet(client: TestClient) -> None:
    r = client.get("/ui/keys")
    assert r.status_code == 200, r.text
    assert "No virtual keys yet" in r.text


REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_missing() -> str | None:
    try:
        import redis
    except ImportError:
        return "the redis package is not installed"
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        return str(exc)
    return None


def test_the_page_reads_the_mounted_gateways_redis_counters(ws: Workspace, require_service) -> None:  # type: ignore[no-untyped-def]
    why = _redis_missing()
    if why is not None:
        require_service("Redis", why)
    from shipyard.llm.config import GatewayConfig
    from shipyard.llm.limits import Limiter, open_counters

    config = GatewayConfig.from_dict({"limits": {"redis_url": REDIS_URL}})
    key, _ = create_key("support", name="redis-bot", budget="10/day", tpm=5000, workspace=ws)
    counters = open_counters(config, ws)
    try:
        Limiter(counters).charge(key, tokens=1234, cost_usd=0.75)  # what the gateway counted
        r = TestClient(create_app(ws, gateway=config)).get("/ui/keys")
        assert r.status_code == 200, r.text
        row = r.text.split(f'<tr data-key="{key.id}"')[1].split("</tr>")[0]
        assert "<strong>$0.75</strong> of $10" in row  # this day's spend, from Redis
        assert "1,234 / 5,000" in row  # tokens this minute
    finally:
        client = counters.client  # type: ignore[attr-defined]
        names = list(client.scan_iter(match=f"*key:{key.id}:*", count=500))
        if names:
            client.delete(*names)
