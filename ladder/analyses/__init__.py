"""Analyses over many fits: backtests and compute against error."""
