"""``shipyard traces list|show`` through the real entry point."""

from __future__ import annotations

import io
import json
from dataclasses import replace

import pytest

import shipyard as sy
from shipyard.cli.main import main
from shipyard.store.trace_records import TraceQuery
from shipyard.tracing import flush_traces, genai, span


@pytest.fixture
def traces() -> dict[str, str]:
    with sy.trace("rag-answer") as rag:
        with span("retrieve"):
            pass
        with span(
            "chat fast",
            kind="llm",
            attributes={
                genai.OPERATION_NAME: "chat",
                genai.REQUEST_MODEL: "fast",
                genai.TARGET: "openai/gpt-4o-mini",
                genai.USAGE_INPUT_TOKENS: 12,
                genai.USAGE_OUTPUT_TOKENS: 30,
                genai.COST_USD: 0.00125,
                genai.KEY_ID: "key42",
                genai.RESPONSE_FINISH_REASONS: ["stop"],
                genai.INPUT_MESSAGES: json.dumps(
                    [
                        {
                            "role": "user",
                            "parts": [
                                {"type": "text", "content": "What is " + "very " * 80 + "long?"}
                            ],
                        }
                    ]
                ),
                genai.OUTPUT_MESSAGES: json.dumps(
                    [
                        {
                            "role": "assistant",
                            "parts": [{"type": "text", "content": "An answer."}],
                            "finish_reason": "stop",
                        }
                    ]
                ),
            },
        ):
            with span("attempt 1 openai/gpt-4o-mini", kind="attempt"):
                pass
    with (
        pytest.raises(RuntimeError),
        span(
            "chat slow", kind="llm", attributes={genai.REQUEST_MODEL: "slow", genai.CACHE: "exact"}
        ) as failed,
    ):
        raise RuntimeError("upstream down")
    assert flush_traces(10)
    return {"rag": rag.trace_id, "failed": failed.trace_id}


def test_list_table_and_filters(traces: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["traces", "list"]) == 0
    out = capsys.readouterr().out
    assert traces["rag"] in out and traces["failed"] in out
    assert "rag-answer" in out and "12/30" in out and "0.00125" in out and "key42" in out

    assert main(["traces", "list", "--model", "fast", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [t["trace_id"] for t in data] == [traces["rag"]]
    assert data[0]["cost_usd"] == 0.00125 and data[0]["span_count"] == 4

    for args, expected in (
        (["--status", "error"], ["failed"]),
        (["--key", "key42"], ["rag"]),
        (["--min-cost", "0.001"], ["rag"]),
        (["--cache"], ["failed"]),
        (["--no-cache", "--name", "RAG"], ["rag"]),
        (["--min-ms", "100000"], []),
        (["--project", "nobody"], []),
    ):
        assert main(["traces", "list", "--json", *args]) == 0
        found = [t["trace_id"] for t in json.loads(capsys.readouterr().out)]
        assert found == [traces[k] for k in expected], args

    assert main(["traces", "list", "--project", "nobody"]) == 0
    assert "no traces yet" in capsys.readouterr().err


def test_show_prints_the_span_tree(
    traces: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["traces", "show", traces["rag"]]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()

    # the tree: children indented under their parents, in start order
    def indent(name: str) -> int:
        line = next(line for line in lines if name in line and "ms" in line)
        return line.index(name)

    assert indent("rag-answer") < indent("retrieve") == indent("chat fast") < indent("attempt 1")
    assert "tokens=12/30" in out and "cost=$0.00125" in out and "key=key42" in out
    assert "finish=stop" in out and "target=openai/gpt-4o-mini" in out
    assert "in: user: What is very" in out and "…" in out  # long messages are cut
    assert "out: assistant: An answer." in out
    assert "very " * 60 not in out

    assert main(["traces", "show", traces["failed"]]) == 0
    out = capsys.readouterr().out
    assert "RuntimeError: upstream down" in out and "cache=exact" in out

    assert main(["traces", "show", traces["rag"], "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["trace"]["name"] == "rag-answer"
    assert [s["name"] for s in data["spans"]][:2] == ["rag-answer", "retrieve"]


def test_unknown_trace_is_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["traces", "show", "0" * 32]) == 2
    err = capsys.readouterr().err
    assert "no trace" in err and "shipyard traces list" in err
    assert main(["traces", "list", "--limit", "0"]) == 2
    assert "limit must be between 1 and 1000" in capsys.readouterr().err


def test_prune_deletes_traces_older_than_a_duration(
    traces: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    from shipyard.workspace import current_workspace

    store = current_workspace().store.traces
    record, spans = store.get(traces["rag"])
    store.record(
        [replace(record, trace_id="e" * 32, started_at=record.started_at - 40 * 86_400_000)],
        [replace(s, trace_id="e" * 32) for s in spans],
        [],
    )
    capsys.readouterr()
    assert main(["traces", "prune", "--older-than", "30d", "--yes"]) == 0
    assert "deleted 1 trace(s) started before" in capsys.readouterr().out
    assert {t.trace_id for t in store.list(TraceQuery())} == set(traces.values())
    assert main(["traces", "prune", "--older-than", "0s", "--yes"]) == 2
    assert "a duration looks like 30d" in capsys.readouterr().err


def test_prune_asks_first(traces: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    from shipyard.workspace import current_workspace

    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    assert main(["traces", "prune", "--older-than", "1s"]) != 0
    assert len(current_workspace().store.traces.list(TraceQuery())) == 2
