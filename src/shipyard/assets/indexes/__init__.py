"""Retrieval indexes in the registry (their payload arrives with RAG)."""
