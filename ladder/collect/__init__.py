"""Evaluate checkpoints on olmo_eval's task suites and add the results to observation tables."""
