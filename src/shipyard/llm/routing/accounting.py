"""Tokens and cost of an answer: the provider's usage, or counted offline; priced by the table.

Every call must carry token counts so budgets and cost work, even against an
upstream that does not report usage (some OpenAI-compatible servers, a
stream without ``stream_options.include_usage``). Then the router counts the
prompt and the answer itself and marks the usage ``estimated``.
"""

from __future__ import annotations

from shipyard.llm.config import TargetConfig
from shipyard.llm.prices import PriceTable
from shipyard.llm.types import LLMRequest, LLMResponse, Usage


def needs_counting(usage: Usage | None) -> bool:
    """True when the provider reported nothing (an all-zero usage counts as nothing)."""
    return usage is None or (usage.prompt_tokens == 0 and usage.completion_tokens == 0)


def count_usage(request: LLMRequest, target: TargetConfig, answer_text: str) -> Usage:
    """Count prompt and answer tokens offline with the target model's tokenizer (or an estimate)."""
    from shipyard.llm.tokens import count_messages, count_tokens

    model = target.name
    if request.operation == "chat":
        prompt, _ = count_messages(model, request.messages)
    elif request.operation == "completion":
        prompt, _ = count_tokens(model, request.prompt or "")
    else:
        prompt = sum(count_tokens(model, text)[0] for text in request.texts)
    completion = 0
    if request.operation != "embedding" and answer_text:
        completion, _ = count_tokens(model, answer_text)
    return Usage(prompt_tokens=prompt, completion_tokens=completion, estimated=True)


def settle(
    response: LLMResponse, request: LLMRequest, target: TargetConfig, prices: PriceTable
) -> tuple[Usage, float]:
    """The usage of ``response`` (counted offline when missing) and its cost from the table."""
    usage = response.usage
    if needs_counting(usage):
        usage = count_usage(request, target, response.text)
    return usage, prices.cost(target.name, usage)
