"""Targets: parsing, a registered model in batches, a Python function, a prompt on the echo model."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import shipyard as sy
from shipyard.assets.aliases import move_alias
from shipyard.core.errors import InvalidInput, NotFound
from shipyard.evals.cases import load_cases
from shipyard.evals.results import CaseResult
from shipyard.evals.runner import run_cases
from shipyard.evals.targets import parse_target, target_kind
from shipyard.evals.targets.model import ModelTarget
from shipyard.evals.targets.prompt import normalise_label
from shipyard.store.asset_records import AssetVersion


@pytest.mark.parametrize(
    ("spec", "kind"),
    [
        ("model:credit@1", "model"),
        ("prompt:sentiment@production", "prompt"),
        ("http://127.0.0.1:8000/predict", "http"),
        ("https://example.org/answer", "http"),
        ("my_app.main:answer", "function"),
        ("app.py:answer", "function"),
    ],
)
def test_kinds(spec: str, kind: str) -> None:
    assert target_kind(spec) == kind


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("dataset:credit@1", "dataset:credit@1 is a dataset, not a target"),
        ("credit", "'credit' is not a target; use model:NAME@VERSION"),
        ("", "is not a target"),
    ],
)
def test_not_targets(spec: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        target_kind(spec)


def test_model_target_resolves_the_version(credit_model: AssetVersion) -> None:
    move_alias("model:credit@1", "production")
    target = parse_target("model:credit@production")
    assert isinstance(target, ModelTarget)
    assert (target.spec, target.ref) == ("model:credit@production", "model:credit@1")
    assert target.assets == ("model:credit@1",)
    with pytest.raises(NotFound):
        parse_target("model:nope@1")
    with pytest.raises(InvalidInput, match="model='local/x' is only for prompt targets"):
        parse_target("model:credit@1", model="local/x")
    with pytest.raises(InvalidInput, match=r"does not take option.*zoom.*batch_size, trusted"):
        parse_target("model:credit@1", options={"zoom": 1})


def test_model_target_predicts_in_batches_with_proba(
    credit_model: AssetVersion, credit_eval: AssetVersion, credit_data: object
) -> None:
    _, cases = load_cases(credit_eval.ref)
    target = parse_target("model:credit@1", options={"batch_size": 64})
    target.prepare(cases, [])
    calls = []
    predict = target.loaded.predictor.predict  # type: ignore[union-attr]

    def counting(frame: object) -> object:
        calls.append(len(frame))  # type: ignore[arg-type]
        return predict(frame)

    target.loaded.predictor.predict = counting  # type: ignore[union-attr, method-assign]
    done = run_cases(target, cases, parallel=2)
    assert calls and max(calls) <= 64 and sum(calls) == len(cases)  # batches, not one call a case
    import pandas as pd

    frame = pd.DataFrame([dict(c.inputs) for c in cases])
    model = credit_data.model  # type: ignore[attr-defined]
    assert [c.output for c in done] == list(model.predict(frame))
    probabilities = model.predict_proba(frame)
    for case, row in zip(done, probabilities, strict=True):
        assert case.proba == pytest.approx(dict(zip(["no", "yes"], row, strict=True)))
        assert case.latency_ms > 0 and case.error is None
        assert case.metadata == {"source": "synthetic"}
    assert target.describe()["classes"] == ["no", "yes"]


def test_model_target_needs_its_columns(credit_model: AssetVersion) -> None:
    cases = [CaseResult(index=0, inputs={"income": 1.0}, expected="no")]
    target = parse_target("model:credit@1")
    with pytest.raises(InvalidInput, match=r"needs input column\(s\) 'age'.*its inputs: income"):
        target.prepare(cases, [])


def test_a_bad_row_fails_only_its_case(credit_model: AssetVersion) -> None:
    cases = [
        CaseResult(index=i, inputs={"income": income, "age": 40}, expected="yes")
        for i, income in enumerate([90.0, "lots", 10.0, None])
    ]
    target = parse_target("model:credit@1")
    target.prepare(cases, [])
    done = run_cases(target, cases, parallel=1)
    assert [c.output for c in done] == ["yes", None, "no", None]
    assert done[0].error is None and done[2].error is None
    assert done[1].error is not None and done[1].error.startswith("InvalidInput: ")
    assert "income" in done[1].error and "\n" not in done[1].error
    assert done[3].error is not None and "null" in done[3].error


APP = """
import asyncio

def answer(question, n=1):
    if question == "boom":
        raise ValueError("cannot answer boom\\nsecond line")
    return {"output": question.upper() * n, "proba": {"a": 0.25}, "cost_usd": 0.5, "source": "app"}

def plain(question, n=1):
    return len(question) + n

async def later(question, n=1):
    await asyncio.sleep(0)
    return question[::-1]

