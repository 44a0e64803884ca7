"""LLM-as-judge: a model grades each output with a rubric that is itself a registered prompt.

The rubric (``rubric=prompt:NAME@VERSION``) is rendered per case with the
variables it uses: ``input`` (the case's only input, or all of them as JSON),
``output``, ``expected``, or any input field by name. Without ``rubric=``
the judge registers, once, a default few-shot rubric ``prompt:shipyard-judge``
and uses its latest version, so a team can improve the default by
registering a new version. The default is a completion that ends with
"Score:", which is what a base model such as the bundled one can continue;
``mode=chat`` sends the rubric as chat messages instead (``auto`` does that
for a rubric with more than one message or a system message).

The first number in the answer is the score, on ``scale`` (``1-5`` unless
told otherwise), normalised to 0–1. An answer without one in range scores
None, with the answer and the reason in ``case.metadata["scoring"][NAME]``.
Calls go through the LLM request path, so they are traced; what they cost is
reported in ``details[NAME]`` and never added to the target's cost.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from typing import Any

from shipyard.core.errors import InvalidInput, NotFound, ProviderError, RateLimited
from shipyard.evals.results import CaseResult
from shipyard.evals.scorers.registry import BatchScores, scorer
from shipyard.evals.scorers.values import as_text
from shipyard.workspace import Workspace, current_workspace

DEFAULT_RUBRIC = "shipyard-judge"
DEFAULT_RUBRIC_TEXT = """\
Each answer is rated against the reference answer, from 1 (wrong or unrelated) \
to 5 (correct and complete).

Question: What is the capital of France?
Reference: Paris
Answer: The capital of France is Paris.
Score: 5

Question: How many legs does a spider have?
Reference: 8
Answer: Spiders have six legs.
Score: 1

Question: Name two primary colours.
Reference: red and blue
Answer: Red.
Score: 3

