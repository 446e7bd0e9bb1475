"""Wegweiser: a multilingual guide bot that points migrants to the responsible local service."""

__version__ = "0.1.0"
