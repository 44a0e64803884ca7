"""Metadata storage: SQLAlchemy tables, repositories, migrations, the run filter language.

Knows nothing of ML: it stores experiments, runs, params, tags, metric points
and artifact entries, and answers searches over them.
"""
