"""The gateway demo: real requests over HTTP to the real local model, a fallback, a cache hit, a refusal."""

from __future__ import annotations

import pytest

from shipyard.demo.gateway import run_gateway_demo
from shipyard.llm.keys import list_keys
from shipyard.store.trace_records import CallQuery, TraceQuery
from shipyard.workspace import current_workspace


@pytest.mark.slow
def test_gateway_demo_shows_fallback_cache_hit_and_budget_refusal() -> None:
    ws = current_workspace()
    calls = run_gateway_demo(ws)
    served = [c for c in calls if c.status == 200]
    assert served and all(c.target == "local/gemma-3-270m" for c in served)
    assert served[0].attempts > 1  # the dead upstream was tried first
    assert served[-1].attempts == 1  # its circuit opened, so later calls skip it
    hits = [c for c in served if c.cache == "exact"]
    assert len(hits) == 1 and hits[0].cost_usd == 0.0
    refused = calls[-1]
    assert refused.status == 429 and "budget" in refused.answer and "resets" in refused.answer

    # Everything is in the store for the UI: one trace per request, usage with cost.
    traces = ws.store.traces.list(TraceQuery(limit=100))
    assert len(traces) == len(calls)
    usage = ws.store.traces.calls(CallQuery())
    assert sum(c.cost_usd for c in usage) == pytest.approx(sum(c.cost_usd for c in calls))
    (key,) = list_keys("demo", workspace=ws)
    assert {c.key_id for c in usage} == {key.id}
