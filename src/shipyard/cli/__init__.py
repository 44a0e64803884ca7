"""The ``shipyard`` command line: ``shipyard NOUN VERB``, one module per noun."""
