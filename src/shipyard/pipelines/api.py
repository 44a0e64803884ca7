"""``sy.pipelines``: run, resume and inspect pipelines made of ``@sy.step`` functions.

::

    import shipyard as sy

    @sy.step
    def split(data, test_size: float = 0.2) -> tuple[pd.DataFrame, pd.DataFrame]: ...

    @sy.pipeline
    def train_credit(dataset: str = "dataset:credit@latest"):
        train, test = split(sy.datasets.load(dataset))
        ...

    train_credit()                                   # local processes
    sy.pipelines.run(train_credit, executor="ray")   # Ray, local instance or cluster
    sy.pipelines.resume(run_id)                      # after a failure

See docs/pipelines.md.
"""

from __future__ import annotations

from shipyard.pipelines.errors import PipelineFailed, UnstorableValue
from shipyard.pipelines.executors import known_executors
from shipyard.pipelines.inspect import describe, list_pipeline_runs
from shipyard.pipelines.loader import load_pipeline
from shipyard.pipelines.model_output import Model
from shipyard.pipelines.pipeline_decorator import Pipeline, pipeline
from shipyard.pipelines.result import PipelineResult
from shipyard.pipelines.runner import resume, run
from shipyard.pipelines.step_decorator import Step, step
from shipyard.pipelines.views import OutputView, PipelineRunSummary, PipelineView, StepView

list_runs = list_pipeline_runs

__all__ = [
    "Model",
    "OutputView",
    "Pipeline",
    "PipelineFailed",
    "PipelineResult",
    "PipelineRunSummary",
    "PipelineView",
    "Step",
    "StepView",
    "UnstorableValue",
    "describe",
    "known_executors",
    "list_pipeline_runs",
    "list_runs",
    "load_pipeline",
    "pipeline",
    "resume",
    "run",
    "step",
]
