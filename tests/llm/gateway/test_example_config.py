"""examples/gateway.yaml loads, and serves the bundled local model through the OpenAI SDK."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from shipyard.llm.config import GatewayConfig

ROOT = Path(__file__).parents[3]
EXAMPLE = ROOT / "examples" / "gateway.yaml"


def test_the_docs_config_examples_are_valid() -> None:
    text = (ROOT / "docs" / "llm-gateway.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", text, flags=re.S)
    assert blocks
    for block in blocks:
        GatewayConfig.from_dict(yaml.safe_load(block))


@pytest.mark.slow
def test_the_example_serves_the_local_model_and_falls_back_to_it(
    start_gateway: Any, sdk: Any
) -> None:
    config = GatewayConfig.load(EXAMPLE)
    url = start_gateway(config)
    client = sdk(url)
    assert [m.id for m in client.models.list()] == config.model_names()
    few_shot = "Q: What is the capital of France?\nA: Paris.\nQ: What is the capital of Italy?\nA:"
    answer = client.completions.create(model="local", prompt=few_shot, max_tokens=4, stop=["\n"])
    assert answer.model == "local"
    assert answer.model_extra["shipyard"]["target"] == "local/gemma-3-270m"
    assert answer.usage.prompt_tokens > 10
    # nothing listens where "smart" points in a test: the local target answers instead
    fallback = client.completions.create(model="smart", prompt=few_shot, max_tokens=2)
    assert fallback.model == "smart"
    assert fallback.model_extra["shipyard"]["target"] == "local/gemma-3-270m"
    assert fallback.model_extra["shipyard"]["attempts"] >= 2
