"""Specs: one validated config mechanism for ladder, train, fit and method specs, the named
methods, chance per task family and the spec reference page."""
