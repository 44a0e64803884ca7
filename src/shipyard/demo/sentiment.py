"""The demo's seed example: sentiment both ways, from ``examples/sentiment/both_ways.py``.

As with the credit pipeline, the demo runs the example files users read: from
the source checkout, or from the copy the wheel ships as
``shipyard/demo/examples/sentiment/``. They register the reviews and their
splits, train and register the TF-IDF classifier with a pipeline, register the
few-shot prompt, evaluate both on the eval split (the prompt on the bundled
local model, and on an OpenAI-compatible model when one is configured) and
build the comparison report the UI shows at ``/ui/evals/report``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shipyard.demo.examples import example_path

EXAMPLE = Path("sentiment") / "both_ways.py"


def run_sentiment_demo(*, openai: str | None = None, progress: bool = True) -> Any:
    """Run the example's ``run_both_ways``; returns its ``BothWays`` (runs and report)."""
    from shipyard.pipelines.loader import import_file

    module = import_file(example_path(EXAMPLE))
    return module.run_both_ways(openai=openai, progress=progress)
