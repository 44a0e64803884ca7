"""Text similarity between output and expected: embedding cosine and ROUGE-L.

``embedding_similarity`` embeds every distinct text of the evaluation in one
call through the LLM request path (so it is traced and costed like any other
call), with the bundled all-MiniLM-L6-v2 unless ``model=`` names another
embedder. ``rouge_l`` is the LCS-based F-measure of Lin (2004) with the
tokenisation of Google's ``rouge-score`` without stemming: lower case, runs of
ASCII letters and digits.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from shipyard.evals.results import CaseResult
from shipyard.evals.scorers.registry import BatchScores, scorer
from shipyard.evals.scorers.values import as_text

_TOKEN = re.compile(r"[a-z0-9]+")


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine similarity; 0.0 when either vector is zero."""
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


@scorer("embedding_similarity", batch=True)
def embedding_similarity(cases: Sequence[CaseResult], *, model: str | None = None) -> BatchScores:
    """Cosine similarity of the embeddings of output and expected (one embed call for all)."""
    from shipyard.llm.api import embed

    wanted = [c.expected is not None for c in cases]
    texts: dict[str, int] = {}
    for case, scored in zip(cases, wanted, strict=True):
        if scored:
            texts.setdefault(as_text(case.output), len(texts))
            texts.setdefault(as_text(case.expected), len(texts))
    if not texts:
        return BatchScores([None] * len(cases))
    response = embed(list(texts), model=model)
    vectors = response.embeddings or ()
    scores: list[float | None] = []
    for case, scored in zip(cases, wanted, strict=True):
        if not scored:
            scores.append(None)
            continue
        a = vectors[texts[as_text(case.output)]]
        b = vectors[texts[as_text(case.expected)]]
        scores.append(cosine(a, b))
    details = {
        "model": response.model,
        "texts": len(texts),
        "cost_usd": response.cost_usd,
        "prompt_tokens": response.usage.prompt_tokens,
        "trace_id": response.trace_id,
    }
    return BatchScores(scores, details=details)


def tokens(text: str) -> list[str]:
    """ROUGE tokens: lower-cased runs of ASCII letters and digits."""
    return _TOKEN.findall(text.lower())


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence (two rows of the usual table)."""
    if len(a) < len(b):
        a, b = b, a
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b, 1):
            current.append(previous[j - 1] + 1 if x == y else max(previous[j], current[j - 1]))
        previous = current
    return previous[-1]


def rouge_l_score(prediction: str, reference: str) -> float:
    """ROUGE-L F-measure of a prediction against a reference; 0.0 if either has no tokens."""
    pred, ref = tokens(prediction), tokens(reference)
    if not pred or not ref:
        return 0.0
    common = lcs_length(pred, ref)
    if not common:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


@scorer("rouge_l")
def rouge_l(case: CaseResult) -> float | None:
    """ROUGE-L F-measure of the output against the expected text."""
    if case.expected is None:
        return None
    return rouge_l_score(as_text(case.output), as_text(case.expected))
