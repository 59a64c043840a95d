"""Fitting: points, methods, the rollout choice, interval calibration, diagnostics, noise."""
