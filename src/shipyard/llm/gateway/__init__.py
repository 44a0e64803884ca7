"""The OpenAI-compatible HTTP gateway over the LLM request path (``shipyard gateway``)."""

from __future__ import annotations

from shipyard.llm.gateway.app import Gateway, create_gateway_app, create_v1_app

__all__ = ["Gateway", "create_gateway_app", "create_v1_app"]
