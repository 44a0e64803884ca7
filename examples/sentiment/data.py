"""The sentiment reviews as dataset versions: the full set, and a train and an eval split.

``reviews.csv`` (next to this file; README.md says who wrote it and how) is
registered as ``dataset:sentiment-reviews``. The split is stratified by domain
and label and decided by a seeded hash of each review's text, not by row order
or a random generator, so it is the same on every machine and every version of
pandas or scikit-learn, and a review added later does not move the others.

- ``dataset:sentiment-train`` keeps the columns ``text, label, domain, kind``;
- ``dataset:sentiment-eval`` names the label ``expected`` (what evaluations
  compare outputs with) and keeps ``domain`` and ``kind`` as the case metadata
  columns ``meta.domain`` and ``meta.kind`` (evaluations do not pass ``meta.*``
  columns to the target, which sees only ``text``).

Both are ``derived_from`` the full version. Registering unchanged data again
returns the same three versions. Run ``python examples/sentiment/data.py``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shipyard as sy

REVIEWS_FILE = Path(__file__).with_name("reviews.csv")
LABELS = ("negative", "positive")
KINDS = ("plain", "negation", "mixed", "sarcasm", "faint")
FULL, TRAIN, EVAL = "sentiment-reviews", "sentiment-train", "sentiment-eval"
EVAL_FRACTION = 0.3
SEED = "shipyard-sentiment-v1"


@dataclass(frozen=True)
class SentimentData:
    """The three dataset versions, as pinned references (``dataset:NAME@N``)."""

    reviews: str
    train: str
    eval: str


def load_reviews(path: Path = REVIEWS_FILE) -> Any:
    """The review table as a DataFrame: ``text, label, domain, kind``."""
    import pandas as pd  # type: ignore[import-untyped]

    return pd.read_csv(path, dtype=str, keep_default_na=False)


def split_reviews(
    reviews: Any, eval_fraction: float = EVAL_FRACTION, seed: str = SEED
) -> tuple[Any, Any]:
    """Train and eval rows: in each (domain, label) group, the rows whose seeded text hash
    sorts first go to eval (``round(n * eval_fraction)`` of them), the rest to train.

    Both keep the original row order and a fresh index.
    """

    def rank(text: str) -> str:
        return hashlib.sha256(f"{seed}\n{text}".encode()).hexdigest()

    chosen: set[int] = set()
    for _, group in reviews.groupby(["domain", "label"], sort=True):
        ordered = sorted(group.index, key=lambda i: rank(group.at[i, "text"]))
        chosen.update(ordered[: round(len(ordered) * eval_fraction)])
    in_eval = reviews.index.isin(sorted(chosen))
    train = reviews[~in_eval].reset_index(drop=True)
    test = reviews[in_eval].reset_index(drop=True)
    return train, test


def as_eval_cases(rows: Any) -> Any:
    """Eval rows in the shape evaluations read.

    The input ``text``, the ``expected`` label, and ``meta.domain`` / ``meta.kind``,
    which travel with each case but are not given to the target.
    """
    renamed = rows.rename(
        columns={"label": "expected", "domain": "meta.domain", "kind": "meta.kind"}
    )
    return renamed[["text", "expected", "meta.domain", "meta.kind"]]


def register_datasets(path: Path = REVIEWS_FILE) -> SentimentData:
    """Register the full set and its two splits; unchanged data gives back the same versions."""
    reviews = load_reviews(path)
    full = sy.datasets.register(reviews, FULL)
    train, test = split_reviews(reviews)
    train_version = sy.datasets.register(train, TRAIN, derived_from=[full.ref])
    eval_version = sy.datasets.register(as_eval_cases(test), EVAL, derived_from=[full.ref])
    return SentimentData(full.ref, train_version.ref, eval_version.ref)


def main() -> SentimentData:
    """Register the datasets and print their references and sizes."""
    data = register_datasets()
    for ref in (data.reviews, data.train, data.eval):
        print(f"{ref:34} {sy.datasets.get(ref).metadata.get('num_rows')} rows")
    return data


if __name__ == "__main__":
    main()
