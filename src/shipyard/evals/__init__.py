"""Evaluations: run a target (a model, a prompt, an app, an endpoint) over an eval dataset.

An eval dataset is an ordinary dataset version whose ``expected`` column holds
the right answers (``cases``); a target turns each case's inputs into an
output (``targets``); scorers turn outputs into numbers (``scorers``); the
runner does all of it as one tracked run with lineage to the dataset and
target versions (``runner``), and ``storage`` loads finished evaluations back.

Nothing heavy is imported here: the modules are imported where they are used.
"""
