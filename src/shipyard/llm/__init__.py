"""``sy.llm``: call models through the LLM request path (providers, gateway, cache, budgets)."""
