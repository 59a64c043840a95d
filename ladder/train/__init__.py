"""Training a ladder: the plan (rungs -> steps, batch, LR, FLOPs, cost), OLMo-core training
of one rung, the launchers (local, torchrun, Slurm) and token data preparation."""