Question: {{ input }}
Reference: {{ expected }}
Answer: {{ output }}
Score:"""
_SCALE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*-\s*(\d+(?:\.\d+)?)\s*\Z")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?")
_MODES = ("auto", "complete", "chat")


def parse_score(answer: str, low: float, high: float) -> tuple[float | None, str | None]:
    """The first number of an answer mapped from [low, high] to [0, 1], or None and why."""
    found = _NUMBER.search(answer)
    if found is None:
        return None, f"no score in the judge's answer {answer.strip()[:80]!r}"
    value = float(found.group())
    if not low <= value <= high:
        return None, f"score {value:g} is outside the scale {low:g}-{high:g}"
    return (value - low) / (high - low), None


def _check(options: dict[str, Any]) -> dict[str, Any]:
    scale = _SCALE.match(str(options.get("scale", "1-5")))
    if scale is None or float(scale.group(1)) >= float(scale.group(2)):
        raise InvalidInput(
            f"scorer 'judge': scale must be LOW-HIGH such as 1-5 or 0-1; got {options['scale']!r}"
        )
    if options.get("mode", "auto") not in _MODES:
        raise InvalidInput(f"scorer 'judge': mode must be one of {', '.join(_MODES)}")
    for key in ("max_tokens", "concurrency"):
        if options.get(key, 1) < 1:
            raise InvalidInput(f"scorer 'judge': {key} must be at least 1")
    return options


@scorer("judge", batch=True, prepare=_check)
def judge(
    cases: Sequence[CaseResult],
    *,
    rubric: str | None = None,
    model: str | None = None,
    scale: str = "1-5",
    mode: str = "auto",
    max_tokens: int = 8,
    concurrency: int = 4,
) -> BatchScores:
    """A judge model rates each output with a rubric prompt; 1-5 (or ``scale``) mapped to 0-1."""
    from shipyard.assets.prompts.api import load

    ws = current_workspace()
    version, spec = load(rubric or _default_rubric(ws), workspace=ws)
    chat = mode == "chat" or (
        mode == "auto" and (len(spec.messages) > 1 or spec.messages[0].role != "user")
    )
    found = _SCALE.match(scale)
    assert found is not None  # checked by _check
    low, high = float(found.group(1)), float(found.group(2))
    needed = spec.variables
    jobs = [_variables(case, needed, version.ref) for case in cases]

    def ask(variables: Mapping[str, str]) -> Any:
        try:
            return _call(version.ref, variables, model, chat, max_tokens, ws)
        except (ProviderError, RateLimited) as exc:
            return exc

    contexts = [copy_context() for _ in jobs]  # each call runs in the caller's run and span
    with ThreadPoolExecutor(max_workers=min(concurrency, max(len(jobs), 1))) as pool:
        answers = list(pool.map(lambda c, v: c.run(ask, v), contexts, jobs))
    return _collect(answers, low, high, version.ref)


def _collect(answers: Sequence[Any], low: float, high: float, rubric: str) -> BatchScores:
    scores: list[float | None] = []
    notes: dict[int, dict[str, Any]] = {}
    totals = {"cost_usd": 0.0, "prompt_tokens": 0, "completion_tokens": 0}
    models: set[str] = set()
    failed = unparsed = 0
    for i, answer in enumerate(answers):
        if isinstance(answer, Exception):
            failed += 1
            scores.append(None)
            notes[i] = {"note": f"judge call failed: {answer}"}
            continue
        totals["cost_usd"] += answer.cost_usd
        totals["prompt_tokens"] += answer.usage.prompt_tokens
        totals["completion_tokens"] += answer.usage.completion_tokens
        models.add(answer.model)
        score, why = parse_score(answer.text, low, high)
        scores.append(score)
        notes[i] = {"answer": answer.text, "trace_id": answer.trace_id}
        if why is not None:
            unparsed += 1
            notes[i]["note"] = why
    details = {
        "rubric": rubric,
        "models": sorted(models),
        "calls": len(answers),
        "failed_calls": failed,
        "unparsed": unparsed,
        **totals,
    }
    return BatchScores(scores, notes, details)


def _call(
    rubric: str,
    variables: Mapping[str, str],
    model: str | None,
    chat: bool,
    max_tokens: int,
    ws: Workspace,
) -> Any:
    from shipyard.llm import api

    if chat:
        return api.chat(
            prompt=rubric,
            variables=variables,
            model=model,
            workspace=ws,
            max_tokens=max_tokens,
            temperature=0,
        )
    return api.complete(
        template=rubric,
        variables=variables,
        model=model,
        workspace=ws,
        max_tokens=max_tokens,
        temperature=0,
        stop=["\n"],
    )


def _variables(case: CaseResult, needed: Sequence[str], rubric: str) -> dict[str, str]:
    """What the rubric reads of one case, as text."""
    inputs = dict(case.inputs)
    fixed = {
        "input": as_text(next(iter(inputs.values()))) if len(inputs) == 1 else as_text(inputs),
        "output": as_text(case.output),
        "expected": as_text(case.expected),
    }
    out = {}
    for name in needed:
        if name in fixed:
            out[name] = fixed[name]
        elif name in inputs:
            out[name] = as_text(inputs[name])
        else:
            raise InvalidInput(
                f"judge rubric {rubric} reads {{{{ {name} }}}}, which case {case.index} does not"
                f" have; a rubric may use input, output, expected or an input field"
                f" ({', '.join(sorted(inputs)) or 'none'})"
            )
    return out


def _default_rubric(ws: Workspace) -> str:
    """The latest ``shipyard-judge`` version, registering the default one the first time."""
    from shipyard.assets.prompts.api import create
    from shipyard.assets.registry import resolve

    ref = f"prompt:{DEFAULT_RUBRIC}@latest"
    try:
        resolve(ref, "prompt", workspace=ws)
    except NotFound:
        create(
            DEFAULT_RUBRIC,
            DEFAULT_RUBRIC_TEXT,
            description="default LLM-as-judge rubric: few-shot, 1-5, ends with 'Score:'",
            workspace=ws,
        )
    return ref
