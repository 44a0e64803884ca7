"""The metadata schema. Every change here needs an Alembic migration in ``migrations/``.

A test compares this metadata with a database migrated from empty, so the two
cannot drift apart.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

experiments = Table(
    "experiments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(255), nullable=False, unique=True),
    Column("description", Text, nullable=True),
    Column("created_at", BigInteger, nullable=False),
)

environments = Table(
    "environments",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("body", Text, nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column(
        "experiment_id",
        Integer,
        ForeignKey("experiments.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("parent_id", String(32), ForeignKey("runs.id", ondelete="CASCADE"), nullable=True),
    Column("name", String(255), nullable=False),
    Column("status", String(16), nullable=False),
    Column("start_time", BigInteger, nullable=False),
    Column("end_time", BigInteger, nullable=True),
    Column("env_digest", String(64), nullable=True),
    Index("ix_runs_experiment_start", "experiment_id", "start_time"),
    Index("ix_runs_parent", "parent_id"),
)

params = Table(
    "params",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(250), primary_key=True),
    Column("kind", String(8), nullable=False),
    Column("value", Text, nullable=True),
    Column("num", Float, nullable=True),
    Index("ix_params_key_value", "key", "value"),
    Index("ix_params_key_num", "key", "num"),
)

tags = Table(
    "tags",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(250), primary_key=True),
    Column("value", Text, nullable=False),
    Index("ix_tags_key_value", "key", "value"),
)

# Every point of every series. NaN is stored as NULL (SQLite cannot hold NaN).
metrics = Table(
    "metrics",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(250), nullable=False),
    Column("step", BigInteger, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("value", Float, nullable=True),
    Index("ix_metrics_run_key_step", "run_id", "key", "step"),
)

# The point with the highest (step, timestamp) of each series: what search filters and sorts on.
latest_metrics = Table(
    "latest_metrics",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(250), primary_key=True),
    Column("step", BigInteger, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("value", Float, nullable=True),
    Index("ix_latest_metrics_key_value", "key", "value"),
)

artifacts = Table(
    "artifacts",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("path", String(1024), primary_key=True),
    Column("digest", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Index("ix_artifacts_digest", "digest"),
)

# -- the asset registry (migration 0002) ------------------------------------------

assets = Table(
    "assets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("name", String(128), nullable=False),
    Column("description", Text, nullable=True),
    Column("created_at", BigInteger, nullable=False),
    UniqueConstraint("kind", "name", name="uq_assets_kind_name"),
)

# One immutable version; ``digest`` is the SHA-256 of its manifest (paths -> file digests).
asset_versions = Table(
    "asset_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("asset_id", Integer, ForeignKey("assets.id", ondelete="CASCADE"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("meta", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("created_by", String(255), nullable=True),
    Column("run_id", String(32), ForeignKey("runs.id", ondelete="SET NULL"), nullable=True),
    UniqueConstraint("asset_id", "version", name="uq_asset_versions_asset_version"),
    Index("ix_asset_versions_digest", "asset_id", "digest"),
    Index("ix_asset_versions_run", "run_id"),
)

# The manifest: a file is a blob of its own, or a slice of a pack blob (small files packed).
asset_files = Table(
    "asset_files",
    metadata,
    Column(
        "version_id",
        Integer,
        ForeignKey("asset_versions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("path", String(1024), primary_key=True),
    Column("digest", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("pack_digest", String(64), nullable=True),
    Column("pack_offset", BigInteger, nullable=True),
    Index("ix_asset_files_digest", "digest"),
    Index("ix_asset_files_pack", "pack_digest"),
)

aliases = Table(
    "aliases",
    metadata,
    Column("asset_id", Integer, ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True),
    Column("alias", String(64), primary_key=True),
    Column(
        "version_id", Integer, ForeignKey("asset_versions.id", ondelete="CASCADE"), nullable=False
    ),
    Column("protected", Boolean, nullable=False, default=False),
    Column("updated_at", BigInteger, nullable=False),
)

# Every move of every alias: who, when, from, to, and the evidence a protected move carried.
alias_moves = Table(
    "alias_moves",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("asset_id", Integer, ForeignKey("assets.id", ondelete="CASCADE"), nullable=False),
    Column("alias", String(64), nullable=False),
    Column("from_version", Integer, nullable=True),
    Column("to_version", Integer, nullable=True),
    Column("moved_at", BigInteger, nullable=False),
    Column("moved_by", String(255), nullable=True),
    Column("evidence", Text, nullable=True),
    Index("ix_alias_moves_asset", "asset_id", "alias"),
)

# The gate policy (YAML) an alias moves through; it exists before the alias may,
# so a first promotion needs a passing gate too.
alias_gates = Table(
    "alias_gates",
    metadata,
    Column("asset_id", Integer, ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True),
    Column("alias", String(64), primary_key=True),
    Column("policy", Text, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("updated_by", String(255), nullable=True),
)

# Edges between runs and versions: consumed / produced (run_id, version_id) and
# derived_from (version_id <- source_version_id).
lineage = Table(
    "lineage",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("relation", String(16), nullable=False),
    Column("run_id", String(32), ForeignKey("runs.id", ondelete="CASCADE"), nullable=True),
    Column(
        "version_id", Integer, ForeignKey("asset_versions.id", ondelete="CASCADE"), nullable=False
    ),
    Column(
        "source_version_id",
        Integer,
        ForeignKey("asset_versions.id", ondelete="CASCADE"),
        nullable=True,
    ),
    Column("created_at", BigInteger, nullable=False),
    Index("ix_lineage_run", "run_id"),
    Index("ix_lineage_version", "version_id"),
    Index("ix_lineage_source", "source_version_id"),
)

# -- model serving (migration 0003) -----------------------------------------------

# One answered request (or a shadow copy of one): inputs as columns, outputs per row.
predictions = Table(
    "predictions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", String(64), nullable=False),
    Column("deployment", String(128), nullable=False),
    Column("model", String(128), nullable=False),
    Column("version", Integer, nullable=True),
    Column("alias", String(64), nullable=True),
    Column("shadow", Boolean, nullable=False),
    Column("inputs", Text, nullable=False),
    Column("outputs", Text, nullable=False),
    Column("row_count", Integer, nullable=False),
    Column("latency_ms", Float, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Index("ix_predictions_model_time", "model", "version", "created_at"),
    Index("ix_predictions_deployment_time", "deployment", "created_at"),
    Index("ix_predictions_time", "created_at"),
    Index("ix_predictions_request", "request_id"),
)

# One model server process: registered on start, heartbeating, marked stopped on shutdown.
deployments = Table(
    "deployments",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(128), nullable=False),
    Column("url", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("hostname", String(255), nullable=False),
    Column("source", String(1024), nullable=False),
    Column("model", String(128), nullable=False),
    Column("versions", Text, nullable=False),
    Column("split", Text, nullable=False),
    Column("shadow", String(64), nullable=True),
    Column("state", String(16), nullable=False),
    Column("started_at", BigInteger, nullable=False),
    Column("heartbeat_at", BigInteger, nullable=False),
    Column("heartbeat_interval_ms", Integer, nullable=False),
    Column("stopped_at", BigInteger, nullable=True),
    Column("details", Text, nullable=False),
    Index("ix_deployments_name", "name"),
    Index("ix_deployments_heartbeat", "heartbeat_at"),
)

# --- LLM gateway and tracing (migration 0004) ---

# One trace: a request through the gateway or a block of user code, with its totals.
traces = Table(
    "traces",
    metadata,
    Column("trace_id", String(32), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("started_at", BigInteger, nullable=False),  # ms since the epoch
    Column("duration_ms", Float, nullable=False),
    Column("status", String(16), nullable=False),  # ok | error
    Column("error", Text, nullable=True),
    Column("model", String(255), nullable=True),
    Column("key_id", String(32), nullable=True),
    Column("project", String(128), nullable=True),
    Column("prompt_tokens", Integer, nullable=False),
    Column("completion_tokens", Integer, nullable=False),
    Column("cost_usd", Float, nullable=False),
    Column("cache_hit", Boolean, nullable=False),
    Column("span_count", Integer, nullable=False),
    Index("ix_traces_time", "started_at"),
    Index("ix_traces_model_time", "model", "started_at"),
    Index("ix_traces_key_time", "key_id", "started_at"),
    Index("ix_traces_project_time", "project", "started_at"),
)

# One span of a trace: a stage, a provider attempt, a user block. Attributes are JSON.
spans = Table(
    "spans",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("trace_id", String(32), nullable=False),
    Column("span_id", String(16), nullable=False),
    Column("parent_id", String(16), nullable=True),
    Column("name", String(255), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("start_us", BigInteger, nullable=False),  # microseconds since the epoch
    Column("duration_ms", Float, nullable=False),
    Column("status", String(16), nullable=False),
    Column("error", Text, nullable=True),
    Column("attributes", Text, nullable=False),
    Column("events", Text, nullable=False),
    Index("ix_spans_trace", "trace_id", "start_us"),
)

# One model call through the LLM request path: what usage and cost pages add up.
llm_calls = Table(
    "llm_calls",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("trace_id", String(32), nullable=False),
    Column("span_id", String(16), nullable=False),
    Column("started_at", BigInteger, nullable=False),
    Column("operation", String(16), nullable=False),  # chat | completion | embedding
    Column("model", String(255), nullable=False),  # as requested (alias or provider/model)
    Column("provider", String(64), nullable=True),
    Column("target", String(255), nullable=True),  # provider/model that answered
    Column("key_id", String(32), nullable=True),
    Column("project", String(128), nullable=True),
    Column("status", String(16), nullable=False),
    Column("error_type", String(64), nullable=True),
    Column("latency_ms", Float, nullable=False),
    Column("prompt_tokens", Integer, nullable=False),
    Column("completion_tokens", Integer, nullable=False),
    Column("cost_usd", Float, nullable=False),
    Column("cache", String(16), nullable=True),  # exact | semantic | None
    Column("stream", Boolean, nullable=False),
    Column("prompt_ref", String(255), nullable=True),
    Index("ix_llm_calls_time", "started_at"),
    Index("ix_llm_calls_model_time", "model", "started_at"),
    Index("ix_llm_calls_key_time", "key_id", "started_at"),
    Index("ix_llm_calls_trace", "trace_id"),
)

# A virtual key of the gateway. Only the SHA-256 of the secret is kept.
llm_keys = Table(
    "llm_keys",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(128), nullable=False),
    Column("project", String(128), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),
    Column("budget_usd", Float, nullable=True),
    Column("budget_period", String(8), nullable=True),  # hour | day | week | month | total
    Column("tpm", Integer, nullable=True),
    Column("rpm", Integer, nullable=True),
    Column("models", Text, nullable=False),  # JSON list; empty means every model
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=True),
    Column("revoked_at", BigInteger, nullable=True),
    Index("ix_llm_keys_project", "project"),
)

# Fixed-window counters for rate limits and budgets when no Redis is configured.
llm_counters = Table(
    "llm_counters",
    metadata,
    Column("scope", String(160), primary_key=True),  # e.g. key:<id>:rpm
    Column("window_start", BigInteger, primary_key=True),
    Column("value", Float, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Index("ix_llm_counters_expiry", "expires_at"),
)

# Cached responses: exact (request hash) and semantic (prompt embedding), per scope.
llm_cache = Table(
    "llm_cache",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("scope", String(255), nullable=False),  # model + key or project
    Column("kind", String(16), nullable=False),  # exact | semantic
    Column("request_hash", String(64), nullable=False),
    Column("embedding", LargeBinary, nullable=True),  # float32, normalized
    Column("prompt_text", Text, nullable=False),
    Column("response", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=True),
    Index("ix_llm_cache_lookup", "scope", "kind", "request_hash"),
    Index("ix_llm_cache_expiry", "expires_at"),
)
