"""Records of the asset registry, with their JSON wire form."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Relation = Literal["consumed", "produced", "derived_from"]
RELATIONS: tuple[Relation, ...] = ("consumed", "produced", "derived_from")


@dataclass(frozen=True)
class AssetFile:
    """One file of a version: its own blob, or ``size`` bytes at ``pack_offset`` in a pack blob."""

    path: str
    digest: str
    size: int
    pack_digest: str | None = None
    pack_offset: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "digest": self.digest,
            "size": self.size,
            "pack_digest": self.pack_digest,
            "pack_offset": self.pack_offset,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AssetFile:
        return cls(
            path=str(d["path"]),
            digest=str(d["digest"]),
            size=int(d["size"]),
            pack_digest=d.get("pack_digest"),
            pack_offset=None if d.get("pack_offset") is None else int(d["pack_offset"]),
        )


@dataclass(frozen=True)
class AssetVersion:
    id: int
    kind: str
    name: str
    version: int
    digest: str
    metadata: dict[str, Any]
    created_at: int
    created_by: str | None = None
    run_id: str | None = None
    aliases: tuple[str, ...] = ()

    @property
    def ref(self) -> str:
        return f"{self.kind}:{self.name}@{self.version}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "ref": self.ref,
            "kind": self.kind,
            "name": self.name,
            "version": self.version,
            "digest": self.digest,
            "metadata": self.metadata,
            "created_at": self.created_at,
            "created_by": self.created_by,
            "run_id": self.run_id,
            "aliases": list(self.aliases),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AssetVersion:
        return cls(
            id=int(d["id"]),
            kind=str(d["kind"]),
            name=str(d["name"]),
            version=int(d["version"]),
            digest=str(d["digest"]),
            metadata=dict(d.get("metadata") or {}),
            created_at=int(d["created_at"]),
            created_by=d.get("created_by"),
            run_id=d.get("run_id"),
            aliases=tuple(d.get("aliases") or ()),
        )


@dataclass(frozen=True)
class Asset:
    kind: str
    name: str
    created_at: int
    description: str | None = None
    latest_version: int | None = None
    version_count: int = 0
    aliases: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "created_at": self.created_at,
            "description": self.description,
            "latest_version": self.latest_version,
            "version_count": self.version_count,
            "aliases": dict(self.aliases),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Asset:
        return cls(
            kind=str(d["kind"]),
            name=str(d["name"]),
            created_at=int(d["created_at"]),
            description=d.get("description"),
            latest_version=d.get("latest_version"),
            version_count=int(d.get("version_count", 0)),
            aliases={str(k): int(v) for k, v in (d.get("aliases") or {}).items()},
        )


@dataclass(frozen=True)
class Alias:
    alias: str
    version: int
    protected: bool
    updated_at: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "alias": self.alias,
            "version": self.version,
            "protected": self.protected,
            "updated_at": self.updated_at,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Alias:
        return cls(str(d["alias"]), int(d["version"]), bool(d["protected"]), int(d["updated_at"]))


@dataclass(frozen=True)
class AliasMove:
    alias: str
    from_version: int | None
    to_version: int | None
    moved_at: int
    moved_by: str | None = None
    evidence: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "alias": self.alias,
            "from_version": self.from_version,
            "to_version": self.to_version,
            "moved_at": self.moved_at,
            "moved_by": self.moved_by,
            "evidence": self.evidence,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AliasMove:
        return cls(
            alias=str(d["alias"]),
            from_version=d.get("from_version"),
            to_version=d.get("to_version"),
            moved_at=int(d["moved_at"]),
            moved_by=d.get("moved_by"),
            evidence=d.get("evidence"),
        )


@dataclass(frozen=True)
class AliasGate:
    """The gate policy (YAML text) an alias of an asset moves through."""

    alias: str
    policy: str
    updated_at: int
    updated_by: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "alias": self.alias,
            "policy": self.policy,
            "updated_at": self.updated_at,
            "updated_by": self.updated_by,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AliasGate:
        return cls(str(d["alias"]), str(d["policy"]), int(d["updated_at"]), d.get("updated_by"))


@dataclass(frozen=True)
class LineageEdge:
    """``run consumed version``, ``run produced version`` or ``version derived_from source``."""

    relation: Relation
    version: str
    run_id: str | None = None
    source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "relation": self.relation,
            "version": self.version,
            "run_id": self.run_id,
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LineageEdge:
        return cls(d["relation"], str(d["version"]), d.get("run_id"), d.get("source"))
