"""The asset registry: assets, versions, manifests, aliases and their moves, lineage.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _version_fk(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        name, sa.Integer, sa.ForeignKey("asset_versions.id", ondelete="CASCADE"), nullable=nullable
    )


def upgrade() -> None:
    op.create_table(
        "assets",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("kind", "name", name="uq_assets_kind_name"),
    )
    op.create_table(
        "asset_versions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "asset_id", sa.Integer, sa.ForeignKey("assets.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("meta", sa.Text, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("created_by", sa.String(255), nullable=True),
        sa.Column(
            "run_id", sa.String(32), sa.ForeignKey("runs.id", ondelete="SET NULL"), nullable=True
        ),
        sa.UniqueConstraint("asset_id", "version", name="uq_asset_versions_asset_version"),
    )
    op.create_index("ix_asset_versions_digest", "asset_versions", ["asset_id", "digest"])
    op.create_index("ix_asset_versions_run", "asset_versions", ["run_id"])
    op.create_table(
        "asset_files",
        _version_fk("version_id"),
        sa.Column("path", sa.String(1024), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("pack_digest", sa.String(64), nullable=True),
        sa.Column("pack_offset", sa.BigInteger, nullable=True),
        sa.PrimaryKeyConstraint("version_id", "path"),
    )
    op.create_index("ix_asset_files_digest", "asset_files", ["digest"])
    op.create_index("ix_asset_files_pack", "asset_files", ["pack_digest"])
    op.create_table(
        "aliases",
        sa.Column(
            "asset_id", sa.Integer, sa.ForeignKey("assets.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("alias", sa.String(64), nullable=False),
        _version_fk("version_id"),
        sa.Column("protected", sa.Boolean, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("asset_id", "alias"),
    )
    op.create_table(
        "alias_moves",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "asset_id", sa.Integer, sa.ForeignKey("assets.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("alias", sa.String(64), nullable=False),
        sa.Column("from_version", sa.Integer, nullable=True),
        sa.Column("to_version", sa.Integer, nullable=True),
        sa.Column("moved_at", sa.BigInteger, nullable=False),
        sa.Column("moved_by", sa.String(255), nullable=True),
        sa.Column("evidence", sa.Text, nullable=True),
    )
    op.create_index("ix_alias_moves_asset", "alias_moves", ["asset_id", "alias"])
    op.create_table(
        "lineage",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("relation", sa.String(16), nullable=False),
        sa.Column(
            "run_id", sa.String(32), sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=True
        ),
        _version_fk("version_id"),
        _version_fk("source_version_id", nullable=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_lineage_run", "lineage", ["run_id"])
    op.create_index("ix_lineage_version", "lineage", ["version_id"])
    op.create_index("ix_lineage_source", "lineage", ["source_version_id"])


def downgrade() -> None:
    for table in ("lineage", "alias_moves", "aliases", "asset_files", "asset_versions", "assets"):
        op.drop_table(table)
