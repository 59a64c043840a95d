"""ladder: predict downstream task accuracy of large language models from a ladder of small ones.

Two-step task scaling laws (arXiv 2412.04403): (N, D) -> task loss by a power law, then task
loss -> accuracy by a sigmoid, chained, with bootstrap prediction intervals.
"""

from ladder.errors import LadderError

__all__ = ["LadderError"]
__version__ = "0.1.0"
