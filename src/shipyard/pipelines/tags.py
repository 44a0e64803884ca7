"""The tags that mark pipeline and step runs, in one place for the runner, the cache and readers.

A pipeline execution is a run tagged ``shipyard.kind=pipeline``; every attempt
of a step (and every reuse of a cached output) is a child run of it tagged
``shipyard.kind=step``.
"""

from __future__ import annotations

KIND = "shipyard.kind"
PIPELINE_KIND = "pipeline"
STEP_KIND = "step"

PIPELINE = "shipyard.pipeline"  # module:qualname of the @pipeline function
PIPELINE_FILE = "shipyard.pipeline_file"  # its source file, to re-import it for resume
EXECUTOR = "shipyard.executor"
RESUMED_FROM = "shipyard.resumed_from"

STEP = "shipyard.step"  # the step id inside its pipeline (split, split_2, ...)
FUNCTION = "shipyard.function"  # module:qualname of the @step function
ATTEMPT = "shipyard.attempt"  # 1, 2, ... for executions; 0 for a reused output
CACHE_KEY = "shipyard.cache_key"
CACHED_FROM = "shipyard.cached_from"  # the run whose outputs a cached step reused
ERROR = "shipyard.error"  # one line: exception type and message

PIPELINE_ARTIFACT = "pipeline.json"
INPUTS_ARTIFACT = "inputs.json"
OUTPUTS_ARTIFACT = "outputs.json"
LOGS_ARTIFACT = "logs.txt"

MAX_ERROR = 500


def one_line(text: str, limit: int = MAX_ERROR) -> str:
    """The first line of ``text``, clipped: what a tag or a table cell can hold."""
    lines = text.strip().splitlines()
    line = lines[0] if lines else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"
