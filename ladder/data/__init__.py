"""Observations: the observation table and the importers that fill it."""
