"""The runs table shared by an experiment's page, the all-runs page and the compare picker.

Sorting and filtering are the store's search language, passed through as the
``order`` and ``filter`` query parameters, so a table URL is also a query a
user can copy into ``sy.search_runs``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

from shipyard.core.errors import InvalidInput
from shipyard.store.records import Run, RunQuery
from shipyard.workspace import Workspace

PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
DEFAULT_ORDER = "attributes.start_time desc"
_BARE_NAME = re.compile(r"[^\W\d][\w\-:/]*")


def field_ref(scope: str, key: str) -> str | None:
    """``scope.key`` in the search language, quoting names it would not read bare."""
    if _BARE_NAME.fullmatch(key):
        return f"{scope}.{key}"
    if "`" not in key:
        return f"{scope}.`{key}`"
    if "'" not in key and "\\" not in key:
        return f"{scope}.'{key}'"
    return None  # a name with both quote kinds cannot be sorted on; it still shows


def split_order(order: str) -> tuple[str, str]:
    """``"metrics.auc desc"`` → ``("metrics.auc", "desc")``; ascending when unsaid."""
    text = order.strip()
    head, _, last = text.rpartition(" ")
    if head and last.lower() in ("asc", "desc"):
        return head.strip(), last.lower()
    return text, "asc"


@dataclass(frozen=True)
class Column:
    """A sortable column header: its label, the link that sorts by it, and its current sort."""

    label: str
    key: str
    sort_url: str | None
    direction: str | None


@dataclass
class RunsTable:
    runs: list[Run]
    filter: str
    order: str
    error: str | None
    attributes: list[Column] = field(default_factory=list)
    params: list[Column] = field(default_factory=list)
    metrics: list[Column] = field(default_factory=list)
    next_url: str | None = None
    first_url: str | None = None
    clear_url: str | None = None
    show_experiment: bool = False


class _Urls:
    """Links back to the same table with one query parameter changed."""

    def __init__(self, path: str, filter: str, order: str, limit: int) -> None:
        self.path = path
        self.base = {"filter": filter, "order": order}
        self.limit = limit

    def with_(self, **changes: str | None) -> str:
        params = {**self.base, **changes}
        if self.limit != PAGE_SIZE:
            params["limit"] = str(self.limit)
        query = urlencode({k: v for k, v in params.items() if v})
        return f"{self.path}?{query}" if query else self.path

    def sort(self, label: str, key: str, ref: str | None, current: tuple[str, str]) -> Column:
        if ref is None:
            return Column(label, key, None, None)
        direction = current[1] if current[0] == ref else None
        next_direction = "desc" if direction == "asc" else "asc"
        if direction is None and ref in ("attributes.start_time", "attributes.duration"):
            next_direction = "desc"  # newest and longest first is what people look for
        return Column(label, key, self.with_(order=f"{ref} {next_direction}"), direction)


def build_runs_table(
    ws: Workspace,
    path: str,
    *,
    experiment_ids: list[int] | None,
    filter: str | None,
    order: str | None,
    page_token: str | None,
    limit: int | None,
) -> RunsTable:
    """Search one page of runs and lay out the columns; a bad filter becomes ``error``."""
    filter_text = (filter or "").strip()
    order_text = (order or "").strip()
    size = min(max(limit or PAGE_SIZE, 1), MAX_PAGE_SIZE)
    urls = _Urls(path, filter_text, order_text, size)
    table = RunsTable(runs=[], filter=filter_text, order=order_text, error=None)
    table.show_experiment = experiment_ids is None
    try:
        page = ws.store.runs.search(
            RunQuery(
                experiment_ids=experiment_ids,
                filter=filter_text or None,
                order_by=[order_text] if order_text else [],
                max_results=size,
                page_token=page_token or None,
            )
        )
    except InvalidInput as exc:
        table.error = exc.message
    else:
        table.runs = page.runs
        if page.next_page_token:
            table.next_url = urls.with_(page_token=page.next_page_token)
    if page_token:
        table.first_url = urls.with_()
    if filter_text:
        table.clear_url = urls.with_(filter=None)
    current = split_order(order_text or DEFAULT_ORDER)
    attributes = [("Name", "name"), ("Status", "status"), ("Started", "start_time")]
    attributes.append(("Duration", "duration"))
    if table.show_experiment:
        attributes.insert(1, ("Experiment", "experiment"))
    table.attributes = [
        urls.sort(label, key, f"attributes.{key}", current) for label, key in attributes
    ]
    param_keys = sorted({k for r in table.runs for k in r.params})
    metric_keys = sorted({k for r in table.runs for k in r.metrics})
    table.params = [urls.sort(k, k, field_ref("params", k), current) for k in param_keys]
    table.metrics = [urls.sort(k, k, field_ref("metrics", k), current) for k in metric_keys]
    return table
