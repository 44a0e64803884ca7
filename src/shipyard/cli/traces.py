"""``shipyard traces``: list recorded traces and show one as a tree of timed spans."""

from __future__ import annotations

import json
from typing import Any

import typer

from shipyard.cli import output
from shipyard.store.trace_records import SpanRecord, TraceQuery, TraceRecord

app = typer.Typer(
    help="Traces: every LLM call and every sy.trace block, with its spans, tokens and cost.",
    no_args_is_help=True,
)

_JSON = typer.Option(False, "--json", help="Print JSON.")
_TEXT_CHARS = 160
_SHOWN = {
    "gen_ai.request.model": "model",
    "shipyard.target": "target",
    "gen_ai.provider.name": "provider",
    "shipyard.cache": "cache",
    "shipyard.attempt": "attempt",
    "shipyard.attempts": "attempts",
    "shipyard.key_id": "key",
    "shipyard.project": "project",
    "shipyard.prompt_ref": "prompt",
    "gen_ai.request.temperature": "temperature",
    "gen_ai.request.max_tokens": "max_tokens",
    "gen_ai.response.finish_reasons": "finish",
    "error.type": "error",
}
"""Attributes worth a glance in the tree, with the short label they get there."""


@app.command("list")
def list_(
    model: str = typer.Option(None, "--model", "-m", help="Only this model (as requested)."),
    key: str = typer.Option(None, "--key", "-k", help="Only this virtual key id."),
    project: str = typer.Option(None, "--project", "-p", help="Only this project."),
    status: str = typer.Option(None, "--status", "-s", help="ok or error."),
    name: str = typer.Option(None, "--name", help="Names containing this text."),
    min_ms: float = typer.Option(None, "--min-ms", help="At least this many milliseconds."),
    max_ms: float = typer.Option(None, "--max-ms", help="At most this many milliseconds."),
    min_cost: float = typer.Option(None, "--min-cost", help="At least this cost in USD."),
    cache: bool = typer.Option(None, "--cache/--no-cache", help="Only cache hits, or misses."),
    limit: int = typer.Option(20, "--limit", "-n", help="How many traces (at most 1000)."),
    as_json: bool = _JSON,
) -> None:
    """The most recent traces, newest first."""
    from shipyard.workspace import current_workspace

    query = TraceQuery(
        model=model,
        key_id=key,
        project=project,
        status=status,
        name=name,
        min_duration_ms=min_ms,
        max_duration_ms=max_ms,
        min_cost_usd=min_cost,
        cache_hit=cache,
        limit=limit,
    )
    found = current_workspace().store.traces.list(query)
    if as_json:
        output.print_json([t.to_dict() for t in found])
        return
    output.table(
        None,
        [
            "trace",
            "time",
            "name",
            "model",
            "status",
            "ms",
            "tokens in/out",
            "cost $",
            "cache",
            "key",
        ],
        [_row(t) for t in found],
    )
    if not found:
        output.err.print("no traces yet: calls through the gateway or sy.llm, and sy.trace blocks")


def _row(t: TraceRecord) -> tuple[Any, ...]:
    return (
        t.trace_id,
        output.when(t.started_at),
        t.name,
        t.model,
        t.status,
        _ms(t.duration_ms),
        f"{t.prompt_tokens}/{t.completion_tokens}",
        _cost(t.cost_usd),
        "hit" if t.cache_hit else "",
        t.key_id,
    )


@app.command("show")
def show(
    trace_id: str = typer.Argument(..., help="The trace id (32 hex digits)."),
    as_json: bool = _JSON,
) -> None:
    """One trace: its totals, then its spans as a tree with timings, tokens, cost and messages."""
    from shipyard.workspace import current_workspace

    trace, spans = current_workspace().store.traces.get(trace_id)
    if as_json:
        output.print_json({"trace": trace.to_dict(), "spans": [s.to_dict() for s in spans]})
        return
    output.table(
        f"trace {trace.name}",
        ["field", "value"],
        [
            ("id", trace.trace_id),
            ("started", output.when(trace.started_at)),
            ("duration", f"{_ms(trace.duration_ms)} ms"),
            ("status", trace.status if not trace.error else f"{trace.status}: {trace.error}"),
            ("model", trace.model),
            ("key / project", f"{trace.key_id or '–'} / {trace.project or '–'}"),
            ("tokens in/out", f"{trace.prompt_tokens}/{trace.completion_tokens}"),
            ("cost", f"${_cost(trace.cost_usd)}"),
            ("cache hit", "yes" if trace.cache_hit else "no"),
            ("spans", trace.span_count),
        ],
    )
    output.out.print(span_tree(spans))


