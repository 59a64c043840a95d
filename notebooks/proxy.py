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
# # Predicting from proxy models (ProxyLM)
#
# ProxyLM (Anugraha et al., arXiv 2406.09334) learns a regressor from past experiment records:
# the scores of small "proxy" models (and features of the language and the data) in, the
# score of the large model out. Here on the authors' MT560 records (bundled in
# `data/proxylm/`): the fine-tuned M2M100 1.2B's spBLEU, predicted with XGBoost, beside the
# NLPerf baseline (the same regressor without the proxies' scores). The same API backs
# `ladder proxy evaluate`. For a quick run this uses the `fast` grid (one setting, no search)
# and three random splits; `benchmarks/proxy.md` has the full search and every setting.

# %%
# %matplotlib inline
from ladder import api
from ladder.proxy import proxylm, splits
from ladder.proxy.evaluate import evaluate
from ladder.proxy.plots import plot_importances, plot_ladder_comparison, plot_predicted_vs_actual
from ladder.proxy.records import proxylm_path, read_records

records = proxylm.prepare(read_records(proxylm_path("mt560")))  # found from any folder
features = proxylm.feature_set(records, model="m2m100", metric="spBLEU")
records = features.check(records)
folds = splits.random_folds(records, seeds=range(3), stratify=proxylm.STRATIFY["mt560"])
result = evaluate(folds, features, "random", regressor="xgb", grid="fast")
result.metrics()

# %% [markdown]
# ## Predicted against actual spBLEU on the held-out 30%
# With the proxies' scores the points hug the diagonal; without them (NLPerf's language and
# data-set features only) the regressor cannot tell how good a translation system will be.

# %%
plot_predicted_vs_actual(result)

# %% [markdown]
# ## What the regressor uses
# Gain importances, mean over the three fits: the fine-tuned SMaLL100's score carries most
# of the prediction, as in the paper.

# %%
plot_importances(result.importances, title="XGBoost with proxies: importances")

# %% [markdown]
# ## The ladder as proxies
# On the bundled OLMo ladder the rungs (190M to 1B) are the proxies: each task's 7B-4T and
# 13B-5T accuracy is predicted from the rungs' accuracies on it by a regressor trained on the
# other tasks only (leave one task out), beside the two-step law's prediction. The
# polynomial ridge with the fast grid keeps this quick; `ladder proxy ladder` runs it too.

# %%
ladder = api.proxy_ladder(api.spec(), regressors=["poly2"], grid="fast")
ladder.table.round(3)

# %%
plot_ladder_comparison(ladder.table, ["two_step", "poly2"])
