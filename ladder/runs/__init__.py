"""Runs: rung names and sizes with the batch and learning-rate rules, schedules, run folders,
trusted checkpoints, tokenizers and cluster scripts."""
