"""The LLM way: a few-shot sentiment prompt for the bundled base model, registered as ``prompt:sentiment``.

Gemma 3 270M here is a *base* model: it continues documents rather than
following instructions. So the prompt is a document of eight solved reviews
(taken from the train split, never from eval) and one open one, and the model
continues it with one label word::

    sy.llm.complete(template="prompt:sentiment@latest", variables={"text": "Arrived broken."})
    # .text == " negative" (a leading space: the label is the next word; strip it)

The prompt's model settings pin the local model, ``temperature=0``, a few
tokens and ``stop=["\\n"]``, so the answer is the label and nothing after it.
Of the variants tried (README.md has the figures) this one did best: eight
plain examples, alternating positive and negative, one per domain, labels
``positive`` / ``negative``. Run ``python examples/sentiment/prompt.py``.
"""

from __future__ import annotations

import time
from typing import Any

import shipyard as sy
from shipyard.store.asset_records import AssetVersion

NAME = "sentiment"
MODEL = "local/gemma-3-270m"
LABELS = ("negative", "positive")

# Eight reviews of the train split, one per domain, alternating labels (a test checks that
# each is in dataset:sentiment-train and none in dataset:sentiment-eval).
SHOTS: tuple[tuple[str, str], ...] = (
    ("The noise cancelling on these earbuds makes my commute bearable.", "positive"),
    ("Terrible service, our waiter forgot our order twice.", "negative"),
    ("A clever mystery that plays fair with the audience.", "positive"),
    ("Cheap furniture, stained carpets and a broken lamp.", "negative"),
    ("Finally, a history book that reads like a novel.", "positive"),
    ("Charged me for a year when I signed up for a free trial.", "negative"),
    ("Gorgeous scarf, I get compliments every time.", "positive"),
    ("Stopped working the day after the warranty expired.", "negative"),
)


def template(shots: tuple[tuple[str, str], ...] = SHOTS) -> str:
    """The completion document: the solved reviews, then ``Review: {{ text }}`` waiting for a label.

    It ends right after ``Sentiment:`` with no space: a trailing space makes the
    model write ratings such as ``5/5`` instead of a label.
    """
    solved = "".join(f"Review: {text}\nSentiment: {label}\n" for text, label in shots)
    return solved + "Review: {{ text }}\nSentiment:"


def register_prompt() -> AssetVersion:
    """Register ``prompt:sentiment`` (the same content again returns the same version)."""
    provider, model = MODEL.split("/", 1)
    return sy.prompts.create(
        NAME,
        template(),
        model={
            "provider": provider,
            "model": model,
            "temperature": 0,
            "max_tokens": 3,
            "extra": {"stop": ["\n"]},
        },
        description="few-shot sentiment (positive/negative) for a base model; variable: text",
    )


def parse_label(output: str) -> str:
    """The label in a completion: its first word, lowercased, without punctuation."""
    words = output.strip().split()
    return words[0].strip(".,;:!?\"'").lower() if words else ""


def eval_sample(cases: Any, size: int = 40) -> Any:
    """A fixed, balanced sample of eval cases: the first ones of each (domain, label) group."""
    by = cases.groupby(["meta.domain", "expected"], sort=True)
    return by.head(max(1, size // by.ngroups))


def measure(
    dataset: str = "dataset:sentiment-eval@latest",
    *,
    prompt: str = f"prompt:{NAME}@latest",
    model: str = MODEL,
    size: int = 40,
) -> dict[str, Any]:
    """Accuracy, macro F1 and seconds per case of the prompt on a sample of the eval set.

    A quick check for this example; ``shipyard eval run`` is the full evaluation.
    """
    cases = eval_sample(sy.datasets.load(dataset), size)
    started = time.perf_counter()
    outputs = [
        parse_label(
            sy.llm.complete(
                model=model,
                template=prompt,
                variables={"text": text},
                max_tokens=3,
                temperature=0,
            ).text
        )
        for text in cases["text"]
    ]
    seconds = time.perf_counter() - started
    from sklearn.metrics import accuracy_score, f1_score

    expected = list(cases["expected"])
    return {
        "cases": len(outputs),
        "accuracy": float(accuracy_score(expected, outputs)),
        "f1": float(f1_score(expected, outputs, labels=list(LABELS), average="macro")),
        "seconds_per_case": seconds / len(outputs),
        "outputs": {label: outputs.count(label) for label in sorted(set(outputs))},
    }


def main() -> str:
    """Register the data and the prompt, then measure the prompt on 40 eval cases."""
    from data import register_datasets  # the sibling module; its folder is on sys.path

    data = register_datasets()
    ref = register_prompt().ref
    print("registered", ref)
    print("on 40 cases of", data.eval + ":", measure(data.eval, prompt=ref))
    return ref


if __name__ == "__main__":
    main()
