"""``/ui/traces`` (LLM traces, filtered) and ``/ui/traces/{id}`` (one trace's span waterfall).

The list is ``ws.store.traces.list`` with the filters of ``TraceQuery`` taken
from the query string, so a filtered view is a link to share. The trace page
draws the span tree as a waterfall — each span a bar placed by its start and
sized by its duration, indented under its parent — followed by every span's
attributes (``gen_ai.*`` first) and the prompt and answer as chat bubbles.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

from fastapi import Request, Response

from shipyard.core.errors import InvalidInput, ShipyardError
from shipyard.server.pages.render import render
from shipyard.server.pages.routing import WorkspaceDep, page_router
from shipyard.store.trace_records import SpanRecord, TraceQuery, TraceRecord
from shipyard.workspace import Workspace

router = page_router()
PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
MESSAGE_ATTRIBUTES = ("gen_ai.input.messages", "gen_ai.output.messages")
STATUSES = ("ok", "error")


def ms(value: float | None) -> str:
    """A latency as people read it: ``0.42 ms``, ``12.3 ms``, ``1.25 s``."""
    if value is None:
        return "—"
    if value == 0:
        return "0 ms"
    if value < 1:
        return f"{value:.2f} ms"
    if value < 100:
        return f"{value:.1f} ms"
    if value < 1000:
        return f"{value:.0f} ms"
    return f"{value / 1000:.2f} s"


def usd(value: float | None) -> str:
    """A cost in dollars with the digits a fraction of a cent needs."""
    if value is None:
        return "—"
    if value == 0:
        return "$0"
    if abs(value) < 0.01:
        return f"${value:.6f}".rstrip("0")
    return f"${value:,.4f}".rstrip("0").rstrip(".")


def count(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


FORMAT = {"ms": ms, "usd": usd, "count": count}
"""Formatting helpers the LLM templates call as ``fmt.ms(...)``."""


@dataclass(frozen=True)
class TraceFilters:
    """The filters of the traces list as typed in the form (strings, blank for unset)."""

    model: str = ""
    key: str = ""
    project: str = ""
    status: str = ""
    min_ms: str = ""
    max_ms: str = ""
    min_cost: str = ""
    cache: str = ""
    """``hit``, ``miss`` or blank for either."""
    name: str = ""

    @property
    def active(self) -> bool:
        return any(getattr(self, k) for k in self.__dataclass_fields__)

    def query(self, key_ids: dict[str, str], *, limit: int, offset: int) -> TraceQuery:
        """The store query; ``key_ids`` resolves a key typed by name or prefix to its id."""
        if self.cache not in ("", "hit", "miss"):
            raise InvalidInput(f"cache filter {self.cache!r} is neither 'hit' nor 'miss'")
        key = self.key.strip()
        return TraceQuery(
            model=self.model.strip() or None,
            key_id=key_ids.get(key, key) or None,
            project=self.project.strip() or None,
            status=self.status.strip() or None,
            min_duration_ms=_number("min latency (ms)", self.min_ms),
            max_duration_ms=_number("max latency (ms)", self.max_ms),
            min_cost_usd=_number("min cost (USD)", self.min_cost),
            cache_hit={"hit": True, "miss": False}.get(self.cache),
            name=self.name.strip() or None,
            limit=limit,
            offset=offset,
        )

    def url(self, **changes: str | int | None) -> str:
        """``/ui/traces`` with these filters and ``changes`` in the query string."""
        params: dict[str, Any] = {k: getattr(self, k) for k in self.__dataclass_fields__}
        params.update(changes)
        query = urlencode({k: v for k, v in params.items() if v not in (None, "", 0)})
        return f"/ui/traces?{query}" if query else "/ui/traces"


@router.get("/ui/traces")
def traces_page(
    request: Request,
    ws: WorkspaceDep,
    model: str = "",
    key: str = "",
    project: str = "",
    status: str = "",
    min_ms: str = "",
    max_ms: str = "",
    min_cost: str = "",
    cache: str = "",
    name: str = "",
    limit: int = PAGE_SIZE,
    offset: int = 0,
) -> Response:
    filters = TraceFilters(model, key, project, status, min_ms, max_ms, min_cost, cache, name)
    size = min(max(limit, 1), MAX_PAGE_SIZE)
    start = max(offset, 0)
    keys = key_names(ws)
    by_label = {label: kid for kid, label in keys.items()}
    by_label.update({kid: kid for kid in keys})
    error = None
    rows: list[TraceRecord] = []
    try:
        rows = ws.store.traces.list(filters.query(by_label, limit=size + 1, offset=start))
    except InvalidInput as exc:
        error = exc.message
    more = len(rows) > size
    sized = "" if size == PAGE_SIZE else size
    return render(
        request,
        "traces.html",
        {
            "title": "Traces",
            "traces": rows[:size],
            "filters": filters,
            "error": error,
            "keys": keys,
            "statuses": STATUSES,
            "offset": start,
            "next_url": filters.url(offset=start + size, limit=sized) if more else None,
            "prev_url": filters.url(offset=max(start - size, 0), limit=sized) if start else None,
            "fmt": FORMAT,
        },
        status=400 if error else 200,
    )


@dataclass(frozen=True)
class Bubble:
    """One chat message: its role, its text, and any non-text parts as JSON."""

    role: str
    text: str
    extra: list[str] = field(default_factory=list)
    finish_reason: str | None = None


@dataclass(frozen=True)
class SpanRow:
    """One span on the trace page: where its bar goes and what its card shows."""

    span: SpanRecord
    depth: int
    offset_ms: float
    left_pct: float
    width_pct: float
    attributes: list[tuple[str, str]]
    input: list[Bubble] | None = None
    output: list[Bubble] | None = None
    raw_messages: list[tuple[str, str]] = field(default_factory=list)
    events: list[tuple[str, float | None, list[tuple[str, str]]]] = field(default_factory=list)
    """Each event's name, its time from the trace's start (ms) and its attributes."""

    def attr(self, name: str) -> Any:
        return self.span.attributes.get(name)


@router.get("/ui/traces/{trace_id}")
def trace_page(request: Request, ws: WorkspaceDep, trace_id: str) -> Response:
    trace, spans = ws.store.traces.get(trace_id)
    rows, total_ms = waterfall(trace, spans)
    return render(
        request,
        "trace.html",
        {
            "title": trace.name,
            "trace": trace,
            "rows": rows,
            "total_ms": total_ms,
            "ticks": [(pct, ms(total_ms * pct / 100)) for pct in (0, 25, 50, 75, 100)],
            "keys": key_names(ws),
            "fmt": FORMAT,
        },
    )


def waterfall(trace: TraceRecord, spans: list[SpanRecord]) -> tuple[list[SpanRow], float]:
    """Spans in tree order (parents before children, siblings by start) with bar positions."""
    if not spans:
        return [], trace.duration_ms
    t0 = min(s.start_us for s in spans)
    end_us = max(s.start_us + s.duration_ms * 1000 for s in spans)
    total_ms = max((end_us - t0) / 1000, 1e-3)
    ids = {s.span_id for s in spans}
    children: dict[str | None, list[SpanRecord]] = {}
    for s in spans:
        parent = s.parent_id if s.parent_id in ids else None
        children.setdefault(parent, []).append(s)
    ordered: list[tuple[SpanRecord, int]] = []

    def walk(parent: str | None, depth: int) -> None:
        for s in sorted(children.get(parent, []), key=lambda s: (s.start_us, s.span_id)):
            ordered.append((s, depth))
            walk(s.span_id, depth + 1)

    walk(None, 0)
    rows = []
    for s, depth in ordered:
        offset = (s.start_us - t0) / 1000
        left = 100.0 * offset / total_ms
        width = max(100.0 * s.duration_ms / total_ms, 0.25)
        rows.append(
            _with_messages(
                SpanRow(
                    span=s,
                    depth=depth,
                    offset_ms=offset,
                    left_pct=round(min(left, 99.75), 3),
                    width_pct=round(min(width, 100.0 - min(left, 99.75)), 3),
                    attributes=ordered_attributes(s.attributes),
                    events=_events(s.events, t0),
                )
            )
        )
    return rows, total_ms


def ordered_attributes(attributes: dict[str, Any]) -> list[tuple[str, str]]:
    """``gen_ai.*`` first, then ``shipyard.*``, then the rest; messages are shown apart."""

    def rank(name: str) -> tuple[int, str]:
        return (0 if name.startswith("gen_ai.") else 1 if name.startswith("shipyard.") else 2, name)

    shown = [k for k in attributes if k not in MESSAGE_ATTRIBUTES]
    return [(k, _text(attributes[k])) for k in sorted(shown, key=rank)]


def parse_messages(value: Any) -> list[Bubble] | None:
    """GenAI messages (JSON text or a list) as bubbles; None if they are not messages.

    Both the OpenTelemetry form (``{"role", "parts": [{"type": "text", "content"}]}``)
    and the chat-completions form (``{"role", "content"}``) are read.
    """
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(m, dict) for m in value):
        return None
    bubbles = []
    for m in value:
        texts: list[str] = []
        extra: list[str] = []
        content = m.get("content")
        if isinstance(content, str):
            texts.append(content)
        parts = m.get("parts") if isinstance(m.get("parts"), list) else content
        if isinstance(parts, list):
            for part in parts:
                text = _part_text(part)
                if text is None:
                    extra.append(json.dumps(part, indent=2, ensure_ascii=False, default=str))
                else:
                    texts.append(text)
        reason = m.get("finish_reason")
        bubbles.append(
            Bubble(
                str(m.get("role", "?")), "\n".join(texts), extra, str(reason) if reason else None
            )
        )
    return bubbles


def key_names(ws: Workspace) -> dict[str, str]:
    """Virtual key id → a label (its name); empty when the keys cannot be read."""
    from shipyard.llm.keys import list_keys

    try:
        found = list_keys(include_revoked=True, workspace=ws)
    except ShipyardError:  # keys unreachable (an older team server): show ids instead
        return {}
    return {k.id: k.name or k.prefix for k in found}


def _with_messages(row: SpanRow) -> SpanRow:
    attrs = row.span.attributes
    found: dict[str, list[Bubble] | None] = {}
    raw = []
    for name in MESSAGE_ATTRIBUTES:
        if name in attrs:
            found[name] = parse_messages(attrs[name])
            if found[name] is None:
                raw.append((name, _text(attrs[name])))
    return replace(
        row,
        input=found.get(MESSAGE_ATTRIBUTES[0]),
        output=found.get(MESSAGE_ATTRIBUTES[1]),
        raw_messages=raw,
    )


def _events(
    events: list[dict[str, Any]], t0_us: int
) -> list[tuple[str, float | None, list[tuple[str, str]]]]:
    out = []
    for e in events:
        at = e.get("time_us")
        attrs = e.get("attributes")
        pairs = (
            sorted((str(k), _text(v)) for k, v in attrs.items()) if isinstance(attrs, dict) else []
        )
        offset = (at - t0_us) / 1000 if isinstance(at, int | float) else None
        out.append((str(e.get("name", "event")), offset, pairs))
    return out


def _part_text(part: Any) -> str | None:
    if isinstance(part, str):
        return part
    if isinstance(part, dict) and part.get("type", "text") == "text":
        text = part.get("content", part.get("text"))
        return text if isinstance(text, str) else None
    return None


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False, default=str)


def _number(label: str, text: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise InvalidInput(f"{label} must be a number, not {text!r}") from None
