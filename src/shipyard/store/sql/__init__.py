"""The SQL store: SQLite for one machine, PostgreSQL for a team."""

from __future__ import annotations

from shipyard.store.database import Database
from shipyard.store.migrate import ensure_schema
from shipyard.store.sql.aliases import SqlAliases
from shipyard.store.sql.artifacts import SqlArtifacts
from shipyard.store.sql.assets import SqlAssets
from shipyard.store.sql.deployments import SqlDeployments
from shipyard.store.sql.environments import SqlEnvironments
from shipyard.store.sql.experiments import SqlExperiments
from shipyard.store.sql.lineage import SqlLineage
from shipyard.store.sql.llm_cache import SqlLLMCache
from shipyard.store.sql.llm_counters import SqlLLMCounters
from shipyard.store.sql.llm_keys import SqlLLMKeys
from shipyard.store.sql.predictions import SqlPredictions
from shipyard.store.sql.run_data import SqlRunData
from shipyard.store.sql.runs import SqlRuns
from shipyard.store.sql.traces import SqlTraces


class SqlStore:
    """A metadata store over one SQLAlchemy database, migrated to the head schema on open."""

    def __init__(self, url: str) -> None:
        self.db = Database(url)
        if self.db.path is not None:
            self.db.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            ensure_schema(self.db)
        except BaseException:
            self.db.dispose()  # a refused store must not leave pooled connections open
            raise
        self.experiments = SqlExperiments(self.db)
        self.runs = SqlRuns(self.db)
        self.run_data = SqlRunData(self.db)
        self.artifacts = SqlArtifacts(self.db)
        self.environments = SqlEnvironments(self.db)
        self.assets = SqlAssets(self.db)
        self.aliases = SqlAliases(self.db)
        self.lineage = SqlLineage(self.db)
        self.predictions = SqlPredictions(self.db)
        self.deployments = SqlDeployments(self.db)
        self.traces = SqlTraces(self.db)
        self.llm_keys = SqlLLMKeys(self.db)
        self.llm_counters = SqlLLMCounters(self.db)
        self.llm_cache = SqlLLMCache(self.db)

    def close(self) -> None:
        self.db.dispose()

    def __repr__(self) -> str:
        return f"SqlStore({self.db.dialect}, {self.db.path or 'server'})"
