"""Assets: one versioned registry for datasets, models, prompts and indexes."""
