"""Figures: the shared style and the figures of a fit."""
