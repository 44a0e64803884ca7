"""Response caches of the request path: exact (same request) and semantic (same meaning).

Both keep entries in the SQL store's ``llm_cache`` table, shared by every
process on the database, with a small memory in front in each process. The
cache stage (``shipyard.llm.stages.cache``) uses them; ``clear_cache`` empties
them. See docs/llm-cache.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shipyard.core.clock import now_ms
from shipyard.core.errors import InvalidInput
from shipyard.llm.cache.entries import CachedAnswer, storable
from shipyard.llm.cache.exact import ExactCache
from shipyard.llm.cache.local import local_state
from shipyard.llm.cache.request_key import (
    cache_scope,
    canonical_params,
    canonical_request,
    params_hash,
    request_hash,
)

if TYPE_CHECKING:
    from shipyard.store.sql.llm_cache import SqlLLMCache
    from shipyard.workspace import Workspace

__all__ = [
    "CachedAnswer",
    "ExactCache",
    "cache_repo",
    "cache_scope",
    "canonical_params",
    "canonical_request",
    "clear_cache",
    "params_hash",
    "request_hash",
    "storable",
]


def cache_repo(workspace: Workspace) -> SqlLLMCache:
    """The workspace's cache table; ``InvalidInput`` for a remote (``SHIPYARD_URI``) workspace."""
    repo: SqlLLMCache | None = getattr(workspace.store, "llm_cache", None)
    if repo is None:
        raise InvalidInput(
            "the LLM response cache needs direct database access (SHIPYARD_DB or SHIPYARD_HOME), "
            "not a remote SHIPYARD_URI; turn cache.exact and cache.semantic off or run the "
            "gateway next to the database"
        )
    return repo


def clear_cache(scope: str | None = None, *, workspace: Workspace | None = None) -> int:
    """Delete cached answers; return how many entries went.

    ``scope`` is ``None`` (everything), a whole scope (``fast|project:support``)
    or a model name (every scope of that model). This process forgets what it
    held at once; other processes notice within a second.
    """
    if workspace is None:
        from shipyard.workspace import current_workspace

        workspace = current_workspace()
    repo = cache_repo(workspace)
    removed = repo.clear(scope, now_ms())
    local_state(repo).reset()
    return removed
