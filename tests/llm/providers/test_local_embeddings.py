"""The bundled MiniLM embedder for real: 384 normalized dimensions, meaning-aware similarity."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from shipyard.llm.providers.local import LocalProvider
from shipyard.llm.types import LLMRequest

pytest.importorskip("sentence_transformers", reason="the local embedder needs shipyard[embeddings]")


def dot(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_embeddings_are_384_normalized_and_closer_for_similar_sentences(
    isolated_home: Path,
) -> None:
    texts = [
        "How do I reset my password?",
        "I forgot my password, how can I change it?",
        "The recipe needs two cups of flour.",
    ]
    provider = LocalProvider()
    response = provider.call(
        LLMRequest.embedding("local/all-minilm-l6-v2", texts), "all-minilm-l6-v2", timeout=60
    )
    assert response.embeddings is not None and len(response.embeddings) == 3
    a, b, c = response.embeddings
    assert len(a) == 384
    assert abs(dot(a, a) - 1.0) < 1e-5
    assert dot(a, b) > dot(a, c) + 0.3
    assert response.model == "local/all-minilm-l6-v2"
    assert response.usage.prompt_tokens == sum(
        provider.count_tokens("all-minilm-l6-v2", t) or 0 for t in texts
    )
    assert os.environ["HF_HUB_OFFLINE"] == "1"
