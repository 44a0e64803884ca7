"""The workspace: the one object through which services reach storage."""

from shipyard.workspace.gc import GcReport, collect_garbage
from shipyard.workspace.workspace import Workspace, current_workspace, reset_workspaces

__all__ = ["GcReport", "Workspace", "collect_garbage", "current_workspace", "reset_workspaces"]
