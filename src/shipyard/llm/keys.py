"""Virtual keys of the gateway: created with a budget and limits, shown once, stored hashed.

A secret is ``sk-sy-`` and 32 random URL-safe characters. Only its SHA-256
is stored, with its first 10 characters as a prefix to recognise it in
listings; ``create_key`` returns the secret once and nothing keeps it.

``verify_key`` looks the hash up in the store on every call (one indexed
SELECT) with no cache, so a revocation from any process refuses the very next
request everywhere.

Keys live in the SQL store. Against a team server (``SHIPYARD_URI``) keys are
created, listed and revoked through its REST API; verifying a key and
counting its limits need the database itself, which is where a gateway runs.
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote

from shipyard.core.clock import now_ms
from shipyard.core.errors import InvalidInput, NotFound, Unauthorized
from shipyard.core.ids import new_run_id
from shipyard.llm.key_records import PERIODS, BudgetPeriod, VirtualKey
from shipyard.llm.limits import KeyUsage, Limiter, open_counters
from shipyard.workspace import Workspace, current_workspace

if TYPE_CHECKING:
    from shipyard.llm.config import GatewayConfig
    from shipyard.store.sql.llm_keys import SqlLLMKeys

__all__ = [
    "KeyUsage",
    "create_key",
    "get_key",
    "hash_secret",
    "key_status",
    "key_usage",
    "list_keys",
    "parse_budget",
    "parse_duration",
    "revoke_key",
    "verify_key",
]

SECRET_PREFIX = "sk-sy-"
SECRET_LENGTH = len(SECRET_PREFIX) + 32
SHOWN_PREFIX = 10
_MAX_LIMIT = 2**31 - 1  # the columns are 32-bit integers
_CREATE_HINT = "create a new one with `shipyard keys create`"


def hash_secret(secret: str) -> str:
    """The SHA-256 hex digest stored in place of the secret."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_key(
    project: str,
    *,
    name: str | None = None,
    budget: str | float | None = None,
    budget_usd: float | None = None,
    budget_period: str = "day",
    tpm: int | None = None,
    rpm: int | None = None,
    models: Sequence[str] = (),
    expires_in_s: float | None = None,
    workspace: Workspace | None = None,
) -> tuple[VirtualKey, str]:
    """A new key and its secret. The secret is shown this once and never stored.

    ``budget="10/day"`` is the same as ``budget_usd=10, budget_period="day"``;
    a bare amount (``"5"``) is a total budget that never resets.
    """
    ws = workspace or current_workspace()
    spec = _validated(project, name, budget, budget_usd, budget_period, tpm, rpm, models)
    if expires_in_s is not None and (
        not _is_number(expires_in_s) or not math.isfinite(expires_in_s) or expires_in_s <= 0
    ):
        raise InvalidInput(f"expires_in_s must be a positive number, got {expires_in_s!r}")
    remote = _remote(ws)
    if remote is not None:
        body = dict(spec, expires_in_s=expires_in_s)
        out = remote.request("POST", "/api/v1/keys", json=body)
        return _from_dict(out["key"]), str(out["secret"])
    secret = SECRET_PREFIX + secrets.token_urlsafe(24)  # 24 bytes: 32 characters
    created = now_ms()
    key_id = new_run_id()
    key = VirtualKey(
        id=key_id,
        name=spec["name"] or f"{spec['project']}-{key_id[:6]}",
        project=spec["project"],
        prefix=secret[:SHOWN_PREFIX],
        budget_usd=spec["budget_usd"],
        budget_period=spec["budget_period"],
        tpm=spec["tpm"],
        rpm=spec["rpm"],
        models=tuple(spec["models"]),
        created_at=created,
        expires_at=None if expires_in_s is None else created + int(expires_in_s * 1000),
        key_hash=hash_secret(secret),
    )
    _repo(ws).insert(_row(key))
    return key, secret


def list_keys(
    project: str | None = None, *, include_revoked: bool = False, workspace: Workspace | None = None
) -> list[VirtualKey]:
    """Keys newest first, of one project or all; revoked ones only with ``include_revoked``."""
    ws = workspace or current_workspace()
    remote = _remote(ws)
    if remote is not None:
        params: dict[str, str] = {"all": str(include_revoked).lower()}
        if project is not None:
            params["project"] = project
        out = remote.request("GET", "/api/v1/keys", params=params)
        return [_from_dict(k) for k in out["keys"]]
    return [_from_dict(r) for r in _repo(ws).list(project, include_revoked=include_revoked)]