NOT_CALLABLE = 3
"""


def _app(tmp_path: Path, name: str) -> None:
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(APP), encoding="utf-8")


def _questions() -> list[CaseResult]:
    return [
        CaseResult(index=i, inputs={"question": q, "n": 2}, expected=None, metadata={"k": i})
        for i, q in enumerate(["hi", "boom", "yo"])
    ]


def test_function_target(tmp_path: Path) -> None:
    _app(tmp_path, "evalapp_one")
    target = parse_target("evalapp_one:answer")
    assert (target.kind, target.ref, target.assets) == ("function", "evalapp_one:answer", ())
    target.prepare(_questions(), [])
    done = run_cases(target, _questions(), parallel=3)
    assert [c.output for c in done] == ["HIHI", None, "YOYO"]
    assert done[1].error == "ValueError: cannot answer boom"
    assert done[0].proba == {"a": 0.25} and done[0].cost_usd == 0.5
    assert done[0].metadata == {"k": 0, "source": "app"}
    assert done[1].metadata == {"k": 1}
    plain = parse_target("evalapp_one:plain")
    assert [c.output for c in run_cases(plain, _questions())] == [4, 6, 4]
    later = parse_target(f"{tmp_path / 'evalapp_one.py'}:later")
    assert [c.output for c in run_cases(later, _questions())] == ["ih", "moob", "oy"]


def test_function_target_errors(tmp_path: Path) -> None:
    _app(tmp_path, "evalapp_two")
    with pytest.raises(InvalidInput, match="no module named 'nowhere_at_all'"):
        parse_target("nowhere_at_all:f")
    with pytest.raises(InvalidInput, match="evalapp_two has no 'missing'"):
        parse_target("evalapp_two:missing")
    with pytest.raises(InvalidInput, match="is a int, not a function"):
        parse_target("evalapp_two:NOT_CALLABLE")
    target = parse_target("evalapp_two:answer")
    with pytest.raises(InvalidInput, match=r"cannot be called with the dataset.s inputs.*text"):
        target.prepare([CaseResult(index=0, inputs={"text": "x"})], [])


def _sentiment_prompt() -> None:
    sy.prompts.create("echo-label", "{{ text }}")
    sy.prompts.create(
        "echo-chat",
        [{"role": "system", "content": "Label it."}, {"role": "user", "content": "{{ text }}"}],
    )


def test_prompt_target_needs_a_model() -> None:
    _sentiment_prompt()
    with pytest.raises(InvalidInput, match=r"prompt:echo-label@1 names no model.*--model"):
        parse_target("prompt:echo-label@1")
    with pytest.raises(InvalidInput, match="mode must be one of auto, chat, completion"):
        parse_target("prompt:echo-label@1", model="echo/echo", options={"mode": "x"})


def test_prompt_target_runs_on_the_model_its_settings_pin() -> None:
    sy.prompts.create("pinned", "{{ text }}", model={"provider": "echo", "model": "echo"})
    sy.prompts.create("bare-model", "{{ text }}", model={"model": "my-alias"})
    assert parse_target("prompt:pinned@1").model == "echo/echo"
    assert parse_target("prompt:pinned@1", model="local/gemma-3-270m").model == (
        "local/gemma-3-270m"
    )
    assert parse_target("prompt:bare-model@1").model == "my-alias"  # a gateway alias


def test_prompt_target_through_the_request_path() -> None:
    _sentiment_prompt()
    cases = [
        CaseResult(index=0, inputs={"text": "Positive, clearly", "id": 7}, expected="positive"),
        CaseResult(index=1, inputs={"text": "NEGATIVE!", "id": 8}, expected="negative"),
        CaseResult(index=2, inputs={"text": "no idea", "id": 9}, expected="positive"),
    ]
    target = parse_target("prompt:echo-label@latest", model="echo/echo")
    assert (target.ref, target.assets) == ("prompt:echo-label@1", ("prompt:echo-label@1",))
    target.prepare(cases, ["positive", "negative"])
    assert target.describe()["mode"] == "completion"  # one user message: a completion template
    done = run_cases(target, cases, parallel=2)
    assert [c.output for c in done] == ["positive", "negative", "no idea"]
    assert [c.metadata["raw_output"] for c in done] == ["Positive, clearly", "NEGATIVE!", "no idea"]
    assert all(c.metadata["trace_id"] for c in done)
    assert done[0].prompt_tokens == 2 and done[0].completion_tokens == 2
    assert all(c.latency_ms > 0 and c.error is None for c in done)
    from shipyard.tracing import flush_traces

    flush_traces()
    # without labels the output is the stripped text, and a chat prompt goes through chat
    chat = parse_target("prompt:echo-chat@1", model="echo/echo")
    chat.prepare(cases, [])
    assert chat.describe()["mode"] == "chat"
    done = run_cases(chat, cases)
    assert [c.output for c in done] == [
        "echo: Positive, clearly",
        "echo: NEGATIVE!",
        "echo: no idea",
    ]
    assert "raw_output" not in done[0].metadata


def test_prompt_target_checks_variables_and_reports_provider_errors() -> None:
    _sentiment_prompt()
    target = parse_target("prompt:echo-label@1", model="echo/echo")
    with pytest.raises(InvalidInput, match=r"uses variable\(s\) 'text'.*its inputs: review"):
        target.prepare([CaseResult(index=0, inputs={"review": "x"})], [])
    unknown = parse_target("prompt:echo-label@1", model="nowhere/none")
    cases = [CaseResult(index=0, inputs={"text": "x"})]
    unknown.prepare(cases, [])
    (done,) = run_cases(unknown, cases)
    assert done.output is None and done.error is not None and "nowhere" in done.error


def test_normalise_label() -> None:
    labels = ["positive", "negative", "pos"]
    assert normalise_label(" Positive.", sorted(labels, key=len, reverse=True)) == "positive"
    assert normalise_label("POS", labels) == "pos"
    assert normalise_label("neutral", labels) == "neutral"
