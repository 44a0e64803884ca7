"""REST routers, one per area; each is a thin layer over the workspace's store."""
