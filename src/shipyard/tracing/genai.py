"""Span attribute names: the OpenTelemetry GenAI semantic conventions, plus ``shipyard.*``.

Stages set these on spans; the recorder reads them back to derive the
``llm_calls`` rows and the trace totals, and OTLP exports them unchanged, so a
collector that understands GenAI spans shows shipyard's calls like any other.
Constants rather than literals so a typo is an import error, not a lost column.
"""

from __future__ import annotations

from typing import Final

# Span kinds (shipyard's, stored in spans.kind; exported as OTel CLIENT or INTERNAL).
KIND_LLM: Final = "llm"
"""One call through the request path (opened by the trace stage)."""
KIND_ATTEMPT: Final = "attempt"
"""One try at one target (the route stage)."""
KIND_STAGE: Final = "stage"
"""Auth, limits, cache, guards."""
KIND_INTERNAL: Final = "internal"
"""User code: ``sy.trace`` blocks."""

# gen_ai.* (OpenTelemetry GenAI semantic conventions)
OPERATION_NAME: Final = "gen_ai.operation.name"
PROVIDER_NAME: Final = "gen_ai.provider.name"
REQUEST_MODEL: Final = "gen_ai.request.model"
REQUEST_TEMPERATURE: Final = "gen_ai.request.temperature"
REQUEST_MAX_TOKENS: Final = "gen_ai.request.max_tokens"
REQUEST_TOP_P: Final = "gen_ai.request.top_p"
RESPONSE_MODEL: Final = "gen_ai.response.model"
RESPONSE_ID: Final = "gen_ai.response.id"
RESPONSE_FINISH_REASONS: Final = "gen_ai.response.finish_reasons"
USAGE_INPUT_TOKENS: Final = "gen_ai.usage.input_tokens"
USAGE_OUTPUT_TOKENS: Final = "gen_ai.usage.output_tokens"
INPUT_MESSAGES: Final = "gen_ai.input.messages"
"""JSON text: ``[{"role": "user", "parts": [{"type": "text", "content": "..."}]}]``."""
OUTPUT_MESSAGES: Final = "gen_ai.output.messages"
"""JSON text, like the input, each message with its ``finish_reason``."""
ERROR_TYPE: Final = "error.type"
SERVER_ADDRESS: Final = "server.address"

# shipyard.*
COST_USD: Final = "shipyard.cost_usd"
CACHE: Final = "shipyard.cache"
"""``exact`` or ``semantic`` on a cache hit; absent otherwise."""
KEY_ID: Final = "shipyard.key_id"
PROJECT: Final = "shipyard.project"
TARGET: Final = "shipyard.target"
"""The ``provider/model`` that answered."""
ATTEMPT: Final = "shipyard.attempt"
"""1-based number of an attempt span."""
ATTEMPTS: Final = "shipyard.attempts"
STREAM: Final = "shipyard.stream"
PROMPT_REF: Final = "shipyard.prompt_ref"
USAGE_ESTIMATED: Final = "shipyard.usage_estimated"

# gen_ai.operation.name values, and the request operations they stand for.
OPERATIONS: Final = {"chat": "chat", "completion": "text_completion", "embedding": "embeddings"}
"""Request operation (``LLMRequest.operation``) → ``gen_ai.operation.name``."""
REQUEST_OPERATIONS: Final = {v: k for k, v in OPERATIONS.items()}
"""``gen_ai.operation.name`` → request operation (what ``llm_calls.operation`` stores)."""
