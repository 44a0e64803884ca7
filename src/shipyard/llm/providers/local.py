"""The ``local`` provider: the bundled Gemma 3 270M through llama.cpp, MiniLM for embeddings.

It is the default model, so shipyard answers offline with no key. Gemma 3
270M here is the *base* model: ask it few-shot completions
(``"Q: …\\nA: Jupiter.\\nQ: …\\nA:"``); chat works through Gemma's turn
template but the answers are not an assistant's.

Options (``ProviderConfig.options`` / a target's ``options:``): ``model_path``
(another GGUF; any model name then), ``n_ctx`` (2048), ``n_threads`` (half
the CPUs, as llama-cpp-python), ``chat_format`` ("gemma"), ``max_tokens`` (default cap, 256).
A call's ``timeout`` bounds the wait for the model, which serves one request
at a time; the generation itself is bounded by ``max_tokens``.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any

from shipyard.core.errors import InvalidInput
from shipyard.llm.providers import local_embedder, local_model
from shipyard.llm.providers.base import ProviderConfig
from shipyard.llm.types import Chunk, LLMRequest, LLMResponse, Usage

DEFAULT_MAX_TOKENS = 256
_PASSED = frozenset(
    {"temperature", "top_p", "top_k", "stop", "seed", "max_tokens"}
    | {"presence_penalty", "frequency_penalty", "repeat_penalty"}
)


class LocalProvider:
    """In-process models: no network, no key; loaded on first use and kept for the process."""

    name = "local"
    capabilities = frozenset({"chat", "completion", "embedding", "stream"})

    def __init__(self, config: ProviderConfig | None = None) -> None:
        self.config = config or ProviderConfig()
        self.options: dict[str, Any] = dict(self.config.options)

    def call(self, request: LLMRequest, model: str, *, timeout: float) -> LLMResponse:
        if request.operation == "embedding":
            return self._embed(request, model)
        llm = self._generator(model)
        params = self._params(request)
        with llm.hold(timeout):
            try:
                if request.operation == "chat":
                    msgs = local_model.gemma_messages(request.messages)
                    out: Any = llm.llm.create_chat_completion(msgs, **params)  # type: ignore[arg-type]
                    text = out["choices"][0]["message"].get("content") or ""
                else:
                    out = llm.llm.create_completion(request.prompt or "", **params)
                    text = out["choices"][0]["text"]
            except ValueError as exc:  # the prompt does not fit the context
                raise InvalidInput(
                    f"local/{model}: {exc}; shorten the prompt, lower max_tokens "
                    "or raise the n_ctx option"
                ) from exc
        usage = out.get("usage") or {}
        return LLMResponse(
            model=f"local/{model}",
            text=text,
            finish_reason=out["choices"][0].get("finish_reason") or "stop",
            usage=Usage(int(usage.get("prompt_tokens", 0)), int(usage.get("completion_tokens", 0))),
            id=str(out.get("id", "")),
            provider=self.name,
        )

    def stream(self, request: LLMRequest, model: str, *, timeout: float) -> Iterator[Chunk]:
        """Checks the request now; waits for the model (``timeout``) at the first chunk."""
        if request.operation == "embedding":
            raise InvalidInput("embeddings cannot be streamed")
        llm = self._generator(model)
        msgs: list[dict[str, str]] | None = None
        if request.operation == "chat":
            msgs = local_model.gemma_messages(request.messages)
            prompt = local_model.chat_prompt(request.messages)
        else:
            prompt = request.prompt or ""
        return self._stream(llm, prompt, msgs, self._params(request), timeout)

    def _stream(
        self,
        llm: local_model.LocalModel,
        prompt: str,
        msgs: list[dict[str, str]] | None,
        params: dict[str, Any],
        timeout: float,
    ) -> Iterator[Chunk]:
        """Chunks a worker generates under the model lock; the lock is never held across a yield.

        A consumer that stops reading (a stalled client) must not keep the
        model from everyone else, so a worker thread takes the lock, generates
        into a queue (bounded by ``max_tokens``) and lets go at the end.
        Closing the stream stops the worker at its next token.
        """
        out: queue.SimpleQueue[Chunk | BaseException | None] = queue.SimpleQueue()
        stop = threading.Event()
        worker = threading.Thread(
            target=_generate,
            args=(llm, prompt, msgs, params, timeout, out, stop),
            name="shipyard-local-stream",
            daemon=True,
        )
        worker.start()
        try:
            while (item := out.get()) is not None:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()

    def count_tokens(self, model: str, text: str) -> int | None:
        if local_embedder.is_embedder(model):
            return local_embedder.get_embedder().count_tokens([text])
        return len(self._generator(model).tokenize(text))

    def _generator(self, model: str) -> local_model.LocalModel:
        if local_embedder.is_embedder(model):
            raise InvalidInput(
                f"local/{model} is an embedding model; use local/gemma-3-270m for chat and completion"
            )
        if not local_model.is_generator(model) and not self.options.get("model_path"):
            raise InvalidInput(
                f"the local provider serves gemma-3-270m (chat, completion) and all-minilm-l6-v2 "
                f"(embeddings), not {model!r}; give options.model_path to serve another GGUF"
            )
        if not local_model.runtime_available():
            raise InvalidInput(f"local/{model} needs llama-cpp-python: {local_model.INSTALL_HINT}")
        return local_model.get_model(self.options)

    def _params(self, request: LLMRequest) -> dict[str, Any]:
        params = {k: v for k, v in request.params.items() if k in _PASSED and v is not None}
        params.setdefault("max_tokens", int(self.options.get("max_tokens") or DEFAULT_MAX_TOKENS))
        if request.operation == "chat" and "response_format" in request.params:
            params["response_format"] = request.params["response_format"]
        return params

    def _embed(self, request: LLMRequest, model: str) -> LLMResponse:
        if not local_embedder.is_embedder(model):
            raise InvalidInput(
                f"local/{model} does not make embeddings; use local/all-minilm-l6-v2"
            )
        embedder = local_embedder.get_embedder()
        vectors = embedder.embed(request.texts)
        return LLMResponse(
            model=f"local/{model}",
            embeddings=tuple(tuple(v) for v in vectors),
            usage=Usage(prompt_tokens=embedder.count_tokens(request.texts)),
            provider=self.name,
        )


def _generate(
    llm: local_model.LocalModel,
    prompt: str,
    msgs: list[dict[str, str]] | None,
    params: dict[str, Any],
    timeout: float,
    out: queue.SimpleQueue[Chunk | BaseException | None],
    stop: threading.Event,
) -> None:
    """The worker of one stream: text chunks, then the finish chunk, then None; or an error."""
    try:
        parts: list[str] = []
        finish = "stop"
        with llm.hold(timeout):
            if stop.is_set():  # closed while waiting for the model
                return
            # the chat template's turn markers are special tokens
            prompt_tokens = len(llm.llm.tokenize(prompt.encode(), special=msgs is not None))
            try:
                pieces: Any = (
                    llm.llm.create_chat_completion(msgs, stream=True, **params)  # type: ignore[arg-type]
                    if msgs is not None
                    else llm.llm.create_completion(prompt, stream=True, **params)
                )
                try:
                    for piece in pieces:
                        if stop.is_set():  # the consumer closed the stream
                            return
                        choice = piece["choices"][0]
                        text = (
                            choice["delta"].get("content") if msgs is not None else choice["text"]
                        )
                        if choice.get("finish_reason"):
                            finish = choice["finish_reason"]
                        if text:
                            parts.append(text)
                            out.put(Chunk(text=text))
                finally:
                    close = getattr(pieces, "close", None)
                    if close is not None:  # llama.cpp's generator ends its sampling state
                        close()
            except ValueError as exc:
                raise InvalidInput(
                    f"local model: {exc}; shorten the prompt, lower max_tokens "
                    "or raise the n_ctx option"
                ) from exc
            text = "".join(parts)
            completion_tokens = len(llm.llm.tokenize(text.encode(), add_bos=False)) if text else 0
        out.put(Chunk(finish_reason=finish, usage=Usage(prompt_tokens, completion_tokens)))
        out.put(None)
    except BaseException as exc:  # handed to the consumer, raised there
        out.put(exc)
