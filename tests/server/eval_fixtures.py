"""Two real evaluations of one sentiment dataset, for the evaluation API, pages and browser tests.

* the baseline, ``review_rules:classify``: a Python function that reads the
  second word (right on about two cases in three) and raises on "boom" texts;
* the candidate, ``prompt:label`` on the ``echo`` model: the echo answers the
  text, whose first word is the expected label on nine cases in ten; its
  cases carry the trace ids of real gateway calls.

Built with the real runner in well under a second.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import shipyard as sy
from shipyard.evals.api import create_dataset, evaluate
from shipyard.evals.results import EvaluationResult
from shipyard.workspace import Workspace

LABELS = ("positive", "negative", "neutral")
WORDS = {"positive": "good", "negative": "bad", "neutral": "meh"}
RULES = """
def classify(text):
    word = text.split()[1]
    if word == "boom":
        raise ValueError("boom: the rules cannot read this review")
    return {"good": "positive", "bad": "negative"}.get(word, "neutral")
"""


@dataclass(frozen=True)
class Pair:
    baseline: EvaluationResult  # the rules
    candidate: EvaluationResult  # the echo prompt


def rows(n: int) -> list[dict[str, str]]:
    """``n`` reviews: ``"<echo's answer> <rules' word> review <i>"`` with the right label."""
    out = []
    for i in range(n):
        expected = LABELS[i % 3]
        shown = expected if i % 10 else LABELS[(i + 1) % 3]  # echo wrong on every 10th
        word = WORDS[expected] if i % 3 else WORDS[LABELS[(i + 2) % 3]]  # rules wrong on 1 in 3
        if i % 15 == 7:
            word = "boom"
        out.append({"text": f"{shown} {word} review {i}", "expected": expected})
    return out


def make_pair(ws: Workspace, folder: Path, n: int = 90, data: str = "reviews") -> Pair:
    """Evaluate the rules and the echo prompt on dataset ``data`` (``folder`` is the cwd)."""
    (folder / "review_rules.py").write_text(RULES, encoding="utf-8")
    create_dataset(data, rows(n), workspace=ws)
    sy.prompts.create("label", "{{ text }}", workspace=ws)  # the same content: no new version
    base = evaluate(
        "review_rules:classify", f"dataset:{data}", ["accuracy", "f1"], progress=False, workspace=ws
    )
    cand = evaluate(
        "prompt:label",
        f"dataset:{data}",
        ["accuracy", "f1"],
        model="echo/echo",
        progress=False,
        workspace=ws,
    )
    return Pair(base, cand)
