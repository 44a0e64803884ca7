"""The seed example's data and classifier, for both interpreters.

Imports under the shipyard venv and the MLflow venv alike (standard library,
pandas, scikit-learn; never shipyard), so both sides of ``eval_classic.py``
read the same cases and fit the same model:

- ``load_reviews`` / ``split_reviews``: ``examples/sentiment/reviews.csv`` and
  the deterministic split of ``examples/sentiment/data.py`` (copied: that
  module imports shipyard); the shipyard side checks the copy against the
  original (``eval_classic.py``);
- ``make_classifier``: ``examples/sentiment/classic.py``'s TF-IDF + logistic
  regression pipeline (copied for the same reason, checked the same way);
- ``eval_cases``: the 240 eval rows as ``text, expected``, repeated to a size.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "sentiment"
REVIEWS_FILE = EXAMPLE / "reviews.csv"
EVAL_FRACTION = 0.3
SEED = "shipyard-sentiment-v1"
TEXT, LABEL = "text", "label"


def load_reviews(path: Path = REVIEWS_FILE) -> Any:
    """The review table: ``text, label, domain, kind`` (800 rows), all strings."""
    import pandas as pd

    return pd.read_csv(path, dtype=str, keep_default_na=False)


def split_reviews(
    reviews: Any, eval_fraction: float = EVAL_FRACTION, seed: str = SEED
) -> tuple[Any, Any]:
    """Train and eval rows: ``examples/sentiment/data.py: split_reviews``, line for line."""

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


def make_classifier(C: float = 1.0) -> Any:
    """``examples/sentiment/classic.py: make_classifier``: TF-IDF (1-2 grams) + logistic regression."""
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    return Pipeline(
        [
            ("features", ColumnTransformer([("tfidf", words, TEXT)])),
            ("classifier", LogisticRegression(C=C, max_iter=1000)),
        ]
    )


def train_and_eval() -> tuple[Any, Any]:
    """The train split and the 240 eval rows (``text, expected``)."""
    train, test = split_reviews(load_reviews())
    cases = test.rename(columns={LABEL: "expected"})[[TEXT, "expected"]]
    return train, cases.reset_index(drop=True)


def fit(train: Any) -> Any:
    return make_classifier().fit(train[[TEXT]], train[LABEL])


def eval_cases(cases: Any, size: int) -> Any:
    """``cases`` repeated (whole copies, in order) to ``size`` rows; ``size`` must be a multiple."""
    import pandas as pd

    if size % len(cases):
        raise SystemExit(f"--sizes: {size} is not a multiple of the {len(cases)} eval cases")
    return pd.concat([cases] * (size // len(cases)), ignore_index=True)


def parse_sizes(text: str, base: int) -> list[int]:
    sizes = [int(x) for x in text.split(",") if x.strip()]
    for size in sizes:
        if size < base or size % base:
            raise SystemExit(f"--sizes: {size} is not a multiple of the {base} eval cases")
    return sizes


def digest(values: Sequence[Any]) -> str:
    """A short fingerprint of a sequence of labels (both sides must predict the same)."""
    return hashlib.sha256("\n".join(map(str, values)).encode()).hexdigest()[:16]
