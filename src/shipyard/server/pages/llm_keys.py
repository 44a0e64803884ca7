"""``/ui/keys``: the gateway's virtual keys with their budgets, limits and what they used.

Each key shows its spend in the current budget period and when that resets
(``shipyard.llm.keys.key_usage``), its requests and tokens this minute
against its rpm/tpm, and its spend over the last 30 days from the traces.
Only the prefix of a secret is ever on the page; a new key's secret is shown
once, in the response to the form that created it.

Creating and revoking are POST forms behind the same token check as every
page; a request another site's page sent (``Sec-Fetch-Site: cross-site`` or
a foreign ``Origin``) is refused, so a link elsewhere cannot revoke a key.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from shipyard.core.clock import now_ms
from shipyard.core.errors import Forbidden, InvalidInput, ShipyardError
from shipyard.llm.config import GatewayConfig
from shipyard.llm.key_records import PERIODS, VirtualKey
from shipyard.llm.keys import KeyUsage, create_key, key_status, key_usage, list_keys, revoke_key
from shipyard.llm.usage import RANGES, UsageStats, key_totals
from shipyard.server.api.keys import gateway_config
from shipyard.server.pages.render import render
from shipyard.server.pages.routing import WorkspaceDep, page_router
from shipyard.server.pages.traces import FORMAT
from shipyard.workspace import Workspace

router = page_router()
_MAX_FORM = 16_384
FORM_FIELDS = ("project", "name", "budget", "rpm", "tpm", "models", "expires_days")


@dataclass(frozen=True)
class KeyRow:
    """A key with what it used: this budget period, this minute, the last 30 days."""

    key: VirtualKey
    status: str
    usage: KeyUsage | None
    recent: UsageStats | None

    @property
    def budget_pct(self) -> float | None:
        if self.usage is None or not self.key.budget_usd or self.usage.spent_usd is None:
            return None
        return round(min(100.0, 100.0 * self.usage.spent_usd / self.key.budget_usd), 1)


@router.get("/ui/keys")
def keys_page(request: Request, ws: WorkspaceDep, revoked: bool = True) -> Response:
    return _page(request, ws, revoked=revoked)


@router.post("/ui/keys")
async def create_key_form(request: Request, ws: WorkspaceDep) -> Response:
    form = await _form(request)
    try:
        key, secret = create_key(
            form.get("project", ""),
            name=form.get("name") or None,
            budget=form.get("budget") or None,
            rpm=_whole("rpm", form.get("rpm", "")),
            tpm=_whole("tpm", form.get("tpm", "")),
            models=[m.strip() for m in form.get("models", "").split(",") if m.strip()],
            expires_in_s=_days(form.get("expires_days", "")),
            workspace=ws,
        )
    except InvalidInput as exc:
        return _page(request, ws, form=form, error=exc.message, status=400)
    return _page(request, ws, created=(key, secret))


@router.post("/ui/keys/{key_id}/revoke")
async def revoke_key_form(request: Request, ws: WorkspaceDep, key_id: str) -> Response:
    await _form(request)
    revoke_key(key_id, workspace=ws)
    return RedirectResponse("/ui/keys", status_code=303)


def key_rows(
    ws: Workspace, keys: list[VirtualKey], config: GatewayConfig | None = None
) -> list[KeyRow]:
    """Each key with its current windows (active keys) and its last 30 days of calls.

    ``config`` is the mounted gateway's: its counters (a Redis) are where the
    gateway counts, so the page reads them there, as ``/api/v1/keys`` does.
    """
    now = now_ms()
    try:
        recent = key_totals(ws, since=now - RANGES["30d"])  # one GROUP BY key_id
    except ShipyardError:
        recent = {}
    rows = []
    for key in keys:
        status = key_status(key, now)
        used = None
        if status == "active":
            try:
                used = key_usage(key, config=config, workspace=ws)
            except ShipyardError:
                used = None  # counters elsewhere (Redis down, a remote store): show the key anyway
        rows.append(KeyRow(key, status, used, recent.get(key.id)))
    return rows


def _page(
    request: Request,
    ws: WorkspaceDep,
    *,
    revoked: bool = True,
    form: dict[str, str] | None = None,
    error: str | None = None,
    created: tuple[VirtualKey, str] | None = None,
    status: int = 200,
) -> Response:
    keys = list_keys(include_revoked=revoked, workspace=ws)
    rows = key_rows(ws, keys, gateway_config(request))
    return render(
        request,
        "llm_keys.html",
        {
            "title": "Keys",
            "rows": rows,
            "show_revoked": revoked,
            "active": sum(1 for r in rows if r.status == "active"),
            "form": {k: (form or {}).get(k, "") for k in FORM_FIELDS},
            "periods": PERIODS,
            "error": error,
            "created": created,
            "fmt": FORMAT,
        },
        status=status,
    )


async def _form(request: Request) -> dict[str, str]:
    """The urlencoded body's fields (first value each), after the same-site check."""
    _same_site(request)
    body = await request.body()
    parsed = parse_qs(body[:_MAX_FORM].decode("utf-8", "replace"))
    return {k: v[0].strip() for k, v in parsed.items() if v}


def _same_site(request: Request) -> None:
    site = request.headers.get("sec-fetch-site")
    origin = request.headers.get("origin")
    foreign = site not in (None, "same-origin", "none")
    if origin and origin != "null":
        parts = urlsplit(origin)
        foreign = foreign or (parts.netloc != request.url.netloc)
    if foreign:
        raise Forbidden(
            "this form was sent from another site; open /ui/keys on this server and submit it there"
        )


def _whole(label: str, text: str) -> int | None:
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise InvalidInput(f"{label} must be a whole number, not {text!r}") from None


def _days(text: str) -> float | None:
    if not text:
        return None
    try:
        return float(text) * 86_400
    except ValueError:
        raise InvalidInput(f"expiry must be a number of days, not {text!r}") from None
