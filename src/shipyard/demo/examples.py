"""Where the demo finds the example files it runs: in the wheel, or in the source checkout.

The demo runs the very files users read in ``examples/``; the wheel ships
copies of them under ``shipyard/demo/examples/`` (see ``pyproject.toml``).
"""

from __future__ import annotations

from pathlib import Path

from shipyard.core.errors import NotFound


def example_path(relative: str | Path) -> Path:
    """``examples/<relative>``: next to this module in a wheel, else in the checkout."""
    here = Path(__file__).resolve()
    for candidate in (here.parent / "examples" / relative, here.parents[3] / "examples" / relative):
        if candidate.is_file():
            return candidate
    raise NotFound(f"the demo cannot find {relative}; reinstall shipyard")
