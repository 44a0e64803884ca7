"""Cache keys, and finding a finished step run whose outputs can be reused.

A step's cache key is the SHA-256 of its code (the function's source with
decorators, docstring, comments and formatting normalized away), its
``version``, its JSON arguments and the content digests of its other inputs.
Equal keys mean the step would compute the same thing, so the outputs of any
finished step run with that key (tag ``shipyard.cache_key``) whose blobs still
exist are reused: a new child run records the reuse (``shipyard.cached_from``)
and points at the same blobs. The key cannot see helper functions the step
calls or files it reads: bump ``version`` when those change.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import inspect
import json
import textwrap
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shipyard.blobs.integrity import open_verified
from shipyard.pipelines import tags as T
from shipyard.pipelines.graph import Spec, StepNode, map_specs
from shipyard.pipelines.values import ValueRef, blobs_exist
from shipyard.store.records import ArtifactEntry, RunQuery
from shipyard.workspace import Workspace

KEY_FORMAT = 1


def cache_key(node: StepNode, arguments: dict[str, Spec]) -> str:
    """The key of ``node`` called with ``arguments`` (specs whose step outputs are resolved)."""

    def leaf(spec: Spec) -> Any:
        if "const" in spec:
            return {"const": spec["const"]}
        return {"digest": spec["value"]["digest"]}

    body = {
        "format": KEY_FORMAT,
        "code": step_code(node.step.fn),
        "version": node.step.options.version,
        "outputs": node.step.outputs,
        "arguments": {k: _plain(map_specs(s, leaf)) for k, s in sorted(arguments.items())},
    }
    text = json.dumps(body, sort_keys=True, allow_nan=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


@functools.cache
def step_code(fn: Callable[..., Any]) -> str:
    """The function's code, normalized: what changes the key is what changes behaviour."""
    try:
        source = textwrap.dedent(inspect.getsource(fn))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError, IndentationError):
        return "bytecode:" + _code_digest(fn.__code__)
    node = tree.body[0] if tree.body else None
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return "bytecode:" + _code_digest(fn.__code__)
    node.decorator_list = []
    body = node.body
    first = body[0] if body else None
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        node.body = body[1:] or [ast.Pass()]
    return ast.unparse(node)


def _code_digest(code: types.CodeType) -> str:
    """A digest of compiled code that does not depend on memory addresses or line numbers."""
    h = hashlib.sha256(code.co_code)
    h.update(repr(code.co_names).encode())
    h.update(repr(code.co_varnames).encode())
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            h.update(_code_digest(const).encode())
        else:
            h.update(repr(const).encode())
    return h.hexdigest()


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return {"tuple": [_plain(v) for v in value]}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class Reusable:
    """The outputs of a finished step run, with the artifact entries that hold them."""

    run_id: str
    outputs: list[ValueRef]
    entries: list[ArtifactEntry]


def find_cached(ws: Workspace, key: str) -> Reusable | None:
    """The newest finished step run with ``key`` whose output blobs all still exist."""
    query = RunQuery(
        filter=(
            f"tags.`{T.CACHE_KEY}` = '{key}' and status = 'finished' "
            f"and tags.`{T.KIND}` = '{T.STEP_KIND}'"
        ),
        order_by=["start_time desc"],
        max_results=10,
    )
    for run in ws.store.runs.search(query).runs:
        found = reusable_outputs(ws, run.id)
        if found is not None:
            return found
    return None


def reusable_outputs(ws: Workspace, run_id: str) -> Reusable | None:
    """The outputs recorded by step run ``run_id``, or None if they are missing or gone."""
    entries = ws.store.artifacts.list(run_id)
    manifest = next((e for e in entries if e.path == T.OUTPUTS_ARTIFACT), None)
    if manifest is None or not ws.blobs.exists(manifest.digest):
        return None
    outputs = read_outputs(ws, manifest)
    if not all(blobs_exist(ws, ref) for ref in outputs):
        return None
    kept = [e for e in entries if e.path == T.OUTPUTS_ARTIFACT or e.path.startswith("outputs/")]
    return Reusable(run_id, outputs, kept)


def read_outputs(ws: Workspace, manifest: ArtifactEntry) -> list[ValueRef]:
    with open_verified(ws.blobs, manifest.digest, f"artifact {manifest.path}") as fh:
        body = json.loads(fh.read().decode("utf-8"))
    return [ValueRef.from_dict(o) for o in body["outputs"]]
