"""Offline token counts: exact with the model's own tokenizer, marked estimated otherwise.

The local model's counts are checked against its usage in tests/llm/providers/test_local.py.
"""

from __future__ import annotations

from shipyard.llm.tokens import count_messages, count_tokens, openai_encoding


def test_known_counts_in_cl100k_and_o200k() -> None:
    assert count_tokens("openai/gpt-4", "hello world") == (2, False)
    assert count_tokens("openai/gpt-3.5-turbo", "hello world") == (2, False)
    assert count_tokens("openai/gpt-4o-mini", "hello world") == (2, False)
    # the same text, different vocabularies
    text = "Tokenization differs between encodings: 日本語のテキスト"
    assert count_tokens("openai/gpt-4", text) != count_tokens("openai/gpt-4o", text)


def test_encoding_by_model_family() -> None:
    assert openai_encoding("gpt-4o-2024-08-06") == "o200k_base"
    assert openai_encoding("gpt-4.1-mini") == "o200k_base"  # not gpt-4's cl100k
    assert openai_encoding("o3-mini") == "o200k_base"
    assert openai_encoding("gpt-4-turbo") == "cl100k_base"
    assert openai_encoding("text-embedding-3-small") == "cl100k_base"
    assert openai_encoding("llama3:8b") is None


def test_other_models_are_estimated_with_cl100k() -> None:
    assert count_tokens("anthropic/claude-sonnet-4-5", "hello world") == (2, True)
    assert count_tokens("openai/llama3:8b", "hello world") == (2, True)  # a vLLM host
    assert count_tokens("mystery-alias", "hello world") == (2, True)
    assert count_tokens("gpt-4o", "hello world") == (2, False)  # a bare OpenAI name


def test_echo_counts_words() -> None:
    assert count_tokens("echo/x", "three little words") == (3, False)
    assert count_messages("echo/x", [{"role": "user", "content": "a b"}]) == (2, False)


def test_message_overhead_as_openai_documents() -> None:
    messages = [
        {"role": "system", "content": "You are helpful."},
        {"role": "user", "content": "hello world"},
    ]
    # 3 per message + role + content, + 3 for the reply's priming
    assert count_messages("openai/gpt-4o", messages) == (3 + 1 + 4 + 3 + 1 + 2 + 3, False)
    named = [{"role": "user", "content": "hi", "name": "bob"}]
    assert count_messages("openai/gpt-4", named)[0] == 3 + 1 + 1 + 1 + 1 + 3
    assert count_messages("anthropic/claude", messages)[1] is True
