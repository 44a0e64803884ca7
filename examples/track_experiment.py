"""Track a training loop: params, a metric series, summary metrics and an artifact.

Run it with ``python examples/track_experiment.py`` and then ``shipyard ui``.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import shipyard as sy


def main() -> str:
    with sy.start_run(
        experiment="credit", params={"lr": 0.1, "model": "gbm"}, tags={"team": "risk"}
    ) as run:
        for step in range(1000):
            run.log_metric("loss", math.exp(-step / 200) + 0.05, step=step)
        run.log_metrics({"auc": 0.91, "f1": 0.84})
        with tempfile.TemporaryDirectory() as tmp:
            report = Path(tmp) / "report.html"
            report.write_text("<h1>credit model</h1><p>AUC 0.91</p>", encoding="utf-8")
            run.log_artifact(report)
    best = sy.search_runs(
        "metrics.auc > 0.9 and params.model = 'gbm'", order_by=["metrics.auc desc"]
    )
    print(f"best run: {best.runs[0].name} ({best.runs[0].id[:8]})")
    return run.id


if __name__ == "__main__":
    main()
