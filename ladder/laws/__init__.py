"""Pure numerics of the two-step law: no files, no CLI.

- power.py: step 1, task loss L(N, D) = E + A / N**alpha + B / D**beta, and L(C) over FLOPs
- sigmoid.py: step 2, accuracy(L) = a / (1 + exp(-k (L - L0))) + b
- chain.py: the chained two-step predictor and the single-step baseline
- uncertainty.py: bootstrap weights and prediction intervals
"""

from ladder.laws.chain import ChainedPredictor
from ladder.laws.power import PowerLaw
from ladder.laws.sigmoid import Sigmoid

__all__ = ["ChainedPredictor", "PowerLaw", "Sigmoid"]
