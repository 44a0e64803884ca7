"""The errors only pipelines raise; both sit under the hierarchy of ``shipyard.core.errors``.

- ``PipelineFailed`` (a ``Failure``): a step failed after its retries, or the
  pipeline body raised; the pipeline run is marked failed and can be resumed.
- ``UnstorableValue`` (an ``InvalidInput``): a value crossing a step boundary
  is of a type shipyard will not serialize (it never pickles); not retried.
"""

from __future__ import annotations

from shipyard.core.errors import Failure, InvalidInput


class PipelineFailed(Failure):
    """Raised when a pipeline run fails; ``run_id`` names it, ``step_id`` the failed step if any."""

    headline = "Pipeline failed"

    def __init__(self, message: str, run_id: str, step_id: str | None = None) -> None:
        super().__init__(message)
        self.run_id = run_id
        self.step_id = step_id


class UnstorableValue(InvalidInput):
    """Raised when a step input or output is of a type that cannot be stored safely."""
