"""``shipyard keys``: create, list and revoke the virtual keys of the LLM gateway.

``create`` prints the secret once, alone on stdout (so ``$(shipyard keys
create …)`` captures it), and everything else on stderr.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import typer

from shipyard.cli import output

app = typer.Typer(
    help="Virtual keys of the LLM gateway: a budget and rate limits per key, revocable at once.",
    no_args_is_help=True,
)

_JSON = typer.Option(False, "--json", help="Print JSON.")


@app.command("create")
def create(
    project: str = typer.Option(
        ..., "--project", "-p", help="The project its usage and budget count against."
    ),
    name: str = typer.Option(None, "--name", "-n", help="A label for people (default: derived)."),
    budget: str = typer.Option(
        None,
        "--budget-usd",
        help="Spend allowed per UTC calendar period: 10/day, 0.5/hour, 25/week, 100/month; "
        "a bare amount (5) is a total that never resets.",
    ),
    tpm: int = typer.Option(None, "--tpm", help="Tokens per minute (prompt + completion)."),
    rpm: int = typer.Option(None, "--rpm", help="Requests per minute."),
    model: list[str] = typer.Option(
        None,
        "--model",
        "-m",
        help="A model or alias it may call (repeatable; * is a wildcard, e.g. openai/*). "
        "Default: every model.",
    ),
    expires_in: str = typer.Option(
        None, "--expires-in", help="Expire after 30d, 12h, 90m, 2w... Default: never."
    ),
    as_json: bool = _JSON,
) -> None:
    """Create a key and print its secret, which is shown this once."""
    from shipyard.llm.keys import create_key, parse_duration

    key, secret = create_key(
        project,
        name=name,
        budget=budget,
        tpm=tpm,
        rpm=rpm,
        models=model or (),
        expires_in_s=None if expires_in is None else parse_duration(expires_in),
    )
    output.err.print(
        f"created key [bold]{key.name}[/] ({key.id[:8]}) for project {key.project}: "
        f"budget {_budget(key.budget_usd, key.budget_period)}, rpm {output.fmt(key.rpm)}, "
        f"tpm {output.fmt(key.tpm)}, models {', '.join(key.models) or 'all'}",
        highlight=False,
    )
    output.err.print(
        "[bold yellow]Copy the secret now: it is not stored and will not be shown again.[/] "
        "Clients send it as 'Authorization: Bearer <secret>'."
    )
    if as_json:
        output.print_json({"key": key.to_dict(), "secret": secret})
    else:
        sys.stdout.write(secret + "\n")


@app.command("list")
def list_(
    project: str = typer.Option(None, "--project", "-p", help="Only this project's keys."),
    all_: bool = typer.Option(False, "--all", "-a", help="Include revoked keys."),
    config: str = typer.Option(
        None,
        "--config",
        help="Gateway config whose limits.redis_url holds the counters "
        "(default: SHIPYARD_GATEWAY_CONFIG, then SHIPYARD_REDIS_URL, then the store).",
    ),
    as_json: bool = _JSON,
) -> None:
    """Keys with their budget, what they spent this period, their limits and status."""
    from shipyard.core.clock import now_ms
    from shipyard.core.errors import ShipyardError
    from shipyard.llm.keys import key_status, key_usage, list_keys

    gateway = _gateway_config(config)
    now = now_ms()
    rows: list[dict[str, Any]] = []
    for key in list_keys(project, include_revoked=all_):
        status = key_status(key, now)
        usage = None
        if status == "active":
            try:
                usage = key_usage(key, config=gateway)
            except ShipyardError as exc:  # the key still lists when its counters cannot be read
                output.err.print(f"usage of {key.id[:8]} unavailable: {exc.message}")
        rows.append(
            {**key.to_dict(), "status": status, "usage": usage.to_dict() if usage else None}
        )
    if as_json:
        output.print_json(rows)
        return
    output.table(
        None,
        ["id", "name", "project", "prefix", "budget", "spent", "rpm / tpm", "status", "expires"],
        [
            (
                r["id"][:8],
                r["name"],
                r["project"],
                r["prefix"] + "…",
                _budget(r["budget_usd"], r["budget_period"]),
                _spent(r["usage"]),
                f"{output.fmt(r['rpm'])} / {output.fmt(r['tpm'])}",
                r["status"],
                output.when(r["expires_at"]),
            )
            for r in rows
        ],
    )


@app.command("revoke")
def revoke(
    key: str = typer.Argument(..., help="The key's id, a unique start of it, or its prefix."),
    as_json: bool = _JSON,
) -> None:
    """Revoke a key: every gateway refuses it from its next request on."""
    from shipyard.llm.keys import revoke_key

    revoked = revoke_key(key)
    if as_json:
        output.print_json(revoked.to_dict())
        return
    output.err.print(
        f"revoked key [bold]{revoked.name}[/] ({revoked.id[:8]}, {revoked.prefix}…) at "
        f"{output.when(revoked.revoked_at)}; gateways refuse it from the next request on",
        highlight=False,
    )


def _gateway_config(path: str | None) -> Any:
    from shipyard.llm.config import GatewayConfig

    chosen = path or os.environ.get("SHIPYARD_GATEWAY_CONFIG")
    return GatewayConfig.load(chosen) if chosen else GatewayConfig()


def _budget(amount: float | None, period: str | None) -> str:
    from shipyard.llm.limits.policy import usd

    if amount is None:
        return "–"
    return f"{usd(amount)} total" if period == "total" else f"{usd(amount)}/{period}"


def _spent(usage: dict[str, Any] | None) -> str:
    from shipyard.llm.limits.policy import usd

    if usage is None or usage.get("spent_usd") is None:
        return "–"
    return usd(float(usage["spent_usd"]))
