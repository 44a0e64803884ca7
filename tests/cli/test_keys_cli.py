"""`shipyard keys create|list|revoke` through the real entry point."""

from __future__ import annotations

import json

import pytest

from shipyard.cli.main import main
from shipyard.core.errors import Unauthorized
from shipyard.llm.keys import verify_key


def create(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[str, str]:
    assert main(["keys", "create", *args]) == 0
    captured = capsys.readouterr()
    return captured.out, captured.err


def test_create_prints_the_secret_once_on_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    out, err = create(
        capsys,
        "--project", "support", "--name", "ci-bot", "--budget-usd", "10/day",
        "--tpm", "50000", "--rpm", "60", "--model", "fast", "--model", "openai/*",
        "--expires-in", "30d",
    )  # fmt: skip
    secret = out.strip()
    assert out == secret + "\n" and secret.startswith("sk-sy-")
    assert "will not be shown again" in err and secret not in err
    assert "ci-bot" in err and "$10.00/day" in err
    key = verify_key(secret)
    assert (key.name, key.project, key.rpm, key.tpm) == ("ci-bot", "support", 60, 50_000)
    assert key.models == ("fast", "openai/*")
    assert key.expires_at is not None and key.expires_at - key.created_at == 30 * 86_400_000


def test_create_json(capsys: pytest.CaptureFixture[str]) -> None:
    out, err = create(capsys, "--project", "p", "--budget-usd", "5", "--json")
    body = json.loads(out)
    assert body["secret"].startswith("sk-sy-") and body["key"]["budget_period"] == "total"
    assert "key_hash" not in body["key"] and "will not be shown again" in err


def test_list_and_revoke(capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = create(capsys, "--project", "alpha", "--name", "a", "--budget-usd", "2/hour")
    secret_a = out.strip()
    create(capsys, "--project", "beta", "--name", "b", "--rpm", "5")
    assert main(["keys", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert sorted(k["name"] for k in listed) == ["a", "b"]
    (a,) = [k for k in listed if k["name"] == "a"]
    assert a["status"] == "active" and a["usage"]["spent_usd"] == 0
    assert a["usage"]["budget_resets_at"] is not None
    assert secret_a not in json.dumps(listed)

    assert main(["keys", "list"]) == 0
    table = capsys.readouterr().out
    assert "$2.00/hour" in table and a["prefix"] + "…" in table and "5 / –" in table

    assert main(["keys", "revoke", a["prefix"]]) == 0
    assert "gateways refuse it from the next request on" in capsys.readouterr().err
    with pytest.raises(Unauthorized, match="revoked"):
        verify_key(secret_a)
    assert main(["keys", "list", "--project", "alpha", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["keys", "list", "--project", "alpha", "--all", "--json"]) == 0
    (revoked,) = json.loads(capsys.readouterr().out)
    assert revoked["status"] == "revoked" and revoked["usage"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["keys", "create", "--project", "p", "--budget-usd", "ten"], "budget must look like"),
        (["keys", "create", "--project", "p", "--rpm", "0"], "rpm must be a whole number from 1"),
        (["keys", "create", "--project", "p", "--expires-in", "soon"], "a duration looks like"),
        (["keys", "revoke", "nope"], "no virtual key 'nope'"),
    ],
)
def test_mistakes_are_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
