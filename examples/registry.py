"""Version a dataset, train on it inside a run, register the model, promote it, walk the lineage.

Run it with ``python examples/registry.py``, then ``shipyard assets list`` or
``shipyard lineage model:churn@production --up``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

import shipyard as sy
from shipyard.assets.aliases import move_alias
from shipyard.assets.lineage import lineage_graph


def main() -> list[str]:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"tenure": rng.integers(1, 60, 500), "spend": rng.normal(50, 15, 500)})
    frame["churned"] = (frame.tenure < 12) & (frame.spend < 45)
    sy.datasets.register(frame, "churn")  # dataset:churn@1 (again: still @1)

    with sy.start_run(experiment="churn", name="fit"):
        data = sy.datasets.load("dataset:churn@latest")  # recorded: the run consumed it
        x, y = data[["tenure", "spend"]], data["churned"]
        model = LogisticRegression().fit(x, y)
        version = sy.models.register(model, "churn", sample_input=x.head(5))  # produced by the run

    move_alias(version.ref, "production")
    loaded = sy.models.load("model:churn@production")
    print("accuracy:", float((loaded.predict(x) == y).mean()))

    sy.prompts.create(
        "explain-churn", "Customer with tenure {{ tenure }} months churned: {{ churned }}."
    )
    print(sy.prompts.render("prompt:explain-churn", tenure=3, churned=True)[0]["content"])

    graph = lineage_graph("model:churn@production", "up")
    print(" <- ".join(graph.nodes))
    return graph.nodes


if __name__ == "__main__":
    main()
