"""Adapters translate platform events into ``Incoming`` and ``Reply`` values into platform calls."""
