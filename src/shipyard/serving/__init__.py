"""Serving: models over REST (micro-batched, split, shadowed, hot-reloaded) and in batch."""
