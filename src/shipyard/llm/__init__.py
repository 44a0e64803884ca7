"""``sy.llm``: call models through the LLM request path (providers, gateway, cache, budgets).

``chat``, ``complete``, their streaming twins and ``embed`` pass the same
stages as the HTTP gateway; ``configure`` points them at a gateway config.
"""

from shipyard.llm.api import (
    TextStream,
    chat,
    complete,
    configure,
    embed,
    request_path,
    stream_chat,
    stream_complete,
)
from shipyard.llm.config import GatewayConfig
from shipyard.llm.types import Chunk, LLMRequest, LLMResponse, Message, Usage

__all__ = [
    "Chunk",
    "GatewayConfig",
    "LLMRequest",
    "LLMResponse",
    "Message",
    "TextStream",
    "Usage",
    "chat",
    "complete",
    "configure",
    "embed",
    "request_path",
    "stream_chat",
    "stream_complete",
]
