"""Virtual keys: created with limits, shown once, stored hashed, revoked at once everywhere.

The secret is searched for where it must never be: the database file (and
its WAL), every column of ``llm_keys``, the logs, the error messages.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from shipyard.cli.main import main
from shipyard.core.errors import InvalidInput, NotFound, Unauthorized
from shipyard.core.settings import Settings
from shipyard.llm import keys
from shipyard.llm.keys import (
    create_key,
    get_key,
    key_status,
    key_usage,
    list_keys,
    parse_budget,
    parse_duration,
    revoke_key,
    verify_key,
)
from shipyard.store.tables import llm_keys
from shipyard.workspace import Workspace


@pytest.fixture
def ws(store_url: str) -> Iterator[Workspace]:
    """A workspace on SQLite, then on PostgreSQL."""
    workspace = Workspace.open(Settings.load(db=store_url))
    yield workspace
    workspace.close()


def test_a_new_key_is_shown_once_and_stored_as_a_hash(
    ws: Workspace, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    key, secret = create_key(
        "support", name="ci-bot", budget="10/day", tpm=50_000, rpm=60, workspace=ws
    )
    assert secret.startswith("sk-sy-") and len(secret) == 38
    assert key.prefix == secret[:10] and key.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert (key.budget_usd, key.budget_period, key.tpm, key.rpm) == (10.0, "day", 50_000, 60)
    assert verify_key(secret, workspace=ws) == key
    with ws.store.db.read() as conn:  # type: ignore[attr-defined]
        rows = [dict(r._mapping) for r in conn.execute(select(llm_keys))]
    assert len(rows) == 1 and secret not in repr(rows)
    assert secret not in repr(key) and secret not in str(key.to_dict())
    assert secret not in caplog.text
    if ws.store.db.path is not None:  # type: ignore[attr-defined]
        for path in ws.store.db.path.parent.glob("*"):  # type: ignore[attr-defined]
            assert secret.encode() not in path.read_bytes(), path


def test_unknown_and_malformed_keys_are_refused_without_echo(ws: Workspace) -> None:
    create_key("p", workspace=ws)
    guess = "sk-sy-" + "A" * 32
    with pytest.raises(Unauthorized, match="unknown key") as e:
        verify_key(guess, workspace=ws)
    assert guess not in e.value.message and "AAAA" not in e.value.message
    with pytest.raises(Unauthorized, match="start with sk-sy-") as e:
        verify_key("sk-openai-123456", workspace=ws)
    assert "123456" not in e.value.message


def test_revocation_counts_at_once_from_another_process_view(ws: Workspace, store_url: str) -> None:
    key, secret = create_key("p", name="ci-bot", workspace=ws)
    verify_key(secret, workspace=ws)  # warm: a cache would now hold it
    other = Workspace.open(Settings.load(db=store_url))  # a second process's view
    try:
        revoked = revoke_key(key.id[:8], workspace=other)
    finally:
        other.close()
    assert revoked.revoked_at is not None and key_status(revoked) == "revoked"
    with pytest.raises(Unauthorized) as e:
        verify_key(secret, workspace=ws)
    assert e.value.message == (
        "the key 'ci-bot' is revoked; create a new one with `shipyard keys create`"
    )
    again = revoke_key(key.id, workspace=ws)  # revoking twice keeps the first time
    assert again.revoked_at == revoked.revoked_at


def test_expired_keys_are_refused(ws: Workspace) -> None:
    key, secret = create_key("p", name="short", expires_in_s=0.2, workspace=ws)
    assert key.expires_at == key.created_at + 200
    verify_key(secret, workspace=ws)
    time.sleep(0.25)
    with pytest.raises(Unauthorized, match="'short' has expired; create a new one"):
        verify_key(secret, workspace=ws)
    assert key_status(key) == "expired"


def test_list_filters_by_project_and_hides_revoked(ws: Workspace) -> None:
    a, _ = create_key("alpha", name="a", workspace=ws)
    b, _ = create_key("beta", name="b", workspace=ws)
    c, _ = create_key("alpha", name="c", workspace=ws)
    revoke_key(a.id, workspace=ws)
    assert {k.name for k in list_keys(workspace=ws)} == {"c", "b"}
    assert [k.name for k in list_keys("alpha", workspace=ws)] == ["c"]
    assert {k.name for k in list_keys("alpha", include_revoked=True, workspace=ws)} == {"a", "c"}
    assert b.name == "b" and c.project == "alpha"


def test_get_by_id_prefix_shown_prefix_or_whole_secret(ws: Workspace) -> None:
    key, secret = create_key("p", workspace=ws)
    assert key.name == f"p-{key.id[:6]}"  # a default name that holds no part of the secret
    assert get_key(key.id, workspace=ws) == key
    assert get_key(key.id[:6], workspace=ws) == key
    assert get_key(key.prefix, workspace=ws) == key
    assert get_key(secret, workspace=ws) == key
    with pytest.raises(NotFound, match="no virtual key 'zzzz'"):
        get_key("zzzz", workspace=ws)
    with pytest.raises(InvalidInput):
        get_key(" ", workspace=ws)
    create_key("p", workspace=ws)
    with pytest.raises(InvalidInput, match="matches 2 keys"):
        get_key("sk-sy-", workspace=ws)


def test_an_unknown_pasted_secret_is_never_echoed(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    create_key("p", workspace=ws)
    wrong = "sk-sy-" + "W" * 32
    for find in (get_key, revoke_key):
        with pytest.raises(NotFound, match="no key has that secret") as e:
            find(wrong, workspace=ws)
        assert "WWWW" not in e.value.message
    assert main(["keys", "revoke", wrong]) == 2
    captured = capsys.readouterr()
    assert "no key has that secret" in captured.err
    assert "WWWW" not in captured.err + captured.out


def test_models_are_kept_in_order(ws: Workspace) -> None:
    key, secret = create_key("p", models=["fast", "openai/*", "fast"], workspace=ws)
    assert key.models == ("fast", "openai/*")
    assert verify_key(secret, workspace=ws).models == ("fast", "openai/*")


def test_usage_of_a_fresh_key(ws: Workspace) -> None:
    key, _ = create_key("p", budget="2.5/week", rpm=10, workspace=ws)
    usage = key_usage(key, workspace=ws)
    assert usage.spent_usd == 0 and usage.requests_this_minute == 0
    assert usage.tokens_this_minute is None and usage.budget_resets_at is not None
    assert usage.to_dict()["remaining_usd"] == 2.5


@pytest.mark.parametrize(
    ("spec", "parsed"),
    [
        ("10/day", (10.0, "day")),
        ("0.5/hour", (0.5, "hour")),
        ("$100 / month", (100.0, "month")),
        ("25/week", (25.0, "week")),
        ("5", (5.0, "total")),
        ("7/total", (7.0, "total")),
        ("3/d", (3.0, "day")),
        (12, (12.0, "total")),
    ],
)
def test_budget_specs(spec: str, parsed: tuple[float, str]) -> None:
    assert parse_budget(spec) == parsed


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("ten/day", "budget must look like 10/day"),
        ("10/fortnight", "budget period must be hour, day, week, month or total"),
        ("0/day", "a budget must be a positive amount of USD"),
        ("-3/day", "budget must look like 10/day"),
        (float("inf"), "a budget must be a positive amount"),
    ],
)
def test_bad_budget_specs_are_one_line(spec: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as e:
        parse_budget(spec)
    assert "\n" not in e.value.message


def test_durations() -> None:
    assert parse_duration("30d") == 30 * 86400
    assert parse_duration("12h") == 43200 and parse_duration("90m") == 5400
    assert parse_duration("2w") == 14 * 86400 and parse_duration("3600") == 3600
    with pytest.raises(InvalidInput, match="30d, 12h"):
        parse_duration("soon")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"project": ""}, "a key needs a project"),
        ({"budget": "1/day", "budget_usd": 1.0}, "either budget"),
        ({"budget_usd": 1.0, "budget_period": "year"}, "budget_period must be one of"),
        ({"rpm": 0}, "rpm must be a whole number from 1 to 2,147,483,647"),
        ({"tpm": 10**12}, "tpm must be a whole number from 1 to"),
        ({"tpm": 2.5}, "tpm must be a whole number"),
        ({"models": ["fast", " "]}, "model names must not be empty"),
        ({"expires_in_s": -1}, "expires_in_s must be a positive number"),
        ({"expires_in_s": "1d"}, "expires_in_s must be a positive number"),
        ({"name": 5}, "name must be text"),
        ({"budget_usd": "abc"}, "budget_usd must be a number"),
        ({"budget": [10]}, "budget must be text"),
        ({"models": [3]}, "models must be a list of model names"),
    ],
)
def test_create_refuses_bad_values(ws: Workspace, kwargs: dict, message: str) -> None:
    kwargs.setdefault("project", "p")
    with pytest.raises(InvalidInput, match=message):
        create_key(workspace=ws, **kwargs)
    assert list_keys(include_revoked=True, workspace=ws) == []


def test_budget_usd_and_period_are_the_long_form(ws: Workspace) -> None:
    key, _ = create_key("p", budget_usd=3, budget_period="month", workspace=ws)
    assert (key.budget_usd, key.budget_period) == (3.0, "month")


def test_the_default_workspace_is_used(isolated_home: Path) -> None:
    key, secret = create_key("p")
    assert verify_key(secret).id == key.id
    assert (isolated_home / "shipyard.db").exists()
    assert keys.SECRET_PREFIX == "sk-sy-"
