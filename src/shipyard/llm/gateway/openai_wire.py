"""The OpenAI wire format: request bodies in, ``LLMRequest`` out; ``LLMResponse`` in, bodies out.

Checks are the ones that catch real client mistakes (a missing field, a
wrong type, an unsupported feature) with a message naming the field, in the
order OpenAI checks them. Fields the request path has no use for (``store``,
``service_tier``, ``logit_bias``...) are ignored, as other OpenAI-compatible
servers do, so newer clients keep working.
"""

from __future__ import annotations

import base64
import sys
from array import array
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shipyard.core import fastjson
from shipyard.core.errors import InvalidInput
from shipyard.llm.gateway.errors import WireError
from shipyard.llm.types import SAMPLING_PARAMS, LLMRequest, LLMResponse, Message

_NUMBERS = ("temperature", "top_p", "presence_penalty", "frequency_penalty", "repeat_penalty")
_INTEGERS = ("max_tokens", "seed", "top_k", "top_logprobs")
_UNSUPPORTED = ("tools", "functions", "tool_choice", "function_call", "audio", "prediction")


@dataclass(frozen=True)
class Parsed:
    """A request as the request path sees it, plus what only the wire answer needs."""

    request: LLMRequest
    model: str
    """The model name the client sent: echoed in ``model`` of every answer."""
    include_usage: bool = False
    encoding_format: str = "float"


