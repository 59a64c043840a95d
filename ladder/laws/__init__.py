"""Pure numerics of the laws: no files, no CLI; depends only on ladder.errors.

- estimator.py: the contract every law, predictor and interval strategy follows, and the
  registry that serializes them
- base.py: the law machinery (bounded multi-start fits, the batched bootstrap refits)
- power.py: step 1, task loss L(N, D) = E + A / N**alpha + B / D**beta, and L(C) over FLOPs
- sigmoid.py: step 2, accuracy(L) = a / (1 + exp(-k (L - L0))) + b
- shared.py, lr.py: step 1 with exponents shared across tasks; over every checkpoint, LR-aware
- multipower.py: step 1 over every checkpoint, the multi-power law across N (arXiv 2503.12811)
- predictors.py: the chained two-step predictor, the direct law, ensembles
- bootstrap.py, intervals.py: resampling and estimates; bootstrap and conformal intervals
- flops.py: C = 6 N D
- allocation.py: the N and D = C / 6N that optimize a predictor at a compute budget
"""
