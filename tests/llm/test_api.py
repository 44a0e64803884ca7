"""``sy.llm`` through the whole default request path, with the echo provider (fast, deterministic)."""

from __future__ import annotations

import pytest

import shipyard as sy
from shipyard.core.errors import InvalidInput, NotFound
from shipyard.store.trace_records import CallQuery
from shipyard.tracing import flush_traces
from shipyard.workspace import current_workspace


@pytest.fixture(autouse=True)
def _default_config() -> None:
    sy.llm.configure(None)
    yield
    sy.llm.configure(None)


def _calls() -> list:
    flush_traces()
    return current_workspace().store.traces.calls(CallQuery())


def test_chat_goes_through_the_path_and_is_traced() -> None:
    reply = sy.llm.chat([{"role": "user", "content": "hello there"}], model="echo/echo")
    assert "hello there" in reply.text
    assert reply.model == "echo/echo"
    assert reply.usage.prompt_tokens > 0 and reply.usage.completion_tokens > 0
    assert reply.cost_usd == 0.0
    assert reply.trace_id
    (call,) = _calls()
    assert call.trace_id == reply.trace_id
    assert call.operation == "chat"
    assert call.target == "echo/echo"
    assert call.status == "ok"


def test_complete_and_stream_complete() -> None:
    whole = sy.llm.complete("Q: 2+2?\nA: 4\nQ: 3+3?\nA:", model="echo/echo")
    assert whole.text
    stream = sy.llm.stream_complete("one two three four", model="echo/echo")
    pieces = list(stream)
    assert len(pieces) > 1
    assert stream.response is not None
    assert "".join(pieces) == stream.response.text
    assert stream.response.trace_id == stream.trace_id
    assert len(_calls()) == 2


def test_stream_chat_yields_text_pieces() -> None:
    stream = sy.llm.stream_chat(
        [{"role": "user", "content": "alpha beta gamma"}], model="echo/echo"
    )
    assert "alpha beta gamma" in stream.text()
    assert stream.response is not None and stream.response.finish_reason


def test_embed_returns_one_vector_per_text() -> None:
    out = sy.llm.embed(["a cat", "a kitten", "stock prices"], model="echo/echo")
    assert out.embeddings is not None and len(out.embeddings) == 3
    assert len({len(v) for v in out.embeddings}) == 1


def test_a_registered_prompt_is_rendered_and_its_version_recorded() -> None:
    sy.prompts.create(
        "support",
        [
            {"role": "system", "content": "Answer briefly."},
            {"role": "user", "content": "Question: {{ question }}"},
        ],
    )
    reply = sy.llm.chat(
        prompt="prompt:support@latest", variables={"question": "what is a run?"}, model="echo/echo"
    )
    assert "what is a run?" in reply.text
    (call,) = _calls()
    assert call.prompt_ref == "prompt:support@1"


def test_a_completion_template_takes_the_model_of_the_prompt() -> None:
    sy.prompts.create(
        "capitals",
        "Q: What is the capital of France?\nA: Paris\nQ: What is the capital of {{ country }}?\nA:",
        model={"provider": "echo", "model": "echo", "max_tokens": 5},
    )
    reply = sy.llm.complete(template="prompt:capitals@1", variables={"country": "Peru"})
    assert reply.model == "echo/echo"
    (call,) = _calls()
    assert call.prompt_ref == "prompt:capitals@1"


def test_user_spans_nest_around_calls() -> None:
    with sy.trace("rag-answer"):
        first = sy.llm.chat([{"role": "user", "content": "one"}], model="echo/echo")
        second = sy.llm.chat([{"role": "user", "content": "two"}], model="echo/echo")
    assert first.trace_id == second.trace_id
    flush_traces()
    record, spans = current_workspace().store.traces.get(first.trace_id)
    assert record.name == "rag-answer"
    root = next(s for s in spans if s.parent_id is None)
    llm_spans = [s for s in spans if s.kind == "llm"]
    assert len(llm_spans) == 2
    assert all(s.parent_id == root.span_id for s in llm_spans)


def test_mistakes_are_one_line_errors() -> None:
    with pytest.raises(InvalidInput, match="either messages or prompt"):
        sy.llm.chat()
    with pytest.raises(InvalidInput, match="unknown provider"):
        sy.llm.chat([{"role": "user", "content": "x"}], model="nope/model")
    with pytest.raises(InvalidInput, match="role"):
        sy.llm.chat([{"role": "robot", "content": "x"}], model="echo/echo")
    with pytest.raises(NotFound):
        sy.llm.chat(prompt="prompt:missing@1", model="echo/echo")


def test_configure_with_an_alias() -> None:
    sy.llm.configure(
        {
            "models": {"fast": {"targets": [{"provider": "echo", "model": "echo"}]}},
            "default_model": "fast",
        }
    )
    reply = sy.llm.chat([{"role": "user", "content": "hi"}])
    assert reply.model == "echo/echo"
    (call,) = _calls()
    assert call.model == "fast"
