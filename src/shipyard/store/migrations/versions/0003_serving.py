"""Model serving: the prediction log and the deployments registry.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "predictions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("deployment", sa.String(128), nullable=False),
        sa.Column("model", sa.String(128), nullable=False),
        sa.Column("version", sa.Integer, nullable=True),
        sa.Column("alias", sa.String(64), nullable=True),
        sa.Column("shadow", sa.Boolean, nullable=False),
        sa.Column("inputs", sa.Text, nullable=False),
        sa.Column("outputs", sa.Text, nullable=False),
        sa.Column("row_count", sa.Integer, nullable=False),
        sa.Column("latency_ms", sa.Float, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_predictions_model_time", "predictions", ["model", "version", "created_at"])
    op.create_index("ix_predictions_deployment_time", "predictions", ["deployment", "created_at"])
    op.create_index("ix_predictions_time", "predictions", ["created_at"])
    op.create_index("ix_predictions_request", "predictions", ["request_id"])
    op.create_table(
        "deployments",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("url", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("hostname", sa.String(255), nullable=False),
        sa.Column("source", sa.String(1024), nullable=False),
        sa.Column("model", sa.String(128), nullable=False),
        sa.Column("versions", sa.Text, nullable=False),
        sa.Column("split", sa.Text, nullable=False),
        sa.Column("shadow", sa.String(64), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("started_at", sa.BigInteger, nullable=False),
        sa.Column("heartbeat_at", sa.BigInteger, nullable=False),
        sa.Column("heartbeat_interval_ms", sa.Integer, nullable=False),
        sa.Column("stopped_at", sa.BigInteger, nullable=True),
        sa.Column("details", sa.Text, nullable=False),
    )
    op.create_index("ix_deployments_name", "deployments", ["name"])
    op.create_index("ix_deployments_heartbeat", "deployments", ["heartbeat_at"])


def downgrade() -> None:
    op.drop_table("deployments")
    op.drop_table("predictions")
