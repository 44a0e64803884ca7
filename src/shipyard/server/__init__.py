"""The HTTP surface: the REST API of the store, the blob endpoints and the web UI."""
