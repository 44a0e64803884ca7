"""What the HTTP providers share: a pooled client, error mapping, server-sent events.

Every upstream failure becomes one ``ProviderError`` whose ``retryable`` flag
the router trusts (429, 408, 409, 5xx, timeouts, refused connections) and whose
``status`` is what the gateway answers: an upstream 429 or 4xx keeps its
status, a 5xx becomes 502 and a timeout 504. Messages quote the upstream's own
error message but never the API key, and show a base URL only through
``safe_url`` (no ``user:password@``, no ``?token=``).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Generator, Iterator, Mapping
from email.utils import parsedate_to_datetime
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from shipyard.core import fastjson
from shipyard.core.errors import InvalidInput, ProviderError
from shipyard.llm.providers.transport import (
    HttpClient,
    Reply,
    StreamReply,
    TransportError,
    TransportTimeout,
)
from shipyard.llm.types import Chunk

RETRYABLE_STATUSES = frozenset({408, 409, 429})
"""Besides every 5xx (529 is Anthropic's "overloaded")."""
_KEY_LIKE = re.compile(r"\bsk-[A-Za-z0-9_\-*.]+")
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*://)?[^/?#@]*@")
_SECRET_PARAM = re.compile(r"token|key|secret|passw|sig|auth|credential|session", re.IGNORECASE)


def safe_url(url: str) -> str:
    """``url`` fit for messages, logs, traces and breaker states.

    A base URL may carry credentials (``http://user:tok@vllm/v1``, sent as
    basic auth, or ``?api_token=...``): the user-info is dropped and
    secret-looking query values become ``***``. Everything that shows a base
    URL goes through here.
    """
    shown = _USERINFO.sub(lambda m: m.group(1) or "", url, count=1)
    try:
        parts = urlsplit(shown)
    except ValueError:  # not a URL at all: show nothing of it
        return "<invalid url>"
    if not parts.query:
        return shown
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = urlencode([(k, "***" if _SECRET_PARAM.search(k) else v) for k, v in pairs], safe="*")
    return urlunsplit(parts._replace(query=query))


def _url_secrets(url: str) -> list[str]:
    """The parts of ``url`` that ``safe_url`` hides, to mask them in other text too."""
    found = _USERINFO.match(url)
    secrets = [found.group(0).rpartition("://")[2][:-1]] if found else []
    if found and ":" in secrets[0]:
        secrets.append(secrets[0].partition(":")[2])
    try:
        query = urlsplit(url).query
    except ValueError:
        return secrets
    secrets += [v for k, v in parse_qsl(query) if _SECRET_PARAM.search(k) and v]
    return [s for s in secrets if len(s) >= 4]  # masking "a" would garble the text


def make_client(base_url: str, headers: dict[str, str]) -> HttpClient:
    """One pooled, thread-safe client per provider instance (timeouts are set per call)."""
    try:
        return HttpClient(base_url, headers)
    except ValueError:
        raise InvalidInput(
            f"base_url {safe_url(base_url)!r} is not an http:// or https:// URL with a host"
        ) from None


class _Headers(Protocol):
    def get(self, name: str, default: None = None) -> str | None: ...


def is_retryable(status: int) -> bool:
    return status in RETRYABLE_STATUSES or status >= 500


def redact(text: str, secret: str | None) -> str:
    """``text`` with ``secret`` and anything shaped like an API key (``sk-…``) masked.

    Upstreams quote part of a wrong key ("Incorrect API key provided: sk-ab***wxyz").
    """
    if secret:
        text = text.replace(secret, "***")
    return _KEY_LIKE.sub("sk-***", text)


def status_error(
    provider: str,
    response: Reply,
    *,
    secret: str | None,
    message_of: Callable[[Any], str | None],
) -> ProviderError:
    """The ``ProviderError`` for an upstream answer with an error status.

    ``message_of`` pulls the human message out of the provider's error body.
    """
    status = response.status_code
    try:
        body: Any = response.json()
    except (ValueError, UnicodeDecodeError):
        body = None
    upstream = message_of(body) if body is not None else None
    if not upstream:
        upstream = response.text[:300].strip() or response.reason_phrase
    message = f"{provider} answered HTTP {status}: {redact(upstream, secret)}"
    retry_after = retry_after_s(response.headers) if is_retryable(status) else None
    if retry_after is not None:
        message += f" (retry after {retry_after:g} s)"
    if status in (401, 403):
        message += f"; check the API key configured for {provider} (api_key_env)"
    gateway_status = 502 if status >= 500 or status < 400 else status
    return ProviderError(
        message,
        provider=provider,
        retryable=is_retryable(status),
        upstream_status=status,
        status=gateway_status,
        retry_after_s=retry_after,
    )


def retry_after_s(headers: _Headers | Mapping[str, str]) -> float | None:
    """Seconds to wait from ``retry-after-ms`` (OpenAI) or ``retry-after`` (seconds or a date)."""
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(float(millis) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def transport_error(provider: str, exc: TransportError, url: str) -> ProviderError:
    """The ``ProviderError`` for a timeout, a refused connection or a broken stream."""
    shown = safe_url(url)
    if isinstance(exc, TransportTimeout):
        return ProviderError(
            f"{provider} at {shown} did not answer in time ({type(exc).__name__}); "
            "raise timeout_s for this target or check the upstream",
            provider=provider,
            retryable=True,
            status=504,
        )
    detail = str(exc).replace(url, shown)  # an OS error may quote the URL it tried
    for secret in sorted(_url_secrets(url), key=len, reverse=True):
        detail = detail.replace(secret, "***")
    return ProviderError(
        f"{provider} at {shown} could not be reached: {type(exc).__name__}: {detail}",
        provider=provider,
        retryable=True,
        status=502,
    )


def iter_sse(lines: Iterator[str]) -> Iterator[tuple[str, str]]:
    """``(event, data)`` for each server-sent event; ``event`` is "message" when unnamed."""
    event = "message"
    data: list[str] = []
    for line in lines:
        if not line:
            if data:
                yield event, "\n".join(data)
            event, data = "message", []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "data":
            data.append(value)
        elif field == "event":
            event = value
    if data:
        yield event, "\n".join(data)


def load_json(provider: str, data: str) -> Any:
    try:
        return fastjson.loads(data)
    except ValueError as exc:
        raise ProviderError(
            f"{provider} sent a malformed event: {data[:200]!r}",
            provider=provider,
            retryable=True,
        ) from exc


class ChunkStream:
    """Chunks parsed from an open streaming response.

    ``close`` releases the connection even when no chunk was read (a generator
    that never started would not run its ``finally``).
    """

    def __init__(self, response: StreamReply, chunks: Generator[Chunk, None, None]) -> None:
        self._response = response
        self._chunks = chunks

    def __iter__(self) -> Iterator[Chunk]:
        return self

    def __next__(self) -> Chunk:
        return next(self._chunks)

    def close(self) -> None:
        self._chunks.close()
        self._response.close()


def encode(body: Mapping[str, Any]) -> bytes:
    """A request body as compact UTF-8 JSON."""
    return fastjson.dumps(body)


def post_json(
    client: HttpClient,
    path: str,
    body: dict[str, Any],
    *,
    timeout: float,
    provider: str,
    base_url: str,
    status_error: Callable[[Reply], ProviderError],
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """POST ``body`` and return the JSON object answered; every failure a ``ProviderError``.

    ``status_error`` turns a 4xx/5xx into the provider's own error (its error body shape).
    """
    try:
        response = client.post(path, encode(body), timeout=timeout, headers=headers)
    except TransportError as exc:
        raise transport_error(provider, exc, base_url) from None
    if response.status_code >= 400:
        raise status_error(response)
    try:
        data = fastjson.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        raise ProviderError(
            f"{provider} at {safe_url(base_url)} answered with a body that is not JSON: "
            f"{response.text[:200]!r}",
            provider=provider,
            retryable=True,
            upstream_status=response.status_code,
        ) from None
    if not isinstance(data, dict):
        raise ProviderError(
            f"{provider} at {safe_url(base_url)} answered {type(data).__name__}, not an object",
            provider=provider,
        )
    return data


def open_stream(
    client: HttpClient,
    path: str,
    body: dict[str, Any],
    *,
    timeout: float,
    provider: str,
    base_url: str,
    status_error: Callable[[Reply], ProviderError],
    headers: dict[str, str] | None = None,
) -> StreamReply:
    """POST ``body`` for a streamed answer; an error status raises here, before any chunk."""
    try:
        response = client.open(path, encode(body), timeout=timeout, headers=headers)
    except TransportError as exc:
        raise transport_error(provider, exc, base_url) from None
    if response.status_code >= 400:
        try:
            whole = response.read()
        except TransportError as exc:
            raise transport_error(provider, exc, base_url) from None
        raise status_error(whole)
    return response
