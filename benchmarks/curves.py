"""Pythia, a ladder whose runs share D (about 300B tokens each): the task-loss and accuracy
errors of the final-point laws against the whole-curve laws (run by hand; prints Markdown for
benchmarks/curves.md).

    python benchmarks/curves.py [--config configs/corpus/pythia.yaml] [--task lambada_openai]

Each method fits the ladder's fit runs (70M-1.4B) and predicts 2.8B, 6.9B and 12B; `auto` is
the default choice among the candidates, `auto+multipower` adds multipower to its pool.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from ladder import api
from ladder.spec.presets import CANDIDATES

ROOT = Path(__file__).resolve().parents[1]
METHODS = {
    "paper": {"method": "paper"},
    "flops": {"method": "flops"},
    "lr": {"method": "lr"},
    "multipower": {"method": "multipower"},
    "auto": {"method": "auto"},
    "auto+multipower": {"method": "auto", "candidates": (*CANDIDATES, "multipower")},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "configs" / "corpus" / "pythia.yaml"))
    parser.add_argument("--task", default="lambada_openai")
    args = parser.parse_args()
    spec = api.spec(args.config)
    table = api.table(spec)
    rows = []
    for name, changes in METHODS.items():
        started = time.perf_counter()
        fit = api.fit(spec.with_fit(**changes), table)
        seconds = time.perf_counter() - started
        frame = fit.table()
        frame = frame[frame["task"] == args.task]
        chosen = ", ".join(fit.selection.chosen) if fit.selection is not None else name
        for _, r in frame.iterrows():
            rows.append(
                {
                    "method": name,
                    "target": r["target"],
                    "task loss rel err %": 100 * r.get("step1_rel_error", float("nan")),
                    "accuracy rel err %": 100 * r["chained_rel_error"],
                    "fit s": seconds,
                    "chosen": chosen,
                }
            )
    out = pd.DataFrame(rows)
    wide = out.pivot_table(
        index="method", columns="target", values="task loss rel err %", sort=False
    ).round(1)
    acc = out.pivot_table(
        index="method", columns="target", values="accuracy rel err %", sort=False
    ).round(1)
    print(f"## {spec.name}: {args.task} task-loss relative error (%)\n")
    print(wide.to_markdown())
    print(f"\n## {spec.name}: {args.task} accuracy relative error (%)\n")
    print(acc.to_markdown())
    print("\n## fit time and auto's choice\n")
    print(out.groupby("method", sort=False)[["fit s", "chosen"]].first().round(1).to_markdown())


if __name__ == "__main__":
    main()
