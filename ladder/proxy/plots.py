"""Figures of the proxy regressor (matplotlib; functions return Figures): predicted against
actual with and without the proxies, feature importances, and the ladder's leave-one-task-out
predictions beside the two-step law's."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ladder.proxy.evaluate import Evaluation

COLORS = {"proxy": "tab:blue", "baseline": "tab:gray"}
LABELS = {"proxy": "with proxies", "baseline": "baseline (no proxies)"}


def plot_predicted_vs_actual(evaluation: Evaluation) -> Figure:
    """Every test prediction against the actual score, one panel per model, with the
    identity line and the setting's RMSE."""
    summary = evaluation.metrics()
    fig = Figure(figsize=(9, 4.2), layout="constrained")
    axes = fig.subplots(1, 2, sharex=True, sharey=True)
    data = evaluation.predictions
    low, high = data[["actual", "predicted"]].min().min(), data[["actual", "predicted"]].max().max()
    for ax, model in zip(axes, COLORS, strict=True):
        rows = data[data["model"] == model]
        ax.scatter(rows["actual"], rows["predicted"], s=8, alpha=0.4, color=COLORS[model])
        ax.plot([low, high], [low, high], color="black", lw=0.8)
        ax.set_title(f"{LABELS[model]}: RMSE {summary[f'{model}_rmse']:.2f}")
        ax.set_xlabel(f"actual {evaluation.features.target}")
    axes[0].set_ylabel("predicted")
    fig.suptitle(f"{evaluation.setting} setting, {evaluation.regressor}")
    return fig


def plot_importances(importances: pd.Series, top: int = 15, title: str = "") -> Figure:
    """The `top` largest feature importances (shares summing to 1 over all features)."""
    shown = importances.head(top)[::-1]
    fig = Figure(figsize=(6, 0.3 * len(shown) + 1.2), layout="constrained")
    ax = fig.subplots()
    ax.barh(shown.index, shown.to_numpy(), color="tab:blue")
    ax.set_xlabel("importance (share)")
    ax.set_title(title or "feature importances")
    return fig


def plot_ladder_comparison(table: pd.DataFrame, methods: list[str]) -> Figure:
    """Per task and target, each method's absolute error in accuracy points."""
    fig = Figure(figsize=(10, 3.8), layout="constrained")
    axes = fig.subplots(1, table["target"].nunique(), sharey=True, squeeze=False)[0]
    width = 0.8 / len(methods)
    for ax, (target, rows) in zip(axes, table.groupby("target", sort=False), strict=True):
        x = np.arange(len(rows))
        for i, method in enumerate(methods):
            ax.bar(x + i * width, 100 * rows[f"{method}_error"], width, label=method)
        ax.set_xticks(x + width * (len(methods) - 1) / 2, rows["task"], rotation=45, ha="right")
        ax.set_title(target)
    axes[0].set_ylabel("absolute error (points)")
    axes[0].legend()
    return fig
