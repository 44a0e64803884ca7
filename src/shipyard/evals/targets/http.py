"""``http://…`` / ``https://…``: a shipyard model server, or any URL that answers JSON.

* A URL ending in ``/predict`` (or ``/invocations``) is a model server: cases
  go in batches as ``{"records": [...]}`` (``?proba=true`` when its
  ``/metadata`` lists classes) and come back as ``predictions`` (and
  ``probabilities``). When the served version is in this workspace (same name,
  version and digest), the evaluation records it as consumed. Each case's
  latency is the request's time divided by the batch size.
* Any other URL gets one POST per case with the inputs as the JSON body; the
  output is the ``output`` field of a JSON object answer (with optional
  ``proba`` and ``cost_usd``), else the whole JSON body, else the text.

A timeout or an HTTP error fails the request's cases, each with its own error
(a failed batch is retried case by case by the runner).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from shipyard.core.errors import InvalidInput, NotFound
from shipyard.evals.results import CaseResult
from shipyard.evals.targets.base import Target, checked_options, json_value, read_answer
from shipyard.workspace import Workspace

DEFAULT_TIMEOUT_S = 30.0
DEFAULT_BATCH = 256
_SERVER_PATHS = ("/predict", "/invocations")


class HttpStatusError(Exception):
    """An endpoint answered with an HTTP error status (the message carries its error text)."""


class HttpTarget(Target):
    """One URL; ``served`` is the model server's ``/metadata`` when it is a shipyard server."""

    kind = "http"
    options = frozenset({"timeout_s", "batch_size", "headers"})

    def __init__(
        self,
        spec: str,
        ws: Workspace,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        batch_size: int = DEFAULT_BATCH,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.model_server = spec.rstrip("/").endswith(_SERVER_PATHS)
        super().__init__(spec, spec, (), batch_size if self.model_server else 1)
        import httpx

        self.ws = ws
        self.client = httpx.Client(timeout=timeout_s, headers=dict(headers or {}))
        self.served: dict[str, Any] | None = None
        self.classes: list[str] | None = None

    @classmethod
    def from_spec(
        cls,
        spec: str,
        *,
        model: str | None,
        options: Mapping[str, Any] | None,
        workspace: Workspace,
    ) -> HttpTarget:
        if model is not None:
            raise InvalidInput(f"{spec} is an HTTP endpoint; model={model!r} is only for prompts")
        opts = checked_options(spec, options, cls.options)
        timeout = opts.get("timeout_s", DEFAULT_TIMEOUT_S)
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
            raise InvalidInput(f"timeout_s must be a number of seconds > 0; got {timeout!r}")
        size = opts.get("batch_size", DEFAULT_BATCH)
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise InvalidInput(f"batch_size must be a whole number >= 1; got {size!r}")
        return cls(
            spec, workspace, timeout_s=float(timeout), batch_size=size, headers=opts.get("headers")
        )

    def prepare(self, cases: Sequence[CaseResult], labels: Sequence[str]) -> None:
        if not self.model_server:
            return
        base = self.spec.rstrip("/").rsplit("/", 1)[0]
        try:
            answer = self.client.get(f"{base}/metadata")
            served = answer.json() if answer.status_code == 200 else None
        except Exception:  # not a shipyard server (or not up): plain predictions still work
            served = None
        if not isinstance(served, dict):
            return
        self.served = served
        routes = served.get("routes") or [{}]
        classes = routes[0].get("classes") if isinstance(routes[0], dict) else None
        self.classes = [str(c) for c in classes] if isinstance(classes, list) else None
        self.assets = self._local_version(served)

    def run(self, cases: Sequence[CaseResult]) -> list[CaseResult]:
        if self.model_server:
            return self._predict(cases)
        (case,) = cases
        started = time.perf_counter()
        response = self.client.post(self.spec, json=json_value(dict(case.inputs)))
        latency_ms = (time.perf_counter() - started) * 1000
        _check(response)
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text
        output, proba, cost, extra = read_answer(body)
        metadata = {**case.metadata, **extra} if extra else case.metadata
        return [
            replace(
                case,
                output=output,
                proba=proba,
                cost_usd=cost,
                latency_ms=latency_ms,
                metadata=metadata,
            )
        ]

    def _predict(self, cases: Sequence[CaseResult]) -> list[CaseResult]:
        params = {"proba": "true"} if self.classes else None
        body = {"records": [json_value(dict(c.inputs)) for c in cases]}
        started = time.perf_counter()
        response = self.client.post(self.spec, json=body, params=params)
        each_ms = (time.perf_counter() - started) * 1000 / len(cases)
        _check(response)
        answer = response.json()
        predictions = answer.get("predictions") if isinstance(answer, dict) else None
        if not isinstance(predictions, list) or len(predictions) != len(cases):
            raise ValueError(
                f"{self.spec} did not answer one prediction per record: {answer!r:.200}"
            )
        rows = answer.get("probabilities") or [None] * len(cases)
        classes = [str(c) for c in answer.get("classes") or self.classes or []]
        served = answer.get("model") or {}
        version = served.get("version") if isinstance(served, dict) else None
        results = []
        for case, output, row in zip(cases, predictions, rows, strict=True):
            proba = None
            if isinstance(row, list) and len(row) == len(classes):
                proba = {c: float(p) for c, p in zip(classes, row, strict=True) if p is not None}
            metadata = dict(case.metadata)
            if version is not None:
                metadata["served_version"] = version
            results.append(
                replace(case, output=output, proba=proba, latency_ms=each_ms, metadata=metadata)
            )
        return results

    def _local_version(self, served: Mapping[str, Any]) -> tuple[str, ...]:
        """``model:NAME@N`` when this workspace holds the very version being served."""
        name, version, digest = served.get("name"), served.get("version"), served.get("digest")
        if not name or not isinstance(version, int) or not digest:
            return ()
        try:
            local = self.ws.store.assets.resolve(f"model:{name}@{version}")
        except (NotFound, InvalidInput):
            return ()
        return (local.ref,) if local.digest == digest else ()

    def describe(self) -> dict[str, Any]:
        info = super().describe()
        if self.served is not None:
            keep = ("deployment", "source", "name", "version", "alias", "digest", "flavor")
            info["served"] = {k: self.served.get(k) for k in keep}
        return info

    def close(self) -> None:
        self.client.close()


def _check(response: Any) -> None:
    if response.status_code < 400:
        return
    message = response.text.strip()
    try:
        body = json.loads(message)
        message = str(body["error"]["message"])
    except (ValueError, KeyError, TypeError):
        pass
    line = message.splitlines()[0][:300] if message else response.reason_phrase
    raise HttpStatusError(f"HTTP {response.status_code}: {line}")
