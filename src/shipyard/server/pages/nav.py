"""The sidebar: one list of links, grouped by area, that later pages append to.

A new UI area (models, datasets, deployments, …) adds its links here next to
the router it mounts in ``pages.__init__``; the layout renders whatever this
list holds, so no template changes are needed and no link points nowhere.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NavLink:
    """One sidebar entry.

    Attributes:
        group: the sidebar section heading; sections appear in order of first use.
        label: the link text.
        href: where it goes.
        prefixes: other paths under which this entry shows as the current one.
    """

    group: str
    label: str
    href: str
    prefixes: tuple[str, ...] = ()

    def is_current(self, path: str) -> bool:
        return path == self.href or any(path.startswith(p) for p in self.prefixes)


@dataclass(frozen=True)
class NavGroup:
    title: str
    links: list[tuple[NavLink, bool]]


NAV: list[NavLink] = [
    NavLink("Experiments", "Experiments", "/ui/", ("/ui/experiments/",)),
    NavLink("Experiments", "Runs", "/ui/runs", ("/ui/runs/",)),
    NavLink("Experiments", "Compare", "/ui/compare"),
    NavLink("Experiments", "Evaluations", "/ui/evals", ("/ui/evals/",)),
    NavLink("Registry", "Assets", "/ui/assets", ("/ui/assets/index/",)),
    NavLink("Registry", "Datasets", "/ui/assets?kind=dataset", ("/ui/assets/dataset/",)),
    NavLink("Registry", "Models", "/ui/assets?kind=model", ("/ui/assets/model/",)),
    NavLink("Registry", "Prompts", "/ui/assets?kind=prompt", ("/ui/assets/prompt/",)),
    NavLink("Pipelines", "Pipeline runs", "/ui/pipelines", ("/ui/pipelines/",)),
    NavLink("Serving", "Deployments", "/ui/deployments"),
    NavLink("LLM", "Playground", "/ui/prompts", ("/ui/prompts/",)),
    NavLink("LLM", "Traces", "/ui/traces", ("/ui/traces/",)),
    NavLink("LLM", "Usage", "/ui/usage"),
    NavLink("LLM", "Keys", "/ui/keys", ("/ui/keys/",)),
]


def nav_groups(path: str, links: list[NavLink] | None = None) -> list[NavGroup]:
    """The sidebar for a page at ``path``: groups in order, each link flagged if current."""
    groups: dict[str, NavGroup] = {}
    for link in NAV if links is None else links:
        group = groups.setdefault(link.group, NavGroup(link.group, []))
        group.links.append((link, link.is_current(path)))
    return list(groups.values())
