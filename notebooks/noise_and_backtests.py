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
# The same pipeline as `ladder noise`, `ladder backtest` and `ladder compute-vs-error`.

# %%
# %matplotlib inline
from ladder import api
from ladder.figures.analyses import plot_compute_vs_error, plot_noise
from ladder.fit.noise import summarize

spec = api.spec()  # the bundled configs/olmo-paper.yaml, from any working directory
spec = spec.with_tasks(["mmlu", "hellaswag", "arc_challenge", "piqa"])  # half its tasks: quicker
table = api.table(spec)

# %% [markdown]
# ## The noise floor
# Standard deviation of accuracy over the last 10 evaluations of each fit and target run
# (median over runs, as `ladder noise`), beside the chained prediction's error on each
# target: errors far above the noise floor are the law's, not the evaluation's.

# %%
noise = summarize(api.noise(spec, table))
fit = api.fit(spec, table)
plot_noise(noise, fit)

# %% [markdown]
# ## Backtests: fit on the smaller rungs, predict the larger ones
# 190M-760M predicts every 1B rung; 190M-1B predicts the 3B rungs, which the paper's fit
# never sees. Coverage is the fraction of held-out actuals inside the 95% interval. Here the
# paper's method, which refits in seconds (the default method chooses by rollouts inside
# every split: `ladder backtest` runs it in a few minutes).

# %%
backtests = api.backtest(spec.with_fit(bootstrap=200, method="paper"), table, kinds=["size"])
backtests.table().round(3)

# %% [markdown]
# ## Compute vs error
# Every contiguous window of at least three sizes times every prefix of the multipliers,
# refitted without bootstrap by the paper's method; the x axis is the ladder's compute as a
# share of the target's.

# %%
cve = api.compute_vs_error(spec.with_fit(bootstrap=0, method="paper"), table)
plot_compute_vs_error(cve)
