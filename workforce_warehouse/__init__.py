"""Workforce race-equality data warehouse for English social care."""

__version__ = "0.1.0"
