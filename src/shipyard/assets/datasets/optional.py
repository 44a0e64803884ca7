"""The optional libraries behind datasets, and the error that names the extra to install.

pyarrow holds every table in memory (extra ``datasets``); pandas and polars are
only needed to hand a table to a user who asked for one (extras ``pandas`` and
``polars``). None of them is imported by ``import shipyard``.
"""

from __future__ import annotations

EXTRAS = {"pyarrow": "datasets", "pandas": "pandas", "polars": "polars"}


def missing_dependency(module: str, purpose: str) -> ImportError:
    """The ``ImportError`` to raise when ``module`` is needed for ``purpose`` but not installed."""
    extra = EXTRAS.get(module, "all")
    return ImportError(
        f"{purpose} needs {module}, which is not installed. "
        f"Install it with: pip install 'shipyard[{extra}]'"
    )