@app.command("prune")
def prune(
    older_than: str = typer.Option(
        ..., "--older-than", help="Delete traces started longer ago than this: 30d, 12h, 2w..."
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Delete old traces with their spans and LLM calls (usage reports lose them too)."""
    from shipyard.core.clock import now_ms
    from shipyard.llm.keys import parse_duration
    from shipyard.workspace import current_workspace

    before = now_ms() - int(parse_duration(older_than) * 1000)
    if not yes:
        typer.confirm(f"Delete every trace started before {output.when(before)}?", abort=True)
    deleted = current_workspace().store.traces.delete_before(before)
    output.out.print(f"deleted {deleted} trace(s) started before {output.when(before)}")


def span_tree(spans: list[SpanRecord]) -> Any:
    """A rich ``Tree`` of spans under their parents, each with offset, duration and details."""
    from rich.tree import Tree

    start = min((s.start_us for s in spans), default=0)
    ids = {s.span_id for s in spans}
    children: dict[str | None, list[SpanRecord]] = {}
    for s in spans:
        parent = s.parent_id if s.parent_id in ids else None  # orphans show at the top
        children.setdefault(parent, []).append(s)
    tree = Tree("[bold]spans[/]", guide_style="dim")

    def add(node: Tree, parent: str | None) -> None:
        for s in children.get(parent, []):
            add(node.add(_label(s, start)), s.span_id)

    add(tree, None)
    return tree


def _label(s: SpanRecord, trace_start_us: int) -> Any:
    from rich.text import Text

    label = Text()
    label.append(s.name, style="bold red" if s.status == "error" else "bold")
    label.append(f"  {_ms(s.duration_ms)} ms", style="cyan")
    label.append(f"  +{(s.start_us - trace_start_us) / 1000:.2f} ms  {s.kind}", style="dim")
    a = s.attributes
    facts = [f"{label}={_short(a[k])}" for k, label in _SHOWN.items() if k in a]
    if "gen_ai.usage.input_tokens" in a or "gen_ai.usage.output_tokens" in a:
        facts.append(
            f"tokens={a.get('gen_ai.usage.input_tokens', 0)}/"
            f"{a.get('gen_ai.usage.output_tokens', 0)}"
        )
    if "shipyard.cost_usd" in a:
        facts.append(f"cost=${_cost(float(a['shipyard.cost_usd']))}")
    if facts:
        label.append("\n" + "  ".join(facts), style="")
    if s.error:
        label.append(f"\n{s.error}", style="red")
    for key, who in (("gen_ai.input.messages", "in"), ("gen_ai.output.messages", "out")):
        if key in a:
            label.append(f"\n{who}: {_messages(a[key])}", style="green" if who == "out" else "")
    return label


def _messages(raw: Any) -> str:
    """``role: text`` of GenAI messages (JSON with ``parts``), truncated to one readable line."""
    try:
        messages = json.loads(raw) if isinstance(raw, str) else raw
        text = " | ".join(
            f"{m.get('role', '?')}: "
            + "".join(str(p.get("content", "")) for p in m.get("parts", []) if isinstance(p, dict))
            for m in messages
            if isinstance(m, dict)
        )
    except (TypeError, ValueError, AttributeError):
        text = str(raw)
    return _short(text, _TEXT_CHARS)


def _short(value: Any, most: int = 60) -> str:
    if isinstance(value, list):
        value = ",".join(map(str, value))
    text = " ".join(str(value).split())
    return text if len(text) <= most else text[: most - 1] + "…"


def _cost(usd: float) -> str:
    return f"{usd:.6f}".rstrip("0").rstrip(".") if usd else "0"


def _ms(ms: float) -> str:
    return f"{ms:.1f}" if ms >= 10 else f"{ms:.2f}"
