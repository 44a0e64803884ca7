"""The seed example, both ways, as one measurement: the trained classifier against the prompted LLM.

Both are evaluated as tracked runs on the same 240 eval reviews
(``dataset:sentiment-eval``) with the same scorers, then put side by side in
one report: accuracy and macro F1, p50/p95 latency per prediction, cost per
1,000 predictions, and for the prompt the paired significance verdict against
the classifier (McNemar on the cases both answered)::

    python examples/sentiment/both_ways.py
    shipyard eval report <classifier run> <prompt run>      # the same table again
    /ui/evals/report?runs=<classifier run>,<prompt run>    # and in the UI

``make demo`` runs it too. With an OpenAI-compatible endpoint configured
(``OPENAI_BASE_URL`` and/or ``OPENAI_API_KEY``; the model is
``SHIPYARD_SENTIMENT_OPENAI_MODEL``, default ``gpt-4o-mini``) the prompt is also
evaluated on that model, as chat (the few-shot document is the user message),
and joins the report.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import shipyard as sy

SCORERS = ["accuracy", "f1"]
LOCAL_MODEL = "local/gemma-3-270m"
OPENAI_MODEL_ENV = "SHIPYARD_SENTIMENT_OPENAI_MODEL"
DEFAULT_OPENAI_MODEL = "gpt-4o-mini"


@dataclass(frozen=True)
class BothWays:
    """What was measured: the evaluations' run ids (classifier first) and the report."""

    data: str
    classifier: str  # model:sentiment-classifier@N
    prompt: str  # prompt:sentiment@N
    runs: tuple[str, ...]
    report: Any  # shipyard.evals.report.Report


def openai_model() -> str | None:
    """The OpenAI-compatible model to evaluate the prompt on too, when an endpoint is configured."""
    chosen = os.environ.get(OPENAI_MODEL_ENV, "").strip()
    if chosen:
        return chosen
    configured = os.environ.get("OPENAI_BASE_URL") or os.environ.get("OPENAI_API_KEY")
    return DEFAULT_OPENAI_MODEL if configured else None


def run_both_ways(*, openai: str | None = None, progress: bool = True) -> BothWays:
    """Register the data, train the classifier, register the prompt, evaluate each, report.

    ``openai``: an OpenAI-compatible model name to evaluate the prompt on as
    well (default: ``openai_model()``; ``""`` for none). Unchanged data, code
    and prompt reuse the registered versions and the pipeline's cached steps;
    the evaluations always run (they measure latency now).
    """
    from classic import train_sentiment  # the sibling modules; their folder is on sys.path
    from data import register_datasets
    from prompt import register_prompt

    from shipyard.evals.report import build_report
    from shipyard.workspace import current_workspace

    data = register_datasets()
    classifier: str = train_sentiment(dataset=data.train).load("register")
    prompt = register_prompt().ref
    runs = [
        sy.evals.evaluate(classifier, data.eval, SCORERS, progress=progress).run_id,
        # one case at a time: the local model answers one call at a time anyway, and cases
        # queued behind each other would count the wait in their latency
        sy.evals.evaluate(
            prompt, data.eval, SCORERS, model=LOCAL_MODEL, parallel=1, progress=progress
        ).run_id,
    ]
    remote = openai_model() if openai is None else openai
    if remote:
        runs.append(
            sy.evals.evaluate(
                prompt,
                data.eval,
                SCORERS,
                model=f"openai/{remote}",
                target_options={"mode": "chat"},
                progress=progress,
            ).run_id
        )
    report = build_report(current_workspace(), runs)
    return BothWays(data.eval, classifier, prompt, tuple(runs), report)


def main() -> BothWays:
    """Run both ways and print the report (the CLI's table)."""
    from shipyard.cli.evals import print_report

    result = run_both_ways()
    print_report(result.report)
    print(f"in the UI: /ui/evals/report?runs={','.join(result.runs)}")
    return result


if __name__ == "__main__":
    main()
