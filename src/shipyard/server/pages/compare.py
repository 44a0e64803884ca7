"""``/ui/compare?runs=a,b,…``: 2 to 10 runs side by side, differences highlighted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Query, Request, Response

from shipyard.core.errors import InvalidInput
from shipyard.server.pages import charts
from shipyard.server.pages.formatting import metric, param
from shipyard.server.pages.render import render
from shipyard.server.pages.routing import WorkspaceDep, page_router
from shipyard.server.pages.table import build_runs_table
from shipyard.store.records import Run
from shipyard.workspace import Workspace

router = page_router()
MIN_RUNS, MAX_RUNS = 2, 10


@dataclass(frozen=True)
class Row:
    """One param or metric across the compared runs; ``None`` where a run lacks it."""

    key: str
    values: list[str | None]

    @property
    def differs(self) -> bool:
        return len(set(self.values)) > 1


@router.get("/ui/compare")
def compare_page(
    request: Request,
    ws: WorkspaceDep,
    runs: Annotated[list[str] | None, Query()] = None,
    filter: str | None = None,
    order: str | None = None,
    page_token: str | None = None,
) -> Response:
    """Compare the runs named by ``runs`` (comma-separated or repeated ids or id prefixes).

    Without ``runs`` this is the picker: every run, with boxes to tick.
    """
    ids = [part.strip() for value in runs or () for part in value.split(",") if part.strip()]
    if not ids:
        table = build_runs_table(
            ws,
            request.url.path,
            experiment_ids=None,
            filter=filter,
            order=order,
            page_token=page_token,
            limit=None,
        )
        context = {"title": "Compare runs", "table": table}
        return render(request, "compare_pick.html", context, status=400 if table.error else 200)
    unique = list(dict.fromkeys(ids))
    if not MIN_RUNS <= len(unique) <= MAX_RUNS:
        raise InvalidInput(
            f"compare needs between {MIN_RUNS} and {MAX_RUNS} runs; {len(unique)} "
            f"{'was' if len(unique) == 1 else 'were'} given. Tick 2 to 10 runs in a runs "
            "table and press Compare."
        )
    found = list({r.id: r for r in (ws.store.runs.get(i) for i in unique)}.values())
    if len(found) < MIN_RUNS:
        raise InvalidInput("those ids name the same run twice; pick at least two different runs")
    return render(request, "compare.html", {"title": "Compare runs", **compare_context(ws, found)})


def compare_context(ws: Workspace, runs: list[Run]) -> dict[str, Any]:
    colors = {r.id: charts.PALETTE[i % len(charts.PALETTE)] for i, r in enumerate(runs)}
    labels = trace_labels(runs)
    param_rows = [
        Row(k, [param(r.params[k]) if k in r.params else None for r in runs])
        for k in sorted({k for r in runs for k in r.params})
    ]
    metric_rows = [
        Row(k, [metric(r.metrics[k]) if k in r.metrics else None for r in runs])
        for k in sorted({k for r in runs for k in r.metrics})
    ]
    shared = [k for k in sorted({k for r in runs for k in r.metrics}) if _count(runs, k) > 1]
    chart_data = []
    for key in shared:
        traces = []
        for run in runs:
            if key in run.metrics:
                history = ws.store.run_data.metric_history(run.id, key)
                traces.append(charts.trace(labels[run.id], history, colors[run.id]))
        chart_data.append(charts.chart(key, traces))
    return {
        "runs": runs,
        "colors": colors,
        "labels": labels,
        "param_rows": param_rows,
        "metric_rows": metric_rows,
        "differing_params": sum(row.differs for row in param_rows),
        "charts": chart_data,
        "unshared": [k for k in sorted({k for r in runs for k in r.metrics}) if k not in shared],
    }


def trace_labels(runs: list[Run]) -> dict[str, str]:
    """Run names for legends, with an id prefix where two compared runs share a name."""
    names = [r.name for r in runs]
    return {r.id: r.name if names.count(r.name) == 1 else f"{r.name} ({r.id[:8]})" for r in runs}


def _count(runs: list[Run], key: str) -> int:
    return sum(key in r.metrics for r in runs)
