"""A small hyperparameter sweep as child runs of one parent run."""

from __future__ import annotations

import shipyard as sy


def main() -> list[str]:
    children = []
    with sy.start_run(experiment="sweep", name="lr-sweep") as parent:
        for lr in (0.01, 0.1, 1.0):
            with sy.start_run(name=f"lr={lr}", params={"lr": lr}) as child:
                loss = 1.0
                for epoch in range(20):
                    loss *= 1 - min(lr, 0.5) / 2
                    child.log_metric("loss", loss, step=epoch)
                children.append(child.id)
        best = sy.search_runs(
            f"attributes.parent_id = '{parent.id}'", order_by=["metrics.loss asc"]
        )
        parent.set_tag("best", best.runs[0].name)
    return children


if __name__ == "__main__":
    main()
