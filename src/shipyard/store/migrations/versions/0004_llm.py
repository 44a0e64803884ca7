"""The LLM gateway and tracing: traces, spans, model calls, virtual keys, limit counters, cache.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "traces",
        sa.Column("trace_id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("started_at", sa.BigInteger, nullable=False),
        sa.Column("duration_ms", sa.Float, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("model", sa.String(255), nullable=True),
        sa.Column("key_id", sa.String(32), nullable=True),
        sa.Column("project", sa.String(128), nullable=True),
        sa.Column("prompt_tokens", sa.Integer, nullable=False),
        sa.Column("completion_tokens", sa.Integer, nullable=False),
        sa.Column("cost_usd", sa.Float, nullable=False),
        sa.Column("cache_hit", sa.Boolean, nullable=False),
        sa.Column("span_count", sa.Integer, nullable=False),
    )
    op.create_index("ix_traces_time", "traces", ["started_at"])
    op.create_index("ix_traces_model_time", "traces", ["model", "started_at"])
    op.create_index("ix_traces_key_time", "traces", ["key_id", "started_at"])
    op.create_index("ix_traces_project_time", "traces", ["project", "started_at"])
    op.create_table(
        "spans",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("trace_id", sa.String(32), nullable=False),
        sa.Column("span_id", sa.String(16), nullable=False),
        sa.Column("parent_id", sa.String(16), nullable=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("start_us", sa.BigInteger, nullable=False),
        sa.Column("duration_ms", sa.Float, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("attributes", sa.Text, nullable=False),
        sa.Column("events", sa.Text, nullable=False),
    )
    op.create_index("ix_spans_trace", "spans", ["trace_id", "start_us"])
    op.create_table(
        "llm_calls",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("trace_id", sa.String(32), nullable=False),
        sa.Column("span_id", sa.String(16), nullable=False),
        sa.Column("started_at", sa.BigInteger, nullable=False),
        sa.Column("operation", sa.String(16), nullable=False),
        sa.Column("model", sa.String(255), nullable=False),
        sa.Column("provider", sa.String(64), nullable=True),
        sa.Column("target", sa.String(255), nullable=True),
        sa.Column("key_id", sa.String(32), nullable=True),
        sa.Column("project", sa.String(128), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error_type", sa.String(64), nullable=True),
        sa.Column("latency_ms", sa.Float, nullable=False),
        sa.Column("prompt_tokens", sa.Integer, nullable=False),
        sa.Column("completion_tokens", sa.Integer, nullable=False),
        sa.Column("cost_usd", sa.Float, nullable=False),
        sa.Column("cache", sa.String(16), nullable=True),
        sa.Column("stream", sa.Boolean, nullable=False),
        sa.Column("prompt_ref", sa.String(255), nullable=True),
    )
    op.create_index("ix_llm_calls_time", "llm_calls", ["started_at"])
    op.create_index("ix_llm_calls_model_time", "llm_calls", ["model", "started_at"])
    op.create_index("ix_llm_calls_key_time", "llm_calls", ["key_id", "started_at"])
    op.create_index("ix_llm_calls_trace", "llm_calls", ["trace_id"])
    op.create_table(
        "llm_keys",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("project", sa.String(128), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("budget_usd", sa.Float, nullable=True),
        sa.Column("budget_period", sa.String(8), nullable=True),
        sa.Column("tpm", sa.Integer, nullable=True),
        sa.Column("rpm", sa.Integer, nullable=True),
        sa.Column("models", sa.Text, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=True),
        sa.Column("revoked_at", sa.BigInteger, nullable=True),
    )
    op.create_index("ix_llm_keys_project", "llm_keys", ["project"])
    op.create_table(
        "llm_counters",
        sa.Column("scope", sa.String(160), primary_key=True),
        sa.Column("window_start", sa.BigInteger, primary_key=True),
        sa.Column("value", sa.Float, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_llm_counters_expiry", "llm_counters", ["expires_at"])
    op.create_table(
        "llm_cache",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("scope", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("embedding", sa.LargeBinary, nullable=True),
        sa.Column("prompt_text", sa.Text, nullable=False),
        sa.Column("response", sa.Text, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=True),
    )
    op.create_index("ix_llm_cache_lookup", "llm_cache", ["scope", "kind", "request_hash"])
    op.create_index("ix_llm_cache_expiry", "llm_cache", ["expires_at"])


def downgrade() -> None:
    op.drop_table("llm_cache")
    op.drop_table("llm_counters")
    op.drop_table("llm_keys")
    op.drop_table("llm_calls")
    op.drop_table("spans")
    op.drop_table("traces")
