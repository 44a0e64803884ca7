"""Pipelines: ``@step`` and ``@pipeline`` in plain Python, cached, resumable, on local processes or Ray."""
