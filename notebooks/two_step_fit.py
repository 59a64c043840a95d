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
# # The two-step fit on the bundled ladder
#
# Fits `configs/olmo-paper.yaml` (the ladder of arXiv 2412.04403) with the same Python API
# that `ladder fit` uses, and draws step 1 (task loss from N and D), step 2 (accuracy from task
# loss), the chained prediction with its bootstrap interval next to the 7B-4T and 13B-5T
# actuals, and the residuals. Units: N in parameters, D in tokens, task loss in bits per byte.

# %%
# %matplotlib inline
from ladder import api
from ladder.figures.plots import plot_chained, plot_residuals, plot_step1, plot_step2

spec = api.spec()  # the bundled configs/olmo-paper.yaml, from any working directory
fit = api.fit(spec)

# %% [markdown]
# One row per target and task: the chained prediction, its interval and the actual score.

# %%
columns = [
    "target",
    "task",
    "chained_predicted",
    "chained_lower",
    "chained_upper",
    "chained_actual",
    "chained_rel_error",
    "step1_rel_error",
    "step2_rel_error",
]
fit.table()[columns].round(3)

# %%
for name, law in fit.tasks["mmlu"].headline_laws().items():
    print(name, law.summary(), sep=": ")

# %% [markdown]
# ## Step 1: task loss against tokens, one curve per model size

# %%
plot_step1(fit)

# %% [markdown]
# ## Step 2: accuracy against task loss, every checkpoint after the first 10%

# %%
plot_step2(fit)

# %% [markdown]
# ## Chained: accuracy against tokens, with the targets' intervals

# %%
plot_chained(fit)

# %% [markdown]
# ## Residuals: what the laws miss on the rungs they were fitted on

# %%
plot_residuals(fit)

# %% [markdown]
# ## For a paper: one column wide, the tasks you cite
# Every figure takes `tasks` (one panel each, in the order given) and `width` ("page", 7 in,
# or "column", 3.3 in); `ladder.figures.plots.save` writes it as PNG and PDF.

# %%
plot_chained(fit, tasks=["mmlu", "arc_challenge"], width="column")