def get_key(id_or_prefix: str, *, workspace: Workspace | None = None) -> VirtualKey:
    """A key by its id, a unique start of its id, or the prefix shown in listings."""
    ws = workspace or current_workspace()
    wanted = (id_or_prefix or "").strip()
    if not wanted:
        raise InvalidInput("name a key by its id or the prefix `shipyard keys list` shows")
    remote = _remote(ws)
    if remote is not None:
        if not _looks_secret(wanted):
            return _from_dict(
                remote.request("GET", f"/api/v1/keys/{quote(wanted, safe='')}")["key"]
            )
        try:  # a URL path is logged: send only the prefix listings show
            return _from_dict(remote.request("GET", f"/api/v1/keys/{wanted[:SHOWN_PREFIX]}")["key"])
        except NotFound:
            raise NotFound("no key has that secret; see `shipyard keys list --all`") from None
    repo = _repo(ws)
    if wanted.startswith(SECRET_PREFIX) and len(wanted) == SECRET_LENGTH:
        row = repo.by_hash(hash_secret(wanted))  # someone pasted the whole secret
        if row is not None:
            return _from_dict(row)
    rows = repo.find(wanted)
    exact = [r for r in rows if r["id"] == wanted]
    if exact:
        return _from_dict(exact[0])
    if not rows:
        if _looks_secret(wanted):
            # never echo a pasted secret: it would land in logs, terminals and URLs
            raise NotFound("no key has that secret; see `shipyard keys list --all`")
        raise NotFound(f"no virtual key {wanted!r}; see `shipyard keys list --all`")
    if len(rows) > 1:
        ids = ", ".join(r["id"][:8] for r in rows[:5])
        raise InvalidInput(f"{wanted!r} matches {len(rows)} keys ({ids}…); give more of the id")
    return _from_dict(rows[0])


def revoke_key(id_or_prefix: str, *, workspace: Workspace | None = None) -> VirtualKey:
    """Revoke a key now: every gateway refuses it from its next request on."""
    ws = workspace or current_workspace()
    remote = _remote(ws)
    if remote is not None:
        key = get_key(id_or_prefix, workspace=ws)
        out = remote.request("POST", f"/api/v1/keys/{quote(key.id, safe='')}/revoke")
        return _from_dict(out["key"])
    key = get_key(id_or_prefix, workspace=ws)
    return _from_dict(_repo(ws).revoke(key.id, now_ms()))


def verify_key(secret: str, *, workspace: Workspace | None = None) -> VirtualKey:
    """The active key whose secret this is, or ``Unauthorized`` (unknown, revoked, expired).

    Messages never repeat the secret, not even part of it.
    """
    ws = workspace or current_workspace()
    if not isinstance(secret, str) or not secret.startswith(SECRET_PREFIX):
        raise Unauthorized(
            "not a shipyard virtual key (they start with sk-sy-); "
            "create one with `shipyard keys create`"
        )
    row = _repo(ws, purpose="verifying virtual keys").by_hash(hash_secret(secret))
    if row is None:
        raise Unauthorized("unknown key; create one with `shipyard keys create`")
    key = _from_dict(row)
    if key.revoked_at is not None:
        raise Unauthorized(f"the key {key.name!r} is revoked; {_CREATE_HINT}")
    if key.expires_at is not None and now_ms() >= key.expires_at:
        raise Unauthorized(f"the key {key.name!r} has expired; {_CREATE_HINT}")
    return key


def key_status(key: VirtualKey, now: int | None = None) -> str:
    """``active``, ``revoked`` or ``expired``."""
    if key.revoked_at is not None:
        return "revoked"
    if key.expires_at is not None and (now if now is not None else now_ms()) >= key.expires_at:
        return "expired"
    return "active"


def key_usage(
    key: VirtualKey, *, config: GatewayConfig | None = None, workspace: Workspace | None = None
) -> KeyUsage:
    """What ``key`` used in its current windows (spend this budget period, this minute)."""
    ws = workspace or current_workspace()
    remote = _remote(ws)
    if remote is not None:
        out = remote.request("GET", f"/api/v1/keys/{quote(key.id, safe='')}/usage")
        fields = set(KeyUsage.__dataclass_fields__)
        return KeyUsage(**{k: v for k, v in out["usage"].items() if k in fields})
    return Limiter(open_counters(config, ws)).usage(key)


_BUDGET = re.compile(
    r"^\$?\s*(?P<amount>[0-9]*\.?[0-9]+(?:e-?[0-9]+)?)\s*(?:/\s*(?P<period>\w+))?$"
)
_PERIOD_ALIASES = {"h": "hour", "hr": "hour", "d": "day", "w": "week", "wk": "week", "mo": "month"}


def parse_budget(spec: str | float) -> tuple[float, BudgetPeriod]:
    """``"10/day"`` → ``(10.0, "day")``; ``"5"`` → ``(5.0, "total")``."""
    if isinstance(spec, int | float) and not isinstance(spec, bool):
        return _positive_usd(float(spec), spec), "total"
    found = _BUDGET.match(str(spec).strip().lower())
    if found is None:
        raise InvalidInput(
            f"budget must look like 10/day (USD, then /hour, /day, /week or /month; "
            f"a bare amount is a total), got {spec!r}"
        )
    period = found["period"] or "total"
    period = _PERIOD_ALIASES.get(period, period)
    if period not in PERIODS:
        raise InvalidInput(
            f"budget period must be hour, day, week, month or total, got {found['period']!r}"
        )
    return _positive_usd(float(found["amount"]), spec), cast(BudgetPeriod, period)


