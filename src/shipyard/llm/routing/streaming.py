"""Streams through the router: retried until the first chunk, accounted for at the end.

The router opens the provider's stream and pulls the first chunk inside its
retry loop, so a target that fails before producing anything is retried or
replaced like a plain call. Once a chunk has been produced it may have
reached the client, so a later error goes to the stream's consumer instead.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from typing import Any

from shipyard.llm.config import TargetConfig
from shipyard.llm.prices import PriceTable
from shipyard.llm.providers.base import Provider
from shipyard.llm.routing.accounting import settle
from shipyard.llm.types import Chunk, LLMRequest, LLMResponse, ResponseStream
from shipyard.tracing import genai

Opened = tuple[Chunk | None, Iterator[Chunk]]


def open_stream(
    provider: Provider, request: LLMRequest, target: TargetConfig, timeout: float
) -> Opened:
    """Start the stream and read its first chunk (None for an empty stream).

    A provider without ``stream`` capability answers whole and the answer
    becomes one chunk, so every target of a route can serve a stream.
    """
    if "stream" not in provider.capabilities:
        whole = provider.call(request, target.model, timeout=timeout)
        usage = whole.usage if whole.usage.total_tokens else None
        return Chunk(text=whole.text, finish_reason=whole.finish_reason, usage=usage), iter(())
    chunks = provider.stream(request, target.model, timeout=timeout)
    try:
        first = next(chunks)
    except StopIteration:
        return None, iter(())
    except BaseException:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
        raise
    return first, chunks


def routed_stream(
    first: Chunk | None,
    rest: Iterator[Chunk],
    *,
    request: LLMRequest,
    target: TargetConfig,
    attempts: int,
    prices: PriceTable,
    started: float,
    attributes: dict[str, Any],
    on_failure: Callable[[BaseException], None],
) -> ResponseStream:
    """A ``ResponseStream`` of ``first`` then ``rest``, settling usage and cost when it ends."""
    chunks: Iterator[Chunk] = rest if first is None else itertools.chain((first,), rest)
    stream = ResponseStream(
        _closing(chunks, rest), model=target.name, provider=target.provider, attempts=attempts
    )

    def complete(response: LLMResponse) -> LLMResponse:
        usage, cost = settle(response, request, target, prices)
        done = response.evolve(
            usage=usage, cost_usd=cost, latency_ms=(time.perf_counter() - started) * 1000
        )
        stream.cost_usd = done.cost_usd
        attributes[genai.USAGE_ESTIMATED] = done.usage.estimated
        return done

    stream.on_complete(complete)
    stream.on_error(on_failure)
    return stream


def _closing(chunks: Iterator[Chunk], source: Iterator[Chunk]) -> Iterator[Chunk]:
    """Yield ``chunks``; closing early also closes the provider's stream (its connection)."""
    try:
        yield from chunks
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()
