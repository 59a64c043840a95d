# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # How far to trust a prediction: noise floor, backtests, compute vs error
#
# The same pipeline as `ladder variance`, `ladder backtest` and `ladder compute-vs-error`.

# %%
# %matplotlib inline
import dataclasses
from pathlib import Path

from ladder import observations
from ladder.backtest import backtest, compute_vs_error, ladder_cuts, size_splits
from ladder.pipeline import fit_ladder
from ladder.plots import plot_compute_vs_error, plot_noise
from ladder.report import backtest_summary
from ladder.rungs import rungs
from ladder.spec import load_spec
from ladder.variance import noise_floor, summarize

root = Path.cwd() if Path("configs").is_dir() else Path.cwd().parent
spec = load_spec(root / "configs" / "olmo-paper.yaml")
table = observations.read(spec.data)

# %% [markdown]
# ## The noise floor
# Standard deviation of accuracy over the last 10 evaluations of each fit run (median over
# runs), beside the chained prediction's error on each target: errors far above the noise
# floor are the law's, not the evaluation's.

# %%
noise = summarize(noise_floor(table, spec.tasks, spec.fit_runs, last_n=10))
fit = fit_ladder(table, spec)
plot_noise(noise, fit)

# %% [markdown]
# ## Backtests: fit on the smaller rungs, predict the larger ones
# 190M-760M predicts every 1B rung; 190M-1B predicts the 3B rungs, which the paper's fit
# never sees. Coverage is the fraction of held-out actuals inside the 95% interval.

# %%
quick = dataclasses.replace(spec, options=dataclasses.replace(spec.options, bootstrap=200))
results = backtest(table, quick, size_splits(rungs(table), spec.fit_runs), noise)
backtest_summary(results).round(3)

# %% [markdown]
# ## Compute vs error
# Every contiguous window of at least three sizes times every prefix of the multipliers,
# refitted without bootstrap; the x axis is the ladder's compute as a share of the target's.

# %%
points_only = dataclasses.replace(spec, options=dataclasses.replace(spec.options, bootstrap=0))
cve = compute_vs_error(table, points_only, ladder_cuts(rungs(table), spec.fit_runs))
plot_compute_vs_error(cve)
