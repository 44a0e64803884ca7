"""``span`` and ``trace``: a span around a block or a function, nested in whatever is open.

    with sy.trace("rag-answer") as t:          # a new trace (or a child, inside another span)
        docs = retrieve(question)
        t.set_attribute("docs", len(docs))
        answer = sy.llm.chat(messages=[...])   # the gateway's llm span nests under it

    @sy.trace                                  # or @sy.trace("retrieve", kind="internal")
    def retrieve(question): ...

A block that raises marks its span ``error`` with the exception's type and
message and lets the exception go on.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from contextvars import Token
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, cast, overload

from shipyard.tracing.span import _CURRENT, Span, restore, start_span

if TYPE_CHECKING:
    from shipyard.workspace import Workspace

P = ParamSpec("P")
R = TypeVar("R")


class SpanScope:
    """A span not yet started: enter it (``with``/``async with``) or decorate a function with it."""

    __slots__ = ("_span", "_token", "attributes", "kind", "name", "workspace")

    def __init__(
        self,
        name: str,
        kind: str = "internal",
        attributes: Mapping[str, Any] | None = None,
        workspace: Workspace | None = None,
    ) -> None:
        self.name = name
        self.kind = kind
        self.attributes = attributes
        self.workspace = workspace
        self._span: Span | None = None
        self._token: Token[Span | None] | None = None

    def _fresh(self) -> SpanScope:
        return SpanScope(self.name, self.kind, self.attributes, self.workspace)

    def __enter__(self) -> Span:
        if self._span is not None:
            raise RuntimeError(f"span {self.name!r} is already open; make a new one per block")
        s = start_span(
            self.name, kind=self.kind, attributes=self.attributes, workspace=self.workspace
        )
        self._span = s
        self._token = _CURRENT.set(s)
        return s

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        s, token = self._span, self._token
        self._span = self._token = None
        if token is not None:
            restore(token)
        if s is not None:
            s.end(exc)

    async def __aenter__(self) -> Span:
        return self.__enter__()

    async def __aexit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        self.__exit__(exc_type, exc, tb)

    def __call__(self, fn: Callable[P, R]) -> Callable[P, R]:
        """Decorate ``fn``: every call runs in its own span (async functions too)."""
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                async with self._fresh():
                    return await fn(*args, **kwargs)

            return cast("Callable[P, R]", run_async)

        @functools.wraps(fn)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            with self._fresh():
                return fn(*args, **kwargs)

        return run


def span(
    name: str,
    *,
    kind: str = "internal",
    attributes: Mapping[str, Any] | None = None,
    workspace: Workspace | None = None,
) -> SpanScope:
    """A span around a block (``with span(...) as s``) or a function (``@span(...)``).

    It is a child of the span open here, or the root of a new trace. Kinds:
    ``llm``, ``attempt``, ``stage``, ``internal`` (see ``shipyard.tracing.genai``).
    ``workspace`` is where the trace is stored (default: the current one).
    """
    return SpanScope(name, kind, attributes, workspace)


@overload
def trace(name: Callable[P, R]) -> Callable[P, R]: ...
@overload
def trace(
    name: str,
    *,
    kind: str = "internal",
    attributes: Mapping[str, Any] | None = None,
    workspace: Workspace | None = None,
) -> SpanScope: ...
def trace(
    name: str | Callable[P, R],
    *,
    kind: str = "internal",
    attributes: Mapping[str, Any] | None = None,
    workspace: Workspace | None = None,
) -> SpanScope | Callable[P, R]:
    """Trace your own code: ``with sy.trace("rag-answer"):`` or ``@sy.trace``.

    Model calls made inside (``sy.llm.chat``, the gateway) become its children,
    so the trace shows retrieval, prompting and every call with their tokens
    and cost under one root. Traces are written in the background; they show
    in ``shipyard traces list`` and the UI a moment later.
    """
    if callable(name):
        fn = name
        return SpanScope(getattr(fn, "__qualname__", repr(fn)), kind, attributes, workspace)(fn)
    return SpanScope(name, kind, attributes, workspace)