_DURATION = re.compile(r"^(?P<n>[0-9]*\.?[0-9]+)\s*(?P<unit>s|m|min|h|d|w)?$")
_SECONDS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86_400, "w": 604_800}


def parse_duration(text: str) -> float:
    """``"30d"``, ``"12h"``, ``"90m"``, ``"2w"``, ``"3600"`` (seconds) → seconds."""
    found = _DURATION.match(text.strip().lower())
    if found is None or float(found["n"]) <= 0:
        raise InvalidInput(f"a duration looks like 30d, 12h, 90m, 2w or 3600s, got {text!r}")
    return float(found["n"]) * _SECONDS[found["unit"] or "s"]


def _positive_usd(amount: float, spec: object) -> float:
    if not math.isfinite(amount) or amount <= 0:
        raise InvalidInput(f"a budget must be a positive amount of USD, got {spec!r}")
    return amount


def _validated(
    project: str,
    name: str | None,
    budget: str | float | None,
    budget_usd: float | None,
    budget_period: str,
    tpm: int | None,
    rpm: int | None,
    models: Sequence[str],
) -> dict[str, Any]:
    if not isinstance(project, str) or not project.strip() or len(project) > 128:
        raise InvalidInput("a key needs a project (1 to 128 characters), e.g. --project support")
    if name is not None and (not isinstance(name, str) or not name.strip() or len(name) > 128):
        raise InvalidInput(f"a key's name must be text of 1 to 128 characters, got {_shown(name)}")
    if budget is not None and not (isinstance(budget, str) or _is_number(budget)):
        raise InvalidInput(f"budget must be text like '10/day' or a number, got {_shown(budget)}")
    if budget_usd is not None and not _is_number(budget_usd):
        raise InvalidInput(f"budget_usd must be a number of USD, got {_shown(budget_usd)}")
    if not isinstance(budget_period, str):
        raise InvalidInput(
            f"budget_period must be one of {', '.join(PERIODS)}, got {_shown(budget_period)}"
        )
    if budget is not None and budget_usd is not None:
        raise InvalidInput(
            "give either budget ('10/day') or budget_usd and budget_period, not both"
        )
    period: str | None = None
    if budget is not None:
        budget_usd, period = parse_budget(budget)
    elif budget_usd is not None:
        budget_usd = _positive_usd(float(budget_usd), budget_usd)
        if budget_period not in PERIODS:
            raise InvalidInput(
                f"budget_period must be one of {', '.join(PERIODS)}, got {budget_period!r}"
            )
        period = budget_period
    for label, value in (("tpm", tpm), ("rpm", rpm)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= _MAX_LIMIT
        ):
            raise InvalidInput(
                f"{label} must be a whole number from 1 to {_MAX_LIMIT:,}, got {_shown(value)}"
            )
    if isinstance(models, str):
        models = [models]
    if not isinstance(models, Sequence) or not all(isinstance(m, str) for m in models):
        raise InvalidInput(f"models must be a list of model names or aliases, got {_shown(models)}")
    clean = [m.strip() for m in models]
    if any(not m for m in clean):
        raise InvalidInput("model names must not be empty (an alias or provider/model)")
    return {
        "project": project.strip(),
        "name": name.strip() if name else None,
        "budget_usd": budget_usd,
        "budget_period": period,
        "tpm": tpm,
        "rpm": rpm,
        "models": list(dict.fromkeys(clean)),
    }


def _looks_secret(text: str) -> bool:
    """More of an ``sk-sy-`` string than listings show: likely a pasted secret."""
    return text.startswith(SECRET_PREFIX) and len(text) > SHOWN_PREFIX


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _shown(value: object) -> str:
    """A wrong value for a message: its repr, cut short (a body may send anything)."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _repo(ws: Workspace, purpose: str = "virtual keys") -> SqlLLMKeys:
    repo = getattr(ws.store, "llm_keys", None)
    if repo is None:
        raise InvalidInput(
            f"{purpose} needs direct database access (SHIPYARD_DB or SHIPYARD_HOME), "
            "not a remote SHIPYARD_URI"
        )
    return cast("SqlLLMKeys", repo)


def _remote(ws: Workspace) -> Any:
    """The server's API client when the workspace is a remote one."""
    if getattr(ws.store, "llm_keys", None) is not None:
        return None
    return getattr(ws.store, "api", None)


def _row(key: VirtualKey) -> dict[str, Any]:
    row = key.to_dict()
    row["key_hash"] = key.key_hash
    return row


def _from_dict(data: Mapping[str, Any]) -> VirtualKey:
    return VirtualKey(
        id=str(data["id"]),
        name=str(data["name"]),
        project=str(data["project"]),
        prefix=str(data["prefix"]),
        budget_usd=data.get("budget_usd"),
        budget_period=data.get("budget_period"),
        tpm=data.get("tpm"),
        rpm=data.get("rpm"),
        models=tuple(data.get("models") or ()),
        created_at=int(data.get("created_at") or 0),
        expires_at=data.get("expires_at"),
        revoked_at=data.get("revoked_at"),
        key_hash=str(data.get("key_hash") or ""),
    )
