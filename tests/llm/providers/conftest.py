"""Fixtures of the provider tests: the fakes served by real uvicorn, one assembled local model.

``local_model_path`` assembles the bundled GGUF once per session into a
temporary folder and points ``SHIPYARD_LOCAL_MODEL_PATH`` at it, so each test
does not re-assemble 242 MiB into its own shipyard home and llama.cpp loads it
once per process.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import pytest

from shipyard.llm.testing.anthropic_server import FakeAnthropic
from shipyard.llm.testing.openai_server import FakeOpenAI

OPENAI_KEY = "sk-test-openai-0123456789abcdef"
ANTHROPIC_KEY = "sk-ant-test-0123456789abcdef"
F = TypeVar("F")


@dataclass
class Upstream(Generic[F]):
    """A served fake: the scriptable object, the base URL to give a provider, its API key."""

    fake: F
    url: str
    key: str


@pytest.fixture(scope="module")
def openai_upstream(serve_app: Any) -> Iterator[Upstream[FakeOpenAI]]:
    fake = FakeOpenAI(api_key=OPENAI_KEY)
    with serve_app(fake.app) as server:
        yield Upstream(fake, f"{server.url}/v1", OPENAI_KEY)


@pytest.fixture
def fake_openai(openai_upstream: Upstream[FakeOpenAI]) -> Iterator[Upstream[FakeOpenAI]]:
    """A fake OpenAI on a real port, shared by a module and reset before each test."""
    fake = openai_upstream.fake
    fake.reset()
    fake.api_key, fake.latency_s, fake.reply = OPENAI_KEY, 0.0, None
    yield openai_upstream
    fake.release()


@pytest.fixture(scope="module")
def anthropic_upstream(serve_app: Any) -> Iterator[Upstream[FakeAnthropic]]:
    fake = FakeAnthropic(api_key=ANTHROPIC_KEY)
    with serve_app(fake.app) as server:
        yield Upstream(fake, server.url, ANTHROPIC_KEY)


@pytest.fixture
def fake_anthropic(
    anthropic_upstream: Upstream[FakeAnthropic],
) -> Iterator[Upstream[FakeAnthropic]]:
    """A fake Anthropic on a real port, shared by a module and reset before each test."""
    fake = anthropic_upstream.fake
    fake.reset()
    fake.api_key, fake.latency_s, fake.reply = ANTHROPIC_KEY, 0.0, None
    yield anthropic_upstream
    fake.release()


@pytest.fixture(scope="session")
def assembled_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("llama_cpp", reason="the local model needs shipyard[llm]")
    from shipyard.llm.providers.local_model import MODEL_FILE, ensure_assembled

    return ensure_assembled(tmp_path_factory.mktemp("gguf") / MODEL_FILE)


@pytest.fixture
def local_model_path(assembled_gguf: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SHIPYARD_LOCAL_MODEL_PATH", str(assembled_gguf))
    return assembled_gguf
