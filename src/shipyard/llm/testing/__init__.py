"""Wire-format fakes of the cloud LLM APIs, for tests, load tests and benchmarks.

``FakeOpenAI`` (``shipyard.llm.testing.openai_server``) and ``FakeAnthropic``
(``shipyard.llm.testing.anthropic_server``) are ASGI apps that answer the way
the real APIs document — bodies, server-sent events, error bodies, rate-limit
headers — so the providers and the gateway are tested against the protocol,
not against mocks of our own code. Serve one with any ASGI server::

    fake = FakeOpenAI(api_key="sk-test", latency_s=0.005)
    with serve_app(fake.app) as server:            # tests/conftest.py fixture
        base_url = f"{server.url}/v1"
        fake.fail_next(2, status=429)               # the next two requests get 429
        ...
        assert fake.requests[-1].body["model"] == "gpt-4o-mini"

Every knob is a plain attribute that may change while the server runs:

* ``api_key``: when set, a request with another key gets the provider's real
  401 body; ``None`` accepts any key (or none).
* ``latency_s``: awaited before every answer (does not block other requests).
* ``chunk_delay_s``: awaited between streamed chunks.
* ``reply``: the answer text, or a function of the request body; by default
  the text is derived from the last user message.
* ``hang``: while true, requests wait (up to ``hang_s``) until the client
  gives up or ``release()`` is called — for timeout tests.
* ``stream_error_after``: after this many streamed text chunks, send the
  provider's in-stream error event and stop.
* ``models`` / ``strict_models``: what ``/v1/models`` lists; strict mode
  answers 404 for other models.
* ``fail_next(n, status=…, body=…, headers=…, retry_after=…, model=…)``:
  the next ``n`` requests (for ``model`` only, if given) fail with ``status``
  and the provider's real error body for it (429 carries ``retry-after`` and
  the provider's rate-limit headers).

What was received is in ``requests`` (the last ``max_recorded``, each with
``method``, ``path``, lower-cased ``headers`` and the parsed JSON ``body``)
and ``calls`` (a count of all). Usage is counted in whitespace-separated
words, so tests can predict it.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

Reply = str | Callable[[dict[str, Any]], str] | None


@dataclass(frozen=True)
class RecordedRequest:
    """One request a fake received."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class ScriptedFailure:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    model: str | None = None


class FakeUpstream:
    """What both fakes share: recording, latency, hanging, scripted failures, the key check."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        latency_s: float = 0.0,
        chunk_delay_s: float = 0.0,
        reply: Reply = None,
        models: Sequence[str] = (),
        strict_models: bool = False,
        max_recorded: int = 1000,
    ) -> None:
        self.api_key = api_key
        self.latency_s = latency_s
        self.chunk_delay_s = chunk_delay_s
        self.reply: Reply = reply
        self.models = list(models)
        self.strict_models = strict_models
        self.hang = False
        self.hang_s = 30.0
        self.stream_error_after: int | None = None
        self.requests: deque[RecordedRequest] = deque(maxlen=max_recorded)
        self.calls = 0
        self._failures: deque[ScriptedFailure] = deque()
        self._lock = threading.Lock()

    # -- control, from the test's thread -------------------------------------------------

    def fail_next(
        self,
        n: int = 1,
        *,
        status: int = 500,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        retry_after: float | None = None,
        model: str | None = None,
    ) -> None:
        """Fail the next ``n`` requests (for ``model`` only, if given) with ``status``.

        ``body`` defaults to the provider's real error body for that status;
        429 gets ``retry-after`` (``retry_after``, default 1 s) and rate-limit headers.
        """
        extra = dict(self.error_headers(status, 1.0 if retry_after is None else retry_after))
        extra.update(headers or {})
        failure = ScriptedFailure(
            status, body if body is not None else self.error_body(status), extra, model
        )
        with self._lock:
            self._failures.extend(failure for _ in range(n))

    def release(self) -> None:
        """Stop hanging: waiting requests are answered normally."""
        self.hang = False

    def reset(self) -> None:
        """Forget recorded requests and pending failures; stop hanging and in-stream errors."""
        with self._lock:
            self._failures.clear()
            self.requests.clear()
            self.calls = 0
        self.hang = False
        self.stream_error_after = None

    @property
    def pending_failures(self) -> int:
        return len(self._failures)

    # -- what subclasses provide ------------------------------------------------------------

    def error_body(self, status: int, message: str | None = None) -> Any:
        raise NotImplementedError

    def error_headers(self, status: int, retry_after: float) -> dict[str, str]:
        return {"retry-after": f"{retry_after:g}"} if status == 429 else {}

    def key_of(self, request: Request) -> str | None:
        raise NotImplementedError

    # -- helpers for the route handlers ---------------------------------------------------------

    async def admit(self, request: Request) -> tuple[Any, Response | None]:
        """Record ``request``, wait, hang or fail as scripted; ``(body, error response or None)``."""
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        with self._lock:
            self.calls += 1
            self.requests.append(
                RecordedRequest(request.method, request.url.path, dict(request.headers), body)
            )
        if self.latency_s > 0:
            await asyncio.sleep(self.latency_s)
        if self.hang:
            deadline = time.monotonic() + self.hang_s
            while self.hang and time.monotonic() < deadline:
                if await request.is_disconnected():
                    break
                await asyncio.sleep(0.02)
        failure = self._take_failure(body)
        if failure is not None:
            return body, self.json(failure.body, failure.status, failure.headers)
        if self.api_key is not None and self.key_of(request) != self.api_key:
            return body, self.json(self.error_body(401), 401)
        if raw and body is None:
            return body, self.json(self.error_body(400, "the body is not valid JSON"), 400)
        return body, None

    def reply_text(self, body: dict[str, Any], last_user: str) -> str:
        if callable(self.reply):
            return self.reply(body)
        if self.reply is not None:
            return self.reply
        return f"fake reply to: {last_user}" if last_user else "fake reply"

    @staticmethod
    def json(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
        return Response(
            json.dumps(data, separators=(",", ":")),
            status_code=status,
            headers=dict(headers or {}),
            media_type="application/json",
        )

    def _take_failure(self, body: Any) -> ScriptedFailure | None:
        model = body.get("model") if isinstance(body, dict) else None
        with self._lock:
            for i, failure in enumerate(self._failures):
                if failure.model is None or failure.model == model:
                    del self._failures[i]
                    return failure
        return None


def words(text: str) -> int:
    """The fakes' token count: whitespace-separated words."""
    return len(text.split())


def truncate(text: str, limit: object) -> tuple[str, list[str], bool]:
    """``text`` cut to ``limit`` words, its stream pieces, and whether it was cut."""
    import re

    pieces = re.findall(r"\s*\S+", text)
    if isinstance(limit, int) and 0 <= limit < len(pieces):
        pieces = pieces[:limit]
        return "".join(pieces), pieces, True
    return text, pieces, False
