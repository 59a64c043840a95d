"""Fits: the fit object, its JSON document and its printed and Markdown reports."""
