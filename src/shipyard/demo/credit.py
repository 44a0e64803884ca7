"""The demo's second half: the credit-scoring pipeline of ``examples/credit_pipeline.py``.

The example file is the code users read, so the demo runs that very file: from
the source checkout, or from the copy the wheel ships as
``shipyard/demo/examples/credit_pipeline.py``. It registers the synthetic
``dataset:credit``, runs the pipeline (dataset → split → fit → evaluate →
register) and points the ``production`` alias at the model it registered,
ready for ``shipyard serve model:credit@production``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shipyard.demo.examples import example_path

EXAMPLE = "credit_pipeline.py"
ALIAS = "production"


@dataclass(frozen=True)
class CreditResult:
    run_id: str
    dataset: str
    model: str
    metrics: dict[str, float]
    steps: list[tuple[str, str]]  # (step id, status)


def run_credit_pipeline(progress: Any = None) -> CreditResult:
    """Register the credit data, run the example pipeline, alias its model as production."""
    from shipyard.assets.aliases import move_alias
    from shipyard.assets.datasets import api as datasets
    from shipyard.pipelines.loader import import_file
    from shipyard.pipelines.runner import run

    module = import_file(example_path(EXAMPLE))
    dataset = datasets.register(module.make_credit_data(), "credit")
    result = run(module.train_credit, params={"dataset": dataset.ref}, progress=progress)
    model: str = result.load("register")
    move_alias(model, ALIAS)
    return CreditResult(
        run_id=result.run_id,
        dataset=dataset.ref,
        model=model,
        metrics=dict(result.load("evaluate")),
        steps=[(s.id, s.status) for s in result.steps],
    )
