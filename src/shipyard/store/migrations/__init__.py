"""Alembic migrations of the metadata schema, oldest first.

``REVISIONS`` lists them in order so that opening a store can tell, without
importing Alembic, whether it is current, older (upgrade) or newer (refuse).
A test checks that it matches Alembic's own view of the scripts.
"""

REVISIONS: tuple[str, ...] = ("0001", "0002", "0003", "0004", "0005")
HEAD = REVISIONS[-1]
