"""The package version, in the bottom layer so every layer can name it without importing ``shipyard``."""

__version__ = "0.1.0"
