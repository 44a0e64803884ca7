"""Call the bundled local model: few-shot completions from a registered prompt, a stream, one trace.

Run it with ``python examples/llm_calls.py``, then ``shipyard traces list`` or
``shipyard ui`` (Traces). Everything runs offline: the default model is Gemma 3
270M through llama.cpp. It is a *base* model, so the prompts are few-shot
documents for it to continue, not instructions.
"""

from __future__ import annotations

import shipyard as sy

SENTIMENT = """Review: The battery lasts all day and the screen is gorgeous.
Sentiment: positive
Review: It broke after a week and support never answered.
Sentiment: negative
Review: Exactly what I hoped for, I would buy it again.
Sentiment: positive
Review: {{ review }}
Sentiment:"""

REVIEWS = [
    "Terrible sound, and the strap snapped on day two.",
    "Lovely colours and it arrived early.",
]


def main() -> str:
    sy.prompts.create(
        "sentiment-few-shot",
        SENTIMENT,
        model={"provider": "local", "model": "gemma-3-270m", "max_tokens": 2, "temperature": 0},
        description="few-shot sentiment for a base model",
    )
    with sy.trace("classify-reviews") as span:
        for review in REVIEWS:
            answer = sy.llm.complete(
                template="prompt:sentiment-few-shot@latest", variables={"review": review}
            )
            print(f"{answer.text.strip():>10}  {review}  ({answer.usage.total_tokens} tokens)")
        print("The capital of Italy is", end="", flush=True)
        stream = sy.llm.stream_complete(
            "Paris is the capital of France. Tokyo is the capital of Japan. "
            "The capital of Italy is",
            max_tokens=4,
            temperature=0,
        )
        for piece in stream:
            print(piece, end="", flush=True)
        print()
    print(f"trace {span.trace_id}: shipyard traces show {span.trace_id}")
    return span.trace_id


if __name__ == "__main__":
    main()
