"""Training compute, the variable C of laws in FLOPs: C = 6 N D (N parameters, D tokens)."""

from __future__ import annotations

FLOPS_PER_PARAM_TOKEN = 6  # forward and backward pass, attention ignored (the paper's C)


def training_flops(params, tokens):
    """C = 6 N D, the paper's compute (attention FLOPs ignored); scalars or arrays."""
    return float(FLOPS_PER_PARAM_TOKEN) * params * tokens
