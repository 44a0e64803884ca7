"""OTLP export to a real local collector: same ids, parents, times, GenAI attributes, status."""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from shipyard.core.errors import ProviderError
from shipyard.llm.config import GatewayConfig, TracingConfig
from shipyard.llm.stages.base import Call, Chain, Next
from shipyard.llm.stages.trace import TraceStage
from shipyard.llm.types import LLMRequest, LLMResponse, Outcome, Usage
from shipyard.tracing import flush_traces, span, trace
from shipyard.tracing.otlp import otel_value, traces_url
from shipyard.tracing.recorder import recorder
from shipyard.workspace import current_workspace


class Collector:
    """An OTLP/HTTP receiver: decodes every POST /v1/traces into protobuf spans."""

    def __init__(self) -> None:
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
            ExportTraceServiceRequest,
        )

        received: list[Any] = []
        self.received = received
        self.paths: list[str] = []
        paths = self.paths

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                message = ExportTraceServiceRequest()
                message.ParseFromString(body)
                received.append(message)
                paths.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def spans(self) -> dict[str, Any]:
        """Span id (hex) → (span, resource, scope)."""
        out = {}
        for message in self.received:
            for rs in message.resource_spans:
                for ss in rs.scope_spans:
                    for s in ss.spans:
                        out[s.span_id.hex()] = (s, rs.resource, ss.scope)
        return out

    def by_name(self) -> dict[str, Any]:
        return {s.name: s for s, _, _ in self.spans().values()}


@pytest.fixture
def collector() -> Iterator[Collector]:
    c = Collector()
    c.thread.start()
    yield c
    recorder().close(5)  # stop this collector's exporter before the server goes
    c.server.shutdown()
    c.server.server_close()


def _attributes(s: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kv in s.attributes:
        value = kv.value
        kind = value.WhichOneof("value")
        if kind == "array_value":
            out[kv.key] = [getattr(v, v.WhichOneof("value")) for v in value.array_value.values]
        else:
            out[kv.key] = getattr(value, kind)
    return out


class Answer:
    name = "route"

    def handle(self, call: Call, next: Next) -> Outcome:
        with span("attempt 1 echo/one", kind="attempt"):
            if call.request.model == "broken":
                raise ProviderError("upstream 500", provider="echo", retryable=True)
            return LLMResponse(
                model="echo/one",
                provider="echo",
                text="ok",
                id="r9",
                usage=Usage(prompt_tokens=7, completion_tokens=1),
                cost_usd=0.5,
            )


def test_spans_reach_the_collector_with_their_ids_and_genai_attributes(
    collector: Collector,
) -> None:
    config = GatewayConfig(tracing=TracingConfig(otlp_endpoint=collector.url))
    chain = Chain([TraceStage(config, current_workspace()), Answer()])
    with trace("rag-answer", attributes={"docs": [1, 2], "meta": {"k": "v"}}) as root:
        response = chain(Call(request=LLMRequest.chat("fast", [{"role": "user", "content": "hi"}])))
        with pytest.raises(ProviderError):
            chain(Call(request=LLMRequest.chat("broken", [{"role": "user", "content": "x"}])))
    assert isinstance(response, LLMResponse)
    assert flush_traces(20)

    assert collector.paths and set(collector.paths) == {"/v1/traces"}
    got = collector.spans()
    _, stored = current_workspace().store.traces.get(root.trace_id)
    assert len(got) == len(stored) == 5
    for s in stored:
        otel, resource, scope = got[s.span_id]
        assert otel.name == s.name
        assert otel.trace_id.hex() == root.trace_id == s.trace_id
        assert (otel.parent_span_id.hex() or None) == s.parent_id
        assert otel.start_time_unix_nano == s.start_us * 1000
        assert otel.end_time_unix_nano - otel.start_time_unix_nano == pytest.approx(
            s.duration_ms * 1e6, abs=1000
        )
        assert scope.name == "shipyard"
        service = {kv.key: kv.value.string_value for kv in resource.attributes}
        assert service["service.name"] == "shipyard"

    named = collector.by_name()
    chat = named["chat fast"]
    a = _attributes(chat)
    assert a["gen_ai.operation.name"] == "chat"
    assert a["gen_ai.request.model"] == "fast"
    assert a["gen_ai.response.model"] == "echo/one"
    assert a["gen_ai.provider.name"] == "echo"
    assert a["gen_ai.response.finish_reasons"] == ["stop"]
    assert (a["gen_ai.usage.input_tokens"], a["gen_ai.usage.output_tokens"]) == (7, 1)
    assert a["shipyard.cost_usd"] == 0.5 and a["shipyard.span_kind"] == "llm"
    sent = json.loads(a["gen_ai.input.messages"])
    assert sent == [{"role": "user", "parts": [{"type": "text", "content": "hi"}]}]
    assert chat.kind == chat.SPAN_KIND_CLIENT

    broken = named["chat broken"]
    assert broken.status.code == broken.status.STATUS_CODE_ERROR
    assert broken.status.message == "ProviderError: upstream 500"
    assert _attributes(broken)["error.type"] == "ProviderError"
    assert [e.name for e in broken.events] == ["exception"]

    user = named["rag-answer"]
    assert user.kind == user.SPAN_KIND_INTERNAL
    assert _attributes(user)["docs"] == [1, 2]
    assert _attributes(user)["meta"] == '{"k":"v"}'  # not a scalar: JSON text


def test_the_environment_variable_turns_export_on(
    collector: Collector, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHIPYARD_OTLP_ENDPOINT", collector.url + "/")
    with trace("plain-user-code"):
        pass
    assert flush_traces(20)
    assert "plain-user-code" in collector.by_name()


def test_values_and_urls() -> None:
    assert traces_url("http://c:4318") == "http://c:4318/v1/traces"
    assert traces_url("http://c:4318/v1/traces/") == "http://c:4318/v1/traces"
    assert otel_value(["a", "b"]) == ("a", "b")
    assert otel_value([1, "b"]) == '[1,"b"]'
    assert otel_value([]) == "[]"
    assert otel_value(True) is True and otel_value(1.5) == 1.5
