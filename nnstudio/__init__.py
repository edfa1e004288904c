"""nnstudio: a desktop neural-network studio."""

__version__ = "0.1.0"
