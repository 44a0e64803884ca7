"""What running a pipeline returns: the run, the state of its steps, and their outputs on demand."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shipyard.core.errors import NotFound
from shipyard.pipelines.cache import reusable_outputs
from shipyard.pipelines.values import load_value
from shipyard.pipelines.views import PipelineView, StepView
from shipyard.workspace import Workspace


@dataclass(frozen=True)
class PipelineResult:
    """A finished pipeline run.

    Attributes:
        run_id: the pipeline run (``sy.get_run(run_id)``, ``shipyard pipelines show``).
        view: the run and every step as ``describe`` shows them.
    """

    run_id: str
    view: PipelineView
    workspace: Workspace = field(repr=False, compare=False)

    @property
    def status(self) -> str:
        return self.view.status

    @property
    def steps(self) -> list[StepView]:
        return self.view.steps

    def step(self, step_id: str) -> StepView:
        """One step by id (``split``, ``split_2``, …)."""
        try:
            return self.view.step(step_id)
        except KeyError:
            known = ", ".join(s.id for s in self.view.steps)
            raise NotFound(f"pipeline run has no step {step_id!r}; its steps: {known}") from None

    def load(self, step_id: str, output: int = 0) -> Any:
        """Load output ``output`` of step ``step_id`` into this process."""
        step = self.step(step_id)
        found = reusable_outputs(self.workspace, step.run_id) if step.run_id else None
        if found is None or not 0 <= output < len(found.outputs):
            raise NotFound(f"step {step_id} has no stored output {output} (status {step.status})")
        return load_value(self.workspace, found.outputs[output])