def load_json(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, or a 400 that says what is wrong with it."""
    if not body:
        raise WireError("the request body is empty; send a JSON object", code="invalid_json")
    try:
        data = fastjson.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise WireError(
            f"the request body is not valid JSON ({exc}); send a JSON object",
            code="invalid_json",
        ) from None
    if not isinstance(data, dict):
        raise WireError("the request body must be a JSON object", code="invalid_json")
    return data


def parse_chat(data: Mapping[str, Any], default_model: str) -> Parsed:
    """A ``/v1/chat/completions`` body."""
    messages = data.get("messages")
    if not isinstance(messages, list) or not messages:
        raise WireError(
            "'messages' must be a non-empty list of {role, content} objects", param="messages"
        )
    coerced = []
    for i, raw in enumerate(messages):
        if isinstance(raw, Mapping) and isinstance(raw.get("content"), list):
            for part in raw["content"]:
                if not isinstance(part, Mapping) or part.get("type", "text") != "text":
                    raise WireError(
                        "only text content parts are supported; images, audio and files are not",
                        param=f"messages[{i}].content",
                    )
        try:
            coerced.append(Message.coerce(raw))
        except InvalidInput as exc:
            raise WireError(exc.message, param=f"messages[{i}]") from None
    return _build(data, default_model, "chat", messages=tuple(coerced))


def parse_completion(data: Mapping[str, Any], default_model: str) -> Parsed:
    """A ``/v1/completions`` body: one prompt (a string or a list holding one string)."""
    prompt = data.get("prompt")
    if isinstance(prompt, list) and len(prompt) == 1 and isinstance(prompt[0], str):
        prompt = prompt[0]
    if not isinstance(prompt, str):
        raise WireError(
            "'prompt' must be a string (token arrays and several prompts per request are "
            "not supported; send one request per prompt)",
            param="prompt",
        )
    return _build(data, default_model, "completion", prompt=prompt)


def parse_embedding(data: Mapping[str, Any], default_model: str) -> Parsed:
    """A ``/v1/embeddings`` body: ``input`` is a string or a list of strings."""
    raw = data.get("input")
    texts = [raw] if isinstance(raw, str) else raw
    if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
        raise WireError(
            "'input' must be a string or a non-empty list of strings (token arrays are not "
            "supported)",
            param="input",
        )
    fmt = data.get("encoding_format") or "float"
    if fmt not in ("float", "base64"):
        raise WireError(
            f"'encoding_format' must be 'float' or 'base64', got {fmt!r}", param="encoding_format"
        )
    parsed = _build(data, default_model, "embedding", texts=tuple(texts))
    return Parsed(parsed.request, parsed.model, encoding_format=fmt)


def _build(data: Mapping[str, Any], default_model: str, operation: str, **fields: Any) -> Parsed:
    model = data.get("model")
    if model is None:
        model = default_model
    if not isinstance(model, str) or not model.strip():
        raise WireError("'model' must be a non-empty string", param="model")
    for name in _UNSUPPORTED:
        if data.get(name):
            raise WireError(
                f"'{name}' is not supported by this gateway yet; send the request without it",
                param=name,
                code="unsupported_parameter",
            )
    stream = data.get("stream", False)
    if not isinstance(stream, bool):
        raise WireError("'stream' must be true or false", param="stream")
    if stream and operation == "embedding":
        raise WireError("embeddings cannot be streamed", param="stream")
    options = data.get("stream_options") or {}
    if not isinstance(options, Mapping):
        raise WireError("'stream_options' must be an object", param="stream_options")
    user = data.get("user")
    if user is not None and not isinstance(user, str):
        raise WireError("'user' must be a string", param="user")
    metadata = data.get("metadata") or {}
    if not isinstance(metadata, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
    ):
        raise WireError("'metadata' must be an object of string values", param="metadata")
    params = _params(data)
    try:
        request = LLMRequest(
            operation,  # type: ignore[arg-type]
            model,
            params=params,
            stream=stream,
            user=user,
            metadata=dict(metadata),
            **fields,
        )
    except InvalidInput as exc:
        raise WireError(exc.message) from None
    return Parsed(request, model, include_usage=bool(options.get("include_usage")))


def _params(data: Mapping[str, Any]) -> dict[str, Any]:
    params = {k: v for k, v in data.items() if k in SAMPLING_PARAMS and v is not None}
    if data.get("max_completion_tokens") is not None:
        params["max_tokens"] = data["max_completion_tokens"]
    for name in _NUMBERS:
        value = params.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise WireError(f"'{name}' must be a number, got {value!r}", param=name)
    for name in _INTEGERS:
        value = params.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise WireError(f"'{name}' must be an integer, got {value!r}", param=name)
    if params.get("max_tokens") is not None and params["max_tokens"] < 1:
        raise WireError("'max_tokens' must be at least 1", param="max_tokens")
    if params.get("n", 1) != 1:
        raise WireError(
            "'n' must be 1: the gateway returns one choice; send several requests instead",
            param="n",
        )
    params.pop("n", None)
    stop = params.get("stop")
    if stop is not None and not (
        isinstance(stop, str) or (isinstance(stop, list) and all(isinstance(s, str) for s in stop))
    ):
        raise WireError("'stop' must be a string or a list of strings", param="stop")
    return params


# --- answers ---------------------------------------------------------------------------------


def shipyard_info(response: LLMResponse) -> dict[str, Any]:
    """The ``shipyard`` object of every answer: which target served it, cache, trace, cost."""
    return {
        "target": response.model,
        "cache": response.cache,
        "trace_id": response.trace_id,
        "cost_usd": response.cost_usd,
        "attempts": response.attempts,
    }


def chat_body(response: LLMResponse, parsed: Parsed, id: str, created: int) -> dict[str, Any]:
    return {
        "id": id,
        "object": "chat.completion",
        "created": created,
        "model": parsed.model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": response.text, "refusal": None},
                "logprobs": None,
                "finish_reason": response.finish_reason,
            }
        ],
        "usage": response.usage.to_dict(),
        "system_fingerprint": None,
        "shipyard": shipyard_info(response),
    }


def completion_body(response: LLMResponse, parsed: Parsed, id: str, created: int) -> dict[str, Any]:
    return {
        "id": id,
        "object": "text_completion",
        "created": created,
        "model": parsed.model,
        "choices": [
            {
                "text": response.text,
                "index": 0,
                "logprobs": None,
                "finish_reason": response.finish_reason,
            }
        ],
        "usage": response.usage.to_dict(),
        "system_fingerprint": None,
        "shipyard": shipyard_info(response),
    }


def embedding_body(response: LLMResponse, parsed: Parsed) -> dict[str, Any]:
    vectors = response.embeddings or ()
    encode = _base64 if parsed.encoding_format == "base64" else list
    prompt_tokens = response.usage.prompt_tokens
    return {
        "object": "list",
        "data": [
            {"object": "embedding", "index": i, "embedding": encode(v)}
            for i, v in enumerate(vectors)
        ],
        "model": parsed.model,
        "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens},
        "shipyard": shipyard_info(response),
    }


def models_body(names: list[str], created: int) -> dict[str, Any]:
    return {
        "object": "list",
        "data": [
            {"id": name, "object": "model", "created": created, "owned_by": "shipyard"}
            for name in names
        ],
    }


def _base64(vector: tuple[float, ...]) -> str:
    """Little-endian float32 bytes, base64: what OpenAI sends for ``encoding_format=base64``."""
    packed = array("f", vector)
    if sys.byteorder != "little":  # pragma: no cover - no big-endian machine here
        packed.byteswap()
    return base64.b64encode(packed.tobytes()).decode("ascii")
