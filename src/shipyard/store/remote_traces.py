"""The traces repository of ``RemoteStore``: traces, spans and LLM calls over REST.

A gateway or an app whose workspace is ``SHIPYARD_URI`` sends its traces to the
team server in the recorder's batches; ``shipyard traces`` and the UI read them
back from there.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from shipyard.core.http import ApiClient
from shipyard.store.trace_records import (
    CallQuery,
    LLMCallRecord,
    SpanRecord,
    TraceQuery,
    TraceRecord,
)


class RemoteTraces:
    def __init__(self, api: ApiClient) -> None:
        self.api = api

    def record(
        self,
        traces: Sequence[TraceRecord],
        spans: Sequence[SpanRecord],
        calls: Sequence[LLMCallRecord],
    ) -> None:
        if not traces:
            return
        body = {
            "traces": [t.to_dict() for t in traces],
            "spans": [s.to_dict() for s in spans],
            "calls": [c.to_dict() for c in calls],
        }
        self.api.request("POST", "/api/v1/traces", json=body)

    def delete_before(self, before_ms: int) -> int:
        out = self.api.request("POST", "/api/v1/traces/prune", json={"before": before_ms})
        return int(out["deleted"])

    def list(self, query: TraceQuery) -> builtins.list[TraceRecord]:
        out = self.api.request("GET", "/api/v1/traces", params=_params(query.__dict__))
        return [TraceRecord.from_dict(t) for t in out["traces"]]

    def get(self, trace_id: str) -> tuple[TraceRecord, builtins.list[SpanRecord]]:
        out = self.api.request("GET", f"/api/v1/traces/{quote(trace_id, safe='')}")
        return TraceRecord.from_dict(out["trace"]), [SpanRecord.from_dict(s) for s in out["spans"]]

    def calls(self, query: CallQuery) -> builtins.list[LLMCallRecord]:
        out = self.api.request("GET", "/api/v1/llm-calls", params=_params(query.__dict__))
        return [LLMCallRecord.from_dict(c) for c in out["calls"]]


def _params(fields: dict[str, Any]) -> dict[str, str | int | float]:
    """Query parameters of a query's set fields (booleans as ``true``/``false``)."""
    out: dict[str, str | int | float] = {}
    for key, value in fields.items():
        if value is None:
            continue
        out[key] = ("true" if value else "false") if isinstance(value, bool) else value
    return out
