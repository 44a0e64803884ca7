"""A version's metadata as a page shows it: a columns table for tables, key/value for the rest.

Metadata is whatever JSON dict a flavor recorded, so nothing here may assume
a shape: a dataset's ``schema`` (a list of ``{"name", "type", "nullable"}``
or a ``{name: type}`` dict) and per-column ``stats`` (``{"columns": {...}}``
as ``table_stats`` writes it, or ``{name: {...}}``) become one table when
they are there and well formed; every other key is a row of its own, nested
values as indented JSON. The raw JSON is always shown too, so a shape this
module does not know still reads.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shipyard.server.pages.formatting import DASH, metric

MAX_JSON_CHARS = 50_000
ROW_KEYS = ("num_rows", "rows", "row_count")


@dataclass(frozen=True)
class ColumnRow:
    name: str
    type: str
    nullable: bool | None
    count: str
    nulls: str
    summary: str


@dataclass(frozen=True)
class MetaEntry:
    key: str
    text: str
    block: bool  # nested value: shown as indented JSON


@dataclass
class MetadataView:
    columns: list[ColumnRow] = field(default_factory=list)
    rows: str | None = None
    entries: list[MetaEntry] = field(default_factory=list)
    raw: str = "{}"


def metadata_view(metadata: Mapping[str, Any]) -> MetadataView:
    view = MetadataView(raw=pretty(metadata))
    used: set[str] = set()
    stats_source = metadata.get("stats")
    stats = _column_stats(stats_source)
    if stats:
        used.add("stats")
    elif isinstance(metadata.get("columns"), Mapping):
        stats = _column_stats({"columns": metadata["columns"]})
        if stats:
            used.add("columns")
    fields = _schema_fields(metadata.get("schema"))
    if fields is not None:
        used.add("schema")
    if fields is None and stats:
        fields = [(name, str(s.get("type", "")), None) for name, s in stats.items()]
    for name, type_, nullable in fields or []:
        view.columns.append(_column_row(name, type_, nullable, stats.get(name, {})))
    for source in (metadata, stats_source if isinstance(stats_source, Mapping) else {}):
        for key in ROW_KEYS:
            if view.rows is None and _is_number(source.get(key)):
                view.rows = metric(float(source[key]))
    for key, value in metadata.items():
        if key in used:
            continue
        nested = isinstance(value, Mapping | list | tuple)
        view.entries.append(MetaEntry(str(key), pretty(value) if nested else scalar(value), nested))
    return view


def pretty(value: Any) -> str:
    """Indented JSON, cut at ``MAX_JSON_CHARS`` so one huge value cannot swamp a page."""
    text = json.dumps(value, indent=2, ensure_ascii=False, default=str, sort_keys=False)
    if len(text) > MAX_JSON_CHARS:
        return text[:MAX_JSON_CHARS] + f"\n… ({len(text) - MAX_JSON_CHARS:,} more characters)"
    return text


def scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return metric(float(value)) if isinstance(value, float) else str(value)
    return str(value)


def _schema_fields(schema: Any) -> list[tuple[str, str, bool | None]] | None:
    if (
        isinstance(schema, list)
        and schema
        and all(isinstance(f, Mapping) and "name" in f for f in schema)
    ):
        return [
            (str(f["name"]), _type_text(f.get("type")), _bool_or_none(f.get("nullable")))
            for f in schema
        ]
    if isinstance(schema, Mapping) and schema:
        out = []
        for name, spec in schema.items():
            if isinstance(spec, Mapping):
                out.append(
                    (str(name), _type_text(spec.get("type")), _bool_or_none(spec.get("nullable")))
                )
            elif isinstance(spec, str):
                out.append((str(name), spec, None))
            else:
                return None
        return out
    return None


def _column_stats(stats: Any) -> dict[str, Mapping[str, Any]]:
    if not isinstance(stats, Mapping):
        return {}
    columns = stats.get("columns", stats)
    if not isinstance(columns, Mapping) or not columns:
        return {}
    if not all(isinstance(v, Mapping) for v in columns.values()):
        return {}
    return {str(k): v for k, v in columns.items()}


def _column_row(
    name: str, type_: str, nullable: bool | None, stats: Mapping[str, Any]
) -> ColumnRow:
    return ColumnRow(
        name=name,
        type=type_ or str(stats.get("type", "")),
        nullable=nullable,
        count=_number(stats.get("count")),
        nulls=_number(stats.get("nulls")),
        summary=_summary(stats),
    )


def _summary(stats: Mapping[str, Any]) -> str:
    """One readable line of a column's statistics, whichever of them were recorded."""
    parts = []
    for key in ("min", "max", "mean", "std"):
        if key in stats and stats[key] is not None:
            parts.append(f"{key} {_value(stats[key])}")
    if _is_number(stats.get("distinct")):
        parts.append(f"{int(stats['distinct'])} distinct")
    top = stats.get("top")
    if isinstance(top, list) and top:
        parts.append("top " + ", ".join(_top_item(t) for t in top[:3]))
    for key in ("true", "false", "nans", "infs"):
        if _is_number(stats.get(key)) and (key in ("true", "false") or stats[key]):
            parts.append(f"{key} {int(stats[key])}")
    return " · ".join(parts)


def _top_item(item: Any) -> str:
    if isinstance(item, Mapping) and "value" in item:
        count = item.get("count")
        return f"{_value(item['value'])} ({count})" if count is not None else _value(item["value"])
    if isinstance(item, list | tuple) and len(item) == 2:
        return f"{_value(item[0])} ({item[1]})"
    return _value(item)


def _value(value: Any) -> str:
    if isinstance(value, float):
        return metric(value)
    if isinstance(value, Mapping | list):
        return json.dumps(value, default=str)[:80]
    text = scalar(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _number(value: Any) -> str:
    return str(int(value)) if _is_number(value) else DASH


def _is_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value)


def _type_text(value: Any) -> str:
    return "" if value is None else str(value)


def _bool_or_none(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None
