"""Core: ids, digests, errors, settings. Knows nothing of storage or ML."""
