"""Kỷ cương: administrative discipline and public-service quality platform."""

__version__ = "0.1.0"
