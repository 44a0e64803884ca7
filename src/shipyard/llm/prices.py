"""What a model costs: USD per million input and output tokens, built in and overridable.

The built-in figures are list prices of well-known models as published by
their providers (checked 2026-12); a gateway config's ``prices:`` section
overrides or adds entries. Local models cost nothing. A model with no known
price costs 0 and the trace says ``shipyard.price_known = false``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from shipyard.core.errors import InvalidInput
from shipyard.llm.types import Usage


@dataclass(frozen=True)
class Price:
    """USD per one million tokens."""

    input_per_m: float
    output_per_m: float

    def __post_init__(self) -> None:
        for name in ("input_per_m", "output_per_m"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise InvalidInput(f"price {name} must be a number >= 0, got {value!r}")

    def cost(self, usage: Usage) -> float:
        return (
            usage.prompt_tokens * self.input_per_m + usage.completion_tokens * self.output_per_m
        ) / 1_000_000

    @classmethod
    def from_dict(cls, data: object, where: str) -> Price:
        if not isinstance(data, Mapping) or not {"input", "output"} <= set(data):
            raise InvalidInput(
                f"{where}: a price is {{input: USD per 1M tokens, output: USD per 1M tokens}}"
            )
        extra = set(data) - {"input", "output"}
        if extra:
            raise InvalidInput(f"{where}: unknown price field(s) {', '.join(sorted(extra))}")
        return cls(input_per_m=data["input"], output_per_m=data["output"])


BUILTIN_PRICES: dict[str, Price] = {
    # OpenAI
    "openai/gpt-4o": Price(2.50, 10.00),
    "openai/gpt-4o-mini": Price(0.15, 0.60),
    "openai/gpt-4.1": Price(2.00, 8.00),
    "openai/gpt-4.1-mini": Price(0.40, 1.60),
    "openai/gpt-4.1-nano": Price(0.10, 0.40),
    "openai/o3": Price(2.00, 8.00),
    "openai/o4-mini": Price(1.10, 4.40),
    "openai/gpt-3.5-turbo": Price(0.50, 1.50),
    "openai/text-embedding-3-small": Price(0.02, 0.0),
    "openai/text-embedding-3-large": Price(0.13, 0.0),
    # Anthropic
    "anthropic/claude-3-5-haiku-latest": Price(0.80, 4.00),
    "anthropic/claude-3-5-sonnet-latest": Price(3.00, 15.00),
    "anthropic/claude-3-7-sonnet-latest": Price(3.00, 15.00),
    "anthropic/claude-sonnet-4-0": Price(3.00, 15.00),
    "anthropic/claude-opus-4-0": Price(15.00, 75.00),
    "anthropic/claude-3-haiku-20240307": Price(0.25, 1.25),
}
FREE_PROVIDERS = frozenset({"local", "echo"})


class PriceTable:
    """Built-in prices overlaid with a config's; looked up by ``provider/model``.

    A bare model name in the overrides (``gpt-4o``) matches that model from any
    provider, so one entry covers OpenAI and an OpenAI-compatible host serving it.
    """

    def __init__(self, overrides: Mapping[str, Price] | None = None) -> None:
        self._prices = dict(BUILTIN_PRICES)
        self._prices.update(overrides or {})

    def price_of(self, model: str) -> Price | None:
        """The price of ``provider/model``, or None when unknown (free providers cost 0)."""
        found = self._prices.get(model)
        if found is not None:
            return found
        provider, _, name = model.partition("/")
        if provider in FREE_PROVIDERS:
            return Price(0.0, 0.0)
        return self._prices.get(name)

    def cost(self, model: str, usage: Usage) -> float:
        price = self.price_of(model)
        return price.cost(usage) if price is not None else 0.0

    def items(self) -> list[tuple[str, Price]]:
        return sorted(self._prices.items())
