"""One evaluation on the real bundled model: the plumbing, never the quality of a base model."""

from __future__ import annotations

from pathlib import Path

import shipyard as sy
from shipyard.evals.api import create_dataset, evaluate, load_evaluation

FEW_SHOT = (
    "Review: I loved every minute of it.\nSentiment: positive\n"
    "Review: A dull, tiresome mess.\nSentiment: negative\n"
    "Review: {{ text }}\nSentiment:"
)


def test_a_few_shot_prompt_on_the_local_model(local_model_path: Path) -> None:
    sy.prompts.create(
        "sentiment",
        FEW_SHOT,
        model={"max_tokens": 2, "temperature": 0, "extra": {"stop": ["\n"]}},
    )
    create_dataset(
        "reviews",
        [
            {"text": "Wonderful acting and a great story.", "expected": "positive"},
            {"text": "Boring and far too long.", "expected": "negative"},
            {"text": "I would watch it again tomorrow.", "expected": "positive"},
            {"text": "The worst film of the year.", "expected": "negative"},
        ],
    )
    result = evaluate(
        "prompt:sentiment",
        "dataset:reviews",
        ["accuracy"],
        model="local/gemma-3-270m",
        parallel=2,
        progress=False,
    )
    assert result.target == "prompt:sentiment@1" and result.model == "local/gemma-3-270m"
    assert all(c.error is None for c in result.cases), [c.error for c in result.cases]
    for case in result.cases:
        assert isinstance(case.output, str) and case.latency_ms > 0
        assert case.prompt_tokens > 20 and 0 < case.completion_tokens <= 2
        assert case.metadata["trace_id"] and case.metadata["llm_model"] == "local/gemma-3-270m"
        raw = case.metadata["raw_output"]
        assert case.output in ("positive", "negative") or case.output == raw.strip()
    assert 0.0 <= result.metrics["accuracy"] <= 1.0
    assert result.metrics["p95_latency_ms"] >= result.metrics["p50_latency_ms"] > 0
    assert load_evaluation(result.run_id) == result
