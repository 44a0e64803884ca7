"""Scorers that call models: embedding similarity and LLM-as-judge, through the real request path.

The ``echo`` provider makes answers predictable: a completion answers the
prompt's last line, a chat ``"echo: <last user message>"``, embeddings are
hashed bags of words. One test per real local model checks the plumbing only.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import shipyard as sy
from shipyard.assets.prompts.api import create
from shipyard.assets.registry import resolve
from shipyard.core.errors import InvalidInput
from shipyard.evals.results import CaseResult
from shipyard.evals.scorers import score_cases
from shipyard.evals.scorers.judge import DEFAULT_RUBRIC, parse_score
from shipyard.evals.scorers.similarity import cosine
from shipyard.llm.providers.echo import hashed_embedding
from shipyard.store.trace_records import CallQuery
from shipyard.tracing import flush_traces
from shipyard.workspace import current_workspace

PRICES = {"prices": {"echo/echo": {"input": 1000.0, "output": 2000.0}}}  # USD per 1M tokens


@pytest.fixture(autouse=True)
def _default_gateway() -> Iterator[None]:
    sy.llm.configure(None)
    yield
    sy.llm.configure(None)


def case(i: int, output: Any, expected: Any = None, **kw: Any) -> CaseResult:
    return CaseResult(
        index=i, inputs={"question": f"question {i}"}, expected=expected, output=output, **kw
    )


def calls() -> list:
    flush_traces()
    return current_workspace().store.traces.calls(CallQuery())


# --- embedding similarity -----------------------------------------------------------------


def test_embedding_similarity_embeds_every_text_in_one_call() -> None:
    cases = [
        case(0, "the cat sat", "the cat sat"),
        case(1, "the cat sat", "stock prices fell"),
        case(2, "a dog", None),  # nothing to compare with
        case(3, None, "the cat sat", error="boom"),
    ]
    scored, metrics, details = score_cases(cases, ["embedding_similarity:model=echo/echo"])
    want = cosine(hashed_embedding("the cat sat"), hashed_embedding("stock prices fell"))
    got = [c.scores["embedding_similarity"] for c in scored]
    assert got[0] == pytest.approx(1.0) and got[1] == pytest.approx(want)
    assert got[2] is None and got[3] == 0.0
    assert metrics["embedding_similarity"] == pytest.approx((1.0 + want + 0.0) / 3)
    (call,) = calls()  # one request for all texts, deduplicated
    assert call.operation == "embedding" and call.prompt_tokens == 6
    assert details["embedding_similarity"]["texts"] == 2
    assert details["embedding_similarity"]["model"] == "echo/echo"


@pytest.mark.slow
def test_embedding_similarity_with_the_bundled_minilm() -> None:
    pytest.importorskip(
        "sentence_transformers", reason="the local embedder needs shipyard[embeddings]"
    )
    cases = [
        case(0, "How do I reset my password?", "How do I reset my password?"),
        case(1, "I forgot my password, how can I change it?", "How do I reset my password?"),
        case(2, "The recipe needs two cups of flour.", "How do I reset my password?"),
    ]
    scored, _, details = score_cases(cases, ["embedding_similarity"])
    same, paraphrase, unrelated = (c.scores["embedding_similarity"] for c in scored)
    assert same == pytest.approx(1.0, abs=1e-5)
    assert paraphrase is not None and unrelated is not None and paraphrase > unrelated + 0.3
    assert details["embedding_similarity"]["model"] == "local/all-minilm-l6-v2"


# --- judge: parsing -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "low", "high", "want"),
    [
        (" 4", 1, 5, 0.75),
        ("Score: 5/5", 1, 5, 1.0),
        ("1", 1, 5, 0.0),
        (" 3.5 - good", 1, 5, 0.625),
        ("0.8", 0, 1, 0.8),
        ("7", 1, 10, 6 / 9),
    ],
)
def test_scores_are_parsed_and_normalised(
    answer: str, low: float, high: float, want: float
) -> None:
    score, why = parse_score(answer, low, high)
    assert score == pytest.approx(want) and why is None


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        ("Score:", "no score in the judge's answer 'Score:'"),
        (" great answer", "no score in the judge's answer 'great answer'"),
        (" 9", "score 9 is outside the scale 1-5"),
        ("v2 is 0", "score 0 is outside the scale 1-5"),  # "v2" is not a number on its own
    ],
)
def test_unparseable_answers_give_none_and_a_reason(answer: str, why: str) -> None:
    assert parse_score(answer, 1, 5) == (None, why)


# --- judge: with echo ---------------------------------------------------------------------


def test_the_default_rubric_is_registered_once_and_its_latest_version_used() -> None:
    cases = [case(0, "Paris", "Paris"), case(1, "Lyon", "Paris")]
    scored, metrics, details = score_cases(cases, ["judge:model=echo/echo"])
    # a completion ending in "Score:" — echo answers that line, which holds no score
    assert [c.scores["judge"] for c in scored] == [None, None]
    note = scored[0].metadata["scoring"]["judge"]
    assert note["answer"] == "Score:" and note["note"] == "no score in the judge's answer 'Score:'"
    assert note["trace_id"]
    assert "judge" not in metrics and details["judge"]["skipped"] == "no case could be scored"
    assert (
        details["judge"]["unparsed"] == 2
        and details["judge"]["rubric"] == "prompt:shipyard-judge@1"
    )
    version = resolve(f"prompt:{DEFAULT_RUBRIC}@latest", "prompt")
    assert version.metadata["variables"] == ["expected", "input", "output"]
    (first, _) = calls()
    assert first.prompt_ref == "prompt:shipyard-judge@1" and first.operation == "completion"
    score_cases(cases, ["judge:model=echo/echo"])
    assert resolve(f"prompt:{DEFAULT_RUBRIC}@latest", "prompt").version == version.version
    create(DEFAULT_RUBRIC, "A better rubric.\nAnswer: {{ output }}\nScore: {{ expected }}")
    _, _, details = score_cases(cases, ["judge:model=echo/echo"])
    assert details["judge"]["rubric"] == "prompt:shipyard-judge@2"


def test_a_registered_rubric_scores_each_case_and_its_cost_is_kept_apart() -> None:
    sy.llm.configure(PRICES)
    create("grader", "Question: {{ question }}\nAnswer: {{ output }}\nGrade: {{ expected }}")
    cases = [
        case(0, "Paris", "5", cost_usd=0.01),
        case(1, "Lyon", "2", cost_usd=0.01),
        case(2, "?", "great", cost_usd=0.01),
        case(3, "x", "7", cost_usd=0.01),
        case(4, None, "5", error="boom", cost_usd=0.01),
    ]
    scored, metrics, details = score_cases(
        cases, ["judge:rubric=prompt:grader@1,model=echo/echo,name=helpful"]
    )
    assert [c.scores["helpful"] for c in scored] == [1.0, 0.25, None, None, 0.0]
    assert metrics["helpful"] == pytest.approx((1.0 + 0.25 + 0.0) / 3)
    assert scored[3].metadata["scoring"]["helpful"]["note"] == "score 7 is outside the scale 1-5"
    assert "scoring" not in scored[4].metadata  # the failed case was never judged
    judge = details["helpful"]
    assert judge["calls"] == 4 and judge["unparsed"] == 2 and judge["failed_calls"] == 0
    assert judge["models"] == ["echo/echo"] and judge["rubric"] == "prompt:grader@1"
    recorded = calls()
    assert len(recorded) == 4 and {c.prompt_ref for c in recorded} == {"prompt:grader@1"}
    assert judge["prompt_tokens"] == sum(c.prompt_tokens for c in recorded)
    assert judge["completion_tokens"] == sum(c.completion_tokens for c in recorded) == 8
    assert judge["cost_usd"] == pytest.approx(sum(c.cost_usd for c in recorded))
    assert judge["cost_usd"] == pytest.approx(
        (judge["prompt_tokens"] * 1000 + judge["completion_tokens"] * 2000) / 1e6
    )
    assert metrics["cost_usd"] == pytest.approx(0.05)  # the target's cost only


def test_a_chat_rubric_and_other_scales() -> None:
    create(
        "chat-grader",
        [
            {"role": "system", "content": "Rate the answer from 0 to 1."},
            {"role": "user", "content": "{{ expected }}"},
        ],
    )
    cases = [case(0, "a", "0.9"), case(1, "b", "0")]
    scored, _, _ = score_cases(
        cases, ["judge:rubric=prompt:chat-grader@latest,model=echo/echo,scale=0-1"]
    )
    assert [c.scores["judge"] for c in scored] == [pytest.approx(0.9), 0.0]
    assert scored[0].metadata["scoring"]["judge"]["answer"] == "echo: 0.9"
    assert {c.operation for c in calls()} == {"chat"}


def test_a_rubric_variable_that_cases_lack_is_a_clear_error() -> None:
    create("odd", "Context: {{ context }}\nScore:")
    with pytest.raises(InvalidInput, match=r"reads \{\{ context \}\}, which case 0 does not have"):
        score_cases([case(0, "a", "b")], ["judge:rubric=prompt:odd@1,model=echo/echo"])


def test_judge_calls_that_fail_leave_the_case_unscored_with_the_reason() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens once closed
    sy.llm.configure(
        {
            "models": {
                "down": {
                    "targets": [
                        {
                            "provider": "openai",
                            "model": "m",
                            "base_url": f"http://127.0.0.1:{port}/v1",
                            "timeout_s": 2,
                        }
                    ]
                }
            },
            "routing": {"retries": 0},
        }
    )
    scored, metrics, details = score_cases([case(0, "a", "b")], ["judge:model=down"])
    assert scored[0].scores["judge"] is None and "judge" not in metrics
    assert scored[0].metadata["scoring"]["judge"]["note"].startswith("judge call failed:")
    assert details["judge"]["failed_calls"] == 1


# --- judge: the real local model ----------------------------------------------------------


@pytest.fixture(scope="module")
def assembled_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("llama_cpp", reason="the local model needs shipyard[llm]")
    from shipyard.llm.providers.local_model import MODEL_FILE, ensure_assembled

    return ensure_assembled(tmp_path_factory.mktemp("gguf") / MODEL_FILE)


@pytest.mark.slow
def test_judge_with_the_local_base_model(
    assembled_gguf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHIPYARD_LOCAL_MODEL_PATH", str(assembled_gguf))
    cases = [
        case(0, "Paris", "Paris", cost_usd=0.0),
        case(1, "Berlin is the capital of Spain.", "Madrid"),
    ]
    scored, metrics, details = score_cases(
        cases, ["judge:model=local/gemma-3-270m,max_tokens=3,concurrency=1"]
    )
    for c in scored:
        value = c.scores["judge"]
        note = c.metadata["scoring"]["judge"]
        assert (value is not None and 0.0 <= value <= 1.0) or note["note"]
        assert note["trace_id"]
    judge = details["judge"]
    assert judge["calls"] == 2 and judge["failed_calls"] == 0
    assert judge["models"] == ["local/gemma-3-270m"]
    recorded = calls()
    assert len(recorded) == 2 and all(c.status == "ok" for c in recorded)
    assert judge["prompt_tokens"] == sum(c.prompt_tokens for c in recorded) > 100
    assert 0 < judge["completion_tokens"] <= 6
    assert metrics["prompt_tokens"] == 0.0  # the judge's tokens are not the target's
